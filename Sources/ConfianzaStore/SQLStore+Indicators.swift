import ConfianzaCore
import Foundation
import SQLKit

extension SQLStore {
    private static let indicatorColumns =
        "id, version, name, pattern, pattern_type, address, valid_from, valid_until, revoked, tlp, source, imported_at, domain, url"

    public func upsertIndicators(_ indicators: [Indicator]) async throws -> (added: Int, replaced: Int, unchanged: Int) {
        try await self.withTransaction { db in
            var counts = (added: 0, replaced: 0, unchanged: 0)
            for i in indicators {
                let existing = try await db.raw("SELECT version FROM indicators WHERE id = \(bind: i.id)").first()?.decode(column: "version", as: String.self)
                if let existing, i.version <= existing {
                    counts.unchanged += 1
                    continue
                }
                try await db.raw(
                    """
                    INSERT INTO indicators (\(unsafeRaw: Self.indicatorColumns))
                    VALUES (\(bind: i.id), \(bind: i.version), \(bind: i.name), \(bind: i.pattern), \(bind: i.patternType), \(bind: i.address),
                        \(bind: Millis(i.validFrom)), \(bind: i.validUntil.map(Millis.init)), \(bind: i.revoked), \(bind: i.tlp.rawValue), \(bind: i.source),
                        \(bind: Millis(i.importedAt)), \(bind: i.domain), \(bind: i.url))
                    ON CONFLICT (id) DO UPDATE SET version = excluded.version, name = excluded.name, pattern = excluded.pattern,
                        pattern_type = excluded.pattern_type, address = excluded.address, valid_from = excluded.valid_from,
                        valid_until = excluded.valid_until, revoked = excluded.revoked, tlp = excluded.tlp, source = excluded.source,
                        imported_at = excluded.imported_at, domain = excluded.domain, url = excluded.url
                    """
                ).run()
                if existing == nil { counts.added += 1 } else { counts.replaced += 1 }
            }
            return counts
        }
    }

