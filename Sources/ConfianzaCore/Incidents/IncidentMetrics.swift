import Foundation

/// Counts over every incident at one moment. Stores compute them in the database, so they are exact
/// whatever the number of incidents.
public struct IncidentCounts: Sendable, Equatable {
    public var total: Int
    /// Not resolved or closed.
    public var open: Int
    /// Open and past the due date that applies now (see ``Incident/isOverdue(at:)``).
    public var overdue: Int
    /// Triaged after their triage due date, or still new and already late (``Incident/triageBreached(at:)``).
    public var triageBreaches: Int
    /// Resolved after their resolution due date, or still open and already late (``Incident/resolveBreached(at:)``).
    public var resolveBreaches: Int

    public init(total: Int = 0, open: Int = 0, overdue: Int = 0, triageBreaches: Int = 0, resolveBreaches: Int = 0) {
        self.total = total
        self.open = open
        self.overdue = overdue
        self.triageBreaches = triageBreaches
        self.resolveBreaches = resolveBreaches
    }
}

/// What the team and its management look at: how fast incidents are acknowledged and resolved,
/// how often the SLA is missed, and where incidents come from.
public struct IncidentMetrics: Sendable, Equatable {
    public var counts: IncidentCounts
    /// Median and 90th percentile (nearest rank), in seconds, of creation → triage (incidents triaged so far).
    public var timeToAcknowledge: Percentiles?
    /// Median and 90th percentile (nearest rank), in seconds, of creation → resolution (incidents resolved so far).
    public var timeToResolve: Percentiles?
    /// Incidents per RSIT type, most first.
    public var byType: [Count]
    /// Incidents per sector of their organisations (an incident counts once in each of its sectors;
    /// ``noSector`` for those with no known organisation), most first.
    public var bySector: [Count]
    /// `YYYY-MM` → incidents created that month (UTC), oldest first, the last twelve months.
    public var byMonth: [Count]

    /// The name incidents with no known organisation are counted under in ``bySector``.
    public static let noSector = "(none)"

    public struct Percentiles: Sendable, Equatable {
        public var median: Double
        public var p90: Double

        public init(median: Double, p90: Double) {
            self.median = median
            self.p90 = p90
        }
    }

    public struct Count: Sendable, Equatable {
        public var name: String
        public var count: Int

        public init(_ name: String, _ count: Int) {
            self.name = name
            self.count = count
        }
    }

    public init(counts: IncidentCounts, timeToAcknowledge: Percentiles?, timeToResolve: Percentiles?, byType: [Count], bySector: [Count], byMonth: [Count]) {
        self.counts = counts
        self.timeToAcknowledge = timeToAcknowledge
        self.timeToResolve = timeToResolve
        self.byType = byType
        self.bySector = bySector
        self.byMonth = byMonth
    }

    public var total: Int { self.counts.total }
    public var open: Int { self.counts.open }
    public var overdue: Int { self.counts.overdue }
    public var triageBreaches: Int { self.counts.triageBreaches }
    public var resolveBreaches: Int { self.counts.resolveBreaches }

    /// The zero-based position of the nearest-rank percentile `p` (0 < p ≤ 1) among `count` sorted values.
    public static func rank(_ p: Double, of count: Int) -> Int {
        max(0, min(count - 1, Int((p * Double(count)).rounded(.up)) - 1))
    }

    /// Most first, then by name.
    public static func ranked(_ counts: [String: Int]) -> [Count] {
        counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { Count($0.key, $0.value) }
    }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()

    /// The first moment of the month eleven months before `now`'s (UTC): where ``byMonth`` starts.
    public static func monthsStart(_ now: Date) -> Date {
        let parts = Self.utc.dateComponents([.year, .month], from: now)
        let thisMonth = Self.utc.date(from: parts) ?? now
        return Self.utc.date(byAdding: .month, value: -11, to: thisMonth) ?? thisMonth
    }

    /// The last twelve months up to `now`'s, each with its count (0 when absent).
    public static func lastTwelveMonths(_ counts: [String: Int], now: Date) -> [Count] {
        (0..<12).reversed().compactMap { back in
            guard let date = Self.utc.date(byAdding: .month, value: -back, to: now) else { return nil }
            let parts = Self.utc.dateComponents([.year, .month], from: date)
            let key = String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
            return Count(key, counts[key] ?? 0)
        }
    }
}
