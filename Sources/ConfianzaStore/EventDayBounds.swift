import ConfianzaCore
import Foundation
import Logging
import PostgresNIO
import SQLKit

/// Each day table's latest sighting (`event_partitions.last_seen_max`, migration 23): an upper bound of
/// `last_seen` over the day's events, so that the newest events are read from the days that can hold
/// them. It may be too high (retention took events away) but never too low: every batch raises it in its
/// own transaction, a new day starts at ``empty``, and a day not known yet (NULL) is read every time.
enum EventDayBounds {
    /// The bound of a day with no events.
    static let empty = Int64.min

    /// Raises the bound of each day the batch wrote to (in the batch's transaction; days in order, so
    /// two batches on PostgreSQL take the rows in the same order). A day still unknown stays unknown.
    static func raise(for events: [PendingEvent], db: any SQLDatabase) async throws {
        var latest: [Int64: Int64] = [:]
        for pending in events {
            let day = EventPartitioning.day(ofWindow: pending.window)
            latest[day] = max(latest[day] ?? Self.empty, Millis(pending.lastSeen).value)
        }
        for (day, seen) in latest.sorted(by: { $0.key < $1.key }) {
            try await db.raw(
                "UPDATE event_partitions SET last_seen_max = \(bind: seen) WHERE day = \(bind: day) AND last_seen_max < \(bind: seen)"
            ).run()
        }
    }
}

extension SQLStore {
    /// Works out the bound of every day that has none yet (days from before migration 23): one index
    /// lookup each. On PostgreSQL the day's table is locked against writers first, so a batch still
    /// being written to it is waited for and counted. A day that cannot be bounded now stays unknown,
    /// which costs only speed.
    func boundEventDays() async throws {
        let unknown = try await self.withDatabase { db in
            try await db.raw("SELECT day, name FROM event_partitions WHERE last_seen_max IS NULL ORDER BY day").all().map {
                (day: try $0.decode(column: "day", as: Int64.self), name: try $0.decode(column: "name", as: String.self))
            }
        }
        for (day, name) in unknown {
            do {
                try await self.withTransaction { db in
                    if !self.isSQLite { try await db.raw("LOCK TABLE \(ident: name) IN SHARE MODE").run() }
                    try await db.raw(
                        """
                        UPDATE event_partitions SET last_seen_max = COALESCE((SELECT MAX(last_seen) FROM \(ident: name)), \(bind: EventDayBounds.empty))
                        WHERE day = \(bind: day) AND last_seen_max IS NULL
                        """
                    ).run()
                }
            } catch {
                self.logger.warning("events: a day's latest sighting is not known", metadata: ["table": "\(name)", "reason": "\(Self.describe(error))"])
            }
        }
    }

    /// The tables to read the newest events from, those that can hold the newest first: the kept
    /// evidence, the release before days and days not bounded yet (always read), then days by their
    /// latest sighting. Only days before `untilWindow` (seconds) when given.
    func eventTablesNewestFirst(untilWindow: Int64?, db: any SQLDatabase) async throws -> [(name: String, bound: Int64?)] {
        var condition: SQLQueryString = ""
        if let untilWindow { condition = " WHERE day < \(bind: EventPartitioning.day(ofWindow: untilWindow - 1) + 1)" }
        let days = try await db.raw("SELECT name, last_seen_max FROM event_partitions" + condition).all().map {
            (name: try $0.decode(column: "name", as: String.self), bound: try $0.decode(column: "last_seen_max", as: Int64?.self))
        }
        let bounded = days.filter { $0.bound != nil }.sorted { ($0.bound ?? 0, $0.name) > ($1.bound ?? 0, $1.name) }
        return [("events_kept", nil), ("events_legacy", nil)] + days.filter { $0.bound == nil } + bounded
    }
}