    public func indicators(matching query: IndicatorQuery, now: Date) async throws -> [Indicator] {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.indicatorColumns) FROM indicators WHERE 1 = 1"
        if let search = query.search?.lowercased(), !search.isEmpty {
            let like = "%\(search.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: ""))%"
            sql = sql + " AND (LOWER(name) LIKE \(bind: like) OR LOWER(pattern) LIKE \(bind: like) OR LOWER(source) LIKE \(bind: like))"
        }
        let at = Millis(now)
        switch query.state {
        case .all: break
        case .active: sql = sql + " AND revoked = \(bind: false) AND valid_from <= \(bind: at) AND (valid_until IS NULL OR valid_until > \(bind: at))"
        case .revoked: sql = sql + " AND revoked = \(bind: true)"
        case .expired: sql = sql + " AND revoked = \(bind: false) AND valid_until IS NOT NULL AND valid_until <= \(bind: at)"
        }
        sql = sql + " ORDER BY imported_at DESC, id DESC LIMIT \(bind: max(0, min(query.limit, 10_000)))"
        let final = sql
        return try await self.withDatabase { db in try await db.raw(final).all().map(Self.decodeIndicator) }
    }

    public func indicator(id: String) async throws -> Indicator? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.indicatorColumns) FROM indicators WHERE id = \(bind: id)").first().map(Self.decodeIndicator)
        }
    }

    public func setIndicatorRevoked(id: String, revoked: Bool) async throws {
        try await self.withDatabase { db in
            let updated = try await db.raw("UPDATE indicators SET revoked = \(bind: revoked) WHERE id = \(bind: id) RETURNING id").all()
            guard !updated.isEmpty else { throw StoreError.notFound("indicator \(id)") }
        }
    }

    public func indicatorMatches(runID: UUID, now: Date) async throws -> [(eventID: Int64, indicatorID: String)] {
        let at = Millis(now)
        let run = runID.uuidString
        return try await self.withReading { db in
            let active: SQLQueryString =
                "i.revoked = \(bind: false) AND i.valid_from <= \(bind: at) AND (i.valid_until IS NULL OR i.valid_until > \(bind: at))"
            let unseen: SQLQueryString = "NOT EXISTS (SELECT 1 FROM indicator_sightings s WHERE s.event_id = e.id AND s.indicator_id = i.id)"
            var sql: SQLQueryString = """
                SELECT e.id AS event_id, i.id AS indicator_id FROM events e JOIN indicators i ON i.address = e.source_ip
                WHERE e.run_id = \(bind: run) AND \(active) AND \(unseen)
                """
            // Names and URLs are read from the events' data only when such indicators exist.
            let kinds = try await db.raw(
                "SELECT COUNT(domain) AS domains, COUNT(url) AS urls FROM indicators i WHERE \(active)"
            ).first()
            let field: (String) -> SQLQueryString = { key in
                self.isSQLite ? "json_extract(e.data, '$.\"\(unsafeRaw: key)\"')" : "(e.data::jsonb ->> '\(unsafeRaw: key)')"
            }
            if try kinds?.decode(column: "domains", as: Int.self) ?? 0 > 0 {
                sql = sql + """
                     UNION SELECT e.id AS event_id, i.id AS indicator_id FROM events e JOIN indicators i ON i.domain = LOWER(\(field("source.fqdn")))
                    WHERE e.run_id = \(bind: run) AND \(active) AND \(unseen)
                    """
            }
            if try kinds?.decode(column: "urls", as: Int.self) ?? 0 > 0 {
                sql = sql + """
                     UNION SELECT e.id AS event_id, i.id AS indicator_id FROM events e JOIN indicators i ON i.url = \(field("source.url"))
                    WHERE e.run_id = \(bind: run) AND \(active) AND \(unseen)
                    """
            }
            let query = sql + " ORDER BY event_id, indicator_id"
            return try await db.raw(query).all().map { row in
                (try row.decode(column: "event_id", as: Int64.self), try row.decode(column: "indicator_id", as: String.self))
            }
        }
    }

    public func recordSightings(_ pairs: [(eventID: Int64, indicatorID: String)], at date: Date) async throws {
        guard !pairs.isEmpty else { return }
        try await self.withTransaction { db in
            for chunk in pairs.chunked(300) {
                let rows = chunk.map { SQLGroupExpression(SQLList([SQLBind($0.eventID), SQLBind($0.indicatorID), SQLBind(Millis(date))])) as any SQLExpression }
                try await db.raw("INSERT INTO indicator_sightings (event_id, indicator_id, at) VALUES \(SQLList(rows)) ON CONFLICT DO NOTHING").run()
            }
        }
    }

    public func sightingCounts(indicatorIDs: [String]) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for chunk in indicatorIDs.chunked(500) {
            let rows = try await self.withReading { db in
                try await db.raw(
                    "SELECT indicator_id, COUNT(*) AS n FROM indicator_sightings WHERE indicator_id IN (\(SQLList(chunk.map { SQLBind($0) }))) GROUP BY indicator_id"
                ).all()
            }
            for row in rows { counts[try row.decode(column: "indicator_id", as: String.self)] = try row.decode(column: "n", as: Int.self) }
        }
        return counts
    }

    static func decodeIndicator(_ row: any SQLRow) throws -> Indicator {
        let tlpText = try row.decode(column: "tlp", as: String.self)
        guard let tlp = TLP(label: tlpText) else { throw StoreError.corrupt("indicator tlp '\(tlpText)'") }
        return Indicator(
            id: try row.decode(column: "id", as: String.self), version: try row.decode(column: "version", as: String.self),
            name: try row.decode(column: "name", as: String.self), pattern: try row.decode(column: "pattern", as: String.self),
            patternType: try row.decode(column: "pattern_type", as: String.self), address: try row.decode(column: "address", as: String?.self),
            validFrom: try Millis.date(row, "valid_from"), validUntil: try Millis.optionalDate(row, "valid_until"),
            revoked: try row.decode(column: "revoked", as: Bool.self), tlp: tlp, source: try row.decode(column: "source", as: String.self),
            importedAt: try Millis.date(row, "imported_at"), domain: try row.decode(column: "domain", as: String?.self),
            url: try row.decode(column: "url", as: String?.self))
    }
}
