extension Migrations {
    /// Feeds: ingest runs, events and the quarantine. Released: never edit, add a new step.
    static let feeds = Migration(
        version: 3, name: "feeds: ingest runs, events, quarantine",
        sqliteFirst: [
            """
            CREATE TABLE events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                dedup_key BLOB NOT NULL, window_start BIGINT NOT NULL, run_id TEXT NOT NULL, feed TEXT NOT NULL,
                time_source BIGINT, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count BIGINT NOT NULL,
                taxonomy TEXT NOT NULL, type TEXT NOT NULL, identifier TEXT, source_ip TEXT, source_key BLOB, source_asn BIGINT, severity TEXT,
                tlp TEXT, organisations TEXT NOT NULL, rule TEXT, data TEXT NOT NULL, raw BLOB)
            """,
            """
            CREATE TABLE quarantine (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id TEXT NOT NULL, line BIGINT NOT NULL, reason TEXT NOT NULL, raw TEXT NOT NULL)
            """,
        ],
        postgresFirst: [
            """
            CREATE TABLE events (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                dedup_key BYTEA NOT NULL, window_start BIGINT NOT NULL, run_id TEXT NOT NULL, feed TEXT NOT NULL,
                time_source BIGINT, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count BIGINT NOT NULL,
                taxonomy TEXT NOT NULL, type TEXT NOT NULL, identifier TEXT, source_ip TEXT, source_key BYTEA, source_asn BIGINT, severity TEXT,
                tlp TEXT, organisations TEXT NOT NULL, rule TEXT, data TEXT NOT NULL, raw BYTEA)
            """,
            """
            CREATE TABLE quarantine (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id TEXT NOT NULL, line BIGINT NOT NULL, reason TEXT NOT NULL, raw TEXT NOT NULL)
            """,
        ],
        common: [
            """
            CREATE TABLE ingest_runs (
                id TEXT PRIMARY KEY, file_name TEXT NOT NULL, file_hash TEXT NOT NULL, format TEXT NOT NULL, feed TEXT NOT NULL,
                started_at BIGINT NOT NULL, finished_at BIGINT,
                lines_read BIGINT NOT NULL, events_stored BIGINT NOT NULL, duplicates BIGINT NOT NULL, quarantined BIGINT NOT NULL,
                checkpoint_line BIGINT NOT NULL, source TEXT NOT NULL, actor TEXT, header TEXT,
                UNIQUE (file_hash, format, feed))
            """,
            "CREATE UNIQUE INDEX events_dedup ON events (dedup_key, window_start)",
            "CREATE INDEX events_time ON events (time_source)",
            "CREATE INDEX events_last_seen ON events (last_seen)",
            "CREATE INDEX events_source_key ON events (source_key)",
            "CREATE INDEX events_source_asn ON events (source_asn)",
            "CREATE INDEX quarantine_run ON quarantine (run_id, line)",
        ])
}

extension Migrations {
    /// Feeds Confianza fetches itself (URL, mailbox, Shadowserver's API), each attempt, and report
    /// schemas a site loaded.
    static let feedSources = Migration(
        version: 12, name: "feeds: collected feeds, their fetches and leases, loaded schemas",
        common: [
            """
            CREATE TABLE feed_sources (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, location TEXT NOT NULL, format TEXT NOT NULL,
                username TEXT, secret TEXT, options TEXT NOT NULL, every_seconds BIGINT NOT NULL, enabled BOOLEAN NOT NULL,
                max_bytes BIGINT NOT NULL, timeout_seconds BIGINT NOT NULL,
                etag TEXT, last_modified TEXT, last_attempt_at BIGINT, last_success_at BIGINT, last_delivery_at BIGINT, last_error TEXT,
                next_run_at BIGINT, failures BIGINT NOT NULL, cursor TEXT,
                lease_owner TEXT, lease_until BIGINT, created_at BIGINT NOT NULL, created_by TEXT)
            """,
            "CREATE INDEX feed_sources_due ON feed_sources (enabled, next_run_at)",
            """
            CREATE TABLE feed_fetches (
                id TEXT PRIMARY KEY, feed_id TEXT NOT NULL REFERENCES feed_sources (id) ON DELETE CASCADE, started_at BIGINT NOT NULL,
                finished_at BIGINT NOT NULL, outcome TEXT NOT NULL, runs TEXT NOT NULL, bytes BIGINT NOT NULL, detail TEXT)
            """,
            "CREATE INDEX feed_fetches_feed ON feed_fetches (feed_id, started_at)",
            """
            CREATE TABLE feed_schemas (
                name TEXT PRIMARY KEY, revision TEXT, content TEXT NOT NULL, loaded_at BIGINT NOT NULL, loaded_by TEXT)
            """,
            "CREATE INDEX ingest_runs_feed_started ON ingest_runs (feed, started_at)",
        ])
}

extension Migrations {
    /// Several processes ingesting on one database: a run is read by one process at a time, under a
    /// lease it renews with every batch; `takeovers` counts the times another process had to finish it.
    static let ingestLeases = Migration(
        version: 13, name: "feeds: ingest run leases",
        common: [
            "ALTER TABLE ingest_runs ADD COLUMN lease_owner TEXT",
            "ALTER TABLE ingest_runs ADD COLUMN lease_until BIGINT",
            "ALTER TABLE ingest_runs ADD COLUMN takeovers BIGINT NOT NULL DEFAULT 0",
        ])
}
