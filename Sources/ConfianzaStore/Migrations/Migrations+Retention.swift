extension Migrations {
    /// Retention: each run of the policy, real or dry. Released: never edit, add a new step.
    static let retention = Migration(
        version: 14, name: "retention: runs of the retention policy",
        common: [
            """
            CREATE TABLE retention_runs (
                id TEXT PRIMARY KEY, at BIGINT NOT NULL, dry_run BOOLEAN NOT NULL, policy TEXT NOT NULL,
                events BIGINT NOT NULL, events_kept BIGINT NOT NULL, quarantine BIGINT NOT NULL, mail_bodies BIGINT NOT NULL,
                seconds DOUBLE PRECISION NOT NULL, actor TEXT)
            """,
            "CREATE INDEX retention_runs_at ON retention_runs (at)",
        ])
}
