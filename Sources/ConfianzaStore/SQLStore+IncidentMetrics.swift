import ConfianzaCore
import Foundation
import SQLKit

/// Figures over every incident, computed by the database so that they are exact at any size: the
/// queue's overdue banner, `/metrics` and the dashboard read them here, never from a page of incidents.
extension SQLStore {
    public func incidents(afterNumber number: Int, limit: Int) async throws -> [Incident] {
        try await self.withReading { db in
            let rows = try await db.raw(
                """
                SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents WHERE number > \(bind: number)
                ORDER BY number LIMIT \(bind: max(1, min(limit, 10_000)))
                """
            ).all()
            return try await Self.incidents(rows, db: db)
        }
    }

    public func incidentCounts(at now: Date) async throws -> IncidentCounts {
        try await self.withDatabase { db in try await Self.incidentCounts(at: now, db: db) }
    }

    /// The rules of ``Incident/isOverdue(at:)``, ``Incident/triageBreached(at:)`` and
    /// ``Incident/resolveBreached(at:)``, as SQL.
    static func incidentCounts(at now: Date, db: any SQLDatabase) async throws -> IncidentCounts {
        // Each count is its own query on an index of migration 20 (status with a due date, or a partial
        // index of the breaches), so none reads every incident (migrations 20 and 21). Written as the indexes are.
        let at = Millis(now)
        let open = "status IN ('new', 'triaged', 'in-progress', 'waiting')"
        let working = "status IN ('triaged', 'in-progress', 'waiting')"
        func count(_ query: SQLQueryString) async throws -> Int {
            try await db.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let total = try await count("SELECT COUNT(*) AS n FROM incidents")
        let openCount = try await count("SELECT COUNT(*) AS n FROM incidents WHERE \(unsafeRaw: open)")
        // Overdue: new and past its triage or resolution due date; being worked on and past its resolution due date.
        let newLate = try await count("SELECT COUNT(*) AS n FROM incidents WHERE status = 'new' AND triage_due < \(bind: at)")
        let newLateResolveOnly = try await count(
            "SELECT COUNT(*) AS n FROM incidents WHERE status = 'new' AND triage_due >= \(bind: at) AND resolve_due < \(bind: at)")
        let workingLate = try await count("SELECT COUNT(*) AS n FROM incidents WHERE \(unsafeRaw: working) AND resolve_due < \(bind: at)")
        // Breaches: acknowledged or resolved after the due date (partial indexes), and those still waiting past it.
        let triagedLate = try await count("SELECT COUNT(*) AS n FROM incidents WHERE triaged_at > triage_due")
        let stillUntriaged = try await count(
            "SELECT COUNT(*) AS n FROM incidents WHERE status = 'new' AND triage_due < \(bind: at) AND triaged_at IS NULL")
        let resolvedLate = try await count("SELECT COUNT(*) AS n FROM incidents WHERE resolved_at > resolve_due")
        let stillUnresolved = try await count(
            "SELECT COUNT(*) AS n FROM incidents WHERE \(unsafeRaw: open) AND resolve_due < \(bind: at) AND resolved_at IS NULL")
        return IncidentCounts(
            total: total, open: openCount, overdue: newLate + newLateResolveOnly + workingLate, triageBreaches: triagedLate + stillUntriaged,
            resolveBreaches: resolvedLate + stillUnresolved)
    }

    public func incidentMetrics(at now: Date) async throws -> IncidentMetrics {
        try await self.withReading { db in
            let counts = try await Self.incidentCounts(at: now, db: db)
            let acknowledge = try await Self.percentiles(of: "triaged_at", db: db)
            let resolve = try await Self.percentiles(of: "resolved_at", db: db)
            let tallies = try await Self.incidentTallies(db: db)
            var sectors = tallies.sectors
            // Incidents with no organisation known: every incident but those with one in some sector.
            let named = sectors.removeValue(forKey: "*") ?? 0
            if counts.total - named > 0 { sectors[IncidentMetrics.noSector] = counts.total - named }
            return IncidentMetrics(
                counts: counts, timeToAcknowledge: acknowledge, timeToResolve: resolve, byType: IncidentMetrics.ranked(tallies.types),
                bySector: IncidentMetrics.ranked(sectors), byMonth: IncidentMetrics.lastTwelveMonths(tallies.months, now: now))
        }
    }

    /// The counts by type, month and sector that migration 22's triggers keep (sector `*`: incidents
    /// with an organisation in any sector). A few dozen rows, whatever the number of incidents.
    static func incidentTallies(db: any SQLDatabase) async throws -> (types: [String: Int], months: [String: Int], sectors: [String: Int]) {
        var types: [String: Int] = [:]
        var months: [String: Int] = [:]
        var sectors: [String: Int] = [:]
        for row in try await db.raw("SELECT dimension, name, n FROM incident_tallies WHERE n > 0").all() {
            let name = try row.decode(column: "name", as: String.self)
            let count = try row.decode(column: "n", as: Int.self)
            switch try row.decode(column: "dimension", as: String.self) {
            case "type": types[name] = count
            case "month": months[name] = count
            case "sector": sectors[name] = count
            default: continue
            }
        }
        return (types, months, sectors)
    }

    /// Median and 90th percentile of `column − created_at`, in seconds, over incidents where it is set:
    /// the database sorts, and only the two values at their nearest rank are read.
    static func percentiles(of column: String, db: any SQLDatabase) async throws -> IncidentMetrics.Percentiles? {
        let count = try await db.raw("SELECT COUNT(*) AS n FROM incidents WHERE \(unsafeRaw: column) IS NOT NULL").first()?
            .decode(column: "n", as: Int.self) ?? 0
        guard count > 0 else { return nil }
        func value(_ p: Double) async throws -> Double {
            let row = try await db.raw(
                """
                SELECT \(unsafeRaw: column) - created_at AS d FROM incidents WHERE \(unsafeRaw: column) IS NOT NULL
                ORDER BY d LIMIT 1 OFFSET \(bind: IncidentMetrics.rank(p, of: count))
                """
            ).first()
            return Double(try row?.decode(column: "d", as: Int64.self) ?? 0) / 1000
        }
        return IncidentMetrics.Percentiles(median: try await value(0.5), p90: try await value(0.9))
    }
}
