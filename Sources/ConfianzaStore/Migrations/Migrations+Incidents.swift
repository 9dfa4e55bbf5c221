extension Migrations {
    /// Incident handling, peers and shares, indicators. Released: never edit, add a new step.
    static let incidents = Migration(
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
        ])
}

extension Migrations {
    /// An incident's organisations in a table of their own (they were a comma-separated column), so that
    /// counts by organisation and by sector are SQL. Existing incidents keep their organisations in order.
    static let incidentOrganisations = Migration(
        version: 6, name: "incidents: organisations in a join table",
        sqliteFirst: [
            """
            WITH RECURSIVE split (incident_id, item, rest, position) AS (
                SELECT id, '', organisations || ',', -1 FROM incidents
                UNION ALL
                SELECT incident_id, substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1), position + 1
                FROM split WHERE rest <> '')
            INSERT INTO incident_organisations (incident_id, organisation_id, position)
            SELECT incident_id, item, MIN(position) FROM split WHERE item <> '' GROUP BY incident_id, item
            """
        ],
        postgresFirst: [
            """
            INSERT INTO incident_organisations (incident_id, organisation_id, position)
            SELECT id, item, MIN(position - 1) FROM incidents,
                unnest(string_to_array(organisations, ',')) WITH ORDINALITY AS parts (item, position)
            WHERE item <> '' GROUP BY id, item
            """
        ],
        common: [
            "ALTER TABLE incidents DROP COLUMN organisations",
            "CREATE INDEX incidents_type ON incidents (type)",
        ],
        commonFirst: [
            """
            CREATE TABLE incident_organisations (
                incident_id TEXT NOT NULL REFERENCES incidents (id), organisation_id TEXT NOT NULL, position INTEGER NOT NULL,
                PRIMARY KEY (incident_id, organisation_id))
            """,
            "CREATE INDEX incident_organisations_organisation ON incident_organisations (organisation_id, incident_id)",
        ])
}

extension Migrations {
    /// Timeline entries keep the key and placeholders of their wording, so pages say them in the reader's
    /// language; the English text stays for the API. Entries recorded before keep only their English.
    static let timelinePhrases = Migration(
        version: 7, name: "incidents: timeline entries keep their wording's key",
        common: [
            "ALTER TABLE incident_timeline ADD COLUMN phrase_key TEXT",
            "ALTER TABLE incident_timeline ADD COLUMN phrase_arguments TEXT",
        ])
}

extension Migrations {
    /// Replies from addresses no notice went to wait here for an analyst.
    static let heldReplies = Migration(
        version: 11, name: "incidents: replies held for an analyst",
        common: [
            """
            CREATE TABLE held_replies (
                id TEXT PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES incidents (id), sender TEXT NOT NULL, subject TEXT NOT NULL,
                body TEXT NOT NULL, received_at BIGINT NOT NULL)
            """,
            "CREATE INDEX held_replies_incident ON held_replies (incident_id, received_at)",
        ])
}
