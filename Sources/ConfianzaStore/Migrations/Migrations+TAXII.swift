extension Migrations {
    /// Sharing: TAXII collections, peers' rights and tokens, STIX objects. Released: never edit, add a new step.
    static let taxii = Migration(
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
        ])
}

extension Migrations {
    /// Versions belong to their source. A peer's version of an object another source put here first
    /// becomes the sender's own copy (`private_to`), which only the sender reads. `is_latest` now means
    /// the newest of its line (the shared one, or one sender's own copies). Rows already held are sorted
    /// the same way: the source of an id's first row is its creator.
    static let taxiiLineage = Migration(
        version: 8, name: "TAXII: versions belong to their source (a peer's copy of another's object is its own)",
        common: [
            "ALTER TABLE stix_objects ADD COLUMN private_to TEXT NOT NULL DEFAULT ''",
            """
            UPDATE stix_objects SET private_to = source_peer
            WHERE source_peer <> '' AND source_peer <> (SELECT f.source_peer FROM stix_objects f WHERE f.id = stix_objects.id ORDER BY f.date_added LIMIT 1)
            """,
            "CREATE INDEX stix_objects_lineage ON stix_objects (id, private_to, version)",
            """
            UPDATE stix_objects SET is_latest = CASE WHEN version = (
                SELECT MAX(v.version) FROM stix_objects v WHERE v.id = stix_objects.id AND v.private_to = stix_objects.private_to) THEN 1 ELSE 0 END
            """,
        ])
}
