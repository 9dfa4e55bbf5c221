import ConfianzaCore
import Foundation
import SQLKit

extension SQLStore {
    static let feedSourceColumns = """
        id, name, kind, location, format, username, secret IS NOT NULL AS has_secret, options, every_seconds, enabled, max_bytes, timeout_seconds,
        etag, last_modified, last_attempt_at, last_success_at, last_delivery_at, last_error, next_run_at, failures, cursor, created_at, created_by
        """

    public func insertFeedSource(_ source: FeedSource, secret: String?) async throws {
        do {
            try await self.withTransaction { db in
                try await db.raw(
                    """
                    INSERT INTO feed_sources (id, name, kind, location, format, username, secret, options, every_seconds, enabled, max_bytes,
                        timeout_seconds, next_run_at, failures, created_at, created_by)
                    VALUES (\(bind: source.id.uuidString), \(bind: source.name), \(bind: source.kind.rawValue), \(bind: source.location),
                        \(bind: source.format), \(bind: source.username), \(bind: secret), \(bind: Self.optionsText(source.options)),
                        \(bind: Int64(source.everySeconds)), \(bind: source.enabled), \(bind: Int64(source.maxBytes)),
                        \(bind: Int64(source.timeoutSeconds)), \(bind: source.state.nextRunAt.map(Millis.init)), 0,
                        \(bind: Millis(source.createdAt)), \(bind: source.createdBy))
                    """
                ).run()
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "feed", value: source.name)
        }
    }

