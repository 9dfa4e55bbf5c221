import ConfianzaCore
import Foundation
import SQLKit
import Synchronization

/// The knowledge base: records kept whole, listed and searched through their index columns.
extension SQLStore {
    public func saveKnowledge(_ base: KnowledgeBase, at date: Date, by actor: String) async throws {
        let records = Self.records(base)
        let sqlite = self.isSQLite
        try await self.withTransaction { db in
            try await Self.raiseKnowledgeRevision(db)
            for entry in base.indexEntries {
                guard let record = records[entry.id] else { continue }
                let countries = entry.countries.isEmpty ? "" : " " + entry.countries.joined(separator: " ") + " "
                let pillars = entry.pillars.isEmpty ? "" : " " + entry.pillars.joined(separator: " ") + " "
                let terms = entry.terms
                try await db.raw(
                    """
                    INSERT INTO knowledge_items (kind, id, tlp, title, body_text, level, region, countries, pillars, status, terms, record, created_at, updated_at, updated_by)
                    VALUES (\(bind: entry.kind.rawValue), \(bind: entry.id.uuidString), \(bind: entry.tlp.rawValue), \(bind: entry.title), \(bind: entry.text),
                        \(bind: entry.level), \(bind: entry.region), \(bind: countries), \(bind: pillars), \(bind: entry.status), \(bind: terms), \(bind: record),
                        \(bind: Millis(date)), \(bind: Millis(date)), \(bind: actor))
                    ON CONFLICT (kind, id) DO UPDATE SET tlp = excluded.tlp, title = excluded.title, body_text = excluded.body_text, level = excluded.level,
                        region = excluded.region, countries = excluded.countries, pillars = excluded.pillars, status = excluded.status, terms = excluded.terms,
                        record = excluded.record, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                    """
                ).run()
                if sqlite {
                    try await db.raw(
                        "DELETE FROM knowledge_fts WHERE kind = \(bind: entry.kind.rawValue) AND item_id = \(bind: entry.id.uuidString)"
                    ).run()
                    try await db.raw(
                        "INSERT INTO knowledge_fts (terms, kind, item_id) VALUES (\(bind: terms), \(bind: entry.kind.rawValue), \(bind: entry.id.uuidString))"
                    ).run()
                }
            }
        }
    }

    /// Each record's file form (one object), by id.
    static func records(_ base: KnowledgeBase) -> [UUID: String] {
        var result: [UUID: String] = [:]
        guard case .object(let file) = KnowledgeFile.json(base) else { return result }
        for key in ["initiatives", "caseStudies", "agreements"] {
            guard case .array(let items)? = file[key] else { continue }
            for item in items {
                guard case .object(let fields) = item, case .string(let id)? = fields["id"], let uuid = UUID(uuidString: id) else { continue }
                result[uuid] = item.text
            }
        }
        return result
    }

    public func knowledgeRecord(kind: KnowledgeKind, id: UUID, clearOnly: Bool) async throws -> KnowledgeBase? {
        let rows = try await self.withReading { db in
            try await db.raw(
                """
                SELECT kind, record FROM knowledge_items WHERE kind = \(bind: kind.rawValue) AND id = \(bind: id.uuidString)
                    \(unsafeRaw: clearOnly ? "AND tlp = 'TLP:CLEAR'" : "")
                """
            ).all().map { (try $0.decode(column: "kind", as: String.self), try $0.decode(column: "record", as: String.self)) }
        }
        return rows.isEmpty ? nil : try Self.knowledgeBase(rows)
    }

