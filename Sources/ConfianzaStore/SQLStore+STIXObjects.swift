import ConfianzaCore
import Foundation
import NIOCore
import SQLKit
import SQLiteNIO
import Synchronization

/// The TAXII server's STIX objects: each sender's copy its own row, versions in lines, "last" per reader.
extension SQLStore {
    private static let objectColumns = [
        "date_added", "id", "type", "spec_version", "version", "version_text", "tlp_rank", "source_peer", "private_to", "is_latest", "json",
    ]

    public func addSTIXObjects(_ records: [STIXObjectRecord], now: Date) async throws -> [STIXAddOutcome] {
        guard !records.isEmpty else { return [] }
        return try await self.withTransaction { db in
            // One writer at a time, so date_added grows in commit order and no reader's cursor skips a row.
            if !self.isSQLite { try await db.raw("LOCK TABLE stix_objects IN EXCLUSIVE MODE").run() }
            let highest = try await db.raw("SELECT MAX(date_added) AS m FROM stix_objects").first()?.decode(column: "m", as: Int64?.self) ?? 0
            var next = max(Int64((now.timeIntervalSince1970 * 1_000_000).rounded(.down)), highest + 1)
            // What is held of these ids: each sender's copy of each version with its marking, and who put
            // each id here first (its creator, whose line of versions is the shared one; a creator who
            // deleted every version of theirs leaves the id to whoever sends it next).
            var heldRank: [String: Int] = [:]
            var creator: [String: (dateAdded: Int64, source: String)] = [:]
            // The newest version held in each line (`id|private_to`).
            var newestHeld: [String: Int64] = [:]
            let ids = Array(Set(records.map(\.id)))
            for chunk in ids.chunked(500) {
                let rows = try await db.raw(
                    "SELECT date_added, id, version, source_peer, private_to, tlp_rank FROM stix_objects WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))"
                ).all()
                for row in rows {
                    let id = try row.decode(column: "id", as: String.self)
                    let version = try row.decode(column: "version", as: Int64.self)
                    let source = try row.decode(column: "source_peer", as: String.self)
                    let dateAdded = try row.decode(column: "date_added", as: Int64.self)
                    heldRank["\(id)|\(version)|\(source)"] = try row.decode(column: "tlp_rank", as: Int.self)
                    let owner = try row.decode(column: "private_to", as: String.self)
                    if owner.isEmpty, creator[id].map({ dateAdded < $0.dateAdded }) ?? true { creator[id] = (dateAdded, source) }
                    newestHeld["\(id)|\(owner)"] = max(newestHeld["\(id)|\(owner)"] ?? .min, version)
                }
            }
            var outcomes: [STIXAddOutcome] = []
            var relaxed: [(String, Int64, String)] = []
            // New rows by key, so that one sent again in the same envelope under a looser marking
            // replaces its row in constant time: re-posting many objects stays linear.
            var fresh: [String: STIXObjectRecord] = [:]
            var newest = newestHeld
            for var record in records {
                let source = Self.sourceKey(record.sourcePeer)
                let key = "\(record.id)|\(record.version)|\(source)"
                var outcome = STIXAddOutcome.added
                if let rank = heldRank[key] {
                    guard record.tlp.rank < rank else {
                        outcomes.append(.unchanged)
                        continue
                    }
                    if fresh.removeValue(forKey: key) == nil { relaxed.append((record.id, record.version, source)) }
                    outcome = .relaxed
                }
                // Our own versions and the creator's are shared; anyone else's is the sender's own copy.
                let first = creator[record.id]?.source ?? source
                if creator[record.id] == nil { creator[record.id] = (next, source) }
                record.privateTo = source.isEmpty || source == first ? nil : record.sourcePeer
                let line = "\(record.id)|\(Self.sourceKey(record.privateTo))"
                newest[line] = max(newest[line] ?? .min, record.version)
                heldRank[key] = record.tlp.rank
                record.dateAdded = next
                next += 1
                fresh[key] = record
                outcomes.append(outcome)
            }
            for (id, version, source) in relaxed {
                try await db.raw("DELETE FROM stix_objects WHERE id = \(bind: id) AND version = \(bind: version) AND source_peer = \(bind: source)").run()
            }
            // Older versions of a line stop being its newest.
            for (line, version) in newest where (newestHeld[line].map { $0 < version } ?? false) {
                let parts = line.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                try await db.raw(
                    """
                    UPDATE stix_objects SET is_latest = 0
                    WHERE id = \(bind: String(parts[0])) AND private_to = \(bind: String(parts[1])) AND version < \(bind: version)
                    """
                ).run()
            }
            for chunk in fresh.values.sorted(by: { $0.dateAdded < $1.dateAdded }).chunked(400) {
                try await self.insertRows(
                    into: "stix_objects", columns: Self.objectColumns,
                    rows: chunk.map { r in
                        [
                            .integer(r.dateAdded), .text(r.id), .text(r.type), .text(r.specVersion), .integer(r.version), .text(r.versionText),
                            .integer(Int64(r.tlp.rank)), .text(Self.sourceKey(r.sourcePeer)), .text(Self.sourceKey(r.privateTo)),
                            .integer(r.version == newest["\(r.id)|\(Self.sourceKey(r.privateTo))"] ? 1 : 0), .text(r.json),
                        ]
                    }, db: db)
            }
            return outcomes
        }
    }

