import Foundation

/// What the team and its management look at: how fast incidents are acknowledged and resolved,
/// how often the SLA is missed, and where incidents come from.
public struct IncidentMetrics: Sendable, Equatable {
    public var total: Int
    public var open: Int
    public var overdue: Int
    /// Median and 90th percentile, in seconds, of creation → triage (incidents triaged so far).
    public var timeToAcknowledge: (median: Double, p90: Double)?
    /// Median and 90th percentile, in seconds, of creation → resolution (incidents resolved so far).
    public var timeToResolve: (median: Double, p90: Double)?
    /// Incidents triaged after their triage due date (or not yet and already late).
    public var triageBreaches: Int
    /// Incidents resolved after their resolution due date (or not yet and already late).
    public var resolveBreaches: Int
    public var byType: [(String, Int)]
    public var bySector: [(String, Int)]
    /// `YYYY-MM` → incidents created that month, oldest first, the last twelve months.
    public var byMonth: [(String, Int)]

    public static func == (lhs: IncidentMetrics, rhs: IncidentMetrics) -> Bool {
        lhs.total == rhs.total && lhs.open == rhs.open && lhs.overdue == rhs.overdue && lhs.triageBreaches == rhs.triageBreaches
            && lhs.resolveBreaches == rhs.resolveBreaches && lhs.byType.map(\.0) == rhs.byType.map(\.0) && lhs.byType.map(\.1) == rhs.byType.map(\.1)
            && lhs.bySector.map(\.0) == rhs.bySector.map(\.0) && lhs.bySector.map(\.1) == rhs.bySector.map(\.1)
            && lhs.byMonth.map(\.0) == rhs.byMonth.map(\.0) && lhs.byMonth.map(\.1) == rhs.byMonth.map(\.1)
            && lhs.timeToAcknowledge?.median == rhs.timeToAcknowledge?.median && lhs.timeToResolve?.median == rhs.timeToResolve?.median
    }

    public static func compute(_ incidents: [Incident], sectors: [UUID: Sector], now: Date) -> IncidentMetrics {
        let acknowledge = incidents.compactMap { incident in incident.triagedAt.map { $0.timeIntervalSince(incident.createdAt) } }
        let resolve = incidents.compactMap { incident in incident.resolvedAt.map { $0.timeIntervalSince(incident.createdAt) } }
        let triageBreaches = incidents.filter { $0.triageBreached(at: now) }.count
        let resolveBreaches = incidents.filter { $0.resolveBreached(at: now) }.count
        var types: [String: Int] = [:]
        var bySector: [String: Int] = [:]
        var months: [String: Int] = [:]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        for incident in incidents {
            types[incident.type, default: 0] += 1
            let names = Set(incident.organisations.compactMap { sectors[$0]?.rawValue })
            for name in names.isEmpty ? ["(none)"] : names.sorted() { bySector[name, default: 0] += 1 }
            let parts = calendar.dateComponents([.year, .month], from: incident.createdAt)
            months[String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0), default: 0] += 1
        }
        var lastTwelve: [(String, Int)] = []
        for back in (0..<12).reversed() {
            guard let date = calendar.date(byAdding: .month, value: -back, to: now) else { continue }
            let parts = calendar.dateComponents([.year, .month], from: date)
            let key = String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
            lastTwelve.append((key, months[key] ?? 0))
        }
        func ranked(_ counts: [String: Int]) -> [(String, Int)] { counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) } }
        return IncidentMetrics(
            total: incidents.count, open: incidents.filter(\.status.isOpen).count, overdue: incidents.filter { $0.isOverdue(at: now) }.count,
            timeToAcknowledge: Self.percentiles(acknowledge), timeToResolve: Self.percentiles(resolve), triageBreaches: triageBreaches,
            resolveBreaches: resolveBreaches, byType: ranked(types), bySector: ranked(bySector), byMonth: lastTwelve)
    }

    /// Nearest-rank median and 90th percentile.
    static func percentiles(_ values: [Double]) -> (median: Double, p90: Double)? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func rank(_ p: Double) -> Double { sorted[max(0, min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))] }
        return (rank(0.5), rank(0.9))
    }
}