    public func feedSources() async throws -> [FeedSource] {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.feedSourceColumns) FROM feed_sources ORDER BY name").all().map(Self.decodeFeedSource)
        }
    }

    public func feedSource(id: UUID) async throws -> FeedSource? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.feedSourceColumns) FROM feed_sources WHERE id = \(bind: id.uuidString)").first()
                .map(Self.decodeFeedSource)
        }
    }

    public func feedSource(named name: String) async throws -> FeedSource? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.feedSourceColumns) FROM feed_sources WHERE name = \(bind: name)").first()
                .map(Self.decodeFeedSource)
        }
    }

    public func feedSecret(id: UUID) async throws -> String? {
        try await self.withReading { db in
            try await db.raw("SELECT secret FROM feed_sources WHERE id = \(bind: id.uuidString)").first()?.decode(column: "secret", as: String?.self)
        }
    }

    public func setFeedSource(id: UUID, enabled: Bool, nextRunAt: Date?) async throws -> FeedSource? {
        try await self.withTransaction { db in
            try await db.raw(
                "UPDATE feed_sources SET enabled = \(bind: enabled), next_run_at = \(bind: nextRunAt.map(Millis.init)) WHERE id = \(bind: id.uuidString)"
            ).run()
            return try await db.raw("SELECT \(unsafeRaw: Self.feedSourceColumns) FROM feed_sources WHERE id = \(bind: id.uuidString)").first()
                .map(Self.decodeFeedSource)
        }
    }

    public func removeFeedSource(id: UUID) async throws -> Bool {
        try await self.withTransaction { db in
            try await db.raw("DELETE FROM feed_fetches WHERE feed_id = \(bind: id.uuidString)").run()
            return try await db.raw("DELETE FROM feed_sources WHERE id = \(bind: id.uuidString) RETURNING id").first() != nil
        }
    }

    public func dueFeedSources(at date: Date) async throws -> [FeedSource] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.feedSourceColumns) FROM feed_sources
                WHERE enabled = \(bind: true) AND (next_run_at IS NULL OR next_run_at <= \(bind: Millis(date)))
                ORDER BY next_run_at, name
                """
            ).all().map(Self.decodeFeedSource)
        }
    }

    public func leaseFeedSource(id: UUID, owner: String, at date: Date, until: Date) async throws -> Bool {
        try await self.withTransaction { db in
            try await db.raw(
                """
                UPDATE feed_sources SET lease_owner = \(bind: owner), lease_until = \(bind: Millis(until))
                WHERE id = \(bind: id.uuidString) AND (lease_until IS NULL OR lease_until < \(bind: Millis(date)) OR lease_owner = \(bind: owner))
                RETURNING id
                """
            ).first() != nil
        }
    }

    public func finishFeedFetch(_ fetch: FeedFetch, state: FeedSourceState, owner: String) async throws {
        try await self.withTransaction { db in
            try await db.raw(
                """
                INSERT INTO feed_fetches (id, feed_id, started_at, finished_at, outcome, runs, bytes, detail)
                VALUES (\(bind: fetch.id.uuidString), \(bind: fetch.feedID.uuidString), \(bind: Millis(fetch.startedAt)),
                    \(bind: Millis(fetch.finishedAt)), \(bind: fetch.outcome.rawValue), \(bind: fetch.runs.map(\.uuidString).joined(separator: " ")),
                    \(bind: fetch.bytes), \(bind: fetch.detail))
                """
            ).run()
            try await db.raw(
                """
                UPDATE feed_sources SET etag = \(bind: state.etag), last_modified = \(bind: state.lastModified),
                    last_attempt_at = \(bind: state.lastAttemptAt.map(Millis.init)), last_success_at = \(bind: state.lastSuccessAt.map(Millis.init)),
                    last_delivery_at = \(bind: state.lastDeliveryAt.map(Millis.init)), last_error = \(bind: state.lastError),
                    next_run_at = \(bind: state.nextRunAt.map(Millis.init)), failures = \(bind: Int64(state.failures)), cursor = \(bind: state.cursor),
                    lease_owner = NULL, lease_until = NULL
                WHERE id = \(bind: fetch.feedID.uuidString) AND (lease_owner IS NULL OR lease_owner = \(bind: owner))
                """
            ).run()
        }
    }

    public func feedFetches(feedID: UUID, limit: Int) async throws -> [FeedFetch] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT id, feed_id, started_at, finished_at, outcome, runs, bytes, detail FROM feed_fetches
                WHERE feed_id = \(bind: feedID.uuidString) ORDER BY started_at DESC, id LIMIT \(bind: limit)
                """
            ).all().map { row in
                guard let outcome = FeedFetch.Outcome(rawValue: try row.decode(column: "outcome", as: String.self)) else {
                    throw StoreError.corrupt("a feed fetch has an unknown outcome")
                }
                return FeedFetch(
                    id: try Self.uuid(row, "id"), feedID: try Self.uuid(row, "feed_id"), startedAt: try Millis.date(row, "started_at"),
                    finishedAt: try Millis.date(row, "finished_at"), outcome: outcome,
                    runs: try row.decode(column: "runs", as: String.self).split(separator: " ").compactMap { UUID(uuidString: String($0)) },
                    bytes: try row.decode(column: "bytes", as: Int64.self), detail: try row.decode(column: "detail", as: String?.self))
            }
        }
    }

    public func feedSchema(name: String) async throws -> StoredFeedSchema? {
        try await self.withReading { db in
            try await db.raw("SELECT name, revision, content, loaded_at, loaded_by FROM feed_schemas WHERE name = \(bind: name)").first().map { row in
                StoredFeedSchema(
                    name: try row.decode(column: "name", as: String.self), revision: try row.decode(column: "revision", as: String?.self),
                    content: Data(try row.decode(column: "content", as: String.self).utf8), loadedAt: try Millis.date(row, "loaded_at"),
                    loadedBy: try row.decode(column: "loaded_by", as: String?.self))
            }
        }
    }

    public func feedSchemaLoadedAt(name: String) async throws -> Date? {
        try await self.withReading { db in
            guard let row = try await db.raw("SELECT loaded_at FROM feed_schemas WHERE name = \(bind: name)").first() else { return nil }
            return try Millis.date(row, "loaded_at")
        }
    }

    public func saveFeedSchema(_ schema: StoredFeedSchema) async throws {
        let content = String(decoding: schema.content, as: UTF8.self)
        try await self.withTransaction { db in
            try await db.raw("DELETE FROM feed_schemas WHERE name = \(bind: schema.name)").run()
            try await db.raw(
                """
                INSERT INTO feed_schemas (name, revision, content, loaded_at, loaded_by)
                VALUES (\(bind: schema.name), \(bind: schema.revision), \(bind: content), \(bind: Millis(schema.loadedAt)), \(bind: schema.loadedBy))
                """
            ).run()
        }
    }

    public func feedDays(since date: Date) async throws -> [FeedDay] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT feed, started_at / 86400000 AS day, COUNT(*) AS runs, CAST(SUM(lines_read) AS BIGINT) AS read,
                    CAST(SUM(events_stored + duplicates) AS BIGINT) AS events, CAST(SUM(quarantined) AS BIGINT) AS quarantined,
                    MAX(started_at) AS last_started
                FROM ingest_runs WHERE started_at >= \(bind: Millis(date))
                GROUP BY feed, started_at / 86400000 ORDER BY feed, day
                """
            ).all().map { row in
                FeedDay(
                    feed: try row.decode(column: "feed", as: String.self), day: Int(try row.decode(column: "day", as: Int64.self)),
                    runs: Int(try row.decode(column: "runs", as: Int64.self)), read: Int(try row.decode(column: "read", as: Int64.self)),
                    events: Int(try row.decode(column: "events", as: Int64.self)),
                    quarantined: Int(try row.decode(column: "quarantined", as: Int64.self)), lastStartedAt: try Millis.date(row, "last_started"))
            }
        }
    }

    static func optionsText(_ options: [String: String]) -> String {
        JSONValue.object(options.mapValues { .string($0) }).text
    }

    static func decodeFeedSource(_ row: any SQLRow) throws -> FeedSource {
        guard let kind = FeedSource.Kind(rawValue: try row.decode(column: "kind", as: String.self)) else {
            throw StoreError.corrupt("a collected feed has an unknown kind")
        }
        var options: [String: String] = [:]
        if case .object(let object)? = try? JSONReader.parse(try row.decode(column: "options", as: String.self)) {
            for (key, value) in object { if case .string(let text) = value { options[key] = text } }
        }
        let state = FeedSourceState(
            etag: try row.decode(column: "etag", as: String?.self), lastModified: try row.decode(column: "last_modified", as: String?.self),
            lastAttemptAt: try Millis.optionalDate(row, "last_attempt_at"), lastSuccessAt: try Millis.optionalDate(row, "last_success_at"),
            lastDeliveryAt: try Millis.optionalDate(row, "last_delivery_at"), lastError: try row.decode(column: "last_error", as: String?.self),
            nextRunAt: try Millis.optionalDate(row, "next_run_at"), failures: Int(try row.decode(column: "failures", as: Int64.self)),
            cursor: try row.decode(column: "cursor", as: String?.self))
        return FeedSource(
            id: try Self.uuid(row, "id"), name: try row.decode(column: "name", as: String.self), kind: kind,
            location: try row.decode(column: "location", as: String.self), format: try row.decode(column: "format", as: String.self),
            username: try row.decode(column: "username", as: String?.self), hasSecret: try row.decode(column: "has_secret", as: Bool.self),
            options: options, everySeconds: Int(try row.decode(column: "every_seconds", as: Int64.self)),
            enabled: try row.decode(column: "enabled", as: Bool.self), maxBytes: Int(try row.decode(column: "max_bytes", as: Int64.self)),
            timeoutSeconds: Int(try row.decode(column: "timeout_seconds", as: Int64.self)), state: state,
            createdAt: try Millis.date(row, "created_at"), createdBy: try row.decode(column: "created_by", as: String?.self))
    }
}