    public func stixObjects(_ query: STIXObjectQuery) async throws -> [STIXObjectRecord] {
        guard query.versions == .last else { return try await self.scan(query).map(\.record) }
        // "last" is the newest version the reader may see in each line. The newest of a line is marked
        // (`is_latest`), and when the reader sees it, it is the reader's newest; only an older version
        // (rare) needs a look at whether the reader sees a newer one. Done here rather than as a
        // subquery in the statement: SQLite prepares every statement anew, and planning that subquery
        // cost a third of a page's time.
        var kept: [STIXObjectRecord] = []
        var chunk = query
        chunk.versions = .all
        chunk.limit = max(1, query.limit)
        while kept.count < query.limit {
            let rows = try await self.scan(chunk)
            guard let last = rows.last else { break }
            var older = rows.filter { !$0.isLatest }.map(\.record)
            // A page row carries only what is sent; an older version's line is read apart (rarely needed).
            if query.pageOnly, !older.isEmpty { older = try await self.keys(of: older) }
            let newest = older.isEmpty ? [:] : try await self.newestVisible(of: older, visibility: query.visibility)
            let olderKept = Set(older.filter { $0.version >= newest[Self.line($0)] ?? .min }.map(\.dateAdded))
            for (record, isLatest) in rows where isLatest || olderKept.contains(record.dateAdded) {
                kept.append(record)
            }
            if rows.count < chunk.limit { break }
            chunk.after = last.record.dateAdded
        }
        return Array(kept.prefix(max(0, query.limit)))
    }

    static func line(_ record: STIXObjectRecord) -> String { "\(record.id)|\(Self.sourceKey(record.privateTo))" }

    /// Records with their id, line and version read again by `date_added` (for page rows, which lack them).
    private func keys(of records: [STIXObjectRecord]) async throws -> [STIXObjectRecord] {
        var found: [STIXObjectRecord] = []
        for chunk in records.map(\.dateAdded).chunked(500) {
            var sql = SQLText("SELECT date_added, id, private_to, version FROM stix_objects WHERE 1 = 1")
            sql.add(" AND date_added IN ")
            sql.list(chunk.map { .integer($0) })
            for row in try await self.withReading({ db in try await db.raw(sql.postgres).all() }) {
                let owner = try row.decode(column: "private_to", as: String.self)
                found.append(
                    STIXObjectRecord(
                        id: try row.decode(column: "id", as: String.self), type: "", specVersion: "", version: try row.decode(column: "version", as: Int64.self),
                        versionText: "", dateAdded: try row.decode(column: "date_added", as: Int64.self), tlp: .clear, sourcePeer: nil, json: "",
                        privateTo: owner.isEmpty ? nil : UUID(uuidString: owner)))
            }
        }
        return found
    }

