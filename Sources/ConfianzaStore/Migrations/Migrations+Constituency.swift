extension Migrations {
    /// The constituency: organisations, their contacts and what they own. Released: never edit, add a new step.
    static let constituency = Migration(
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
        ])
}
