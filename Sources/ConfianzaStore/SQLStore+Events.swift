import ConfianzaNetwork
import ConfianzaCore
import Foundation
import PostgresNIO
import SQLKit
import NIOCore
import SQLiteNIO

extension SQLStore {
    private static let runColumns =
        "id, file_name, file_hash, format, feed, started_at, finished_at, lines_read, events_stored, duplicates, quarantined, checkpoint_line, source, actor, header, "
        + "lease_owner, lease_until, takeovers"

    public func ingestRun(hash: String, format: String, feed: String) async throws -> IngestRun? {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.runColumns) FROM ingest_runs
                WHERE file_hash = \(bind: hash) AND format = \(bind: format) AND feed = \(bind: feed)
                """
            ).first().map(Self.decodeRun)
        }
    }

    public func ingestRun(id: UUID) async throws -> IngestRun? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.runColumns) FROM ingest_runs WHERE id = \(bind: id.uuidString)").first().map(Self.decodeRun)
        }
    }

    public func insertIngestRun(_ run: IngestRun) async throws {
        do {
            try await self.withDatabase { db in
                try await db.raw(
                    """
                    INSERT INTO ingest_runs (\(unsafeRaw: Self.runColumns))
                    VALUES (\(bind: run.id.uuidString), \(bind: run.fileName), \(bind: run.fileHash), \(bind: run.format), \(bind: run.feed),
                        \(bind: Millis(run.startedAt)), \(bind: run.finishedAt.map(Millis.init)), \(bind: run.counts.read),
                        \(bind: run.counts.stored), \(bind: run.counts.duplicates), \(bind: run.counts.quarantined),
                        \(bind: run.checkpointLine), \(bind: run.source), \(bind: run.actor), \(bind: run.header),
                        \(bind: run.leaseOwner), \(bind: run.leaseUntil.map(Millis.init)), \(bind: run.takeovers))
                    """
                ).run()
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "file", value: run.fileName)
        }
    }

    static func decodeRun(_ row: any SQLRow) throws -> IngestRun {
        IngestRun(
            id: try Self.uuid(row, "id"), fileName: try row.decode(column: "file_name", as: String.self),
            fileHash: try row.decode(column: "file_hash", as: String.self), format: try row.decode(column: "format", as: String.self),
            feed: try row.decode(column: "feed", as: String.self), startedAt: try Millis.date(row, "started_at"),
            finishedAt: try Millis.optionalDate(row, "finished_at"),
            counts: IngestCounts(
                read: try row.decode(column: "lines_read", as: Int.self), stored: try row.decode(column: "events_stored", as: Int.self),
                duplicates: try row.decode(column: "duplicates", as: Int.self), quarantined: try row.decode(column: "quarantined", as: Int.self)),
            checkpointLine: try row.decode(column: "checkpoint_line", as: Int.self), source: try row.decode(column: "source", as: String.self),
            actor: try row.decode(column: "actor", as: String?.self), header: try row.decode(column: "header", as: String?.self),
            leaseOwner: try row.decode(column: "lease_owner", as: String?.self), leaseUntil: try Millis.optionalDate(row, "lease_until"),
            takeovers: try row.decode(column: "takeovers", as: Int.self))
    }

    public func claimIngestRun(_ seen: IngestRun, lease: IngestLease, takeover: Bool) async throws -> IngestRun? {
        try await self.withDatabase { db in
            try await db.raw(
                """
                UPDATE ingest_runs SET lease_owner = \(bind: lease.owner), lease_until = \(bind: Millis(lease.until)),
                    takeovers = takeovers + \(bind: takeover ? 1 : 0)
                WHERE id = \(bind: seen.id.uuidString) AND finished_at IS NULL
                    AND COALESCE(lease_owner, '') = \(bind: seen.leaseOwner ?? "")
                    AND COALESCE(lease_until, 0) = \(bind: seen.leaseUntil.map { Millis($0).value } ?? 0)
                RETURNING \(unsafeRaw: Self.runColumns)
                """
            ).first().map(Self.decodeRun)
        }
    }

    public func releaseIngestRun(id: UUID, owner: String) async throws {
        try await self.withDatabase { db in
            try await db.raw(
                """
                UPDATE ingest_runs SET lease_owner = NULL, lease_until = NULL
                WHERE id = \(bind: id.uuidString) AND lease_owner = \(bind: owner)
                """
            ).run()
        }
    }

    /// Events in key order, so that two batches take their row locks in the same order.
    static func inKeyOrder(_ events: [PendingEvent]) -> [PendingEvent] {
        events.sorted { ($0.key.high, $0.key.low, $0.window) < ($1.key.high, $1.key.low, $1.window) }
    }

    /// Runs a transaction of events again when another process stored one of them first (the unique
    /// index refuses it: the next attempt finds it stored), or when the database broke a deadlock or
    /// timed out on a lock; at most eight attempts, a little apart.
    func againOnConflict<T>(_ transaction: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transaction()
            } catch where attempt < 8 && (Self.isUniqueViolation(error) || Self.isTransient(error)) {
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...(20 * attempt))))
                attempt += 1
            }
        }
    }

    /// Rows per multi-row INSERT: 19 values each stays well under SQLite's and PostgreSQL's limits.
    static let insertChunk = 500

    public func commitIngestBatch(
        runID: UUID, events: [PendingEvent], quarantine: [QuarantinedRecord], read: Int, repeats: Int, checkpointLine: Int, lease: IngestLease
    ) async throws -> IngestCounts {
        // Another process may store one of these events between this batch's look and its insert (two
        // files sharing events, read at once): the batch is rolled back whole and stored again, finding
        // that event stored. Events go in key order, so that two batches take their row locks in the same
        // order and seldom deadlock; a deadlock PostgreSQL breaks is tried again too.
        let ordered = Self.inKeyOrder(events)
        if !self.isSQLite { try await self.ensurePostgresEventPartitions(for: Set(events.map { EventPartitioning.day(ofWindow: $0.window) })) }
        return try await self.againOnConflict {
            try await self.storeBatch(
                runID: runID, events: ordered, quarantine: quarantine, read: read, repeats: repeats, checkpointLine: checkpointLine, lease: lease)
        }
    }

    private func storeBatch(
        runID: UUID, events: [PendingEvent], quarantine: [QuarantinedRecord], read: Int, repeats: Int, checkpointLine: Int, lease: IngestLease
    ) async throws -> IngestCounts {
        try await self.withConnectionTransaction { db, connection in
            let runText = runID.uuidString
            let (new, seen) = try await self.storeEvents(events, runText: runText, db: db, copy: connection)
            for chunk in quarantine.chunked(Self.insertChunk) {
                let rows: [[EventColumn]] = chunk.map { [.text(runText), .integer(Int64($0.line)), .text($0.reason), .text($0.raw)] }
                try await self.insertRows(into: "quarantine", columns: ["run_id", "line", "reason", "raw"], rows: rows, db: db)
            }
            // Repeats inside the batch were counted already; each event found stored adds its first record.
            let duplicates = repeats + seen
            let updated = try await db.raw(
                """
                UPDATE ingest_runs SET lines_read = lines_read + \(bind: read), events_stored = events_stored + \(bind: new),
                    duplicates = duplicates + \(bind: duplicates), quarantined = quarantined + \(bind: quarantine.count),
                    checkpoint_line = \(bind: checkpointLine), lease_until = \(bind: Millis(lease.until))
                WHERE id = \(bind: runText) AND lease_owner = \(bind: lease.owner)
                RETURNING \(unsafeRaw: Self.runColumns)
                """
            ).first().map(Self.decodeRun)
            // Not ours any more: the transaction is rolled back, and the process that took over stores it.
            guard let updated else { throw StoreError.leaseLost("ingest run \(runID)") }
            return updated.counts
        }
    }

    /// Inserts the events not stored yet and raises the count of those that are (same key, same
    /// window); returns how many of each.
    func storeEvents(
        _ events: [PendingEvent], runText: String, db: any SQLDatabase, copy: PostgresConnection? = nil
    ) async throws -> (new: Int, seen: Int) {
        guard !events.isEmpty else { return (0, 0) }
        // Each event's day table (SQLite; PostgreSQL routes rows to partitions itself).
        let days = Set(events.map { EventPartitioning.day(ofWindow: $0.window) })
        let tables = self.isSQLite ? try await self.sqliteEventTables(for: days, db: db) : [:]
        func table(_ pending: PendingEvent) -> String { tables[EventPartitioning.day(ofWindow: pending.window)] ?? "events" }
        // Which of these are already stored (in the same window), and where? Only the batch's days are
        // read (and on SQLite the kept evidence of days that left, which a late report may repeat).
        var existing: [EventSlot: String] = [:]
        func look(_ query: SQLQueryString, in table: String) async throws {
            for row in try await db.raw(query).all() {
                guard let key = DeduplicationKey(stored: try row.decode(column: "dedup_key", as: Data.self)) else {
                    throw StoreError.corrupt("an event's dedup_key is not 16 bytes")
                }
                existing[EventSlot(key: key, window: try row.decode(column: "window_start", as: Int64.self))] = table
            }
        }
        var byTable: [String: [PendingEvent]] = [:]
        for pending in events { byTable[table(pending), default: []].append(pending) }
        for (name, group) in byTable.sorted(by: { $0.key < $1.key }) {
            for chunk in group.chunked(Self.insertChunk) {
                let keys = SQLList(chunk.map { SQLBind(Data($0.key.bytes)) })
                let windows = SQLList(Set(chunk.map(\.window)).sorted().map { SQLBind($0) })
                try await look(
                    "SELECT dedup_key, window_start FROM \(ident: name) WHERE dedup_key IN (\(keys)) AND window_start IN (\(windows))", in: name)
                if self.isSQLite {
                    try await look(
                        "SELECT dedup_key, window_start FROM events_kept WHERE dedup_key IN (\(keys)) AND window_start IN (\(windows))",
                        in: "events_kept")
                }
            }
        }
        var idText: [UUID: String] = [:]  // UUID formatting is slow; most events share a few owners
        func text(_ ids: [UUID]) -> String {
            ids.map { id in
                if let known = idText[id] { return known }
                let made = id.uuidString
                idText[id] = made
                return made
            }.joined(separator: ",")
        }
        let new = events.filter { existing[EventSlot(key: $0.key, window: $0.window)] == nil }
        let seen = events.filter { existing[EventSlot(key: $0.key, window: $0.window)] != nil }
        // SQLite: ids from one counter, so that they stay unique across the day tables.
        var nextID: Int64 = 0
        if self.isSQLite, !new.isEmpty {
            guard let row = try await db.raw("UPDATE event_store SET next_id = next_id + \(bind: new.count) RETURNING next_id").first() else {
                throw StoreError.corrupt("the event_store table is empty: the events' layout is unknown")
            }
            nextID = try row.decode(column: "next_id", as: Int64.self) - Int64(new.count)
        }
        var newByTable: [String: [PendingEvent]] = [:]
        for pending in new { newByTable[table(pending), default: []].append(pending) }
        for (name, group) in newByTable.sorted(by: { $0.key < $1.key }) {
            for chunk in group.chunked(Self.insertChunk) {
                let rows: [[EventColumn]] = chunk.map { pending in
                    let event = pending.event
                    let asn: Int64? = if case .integer(let number) = event["source.asn"] { number } else { nil }
                    let timeSource = pending.timeSource.map { Millis($0).value }
                    let sourceIP = event["source.ip"]?.description
                    let raw = event["raw"].flatMap { Data(base64Encoded: $0.description) }.map { Array($0) }
                    var row: [EventColumn] = [
                        .blob(pending.key.bytes), .integer(pending.window), .text(runText), .text(event["feed.name"]?.description ?? ""),
                        .optionalInteger(timeSource), .integer(Millis(pending.firstSeen).value), .integer(Millis(pending.lastSeen).value),
                        .integer(Int64(pending.count)), .text(event["classification.taxonomy"]?.description ?? "other"),
                        .text(event["classification.type"]?.description ?? "undetermined"),
                        .optionalText(event["classification.identifier"]?.description), .optionalText(sourceIP),
                        .optionalBlob((pending.sourceAddress ?? sourceIP.flatMap { try? IPAddress($0) })?.storageKey),
                        .optionalInteger(asn), .optionalText(event["severity"]?.description), .optionalText(event["tlp"]?.description),
                        .text(text(pending.organisations)), .optionalText(pending.rule),
                        .text(event.json(excluding: raw == nil || timeSource == nil ? Self.inColumnsExceptRawAndTime(raw: raw == nil, time: timeSource == nil) : Self.inColumns)),
                        .optionalBlob(raw),
                    ]
                    if self.isSQLite {
                        row.insert(.integer(nextID), at: 0)
                        nextID += 1
                    }
                    return row
                }
                if let copy {
                    try await self.copyRows(into: "events", columns: Self.insertedEventColumns, rows: rows, connection: copy)
                } else {
                    try await self.insertRows(
                        into: name, columns: (self.isSQLite ? ["id"] : []) + Self.insertedEventColumns, rows: rows, db: db)
                }
            }
        }
        let latest = self.isSQLite ? "MAX" : "GREATEST"
        for pending in seen {
            let name = existing[EventSlot(key: pending.key, window: pending.window)] ?? "events"
            try await db.raw(
                """
                UPDATE \(ident: name) SET count = count + \(bind: pending.count),
                    last_seen = \(unsafeRaw: latest)(last_seen, \(bind: Millis(pending.lastSeen)))
                WHERE dedup_key = \(bind: Data(pending.key.bytes)) AND window_start = \(bind: pending.window)
                """
            ).run()
        }
        try await EventDayBounds.raise(for: events, db: db)
        return (new.count, seen.count)
    }

    /// The columns an ingest writes (SQLite adds `id`, PostgreSQL draws it from the identity).
    static let insertedEventColumns = [
        "dedup_key", "window_start", "run_id", "feed", "time_source", "first_seen", "last_seen", "count", "taxonomy", "type",
        "identifier", "source_ip", "source_key", "source_asn", "severity", "tlp", "organisations", "rule", "data", "raw",
    ]

    public func finishIngestRun(id: UUID, at date: Date, header: String?, owner: String) async throws {
        let finished = try await self.withDatabase { db in
            try await db.raw(
                """
                UPDATE ingest_runs SET finished_at = \(bind: Millis(date)), header = \(bind: header), lease_owner = NULL, lease_until = NULL
                WHERE id = \(bind: id.uuidString) AND lease_owner = \(bind: owner)
                RETURNING id
                """
            ).first()
        }
        guard finished != nil else { throw StoreError.leaseLost("ingest run \(id)") }
    }

    public func commitReprocessed(
        runID: UUID, events: [PendingEvent], repeats: Int, resolvedLines: [Int], stillQuarantined: [QuarantinedRecord]
    ) async throws -> IngestCounts {
        // As a batch of an ingest: met by another process storing the same event, stored again.
        let ordered = Self.inKeyOrder(events)
        if !self.isSQLite { try await self.ensurePostgresEventPartitions(for: Set(events.map { EventPartitioning.day(ofWindow: $0.window) })) }
        return try await self.againOnConflict {
            try await self.storeReprocessed(
                runID: runID, events: ordered, repeats: repeats, resolvedLines: resolvedLines, stillQuarantined: stillQuarantined)
        }
    }

    private func storeReprocessed(
        runID: UUID, events: [PendingEvent], repeats: Int, resolvedLines: [Int], stillQuarantined: [QuarantinedRecord]
    ) async throws -> IngestCounts {
        try await self.withConnectionTransaction { db, connection in
            let runText = runID.uuidString
            let (new, seen) = try await self.storeEvents(events, runText: runText, db: db, copy: connection)
            var taken = 0
            for chunk in resolvedLines.chunked(Self.insertChunk) {
                let lines = SQLList(chunk.map { SQLBind($0) })
                let deleted = try await db.raw(
                    "DELETE FROM quarantine WHERE run_id = \(bind: runText) AND line IN (\(lines)) RETURNING line"
                ).all()
                taken += deleted.count
            }
            for record in stillQuarantined {
                try await db.raw(
                    "UPDATE quarantine SET reason = \(bind: record.reason) WHERE run_id = \(bind: runText) AND line = \(bind: record.line)"
                ).run()
            }
            let updated = try await db.raw(
                """
                UPDATE ingest_runs SET events_stored = events_stored + \(bind: new), duplicates = duplicates + \(bind: repeats + seen),
                    quarantined = quarantined - \(bind: taken)
                WHERE id = \(bind: runText)
                RETURNING \(unsafeRaw: Self.runColumns)
                """
            ).first().map(Self.decodeRun)
            guard let updated else { throw StoreError.notFound("ingest run \(runID)") }
            return updated.counts
        }
    }

    public func ingestRuns(limit: Int) async throws -> [IngestRun] {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.runColumns) FROM ingest_runs ORDER BY started_at DESC LIMIT \(bind: max(0, limit))")
                .all().map(Self.decodeRun)
        }
    }

    public func quarantined(runID: UUID, afterLine: Int, limit: Int) async throws -> [QuarantinedRecord] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT line, reason, raw FROM quarantine WHERE run_id = \(bind: runID.uuidString) AND line > \(bind: afterLine)
                ORDER BY line LIMIT \(bind: max(0, limit))
                """
            ).all().map { row in
                QuarantinedRecord(
                    line: try row.decode(column: "line", as: Int.self), reason: try row.decode(column: "reason", as: String.self),
                    raw: try row.decode(column: "raw", as: String.self))
            }
        }
    }
}

