import Foundation

/// How a feed is doing, over the last 30 days: when it last delivered, events per day, the share of
/// lines quarantined, and whether a feed that delivers daily has gone silent.
public struct FeedHealth: Sendable, Equatable {
    public static let days = 30
    /// A daily feed is silent when its last delivery is older than this.
    public static let silentAfter: TimeInterval = 2 * 86400

    public var feed: String
    public var lastDelivery: Date?
    /// Oldest first, one per day, the last being today (UTC).
    public var eventsPerDay: [Int]
    public var runs: Int
    public var read: Int
    public var quarantined: Int
    /// Whether it delivers daily: by its collector's schedule, or (files dropped in) because it delivered
    /// on at least three days of the period with no gap longer than two days between them.
    public var daily: Bool
    public var silent: Bool
    /// The collector fetching it, if one does.
    public var source: FeedSource?

    /// Quarantined lines over lines read, 0 to 1.
    public var quarantineRate: Double { self.read == 0 ? 0 : Double(self.quarantined) / Double(self.read) }
    public var events: Int { self.eventsPerDay.reduce(0, +) }

    public static func day(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 86400).rounded(.down)) }

    /// Every feed with runs in the period, and every collector (delivered or not), by name.
    public static func report(days: [FeedDay], sources: [FeedSource], now: Date) -> [FeedHealth] {
        let today = Self.day(now)
        let first = today - Self.days + 1
        var byFeed: [String: [FeedDay]] = [:]
        for day in days where day.day >= first && day.day <= today { byFeed[day.feed, default: []].append(day) }
        let sourceByName = Dictionary(sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var names = Set(byFeed.keys)
        names.formUnion(sourceByName.keys)
        return names.sorted { $0.localizedStandardCompare($1) == .orderedAscending }.map { name in
            let entries = byFeed[name] ?? []
            var perDay = [Int](repeating: 0, count: Self.days)
            for entry in entries { perDay[entry.day - first] += entry.events }
            let source = sourceByName[name]
            var lastDelivery = entries.map(\.lastStartedAt).max()
            if let collected = source?.state.lastDeliveryAt, lastDelivery.map({ collected > $0 }) ?? true { lastDelivery = collected }
            let deliveryDays = Set(entries.filter { $0.runs > 0 }.map(\.day)).sorted()
            let gaps = zip(deliveryDays.dropFirst(), deliveryDays).map { $0 - $1 }
            let daily: Bool =
                if let source, source.enabled { source.everySeconds <= 86400 } else { deliveryDays.count >= 3 && (gaps.max() ?? 0) <= 2 }
            let silent = daily && (lastDelivery.map { now.timeIntervalSince($0) > Self.silentAfter } ?? (source.map { now.timeIntervalSince($0.createdAt) > Self.silentAfter } ?? false))
            return FeedHealth(
                feed: name, lastDelivery: lastDelivery, eventsPerDay: perDay, runs: entries.reduce(0) { $0 + $1.runs },
                read: entries.reduce(0) { $0 + $1.read }, quarantined: entries.reduce(0) { $0 + $1.quarantined }, daily: daily, silent: silent,
                source: source)
        }
    }
}