    /// The whole base (or its CLEAR records). Read and checked again only when it changed: every change
    /// raises `knowledge_revision` in its own transaction (migration 25), so a base read at the current
    /// revision is still the stored one, whichever process changed it. The revision is read before the
    /// records, so a change between the two makes the next read start again.
    public func knowledge(clearOnly: Bool) async throws -> KnowledgeBase {
        let (revision, rows) = try await self.withReading { db -> (Int64, [(String, String)]?) in
            let revision = try await db.raw("SELECT revision FROM knowledge_revision WHERE id = 1").first()?.decode(column: "revision", as: Int64.self) ?? -1
            if let kept = self.knowledgeRead.withLock({ $0[clearOnly] }), kept.revision == revision { return (revision, nil) }
            return (
                revision,
                try await db.raw(
                    """
                    SELECT kind, record FROM knowledge_items \(unsafeRaw: clearOnly ? "WHERE tlp = 'TLP:CLEAR'" : "") ORDER BY kind, title, id
                    """
                ).all().map { (try $0.decode(column: "kind", as: String.self), try $0.decode(column: "record", as: String.self)) }
            )
        }
        guard let rows else {
            if let kept = self.knowledgeRead.withLock({ $0[clearOnly] }), kept.revision == revision { return kept.base }
            return try await self.knowledge(clearOnly: clearOnly)
        }
        let base = try Self.knowledgeBase(rows)
        self.knowledgeRead.withLock { $0[clearOnly] = (revision, base) }
        return base
    }

    static func raiseKnowledgeRevision(_ db: any SQLDatabase) async throws {
        try await db.raw("UPDATE knowledge_revision SET revision = revision + 1 WHERE id = 1").run()
    }

    static func knowledgeBase(_ rows: [(String, String)]) throws -> KnowledgeBase {
        var parts: [String: [String]] = [:]
        for (kind, record) in rows {
            let key = kind == "initiative" ? "initiatives" : kind == "case-study" ? "caseStudies" : "agreements"
            parts[key, default: []].append(record)
        }
        let text = "{" + parts.map { "\"\($0.key)\": [\($0.value.joined(separator: ","))]" }.joined(separator: ",") + "}"
        do { return try KnowledgeFile.read(text, file: "stored knowledge") } catch { throw StoreError.corrupt("the stored knowledge base cannot be read again: \(error)") }
    }

    public func knowledgeAdded(from start: Date, to end: Date, clearOnly: Bool) async throws -> [KnowledgeKind: Int] {
        try await self.withReading { db in
            var counts: [KnowledgeKind: Int] = [:]
            for row in try await db.raw(
                """
                SELECT kind, COUNT(*) AS n FROM knowledge_items WHERE created_at >= \(bind: Millis(start)) AND created_at < \(bind: Millis(end))
                    \(unsafeRaw: clearOnly ? "AND tlp = 'TLP:CLEAR'" : "") GROUP BY kind
                """
            ).all() {
                if let kind = KnowledgeKind(rawValue: try row.decode(column: "kind", as: String.self)) { counts[kind] = try row.decode(column: "n", as: Int.self) }
            }
            return counts
        }
    }

    public func deleteKnowledge(kind: KnowledgeKind, id: UUID) async throws -> Bool {
        let sqlite = self.isSQLite
        return try await self.withTransaction { db in
            try await Self.raiseKnowledgeRevision(db)
            if sqlite {
                try await db.raw("DELETE FROM knowledge_fts WHERE kind = \(bind: kind.rawValue) AND item_id = \(bind: id.uuidString)").run()
            }
            return try await db.raw(
                "DELETE FROM knowledge_items WHERE kind = \(bind: kind.rawValue) AND id = \(bind: id.uuidString) RETURNING id"
            ).all().count == 1
        }
    }