/// A value for a bulk insert.
enum EventColumn {
    case text(String)
    case integer(Int64)
    case blob([UInt8])
    case optionalText(String?)
    case optionalInteger(Int64?)
    case optionalBlob([UInt8]?)
}

extension SQLStore {
    /// A multi-row INSERT. On SQLite the values go straight to sqlite-nio: SQLKit's encoder goes through
    /// Codable for every value, which made it most of an ingest's cost.
    func insertRows(into table: String, columns: [String], rows: [[EventColumn]], db: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        if case .sqlite(let connection, _) = self.backend {
            let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
            // OR ROLLBACK: a conflict ends the whole transaction (the caller's batch), so SQLite keeps no
            // statement journal for the multi-row statement.
            let sql = "INSERT OR ROLLBACK INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: placeholders, count: rows.count).joined(separator: ",")
            var binds: [SQLiteData] = []
            binds.reserveCapacity(rows.count * columns.count)
            for row in rows {
                for value in row {
                    switch value {
                    case .text(let text): binds.append(.text(text))
                    case .integer(let number): binds.append(.integer(SQLiteInt64(number)))
                    case .optionalText(let text): binds.append(text.map { .text($0) } ?? .null)
                    case .optionalInteger(let number): binds.append(number.map { .integer(SQLiteInt64($0)) } ?? .null)
                    case .blob(let bytes): binds.append(.blob(ByteBuffer(bytes: bytes)))
                    case .optionalBlob(let bytes): binds.append(bytes.map { .blob(ByteBuffer(bytes: $0)) } ?? .null)
                    }
                }
            }
            let _: [SQLiteRow] = try await connection.query(sql, binds)
            return
        }
        let expressions = rows.map { row -> any SQLExpression in
            SQLGroupExpression(SQLList(row.map { value -> any SQLExpression in
                switch value {
                case .text(let text): SQLBind(text)
                case .integer(let number): SQLBind(number)
                case .optionalText(let text): SQLBind(text)
                case .optionalInteger(let number): SQLBind(number)
                case .blob(let bytes): SQLBind(Data(bytes))
                case .optionalBlob(let bytes): SQLBind(bytes.map { Data($0) })
                }
            }))
        }
        try await db.raw("INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columns.joined(separator: ", "))) VALUES \(SQLList(expressions))").run()
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: self.count, by: size).map { self[$0..<Swift.min($0 + size, self.count)] }
    }
}
