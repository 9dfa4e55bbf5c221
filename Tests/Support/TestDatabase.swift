import ConfianzaCore
import ConfianzaLocales
import ConfianzaStore
import Foundation
import Logging

/// The storage backends a test runs on: SQLite (a temporary file) always, PostgreSQL when
/// `CONFIANZA_TEST_POSTGRES_URL` is set (the test command sets it). There is no third: SQLite is the
/// embedded database, in tests as in production.
public enum TestBackend: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// Every backend available here.
    public static var available: [TestBackend] {
        TestDatabase.postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }
}

public enum TestDatabase {
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["CONFIANZA_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// How long a test waits for PostgreSQL to answer. The production default (10 s) is right for a
    /// server at start, but CI runs every test at once on two cores, where a new connection can wait
    /// behind dozens of migrations; a test should fail on what it checks, not on a busy machine.
    public static let connectTimeout: Duration = .seconds(90)

    /// At most this many PostgreSQL test databases are created, migrated or dropped at once, so that
    /// a burst of parallel tests does not queue hundreds of catalogue writes on the server together.
    static let setUpGate = AsyncSemaphore(permits: 4)

    public static let logger: Logger = {
        var logger = Logger(label: "confianza.test")
        logger.logLevel = .warning
        return logger
    }()

    /// A fresh, migrated, empty store on `backend`, removed after `body`.
    public static func withStore<T>(_ backend: TestBackend, _ body: (any Store) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            return try await Self.withEmptyLocation(.sqlite) { location in
                let store = try await SQLStore.open(location, logger: Self.logger)
                return try await store.withRunning { try await body($0) }
            }
        case .postgres:
            return try await Self.withPostgresDatabase { location in
                let store = try await SQLStore.open(location, logger: Self.logger)
                return try await store.withRunning(connectTimeout: Self.connectTimeout, migrate: false) { store in
                    _ = try await Self.setUpGate.run { try await store.migrate() }
                    return try await body(store)
                }
            }
        }
    }

    /// Where a fresh database is made on `backend`: nothing in it, not migrated (for tests of the
    /// migration steps, or of two stores on one database). Removed after `body`.
    public static func withEmptyLocation<T>(_ backend: TestBackend, _ body: (DatabaseLocation) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try await body(.sqlite(path: directory.appendingPathComponent("test.db").path))
        case .postgres:
            return try await Self.withPostgresDatabase(body)
        }
    }

    /// A fresh, empty PostgreSQL database (not migrated), dropped after `body`.
    public static func withPostgresDatabase<T>(_ body: (DatabaseLocation) async throws -> T) async throws -> T {
        guard let url = Self.postgresURL, case .postgres(let admin) = try DatabaseLocation.parse(url) else {
            throw StoreError.invalidConfiguration("CONFIANZA_TEST_POSTGRES_URL is not set to a postgres:// URL")
        }
        let name = "confianza_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await Self.setUpGate.run {
            try await SQLStore.createPostgresDatabase(named: name, on: admin, connectTimeout: Self.connectTimeout, logger: Self.logger)
        }
        var settings = admin
        settings.database = name
        let drop: @Sendable () async throws -> Void = {
            try await Self.setUpGate.run {
                try await SQLStore.dropPostgresDatabase(named: name, on: admin, connectTimeout: Self.connectTimeout, logger: Self.logger)
            }
        }
        do {
            let result = try await body(.postgres(settings))
            try await drop()
            return result
        } catch {
            try? await drop()
            throw error
        }
    }
}

/// The bundled locale files, read once for the whole test process.
public enum TestTexts {
    public static let catalogue: TextCatalogue = {
        do { return try LocaleFiles.load() } catch { fatalError("the bundled locale files do not load: \(error)") }
    }()
}
