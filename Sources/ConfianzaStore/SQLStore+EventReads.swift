import ConfianzaCore
import ConfianzaNetwork
import Foundation
import SQLKit

/// Reading events: counts, lists with their filters, one event.
extension SQLStore {
    public func eventCount() async throws -> Int {
        try await self.withReading { db in
            try await db.raw("SELECT COUNT(*) AS n FROM events").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    public func latestEvents(limit: Int) async throws -> [StoredEvent] {
        try await self.events(matching: EventQuery(limit: limit))
    }

    /// Fields kept in columns of their own rather than in `data`: the columns are what lists filter on,
    /// and not writing them twice keeps rows small (`raw` is kept as its bytes, not base64).
    static let inColumns: Set<String> = [
        "feed.name", "classification.taxonomy", "classification.type", "classification.identifier", "source.ip", "source.asn",
        "severity", "tlp", "time.source", "raw",
    ]

    /// ``inColumns`` less `raw` when it is not valid base64, and less `time.source` when it could not be read (both then stay in `data`).
    static func inColumnsExceptRawAndTime(raw: Bool, time: Bool) -> Set<String> {
        var keys = Self.inColumns
        if raw { keys.remove("raw") }
        if time { keys.remove("time.source") }
        return keys
    }

    static let eventColumnList =
        "id, run_id, first_seen, last_seen, count, organisations, rule, data, raw, feed, taxonomy, type, identifier, source_ip, source_asn, severity, tlp, time_source"

    public func events(matching query: EventQuery) async throws -> [StoredEvent] {
        var conditions: [SQLQueryString] = []
        if let feed = query.feed { conditions.append("feed = \(bind: feed)") }
        if let taxonomy = query.taxonomy { conditions.append("taxonomy = \(bind: taxonomy)") }
        if let type = query.classificationType { conditions.append("type = \(bind: type)") }
        if let severity = query.severity { conditions.append("severity = \(bind: severity)") }
        if let network = query.network {
            var ranges: SQLQueryString = "("
            for (index, range) in network.storageKeyRanges.enumerated() {
                ranges = ranges + (index == 0 ? "" : " OR ") + "(source_key >= \(bind: Data(range.first)) AND source_key <= \(bind: Data(range.last)))"
            }
            conditions.append(network.storageKeyRanges.isEmpty ? "1 = 0" : ranges + ")")
        }
        if let asn = query.asn { conditions.append("source_asn = \(bind: asn)") }
        if let since = query.since { conditions.append("last_seen >= \(bind: Millis(since))") }
        // An event's window starts at or before its first sighting: a time limit names the days to read
        // (PostgreSQL prunes partitions on it; SQLite reads only those days' tables, below).
        var untilWindow: Int64?
        if let until = query.until {
            let millis = Millis(until).value
            let window = millis >= 0 ? (millis + 999) / 1000 : millis / 1000
            untilWindow = window
            conditions.append("first_seen < \(bind: millis)")
            conditions.append("window_start < \(bind: window)")
        }
        if let after = query.after {
            conditions.append("(last_seen < \(bind: Millis(after.lastSeen)) OR (last_seen = \(bind: Millis(after.lastSeen)) AND id < \(bind: after.id)))")
        }
        let limit = max(0, min(query.limit, 10_000))
        let offset = max(0, query.offset)
        guard let organisation = query.organisation?.uuidString else {
            return try await self.newestEvents(conditions: conditions, since: query.since, untilWindow: untilWindow, limit: limit, offset: offset)
        }
        // SQLite with a time limit: a view of only the days before it.
        var source = "events"
        if self.isSQLite, let untilWindow {
            let days = try await self.withReading { db in
                try await db.raw("SELECT name FROM event_partitions WHERE day < \(bind: EventPartitioning.day(ofWindow: untilWindow - 1) + 1) ORDER BY day")
                    .all().map { try $0.decode(column: "name", as: String.self) }
            }
            source = "(" + EventPartitioning.sqliteView(["events_legacy"] + days + ["events_kept"]) + ")"
        }
        func select(_ extra: [SQLQueryString], limit: Int, offset: Int) -> SQLQueryString {
            var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.eventColumnList) FROM \(unsafeRaw: source)"
            for (index, condition) in (conditions + extra).enumerated() {
                sql = sql + (index == 0 ? " WHERE " : " AND ") + condition
            }
            return sql + " ORDER BY last_seen DESC, id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)"
        }
        // An organisation's events: those it alone owns by the (organisations, last_seen) index, and
        // those it shares by a small partial index of the events several own (its condition must be
        // written as the index's is); the two lists merged in order.
        let alone = select(["organisations = \(bind: organisation)"], limit: offset + limit, offset: 0)
        let shared = select(
            ["organisations LIKE '%,%'", "organisations LIKE \(bind: "%\(organisation)%")"], limit: offset + limit, offset: 0)
        let found = try await self.withReading { db in
            (try await db.raw(alone).all().map(Self.decodeEvent)) + (try await db.raw(shared).all().map(Self.decodeEvent))
        }
        let ordered = found.sorted { (Millis($0.lastSeen).value, $0.id) > (Millis($1.lastSeen).value, $1.id) }
        return Array(ordered.dropFirst(offset).prefix(limit))
    }

    /// The newest `limit` events after `offset` matching `conditions`, on either database, read from the
    /// day tables themselves (a view or a parent of 730 days costs more to plan and merge than to read):
    /// first their keys, from the tables that can hold them (``eventTablesNewestFirst(untilWindow:db:)``),
    /// a few tables at a time and more each round, until the next table's latest sighting is older than
    /// the last event the page needs; then only the page's rows.
    func newestEvents(conditions: [SQLQueryString], since: Date?, untilWindow: Int64?, limit: Int, offset: Int) async throws -> [StoredEvent] {
        let need = offset + limit
        guard limit > 0 else { return [] }
        let sinceMillis = since.map { Millis($0).value }
        return try await self.withReading { db in
            let tables = try await self.eventTablesNewestFirst(untilWindow: untilWindow, db: db).filter { table in
                guard let sinceMillis, let bound = table.bound else { return true }
                return bound >= sinceMillis
            }
            var found: [(table: String, id: Int64, lastSeen: Int64)] = []
            var next = 0
            var width = 4
            var finished = false
            while !finished, next < tables.count {
                // The next few tables, up to the first whose latest sighting is older than the page's last event.
                var batch: [String] = []
                while next < tables.count, batch.count < width {
                    if found.count >= need, let bound = tables[next].bound, bound < found[need - 1].lastSeen {
                        finished = true
                        break
                    }
                    batch.append(tables[next].name)
                    next += 1
                }
                guard !batch.isEmpty else { break }
                for row in try await db.raw(Self.newestOfEach(batch, conditions: conditions, limit: need, offset: 0)).all() {
                    let index = try row.decode(column: "t", as: Int.self)
                    guard batch.indices.contains(index) else { continue }
                    found.append((batch[index], try row.decode(column: "id", as: Int64.self), try row.decode(column: "last_seen", as: Int64.self)))
                }
                found.sort { ($0.lastSeen, $0.id) > ($1.lastSeen, $1.id) }
                if found.count > need { found.removeLast(found.count - need) }
                width *= 4
            }
            let page = Array(found.dropFirst(offset).prefix(limit))
            var rows: [Int64: StoredEvent] = [:]
            for (table, group) in Dictionary(grouping: page, by: \.table) {
                for chunk in group.chunked(500) {
                    let ids = SQLList(chunk.map { SQLBind($0.id) })
                    for row in try await db.raw("SELECT \(unsafeRaw: Self.eventColumnList) FROM \(ident: table) WHERE id IN (\(ids))").all() {
                        let event = try Self.decodeEvent(row)
                        rows[event.id] = event
                    }
                }
            }
            return page.compactMap { rows[$0.id] }
        }
    }

    /// The keys (`t`, the table's place in `tables`, `id` and `last_seen`) of `limit` events after
    /// `offset`, newest first, over the given tables: each table's newest `offset + limit` keys (read
    /// from its last_seen index), then those sorted.
    static func newestOfEach(_ tables: [String], conditions: [SQLQueryString], limit: Int, offset: Int) -> SQLQueryString {
        let arms = tables.enumerated().map { index, table -> SQLQueryString in
            var arm: SQLQueryString = "SELECT * FROM (SELECT \(unsafeRaw: String(index)) AS t, id, last_seen FROM \(ident: table)"
            for (index, condition) in conditions.enumerated() { arm = arm + (index == 0 ? " WHERE " : " AND ") + condition }
            return arm + " ORDER BY last_seen DESC, id DESC LIMIT \(bind: offset + limit)) AS a\(unsafeRaw: String(index))"
        }
        // SQLite takes at most 500 terms in one compound SELECT: groups of 400, each its own subquery.
        var union: SQLQueryString = ""
        for (groupIndex, group) in arms.chunked(400).enumerated() {
            var part: SQLQueryString = "SELECT * FROM ("
            for (index, arm) in group.enumerated() { part = part + (index == 0 ? "" : " UNION ALL ") + arm }
            union = union + (groupIndex == 0 ? "" : " UNION ALL ") + part + ") AS g\(unsafeRaw: String(groupIndex))"
        }
        return "SELECT * FROM (" + union + ") AS u ORDER BY last_seen DESC, id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)"
    }

    public func event(id: Int64) async throws -> StoredEvent? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.eventColumnList) FROM events WHERE id = \(bind: id)").first().map(Self.decodeEvent)
        }
    }

    static func decodeEvent(_ row: any SQLRow) throws -> StoredEvent {
        let data = try row.decode(column: "data", as: String.self)
        guard var event = Event.stored(data) else { throw StoreError.corrupt("event data is not JSON") }
        func restore(_ key: String, _ value: String?) {
            if let value, !value.isEmpty, event[key] == nil { event.set(trusted: key, .string(value)) }
        }
        restore("feed.name", try row.decode(column: "feed", as: String.self))
        restore("classification.taxonomy", try row.decode(column: "taxonomy", as: String.self))
        restore("classification.type", try row.decode(column: "type", as: String.self))
        restore("classification.identifier", try row.decode(column: "identifier", as: String?.self))
        restore("source.ip", try row.decode(column: "source_ip", as: String?.self))
        restore("severity", try row.decode(column: "severity", as: String?.self))
        restore("tlp", try row.decode(column: "tlp", as: String?.self))
        if let asn = try row.decode(column: "source_asn", as: Int64?.self), event["source.asn"] == nil { event.set(trusted: "source.asn", .integer(asn)) }
        if let millis = try row.decode(column: "time_source", as: Int64?.self), event["time.source"] == nil {
            event.set(trusted: "time.source", .string(EventTime.format(Date(timeIntervalSince1970: Double(millis) / 1000), milliseconds: true)))
        }
        if let raw = try row.decode(column: "raw", as: Data?.self), event["raw"] == nil { event.set(trusted: "raw", .string(raw.base64EncodedString())) }
        return StoredEvent(
            id: try row.decode(column: "id", as: Int64.self), event: event, count: try row.decode(column: "count", as: Int.self),
            firstSeen: try Millis.date(row, "first_seen"), lastSeen: try Millis.date(row, "last_seen"),
            organisations: try row.decode(column: "organisations", as: String.self).split(separator: ",").compactMap { UUID(uuidString: String($0)) },
            rule: try row.decode(column: "rule", as: String?.self), runID: try Self.uuid(row, "run_id"))
    }
}
