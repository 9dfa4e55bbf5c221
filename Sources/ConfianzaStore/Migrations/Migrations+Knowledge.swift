extension Migrations {
    /// The knowledge base: each record kept whole (its file form, so it reads back exactly) beside the
    /// columns that list, filter and search it. The searched terms are made by the application
    /// (`SearchTerms`); SQLite indexes them with FTS5, PostgreSQL with a GIN index on a `simple` tsvector,
    /// so both match the same way. Released: never edit, add a new step.
    static let knowledge = Migration(
        version: 18, name: "knowledge: initiatives, case studies, agreements, full-text index",
        common: [
            """
            CREATE TABLE knowledge_items (
                kind TEXT NOT NULL CHECK (kind IN ('initiative', 'case-study', 'agreement')), id TEXT NOT NULL, tlp TEXT NOT NULL, title TEXT NOT NULL,
                body_text TEXT NOT NULL, level TEXT, region TEXT, countries TEXT NOT NULL, pillars TEXT NOT NULL, status TEXT, terms TEXT NOT NULL,
                record TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL, PRIMARY KEY (kind, id))
            """,
            "CREATE INDEX knowledge_items_tlp ON knowledge_items (tlp, kind, title)",
            "CREATE INDEX knowledge_items_created ON knowledge_items (created_at)",
        ],
        sqlite: [
            "CREATE VIRTUAL TABLE knowledge_fts USING fts5(terms, kind UNINDEXED, item_id UNINDEXED, tokenize = 'unicode61')",
        ],
        postgres: [
            "ALTER TABLE knowledge_items ADD COLUMN terms_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
            "CREATE INDEX knowledge_items_terms ON knowledge_items USING GIN (terms_vector)",
        ])
}

extension Migrations {
    /// A counter every change to the knowledge base raises in its transaction, so that a process keeps
    /// the base it read (parsed and checked) until it changes (issue 19: the agreements network read and
    /// checked every record on every view).
    static let knowledgeRevision = Migration(
        version: 25, name: "knowledge: a revision raised by every change",
        common: [
            "CREATE TABLE knowledge_revision (id INTEGER PRIMARY KEY, revision BIGINT NOT NULL)",
            "INSERT INTO knowledge_revision (id, revision) VALUES (1, 0)",
        ])
}