    /// The newest version the reader may see of each line these records belong to.
    private func newestVisible(of records: [STIXObjectRecord], visibility: STIXVisibility) async throws -> [String: Int64] {
        var newest: [String: Int64] = [:]
        for chunk in Array(Set(records.map(\.id))).chunked(500) {
            var sql = SQLText("SELECT o.id, o.private_to, MAX(o.version) AS newest FROM stix_objects o WHERE ")
            Self.where(visibility, into: &sql)
            sql.in("o.id", Array(chunk))
            sql.add(" GROUP BY o.id, o.private_to")
            let rows = try await self.withReading { db in try await db.raw(sql.postgres).all() }
            for row in rows {
                let key = "\(try row.decode(column: "id", as: String.self))|\(try row.decode(column: "private_to", as: String.self))"
                newest[key] = try row.decode(column: "newest", as: Int64.self)
            }
        }
        return newest
    }

    /// One statement's rows, with whether each is the newest of its line.
    private func scan(_ query: STIXObjectQuery) async throws -> [(record: STIXObjectRecord, isLatest: Bool)] {
        var sql = SQLText(
            query.pageOnly
                ? "SELECT date_added, json, is_latest FROM stix_objects o WHERE "
                : "SELECT date_added, id, type, spec_version, version, version_text, tlp_rank, source_peer, private_to, json, is_latest FROM stix_objects o WHERE ")
        Self.where(query.visibility, into: &sql)
        if let bound = query.lowerBound {
            sql.add(" AND o.date_added > ")
            sql.bind(.integer(bound))
        }
        if let ids = query.ids { sql.in("o.id", ids) }
        if let types = query.types { sql.in("o.type", types) }
        if let specs = query.specVersions { sql.in("o.spec_version", specs) }
        if query.versions != .all {
            sql.add(" AND ")
            Self.versionCondition(query.versions, visibility: query.visibility, into: &sql)
        }
        sql.add(" ORDER BY o.date_added LIMIT ")
        sql.bind(.integer(Int64(max(0, query.limit))))
        if query.pageOnly {
            if let direct = self.direct { return try Self.pageRows(sql, direct: direct) }
            return try await self.withReader { db, connection in try await self.pageRows(sql, db: db, sqlite: connection) }
        }
        return try await self.withReader { db, connection in try await self.objectRows(sql, db: db, sqlite: connection) }
    }

    /// Visibility as SQL, for rows of `stix_objects` under `alias`: the one place TLP is enforced for the
    /// SQL stores (``STIXVisibility/allows(_:)`` is its twin).
    private static func `where`(_ visibility: STIXVisibility, alias: String = "o", into sql: inout SQLText) {
        sql.add("\(alias).tlp_rank <= ")
        sql.bind(.integer(Int64(visibility.ceiling.rank)))
        guard let peer = visibility.peerID else {
            sql.add(" AND \(alias).private_to = ''")
            return
        }
        sql.add(" AND ((\(alias).private_to = '' AND (\(alias).source_peer = '' OR \(alias).source_peer = ")
        sql.bind(.text(Self.sourceKey(peer)))
        sql.add(" OR \(alias).tlp_rank <= ")
        sql.bind(.integer(Int64(STIXVisibility.peerSharingLimit.rank)))
        sql.add(")) OR \(alias).private_to = ")
        sql.bind(.text(Self.sourceKey(peer)))
        sql.add(")")
    }

