extension Migrations {
    /// Accounts, sessions, API tokens, login throttling, the audit log. Released: never edit, add a new step.
    static let accounts = Migration(
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
        ])
}

extension Migrations {
    /// Each sign-in attempt is counted before its password is checked, with an id, so that a success
    /// takes back exactly its own attempt.
    static let loginAttempts = Migration(
        version: 9, name: "accounts: sign-in attempts are counted with an id",
        common: ["ALTER TABLE login_failures ADD COLUMN attempt TEXT"])
}

extension Migrations {
    /// A counter every process moves on when a credential or right changes, so that a server's cache of
    /// TAXII credentials learns of a user disabled or a token revoked from the command line.
    static let credentialEpoch = Migration(
        version: 10, name: "accounts: a credential epoch for caches of credentials",
        common: ["CREATE TABLE credential_epoch (id SMALLINT PRIMARY KEY, epoch BIGINT NOT NULL)", "INSERT INTO credential_epoch (id, epoch) VALUES (1, 0)"])
}
