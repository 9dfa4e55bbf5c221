extension Migrations {
    /// National capacity assessments: frameworks (every revision kept), assessments, answers, evidence,
    /// review comments, timelines, kept scores, focal points and their invitations. Two older tables
    /// loosen: a user may be a focal point, and the outbox carries mail that is not about an incident.
    /// Released: never edit, add a new step.
    ///
    /// SQLite cannot alter a CHECK or NOT NULL in place, and rebuilding `users` would take the sessions
    /// and tokens that refer to it with it; dropping those constraints changes nothing on disk, so the
    /// stored definitions are edited (SQLite's documented way, ALTER TABLE §7), then checked, and the
    /// tables created after bump the schema version for every connection.
    static let assessment = Migration(
        version: 16, name: "assessment: frameworks, assessments, answers, evidence, reviews, scores, focal points; outbox for any mail",
        sqliteFirst: [
            "PRAGMA writable_schema = ON",
            """
            UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (role IN (''admin'', ''analyst'', ''viewer''))',
                'CHECK (role IN (''admin'', ''analyst'', ''viewer'', ''focal_point''))')
            WHERE type = 'table' AND name = 'users'
            """,
            """
            UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
                'incident_id TEXT NOT NULL REFERENCES incidents (id)', 'incident_id TEXT REFERENCES incidents (id)'),
                'organisation_id TEXT NOT NULL,', 'organisation_id TEXT,'), 'contact_id TEXT NOT NULL,', 'contact_id TEXT,')
            WHERE type = 'table' AND name = 'outbox'
            """,
            "PRAGMA writable_schema = RESET",
            "CREATE TEMP TABLE migration_16_check (ok INTEGER NOT NULL CHECK (ok = 1))",
            """
            INSERT INTO migration_16_check (ok)
            SELECT (SELECT sql FROM sqlite_schema WHERE name = 'users') LIKE '%''focal_point''%'
                AND (SELECT sql FROM sqlite_schema WHERE name = 'outbox') NOT LIKE '%NOT NULL REFERENCES incidents%'
                AND (SELECT sql FROM sqlite_schema WHERE name = 'outbox') NOT LIKE '%contact_id TEXT NOT NULL%'
            """,
            "DROP TABLE migration_16_check",
            """
            CREATE TABLE assessment_timeline (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, assessment_id TEXT NOT NULL REFERENCES assessments (id), at BIGINT NOT NULL,
                actor TEXT NOT NULL, phrase_key TEXT NOT NULL, phrase_arguments TEXT NOT NULL)
            """,
        ],
        postgresFirst: [
            "ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check",
            "ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'analyst', 'viewer', 'focal_point'))",
            "ALTER TABLE outbox ALTER COLUMN incident_id DROP NOT NULL",
            "ALTER TABLE outbox ALTER COLUMN organisation_id DROP NOT NULL",
            "ALTER TABLE outbox ALTER COLUMN contact_id DROP NOT NULL",
            """
            CREATE TABLE assessment_timeline (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, assessment_id TEXT NOT NULL, at BIGINT NOT NULL,
                actor TEXT NOT NULL, phrase_key TEXT NOT NULL, phrase_arguments TEXT NOT NULL)
            """,
        ],
        common: [
            """
            CREATE TABLE assessment_frameworks (
                framework_id TEXT NOT NULL, edition TEXT NOT NULL, revision BIGINT NOT NULL, source TEXT NOT NULL,
                loaded_at BIGINT NOT NULL, loaded_by TEXT NOT NULL, PRIMARY KEY (framework_id, edition, revision))
            """,
            """
            CREATE TABLE assessments (
                id TEXT PRIMARY KEY, framework_id TEXT NOT NULL, edition TEXT NOT NULL, country TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'under-review', 'returned', 'validated')),
                tlp TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, UNIQUE (framework_id, edition, country))
            """,
            "CREATE INDEX assessments_country ON assessments (country)",
            "CREATE INDEX assessment_timeline_assessment ON assessment_timeline (assessment_id, seq)",
            """
            CREATE TABLE assessment_answers (
                assessment_id TEXT NOT NULL REFERENCES assessments (id), question_id TEXT NOT NULL, answer TEXT, note TEXT NOT NULL,
                updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL, PRIMARY KEY (assessment_id, question_id))
            """,
            """
            CREATE TABLE assessment_evidence (
                id TEXT PRIMARY KEY, assessment_id TEXT NOT NULL REFERENCES assessments (id), question_id TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('link', 'document')), url TEXT, filename TEXT, content_type TEXT, size BIGINT NOT NULL,
                sha256 TEXT, content TEXT, added_at BIGINT NOT NULL, added_by TEXT NOT NULL)
            """,
            "CREATE INDEX assessment_evidence_assessment ON assessment_evidence (assessment_id)",
            """
            CREATE TABLE assessment_comments (
                id TEXT PRIMARY KEY, assessment_id TEXT NOT NULL REFERENCES assessments (id), question_id TEXT NOT NULL, body TEXT NOT NULL,
                author TEXT NOT NULL, at BIGINT NOT NULL, resolved_at BIGINT)
            """,
            "CREATE INDEX assessment_comments_assessment ON assessment_comments (assessment_id)",
            """
            CREATE TABLE assessment_scores (
                assessment_id TEXT NOT NULL REFERENCES assessments (id), revision BIGINT NOT NULL, total DOUBLE PRECISION NOT NULL,
                tier TEXT, pillars TEXT NOT NULL, computed_at BIGINT NOT NULL, reason TEXT NOT NULL)
            """,
            "CREATE INDEX assessment_scores_assessment ON assessment_scores (assessment_id, computed_at)",
            "CREATE TABLE focal_points (user_id TEXT PRIMARY KEY REFERENCES users (id), country TEXT NOT NULL)",
            """
            CREATE TABLE focal_point_invitations (
                token_hash TEXT PRIMARY KEY, email TEXT NOT NULL, display_name TEXT NOT NULL, country TEXT NOT NULL, language TEXT NOT NULL,
                created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, created_by TEXT NOT NULL, accepted_at BIGINT, username TEXT)
            """,
        ])
}