    /// `match[version]` as a condition on `stix_objects o`. `last` and `first` are the newest and oldest
    /// version the reader may see in the row's lineage: a version they may not see changes nothing in
    /// what they get, so no answer tells whether one is held.
    private static func versionCondition(_ rule: STIXVersionMatch, visibility: STIXVisibility, into sql: inout SQLText) {
        switch rule {
        case .last, .first:
            // (Alone, `last` is answered by ``stixObjects(_:)`` without this subquery.) The newest of its
            // line, when the reader sees it, is the newest the reader sees: only older versions need the look.
            if rule == .last { sql.add("(o.is_latest = 1 OR ") }
            sql.add("NOT EXISTS (SELECT 1 FROM stix_objects n WHERE n.id = o.id AND n.private_to = o.private_to AND n.version \(rule == .last ? ">" : "<") o.version AND ")
            Self.where(visibility, alias: "n", into: &sql)
            sql.add(rule == .last ? "))" : ")")
        case .all: sql.add("1 = 1")
        case .at(let versions):
            // An object without a version (a cyber-observable) is named by when it was added, as the
            // manifest names it.
            sql.add("(o.version IN ")
            sql.list(versions.map { .integer($0) })
            sql.add(" OR (o.version_text = '' AND o.date_added IN ")
            sql.list(versions.map { .integer($0) })
            sql.add("))")
        case .anyOf(let rules):
            sql.add("(")
            for (index, rule) in rules.enumerated() {
                if index > 0 { sql.add(" OR ") }
                Self.versionCondition(rule, visibility: visibility, into: &sql)
            }
            if rules.isEmpty { sql.add("1 = 0") }
            sql.add(")")
        }
    }

    public func deleteSTIXObject(id: String, visibility: STIXVisibility, sentBy: UUID?, versions: STIXVersionMatch, specVersions: [String]?) async throws -> Int {
        try await self.withTransaction { db in
            var sql = SQLText(
                "SELECT date_added, id, type, spec_version, version, version_text, tlp_rank, source_peer, private_to, '' AS json FROM stix_objects WHERE id = ")
            sql.bind(.text(id))
            let visible = try await self.objectRows(sql, db: db, sqlite: self.writer).map(\.record).filter(visibility.allows)
            let chosen = versions.select(visible).filter { record in
                (specVersions?.contains(record.specVersion) ?? true) && (sentBy.map { record.sourcePeer == $0 } ?? true)
            }
            for record in chosen { try await db.raw("DELETE FROM stix_objects WHERE date_added = \(bind: record.dateAdded)").run() }
            if !chosen.isEmpty {
                // What remains of each line: its newest is the newest again.
                try await db.raw(
                    """
                    UPDATE stix_objects SET is_latest = CASE WHEN version = (
                        SELECT MAX(v.version) FROM stix_objects v WHERE v.id = stix_objects.id AND v.private_to = stix_objects.private_to) THEN 1 ELSE 0 END
                    WHERE id = \(bind: id)
                    """
                ).run()
            }
            return chosen.count
        }
    }

    public func stixObjectCount() async throws -> Int {
        try await self.withReading { db in try await db.raw("SELECT COUNT(*) AS n FROM stix_objects").first()?.decode(column: "n", as: Int.self) ?? 0 }
    }

    /// Reads object rows. On SQLite straight from sqlite-nio: SQLKit's Codable decoding was most of a page's cost.
    /// How a sender is kept: `''` for our own objects, else the peer's id.
    static func sourceKey(_ peer: UUID?) -> String { peer?.uuidString.lowercased() ?? "" }

    private var writer: SQLiteConnection? {
        if case .sqlite(let connection, _) = self.backend { return connection }
        return nil
    }

    /// Rows of `date_added, json, is_latest` only, read on this thread through SQLite's C API.
    private static func pageRows(_ sql: SQLText, direct: DirectSQLiteReaders) throws -> [(record: STIXObjectRecord, isLatest: Bool)] {
        try direct.withConnection { connection in
            var records: [(record: STIXObjectRecord, isLatest: Bool)] = []
            try connection.query(sql.sqlite, sql.binds) { row in
                guard let dateAdded = row.integer(0), let json = row.text(1), let latest = row.integer(2) else {
                    throw StoreError.corrupt("a stix_objects row")
                }
                records.append((
                    STIXObjectRecord(
                        id: "", type: "", specVersion: "", version: 0, versionText: "", dateAdded: dateAdded, tlp: .clear, sourcePeer: nil, json: json),
                    latest != 0
                ))
            }
            return records
        }
    }

