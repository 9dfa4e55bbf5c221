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
