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
        var source = "events"
        var tables: [String] = []
        if self.isSQLite {
            let days = try await self.withReading { db in
                if let untilWindow {
                    return try await db.raw("SELECT name FROM event_partitions WHERE day < \(bind: EventPartitioning.day(ofWindow: untilWindow - 1) + 1) ORDER BY day")
                        .all().map { try $0.decode(column: "name", as: String.self) }
                }
                return try await db.raw("SELECT name FROM event_partitions ORDER BY day").all().map { try $0.decode(column: "name", as: String.self) }
            }
            tables = ["events_legacy"] + days + ["events_kept"]
            if untilWindow != nil { source = "(" + EventPartitioning.sqliteView(tables) + ")" }
        }
        func select(_ extra: [SQLQueryString], limit: Int, offset: Int) -> SQLQueryString {
            var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.eventColumnList) FROM \(unsafeRaw: source)"
            for (index, condition) in (conditions + extra).enumerated() {
                sql = sql + (index == 0 ? " WHERE " : " AND ") + condition
            }
            return sql + " ORDER BY last_seen DESC, id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)"
        }
        guard let organisation = query.organisation?.uuidString else {
            // SQLite: a view over every day's table cannot read them in last-seen order, so each table
            // gives its own newest (by its last_seen index) and only those are sorted; PostgreSQL's
            // partitioned table does the same by itself.
            guard self.isSQLite else {
                let sql = select([], limit: limit, offset: offset)
                return try await self.withReading { db in try await db.raw(sql).all().map(Self.decodeEvent) }
            }
            let keys = Self.newestOfEach(tables, conditions: conditions, limit: limit, offset: offset)
            return try await self.withReading { db in
                // First the page's keys (each table's index gives its newest), then those rows from their own tables.
                let found = try await db.raw(keys).all().map { (table: try $0.decode(column: "t", as: Int.self), id: try $0.decode(column: "id", as: Int64.self)) }
                var rows: [Int64: StoredEvent] = [:]
                for (table, group) in Dictionary(grouping: found, by: \.table) where tables.indices.contains(table) {
                    let ids = SQLList(group.map { SQLBind($0.id) })
                    for row in try await db.raw("SELECT \(unsafeRaw: Self.eventColumnList) FROM \(unsafeRaw: tables[table]) WHERE id IN (\(ids))").all() {
                        let event = try Self.decodeEvent(row)
                        rows[event.id] = event
                    }
                }
                return found.compactMap { rows[$0.id] }
            }
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

    /// The keys (`t`, the table's place in `tables`, and `id`) of `limit` events after `offset`, newest
    /// first, over SQLite's day tables: each table's newest `offset + limit` keys (read from its last_seen
    /// index), then those sorted.
    static func newestOfEach(_ tables: [String], conditions: [SQLQueryString], limit: Int, offset: Int) -> SQLQueryString {
        let arms = tables.enumerated().map { index, table -> SQLQueryString in
            var arm: SQLQueryString = "SELECT * FROM (SELECT \(unsafeRaw: String(index)) AS t, id, last_seen FROM \(unsafeRaw: table)"
            for (index, condition) in conditions.enumerated() { arm = arm + (index == 0 ? " WHERE " : " AND ") + condition }
            return arm + " ORDER BY last_seen DESC, id DESC LIMIT \(bind: offset + limit))"
        }
        // SQLite takes at most 500 terms in one compound SELECT: groups of 400, each its own subquery.
        var union: SQLQueryString = ""
        for (groupIndex, group) in arms.chunked(400).enumerated() {
            var part: SQLQueryString = "SELECT * FROM ("
            for (index, arm) in group.enumerated() { part = part + (index == 0 ? "" : " UNION ALL ") + arm }
            union = union + (groupIndex == 0 ? "" : " UNION ALL ") + part + ")"
        }
        return "SELECT * FROM (" + union + ") ORDER BY last_seen DESC, id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)"
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
