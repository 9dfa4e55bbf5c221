import ConfianzaCore
import Foundation
import Logging
import SQLKit

extension SQLStore {
    /// The newest schema version this program knows.
    public static var latestSchemaVersion: Int { Migrations.latest }

    /// The schema version the database is at (0 for an empty database).
    public func schemaVersion() async throws -> Int {
        try await self.withDatabase { db in
            try await Self.createVersionTable(db)
            return try await Self.currentVersion(db)
        }
    }

    /// Brings the schema up to date, one version per transaction. Several processes may start at once:
    /// PostgreSQL serialises them with an advisory lock, SQLite with its write lock.
    ///
    /// - Returns: the versions applied now (empty when the schema was current).
    /// - Throws: ``StoreError/schemaTooNew(found:supported:)`` when a newer Confianza wrote the database;
    ///   ``StoreError/migrationFailed(version:reason:)`` when a step fails (that step is rolled back).
    @discardableResult
    public func migrate() async throws -> [Int] {
        let applied = try await self.migrate(upTo: Migrations.latest)
        try await self.boundEventDays()
        return applied
    }

    /// Applies the steps up to `version` only (tests use it to build a database as an older release left it).
    func migrate(upTo version: Int) async throws -> [Int] {
        try await self.withDatabase { db in
            if !self.isSQLite { try await db.raw("SELECT pg_advisory_lock(\(unsafeRaw: Self.migrationLockKey))").run() }
            do {
                let applied = try await self.migrateLocked(db, upTo: version)
                if !self.isSQLite { try await db.raw("SELECT pg_advisory_unlock(\(unsafeRaw: Self.migrationLockKey))").run() }
                return applied
            } catch {
                if !self.isSQLite { try? await db.raw("SELECT pg_advisory_unlock(\(unsafeRaw: Self.migrationLockKey))").run() }
                throw error
            }
        }
    }

    /// An arbitrary constant naming Confianza's migration lock.
    private static let migrationLockKey = "7438291"

    private func migrateLocked(_ db: any SQLDatabase, upTo version: Int) async throws -> [Int] {
        try await Self.createVersionTable(db)
        let current = try await Self.currentVersion(db)
        if current > Migrations.latest { throw StoreError.schemaTooNew(found: current, supported: Migrations.latest) }
        var applied: [Int] = []
        for migration in Migrations.all where migration.version > current && migration.version <= version {
            try await db.raw(self.isSQLite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            do {
                // Another process may have applied it since we looked.
                if try await Self.currentVersion(db) >= migration.version {
                    try await db.raw("COMMIT").run()
                    continue
                }
                for statement in self.isSQLite ? migration.sqlite : migration.postgres {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.raw(
                    """
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Millis(Date())))
                    """
                ).run()
                try await db.raw("COMMIT").run()
                applied.append(migration.version)
                self.logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw StoreError.migrationFailed(version: migration.version, reason: Self.describe(error))
            }
        }
        return applied
    }

    private static func createVersionTable(_ db: any SQLDatabase) async throws {
        try await db.raw(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        ).run()
    }

    private static func currentVersion(_ db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").first()?.decode(column: "v", as: Int.self) ?? 0
    }
}

extension SQLStore {
    /// Creates an empty PostgreSQL database on the server that `settings` points at (for tests and set-up).
    public static func createPostgresDatabase(
        named name: String, on settings: PostgresSettings, connectTimeout: Duration = .seconds(10), logger: Logger
    ) async throws {
        try Self.checkDatabaseName(name)
        let admin = try await SQLStore.open(.postgres(settings), logger: logger)
        try await admin.withRunning(connectTimeout: connectTimeout, migrate: false) { store in
            try await store.withDatabase { db in try await db.raw("CREATE DATABASE \(ident: name)").run() }
        }
    }

    /// Drops a PostgreSQL database, ending its connections first.
    public static func dropPostgresDatabase(
        named name: String, on settings: PostgresSettings, connectTimeout: Duration = .seconds(10), logger: Logger
    ) async throws {
        try Self.checkDatabaseName(name)
        let admin = try await SQLStore.open(.postgres(settings), logger: logger)
        try await admin.withRunning(connectTimeout: connectTimeout, migrate: false) { store in
            try await store.withDatabase { db in try await db.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run() }
        }
    }

    private static func checkDatabaseName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw StoreError.invalidConfiguration("database name '\(name)' must be 1 to 63 ASCII letters, digits or '_'")
        }
    }
}

extension SQLStore {
    /// A value of this installation's settings (for example what made the database), or `nil`.
    public func instanceSetting(_ key: String) async throws -> String? {
        try await self.withDatabase { db in
            try await db.raw("SELECT value FROM instance_settings WHERE key = \(bind: key)").first()?.decode(column: "value", as: String.self)
        }
    }

    public func setInstanceSetting(_ key: String, to value: String) async throws {
        try await self.withTransaction { db in
            try await db.raw("DELETE FROM instance_settings WHERE key = \(bind: key)").run()
            try await db.raw("INSERT INTO instance_settings (key, value) VALUES (\(bind: key), \(bind: value))").run()
        }
    }
}