    /// Rows of `date_added, json, is_latest` only, decoded on SQLite's own thread as they are stepped.
    private func pageRows(_ sql: SQLText, db: any SQLDatabase, sqlite: SQLiteConnection?) async throws -> [(record: STIXObjectRecord, isLatest: Bool)] {
        @Sendable func record(_ dateAdded: Int64, _ json: String) -> STIXObjectRecord {
            STIXObjectRecord(id: "", type: "", specVersion: "", version: 0, versionText: "", dateAdded: dateAdded, tlp: .clear, sourcePeer: nil, json: json)
        }
        if let connection = sqlite {
            let collected = Mutex<(records: [(record: STIXObjectRecord, isLatest: Bool)], corrupt: Bool)>(([], false))
            try await connection.query(sql.sqlite, sql.binds.map(\.sqliteData)) { row in
                let values = row.columns
                guard values.count == 3, case .integer(let dateAdded) = values[0].data, case .text(let json) = values[1].data,
                    case .integer(let latest) = values[2].data
                else {
                    collected.withLock { $0.corrupt = true }
                    return
                }
                collected.withLock { $0.records.append((record(Int64(dateAdded), json), latest != 0)) }
            }
            let result = collected.withLock { $0 }
            if result.corrupt { throw StoreError.corrupt("a stix_objects row") }
            return result.records
        }
        return try await db.raw(sql.postgres).all().map { row in
            (record(try row.decode(column: "date_added", as: Int64.self), try row.decode(column: "json", as: String.self)),
             try row.decode(column: "is_latest", as: Int.self) != 0)
        }
    }

    /// Whole rows; `is_latest` when the statement selects it (an eleventh column), else taken as set.
    private func objectRows(_ sql: SQLText, db: any SQLDatabase, sqlite: SQLiteConnection?) async throws -> [(record: STIXObjectRecord, isLatest: Bool)] {
        if let connection = sqlite {
            let rows = try await connection.query(sql.sqlite, sql.binds.map(\.sqliteData))
            return try rows.map { row in
                let values = row.columns
                guard values.count >= 10, case .integer(let dateAdded) = values[0].data, case .text(let id) = values[1].data,
                    case .text(let type) = values[2].data, case .text(let spec) = values[3].data, case .integer(let version) = values[4].data,
                    case .text(let versionText) = values[5].data, case .integer(let rank) = values[6].data, let tlp = TLP(rank: rank),
                    case .text(let peer) = values[7].data, case .text(let owner) = values[8].data, case .text(let json) = values[9].data
                else { throw StoreError.corrupt("a stix_objects row") }
                var latest = true
                if values.count > 10, case .integer(let flag) = values[10].data { latest = flag != 0 }
                return (
                    STIXObjectRecord(
                        id: id, type: type, specVersion: spec, version: Int64(version), versionText: versionText, dateAdded: Int64(dateAdded), tlp: tlp,
                        sourcePeer: UUID(uuidString: peer), json: json, privateTo: UUID(uuidString: owner)), latest
                )
            }
        }
        return try await db.raw(sql.postgres).all().map { row in
            let rank = try row.decode(column: "tlp_rank", as: Int.self)
            guard let tlp = TLP(rank: rank) else { throw StoreError.corrupt("stix_objects tlp_rank \(rank)") }
            let record = STIXObjectRecord(
                id: try row.decode(column: "id", as: String.self), type: try row.decode(column: "type", as: String.self),
                specVersion: try row.decode(column: "spec_version", as: String.self), version: try row.decode(column: "version", as: Int64.self),
                versionText: try row.decode(column: "version_text", as: String.self), dateAdded: try row.decode(column: "date_added", as: Int64.self),
                tlp: tlp, sourcePeer: UUID(uuidString: try row.decode(column: "source_peer", as: String.self)),
                json: try row.decode(column: "json", as: String.self), privateTo: UUID(uuidString: try row.decode(column: "private_to", as: String.self)))
            return (record, row.contains(column: "is_latest") ? try row.decode(column: "is_latest", as: Int.self) != 0 : true)
        }
    }
}
