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

/// Every step, in order. Each module's steps live in `Migrations/Migrations+<Module>.swift`; a new module
/// (or a change to one) adds a step at the end with the next version.
enum Migrations {
    static let all: [Migration] = [
        Self.accounts, Self.constituency, Self.feeds, Self.incidents, Self.taxii, Self.incidentOrganisations, Self.timelinePhrases, Self.taxiiLineage,
        Self.loginAttempts, Self.credentialEpoch, Self.heldReplies, Self.feedSources, Self.ingestLeases, Self.retention, Self.eventPartitions,
        Self.assessment, Self.risk, Self.knowledge, Self.reports, Self.scale, Self.incidentCountIndexes,
        Self.incidentTallies, Self.eventDayBounds, Self.durationIndexColumns, Self.knowledgeRevision,
    ]

    static var latest: Int { Self.all.last?.version ?? 0 }
}