    public func searchKnowledge(_ query: KnowledgeQuery) async throws -> KnowledgeResults {
        let terms = SearchTerms.query(query.text)
        var filters: [SQLQueryString] = []
        if query.clearOnly { filters.append("i.tlp = 'TLP:CLEAR'") }
        if let kind = query.kind { filters.append("i.kind = \(bind: kind.rawValue)") }
        if let level = query.level { filters.append("i.level = \(bind: level.rawValue)") }
        if let region = query.region { filters.append("i.region = \(bind: region)") }
        if let country = query.country { filters.append("i.countries LIKE \(bind: "% \(country) %")") }
        if let pillar = query.pillar { filters.append("i.pillars LIKE \(bind: "% \(pillar.rawValue) %")") }
        if let status = query.status { filters.append("i.status = \(bind: status)") }
        let sqlite = self.isSQLite
        let rows = try await self.withReading { db -> [any SQLRow] in
            var sql: SQLQueryString
            if terms.isEmpty {
                sql = "SELECT i.kind, i.id, i.title, i.body_text, i.tlp, i.level, i.region, i.countries, i.pillars, i.status, 0.0 AS rank FROM knowledge_items i"
                for (n, filter) in filters.enumerated() { sql = sql + (n == 0 ? " WHERE " : " AND ") + filter }
                sql = sql + " ORDER BY i.title, i.kind, i.id"
            } else if sqlite {
                // FTS5: every term must match (quoted, so none is read as an operator); bm25 is smaller for better matches.
                let match = terms.map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\"" }.joined(separator: " ")
                sql = """
                    SELECT i.kind, i.id, i.title, i.body_text, i.tlp, i.level, i.region, i.countries, i.pillars, i.status, -bm25(knowledge_fts) AS rank
                    FROM knowledge_fts f JOIN knowledge_items i ON i.kind = f.kind AND i.id = f.item_id
                    WHERE knowledge_fts MATCH \(bind: match)
                    """
                for filter in filters { sql = sql + " AND " + filter }
                sql = sql + " ORDER BY rank DESC, i.title, i.kind, i.id"
            } else {
                let tsquery = terms.map { "'\($0.replacingOccurrences(of: "'", with: ""))'" }.joined(separator: " & ")
                sql = """
                    SELECT i.kind, i.id, i.title, i.body_text, i.tlp, i.level, i.region, i.countries, i.pillars, i.status,
                        ts_rank(i.terms_vector, to_tsquery('simple', \(bind: tsquery)))::float8 AS rank
                    FROM knowledge_items i WHERE i.terms_vector @@ to_tsquery('simple', \(bind: tsquery))
                    """
                for filter in filters { sql = sql + " AND " + filter }
                sql = sql + " ORDER BY rank DESC, i.title, i.kind, i.id"
            }
            return try await db.raw(sql).all()
        }
        var facets = KnowledgeFacets()
        var hits: [KnowledgeHit] = []
        for (index, row) in rows.enumerated() {
            let kind = try row.decode(column: "kind", as: String.self)
            facets.kind[kind, default: 0] += 1
            if let level = try row.decode(column: "level", as: String?.self) { facets.level[level, default: 0] += 1 }
            if let region = try row.decode(column: "region", as: String?.self) { facets.region[region, default: 0] += 1 }
            if let status = try row.decode(column: "status", as: String?.self) { facets.status[status, default: 0] += 1 }
            for country in try row.decode(column: "countries", as: String.self).split(separator: " ") { facets.country[String(country), default: 0] += 1 }
            for pillar in try row.decode(column: "pillars", as: String.self).split(separator: " ") { facets.pillar[String(pillar), default: 0] += 1 }
            guard index >= query.offset, hits.count < query.limit else { continue }
            guard let kindValue = KnowledgeKind(rawValue: kind), let tlp = TLP(label: try row.decode(column: "tlp", as: String.self)) else {
                throw StoreError.corrupt("knowledge item of kind '\(kind)'")
            }
            hits.append(
                KnowledgeHit(
                    kind: kindValue, id: try Self.uuid(row, "id"), title: try row.decode(column: "title", as: String.self),
                    text: try row.decode(column: "body_text", as: String.self), tlp: tlp, rank: try row.decode(column: "rank", as: Double.self)))
        }
        return KnowledgeResults(hits: hits, total: rows.count, facets: facets)
    }
}
