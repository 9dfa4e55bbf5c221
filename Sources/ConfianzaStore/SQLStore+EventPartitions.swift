import ConfianzaCore
import Foundation
import Logging
import PostgresNIO
import SQLKit
import Synchronization

/// What a store remembers of the events' layout between batches.
struct EventLayout: Sendable {
    /// Window starts below this (seconds) belong to `events_legacy`, the table of a release before days.
    var legacyUntil: Int64?
    /// PostgreSQL: days whose partition this process has made sure of.
    var postgresDays: Set<Int64> = []
}

extension SQLStore {
    /// The start (seconds) below which windows are in `events_legacy`; read once.
    func legacyUntil(_ db: any SQLDatabase) async throws -> Int64 {
        if let known = self.eventLayout.withLock({ $0.legacyUntil }) { return known }
        guard let row = try await db.raw("SELECT legacy_until FROM event_store").first() else {
            throw StoreError.corrupt("the event_store table is empty: the events' layout is unknown")
        }
        let value = try row.decode(column: "legacy_until", as: Int64.self)
        self.eventLayout.withLock { $0.legacyUntil = value }
        return value
    }

    /// SQLite, inside the caller's write transaction (which holds the database's only write lock, so
    /// no other process makes or drops a table meanwhile): the table of each day, made when missing,
    /// with the `events` view rebuilt to include it.
    func sqliteEventTables(for days: Set<Int64>, db: any SQLDatabase) async throws -> [Int64: String] {
        let legacyUntil = try await self.legacyUntil(db)
        var tables: [Int64: String] = [:]
        var wanted: [Int64] = []
        for day in days {
            if day * EventPartitioning.daySeconds < legacyUntil { tables[day] = "events_legacy" } else { wanted.append(day) }
        }
        guard !wanted.isEmpty else { return tables }
        let list = SQLList(wanted.map { SQLBind($0) })
        for row in try await db.raw("SELECT day, name FROM event_partitions WHERE day IN (\(list))").all() {
            tables[try row.decode(column: "day", as: Int64.self)] = try row.decode(column: "name", as: String.self)
        }
        let missing = wanted.filter { tables[$0] == nil }.sorted()
        guard !missing.isEmpty else { return tables }
        for day in missing {
            let name = EventPartitioning.tableName(day: day)
            for statement in [EventPartitioning.sqliteTable(name)] + EventPartitioning.sqliteIndexes(name) {
                try await db.raw(SQLQueryString(statement)).run()
            }
            try await db.raw(
                // Made now, so empty: its latest sighting is known (none) and raised by each batch (``EventDayBounds``).
                """
                INSERT INTO event_partitions (day, name, created_at, last_seen_max)
                VALUES (\(bind: day), \(bind: name), \(bind: Millis(Date())), \(bind: EventDayBounds.empty))
                """
            ).run()
            tables[day] = name
        }
        try await self.rebuildSQLiteEventsView(db)
        self.logger.info("events: new day tables", metadata: ["tables": "\(missing.map { EventPartitioning.tableName(day: $0) })"])
        return tables
    }

    /// SQLite: the `events` view over every table there is now.
    func rebuildSQLiteEventsView(_ db: any SQLDatabase) async throws {
        let days = try await db.raw("SELECT name FROM event_partitions ORDER BY day").all().map { try $0.decode(column: "name", as: String.self) }
        try await db.raw("DROP VIEW IF EXISTS events").run()
        let body = EventPartitioning.sqliteView(["events_legacy"] + days + ["events_kept"])
        try await db.raw(SQLQueryString("CREATE VIEW events AS " + body)).run()
    }

    /// PostgreSQL, before a batch's transaction (making a partition locks `events` briefly, which a
    /// batch must not hold while it writes): the partition of each day exists. A day whose partition
    /// retention dropped while it kept evidence in `events_kept` (the default partition) cannot have
    /// one again; its rare late events go to `events_kept` too, which is read as every other day.
    func ensurePostgresEventPartitions(for days: Set<Int64>) async throws {
        let known = self.eventLayout.withLock { $0.postgresDays }
        let wanted = days.subtracting(known).sorted()
        guard !wanted.isEmpty else { return }
        let legacyUntil = try await self.withDatabase { db in try await self.legacyUntil(db) }
        for day in wanted where day * EventPartitioning.daySeconds >= legacyUntil {
            let name = EventPartitioning.tableName(day: day)
            let from = day * EventPartitioning.daySeconds
            do {
                try await self.againOnConflict {
                    try await self.withTransaction { db in
                    try await db.raw(
                        "CREATE TABLE IF NOT EXISTS \(ident: name) PARTITION OF events FOR VALUES FROM (\(unsafeRaw: String(from))) TO (\(unsafeRaw: String(from + EventPartitioning.daySeconds)))"
                    ).run()
                        try await db.raw(
                            """
                            INSERT INTO event_partitions (day, name, created_at, last_seen_max)
                            VALUES (\(bind: day), \(bind: name), \(bind: Millis(Date())), \(bind: EventDayBounds.empty)) ON CONFLICT DO NOTHING
                            """
                        ).run()
                    }
                }
            } catch let error as PSQLError where ["23514", "42P07", "23505"].contains(error.serverInfo?[.sqlState] ?? "") {
                // 23514: the default partition holds kept evidence of that day (see above); 42P07,
                // 23505: another process made it at the same moment.
                self.logger.debug("events: day partition not made here", metadata: ["table": "\(name)", "reason": "\(Self.describe(error))"])
            }
        }
        self.eventLayout.withLock { $0.postgresDays.formUnion(wanted) }
    }
}
