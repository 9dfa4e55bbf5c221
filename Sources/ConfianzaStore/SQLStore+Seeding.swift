import ConfianzaCore
import Foundation
import SQLKit

/// Writing many incidents at once, for the national dataset (`confianza seed`): numbered in the order
/// given after those already held, with their organisations, timelines and notices, in one transaction.
extension SQLStore {
    public func importIncidents(_ items: [SeededIncident]) async throws {
        guard !items.isEmpty else { return }
        try await self.withTransaction { db in
            if !self.isSQLite { try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.groupingLock))").run() }
            var next = try await db.raw("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM incidents").first()?.decode(column: "n", as: Int.self) ?? 1
            for item in items {
                let i = item.incident
                try await db.raw(
                    """
                    INSERT INTO incidents (\(unsafeRaw: Self.incidentColumnList))
                    VALUES (\(bind: i.id.uuidString), \(bind: next), \(bind: i.title), \(bind: i.taxonomy), \(bind: i.type),
                        \(bind: i.severity.rawValue), \(bind: i.tlp.rawValue), \(bind: i.pap.rawValue), \(bind: i.assignee), \(bind: i.status.rawValue),
                        \(bind: Millis(i.createdAt)), \(bind: Millis(i.updatedAt)), \(bind: Millis(i.triageDue)), \(bind: Millis(i.resolveDue)),
                        \(bind: i.triagedAt.map(Millis.init)), \(bind: i.resolvedAt.map(Millis.init)), \(bind: i.closedAt.map(Millis.init)),
                        \(bind: i.groupKey), 0)
                    """
                ).run()
                next += 1
                try await Self.writeOrganisations(of: i, db: db)
                try await Self.appendTimeline(item.timeline, db: db)
                for notice in item.notices { try await Self.insertOutbox(notice, db: db) }
            }
        }
    }

    /// Whether the database holds no organisation and no incident (the seeder fills only such a one).
    public func holdsNoConstituencyOrIncidents() async throws -> Bool {
        try await self.withReading { db in
            let organisations = try await db.raw("SELECT COUNT(*) AS n FROM (SELECT 1 FROM organisations LIMIT 1) o").first()?.decode(column: "n", as: Int.self) ?? 0
            let incidents = try await db.raw("SELECT COUNT(*) AS n FROM (SELECT 1 FROM incidents LIMIT 1) i").first()?.decode(column: "n", as: Int.self) ?? 0
            return organisations == 0 && incidents == 0
        }
    }

    /// After a bulk load, what PostgreSQL's autovacuum would do a little later, done now: the tables'
    /// statistics for the planner and their visibility maps, which index-only scans (the dashboard's
    /// percentiles) rely on. SQLite needs nothing.
    public func settleAfterBulkLoad() async throws {
        guard !self.isSQLite else { return }
        try await self.withDatabase { db in
            for table in ["organisations", "assets", "contacts", "incidents", "incident_organisations", "incident_timeline", "event_partitions"] {
                try await db.raw("VACUUM (ANALYZE) \(ident: table)").run()
            }
        }
    }
}
