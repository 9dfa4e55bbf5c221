/// The schema, as versioned steps shared by SQLite and PostgreSQL. A step is never edited once released:
/// changes come as new steps. Where the dialects differ, each has its own statements.
struct Migration: Sendable {
    let version: Int
    let name: String
    let sqlite: [String]
    let postgres: [String]

    init(version: Int, name: String, common: [String], sqlite: [String] = [], postgres: [String] = []) {
        self.version = version
        self.name = name
        self.sqlite = common + sqlite
        self.postgres = common + postgres
    }

    init(version: Int, name: String, sqliteFirst: [String], postgresFirst: [String], common: [String], commonFirst: [String] = []) {
        self.version = version
        self.name = name
        self.sqlite = commonFirst + sqliteFirst + common
        self.postgres = commonFirst + postgresFirst + common
    }
}

enum Migrations {
    static let all: [Migration] = [
        Migration(
            version: 1, name: "accounts, sessions, API tokens, login throttling, audit log, instance settings",
            sqliteFirst: [
                """
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    at BIGINT NOT NULL, actor TEXT, action TEXT NOT NULL, target TEXT, address TEXT, detail TEXT)
                """,
                """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
                """
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
            ],
            postgresFirst: [
                """
                CREATE TABLE audit_log (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at BIGINT NOT NULL, actor TEXT, action TEXT NOT NULL, target TEXT, address TEXT, detail TEXT)
                """,
                """
                CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$
                """,
                """
                CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
                """,
                """
                CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
                """,
            ],
            common: [
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    username TEXT NOT NULL UNIQUE,
                    display_name TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
                    password_hash TEXT NOT NULL,
                    language TEXT,
                    disabled BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at BIGINT NOT NULL,
                    password_changed_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    address TEXT NOT NULL)
                """,
                "CREATE INDEX sessions_user ON sessions (user_id)",
                "CREATE INDEX sessions_expiry ON sessions (expires_at)",
                """
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    prefix TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT,
                    revoked_at BIGINT)
                """,
                "CREATE INDEX api_tokens_user ON api_tokens (user_id)",
                "CREATE TABLE login_failures (key TEXT NOT NULL, at BIGINT NOT NULL)",
                "CREATE TABLE instance_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE INDEX login_failures_key_at ON login_failures (key, at)",
            ]),
        Migration(
            version: 2, name: "constituency: organisations, contacts, assets",
            common: [
                """
                CREATE TABLE organisations (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    name_key TEXT NOT NULL UNIQUE,
                    sector TEXT NOT NULL,
                    country TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    notes TEXT NOT NULL,
                    tlp_ceiling TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE contacts (
                    id TEXT PRIMARY KEY,
                    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    email TEXT NOT NULL,
                    language TEXT NOT NULL,
                    role TEXT NOT NULL,
                    pgp_key TEXT,
                    frequency TEXT NOT NULL,
                    minimum_severity TEXT NOT NULL,
                    classification_types TEXT NOT NULL,
                    feeds TEXT NOT NULL,
                    UNIQUE (organisation_id, email))
                """,
                """
                CREATE TABLE assets (
                    id TEXT PRIMARY KEY,
                    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('prefix', 'asn', 'domain', 'country')),
                    value TEXT NOT NULL,
                    note TEXT NOT NULL,
                    UNIQUE (organisation_id, kind, value))
                """,
                "CREATE INDEX assets_kind_value ON assets (kind, value)",
                "CREATE TABLE constituency_revision (id BIGINT PRIMARY KEY, revision BIGINT NOT NULL)",
                "INSERT INTO constituency_revision (id, revision) VALUES (1, 0)",
            ]),
        Migration(
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
            ]),
        Migration(
            version: 4, name: "incidents: incidents, their events, timeline and tasks, the outbox, peers and shares; indicators and their sightings",
            sqliteFirst: [
                """
                CREATE TABLE incident_timeline (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    incident_id TEXT NOT NULL REFERENCES incidents (id), at BIGINT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL,
                    detail TEXT NOT NULL)
                """,
                """
                CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON incident_timeline
                BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END
                """,
                """
                CREATE TRIGGER incident_timeline_no_delete BEFORE DELETE ON incident_timeline
                BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END
                """,
            ],
            postgresFirst: [
                """
                CREATE TABLE incident_timeline (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    incident_id TEXT NOT NULL REFERENCES incidents (id), at BIGINT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL,
                    detail TEXT NOT NULL)
                """,
                """
                CREATE FUNCTION incident_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'incident_timeline is append-only'; END $$
                """,
                """
                CREATE TRIGGER incident_timeline_no_change BEFORE UPDATE OR DELETE ON incident_timeline
                FOR EACH ROW EXECUTE FUNCTION incident_timeline_append_only()
                """,
                """
                CREATE TRIGGER incident_timeline_no_truncate BEFORE TRUNCATE ON incident_timeline
                FOR EACH STATEMENT EXECUTE FUNCTION incident_timeline_append_only()
                """,
            ],
            common: [
                "CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, seq)",
                """
                CREATE TABLE incident_events (
                    event_id BIGINT PRIMARY KEY REFERENCES events (id), incident_id TEXT NOT NULL REFERENCES incidents (id))
                """,
                "CREATE INDEX incident_events_incident ON incident_events (incident_id)",
                """
                CREATE TABLE incident_tasks (
                    id TEXT PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES incidents (id), title TEXT NOT NULL, assignee TEXT,
                    done BOOLEAN NOT NULL, created_at BIGINT NOT NULL)
                """,
                "CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id)",
                """
                CREATE TABLE outbox (
                    id TEXT PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES incidents (id), organisation_id TEXT NOT NULL,
                    contact_id TEXT NOT NULL, recipient TEXT NOT NULL, language TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
                    attachment_name TEXT NOT NULL, attachment TEXT NOT NULL, created_at BIGINT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'uncertain')),
                    attempts BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL, last_error TEXT, sent_at BIGINT)
                """,
                "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
                "CREATE INDEX outbox_incident ON outbox (incident_id)",
                """
                CREATE TABLE peers (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL UNIQUE, country TEXT NOT NULL, contact TEXT NOT NULL,
                    tlp_ceiling TEXT NOT NULL, taxii_url TEXT, taxii_collection TEXT, taxii_username TEXT, taxii_secret TEXT, created_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE shares (
                    id TEXT PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES incidents (id), peer_id TEXT NOT NULL REFERENCES peers (id),
                    tlp TEXT NOT NULL, summary TEXT NOT NULL, content TEXT NOT NULL, actor TEXT NOT NULL, at BIGINT NOT NULL)
                """,
                "CREATE INDEX shares_incident ON shares (incident_id)",
                """
                CREATE TABLE incident_links (
                    a TEXT NOT NULL REFERENCES incidents (id), b TEXT NOT NULL REFERENCES incidents (id), PRIMARY KEY (a, b))
                """,
                "CREATE INDEX incident_links_b ON incident_links (b)",
                "CREATE TABLE digest_cursors (contact_id TEXT PRIMARY KEY, covered_until BIGINT NOT NULL)",
                """
                CREATE TABLE indicators (
                    id TEXT PRIMARY KEY, version TEXT NOT NULL, name TEXT NOT NULL, pattern TEXT NOT NULL, pattern_type TEXT NOT NULL, address TEXT,
                    valid_from BIGINT NOT NULL, valid_until BIGINT, revoked BOOLEAN NOT NULL, tlp TEXT NOT NULL, source TEXT NOT NULL,
                    imported_at BIGINT NOT NULL)
                """,
                "CREATE INDEX indicators_address ON indicators (address)",
                """
                CREATE TABLE indicator_sightings (
                    event_id BIGINT NOT NULL REFERENCES events (id), indicator_id TEXT NOT NULL REFERENCES indicators (id), at BIGINT NOT NULL,
                    PRIMARY KEY (event_id, indicator_id))
                """,
                "CREATE INDEX indicator_sightings_indicator ON indicator_sightings (indicator_id)",
                "CREATE INDEX events_run ON events (run_id, id)",
            ],
            commonFirst: [
                """
                CREATE TABLE incidents (
                    id TEXT PRIMARY KEY, number BIGINT NOT NULL UNIQUE, title TEXT NOT NULL, taxonomy TEXT NOT NULL, type TEXT NOT NULL,
                    severity TEXT NOT NULL, tlp TEXT NOT NULL, pap TEXT NOT NULL, organisations TEXT NOT NULL, assignee TEXT,
                    status TEXT NOT NULL CHECK (status IN ('new', 'triaged', 'in-progress', 'waiting', 'resolved', 'closed')),
                    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, triage_due BIGINT NOT NULL, resolve_due BIGINT NOT NULL,
                    triaged_at BIGINT, resolved_at BIGINT, closed_at BIGINT, group_key TEXT, event_count BIGINT NOT NULL)
                """,
                "CREATE INDEX incidents_status ON incidents (status, created_at)",
                "CREATE INDEX incidents_group ON incidents (group_key)",
            ]),
        Migration(
            version: 5, name: "TAXII 2.1: collections, peers' rights and tokens, STIX objects, add statuses",
            // SQLite: date_added is the rowid, so the table is kept in the order every page reads it.
            // Each sender's copy of an object is its own row (source_peer '' for ours): a peer can neither
            // overwrite ours nor learn, by sending an id, whether we hold it.
            sqliteFirst: [
                """
                CREATE TABLE stix_objects (
                    date_added INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, spec_version TEXT NOT NULL, version BIGINT NOT NULL,
                    version_text TEXT NOT NULL, tlp_rank SMALLINT NOT NULL, source_peer TEXT NOT NULL, is_latest SMALLINT NOT NULL, json TEXT NOT NULL,
                    UNIQUE (id, version, source_peer))
                """
            ],
            postgresFirst: [
                """
                CREATE TABLE stix_objects (
                    date_added BIGINT PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, spec_version TEXT NOT NULL, version BIGINT NOT NULL,
                    version_text TEXT NOT NULL, tlp_rank SMALLINT NOT NULL, source_peer TEXT NOT NULL, is_latest SMALLINT NOT NULL, json TEXT NOT NULL,
                    UNIQUE (id, version, source_peer))
                """
            ],
            common: [
                """
                CREATE TABLE taxii_collections (
                    id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, alias TEXT UNIQUE, tlp TEXT NOT NULL, created_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE taxii_grants (
                    collection_id TEXT NOT NULL REFERENCES taxii_collections (id), peer_id TEXT NOT NULL REFERENCES peers (id),
                    can_read SMALLINT NOT NULL, can_write SMALLINT NOT NULL, PRIMARY KEY (collection_id, peer_id))
                """,
                "CREATE INDEX taxii_grants_peer ON taxii_grants (peer_id)",
                """
                CREATE TABLE peer_tokens (
                    hash TEXT PRIMARY KEY, peer_id TEXT NOT NULL REFERENCES peers (id), prefix TEXT NOT NULL, created_at BIGINT NOT NULL,
                    revoked_at BIGINT)
                """,
                "CREATE INDEX peer_tokens_peer ON peer_tokens (peer_id)",
                "CREATE INDEX stix_objects_type ON stix_objects (type, date_added)",
                """
                CREATE TABLE taxii_statuses (
                    id TEXT PRIMARY KEY, collection_id TEXT NOT NULL, requester TEXT NOT NULL, request_timestamp BIGINT NOT NULL,
                    successes TEXT NOT NULL, failures TEXT NOT NULL)
                """,
                "CREATE INDEX taxii_statuses_time ON taxii_statuses (request_timestamp)",
                "CREATE TABLE taxii_pull_checkpoints (source TEXT PRIMARY KEY, added_after TEXT NOT NULL, updated_at BIGINT NOT NULL)",
                // Indicators on domain names and URLs, matched against events' source.fqdn and source.url.
                "ALTER TABLE indicators ADD COLUMN domain TEXT",
                "ALTER TABLE indicators ADD COLUMN url TEXT",
                "CREATE INDEX indicators_domain ON indicators (domain)",
                "CREATE INDEX indicators_url ON indicators (url)",
            ]),
    ]

    static var latest: Int { Self.all.last?.version ?? 0 }
}
