import ConfianzaCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// The ``Store`` on SQL: one implementation, two databases. SQLite is one file and one connection used
/// in turn; PostgreSQL is a pool of connections that several Confianza processes may share.
///
/// Open it with ``open(_:logger:)``, then do all work inside ``withRunning(connectTimeout:migrate:_:)``,
/// which checks the database answers, brings the schema up to date, and closes everything afterwards.
public final class SQLStore: Store, Sendable {
    enum Backend: Sendable {
        case sqlite(SQLiteConnection, AsyncSemaphore)
        case postgres(PostgresClient, PostgresSettings)
    }

    public let location: DatabaseLocation
    let backend: Backend
    let logger: Logger
    private let usage = Mutex<(inUse: Int, waiting: Int)>((0, 0))
    private let closed = Mutex(false)
    /// SQLite: read-only connections beside the writer, so that reads (TAXII pages) run in parallel
    /// with each other and with writes (WAL lets readers see the last commit). Opened on first use.
    private let openReaders = Mutex<[SQLiteConnection]>([])
    private let readerTurn = Atomic<Int>(0)
    /// What this store knows of the events' day tables (see `SQLStore+EventPartitions.swift`).
    let eventLayout = Mutex<EventLayout>(EventLayout())
    /// The knowledge base as last read, per edition (all, or CLEAR only), with the revision it was read at
    /// (see `SQLStore+Knowledge.swift`).
    let knowledgeRead = Mutex<[Bool: (revision: Int64, base: KnowledgeBase)]>([:])
    /// Credential changes made through this store object (see ``credentialChangesHere``).
    let localCredentialChanges = Atomic<Int64>(0)
    static let readerCount = 2

    /// SQLite: connections read through the C API on the calling thread (TAXII pages).
    let direct: DirectSQLiteReaders?

    private init(location: DatabaseLocation, backend: Backend, logger: Logger) {
        self.location = location
        self.backend = backend
        self.logger = logger
        if case .sqlite(let path) = location { self.direct = DirectSQLiteReaders(path: path) } else { self.direct = nil }
    }

    var isSQLite: Bool {
        if case .sqlite = self.backend { return true }
        return false
    }

    // MARK: opening

    /// Opens the database. An SQLite file is created when missing; PostgreSQL is not contacted until
    /// ``withRunning(connectTimeout:migrate:_:)``.
    ///
    /// SQLite's calls run on `threadPool` (the process's shared pool unless another is given: a test that
    /// stands two stores for two processes gives each its own, as two processes would have).
    ///
    /// - Throws: ``StoreError/unavailable(_:)`` when the SQLite file cannot be created or opened.
    public static func open(_ location: DatabaseLocation, logger: Logger, threadPool: NIOThreadPool = .singleton) async throws -> SQLStore {
        switch location {
        case .sqlite(let path):
            return try await Self.openSQLite(path: path, location: location, logger: logger, threadPool: threadPool)
        case .postgres(let settings):
            var configuration = PostgresClient.Configuration(
                host: settings.host, port: settings.port, username: settings.username, password: settings.password,
                database: settings.database, tls: try Self.clientTLS(settings.tls))
            configuration.options.maximumConnections = settings.maximumConnections
            configuration.options.minimumConnections = 0
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            return SQLStore(location: location, backend: .postgres(client, settings), logger: logger)
        }
    }

    private static func openSQLite(path: String, location: DatabaseLocation, logger: Logger, threadPool: NIOThreadPool) async throws -> SQLStore {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError.unavailable("cannot create \(path): folder \(directory) does not exist")
        }
        if FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw StoreError.unavailable("cannot write \(path): permission denied")
            }
        } else if !FileManager.default.isWritableFile(atPath: directory) {
            throw StoreError.unavailable("cannot create \(path): folder \(directory) is not writable")
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threadPool, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            throw StoreError.unavailable("cannot open \(path): \(error)")
        }
        let store = SQLStore(location: location, backend: .sqlite(connection, AsyncSemaphore(permits: 1)), logger: logger)
        do {
            try await store.withDatabase { db in
                let mode = try await db.raw("PRAGMA journal_mode = WAL").first()?.decode(column: "journal_mode", as: String.self)
                guard mode?.lowercased() == "wal" else {
                    throw StoreError.unavailable("cannot switch \(path) to WAL mode (got \(mode ?? "nothing"))")
                }
                try await db.raw("PRAGMA foreign_keys = ON").run()
                try await db.raw("PRAGMA busy_timeout = 5000").run()
                try await db.raw("PRAGMA synchronous = NORMAL").run()
                // Statement journals and sorts in memory: bulk inserts otherwise write them to temporary files.
                try await db.raw("PRAGMA temp_store = MEMORY").run()
                try await db.raw("PRAGMA cache_size = -16384").run()
                try await db.raw("PRAGMA wal_autocheckpoint = 4096").run()
            }
        } catch let error as StoreError {
            await store.close()
            throw error
        } catch {
            await store.close()
            throw StoreError.unavailable("\(path) is not a usable SQLite database: \(Self.describe(error))")
        }
        return store
    }

    private static func clientTLS(_ mode: PostgresSettings.TLSMode) throws -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    // MARK: running

    /// Runs `body` with the store live: the PostgreSQL pool running, the database checked within
    /// `connectTimeout`, and (by default) the schema migrated. Closes the store when `body` ends.
    ///
    /// - Throws: ``StoreError/unavailable(_:)`` when the database does not answer in time,
    ///   ``StoreError/schemaTooNew(found:supported:)`` when it was written by a newer Confianza.
    public func withRunning<T>(
        connectTimeout: Duration = .seconds(10), migrate: Bool = true, _ body: (SQLStore) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            if case .postgres(let client, _) = self.backend {
                group.addTask { await client.run() }
            }
            do {
                try await self.checkReachable(timeout: connectTimeout)
                if migrate { try await self.migrate() }
                let result = try await body(self)
                group.cancelAll()
                await self.close()
                return result
            } catch {
                group.cancelAll()
                await self.close()
                throw error
            }
        }
    }

    /// Closes the SQLite connection. (The PostgreSQL pool stops when its `run()` is cancelled.)
    public func close() async {
        let wasClosed = self.closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed, case .sqlite(let connection, _) = self.backend else { return }
        self.direct?.close()
        for reader in self.openReaders.withLock({ $0 }) {
            let closing: EventLoopFuture<Void> = reader.close()
            try? await closing.get()
        }
        // The future-returning close, not the async one: that one does nothing when the task is cancelled.
        let future: EventLoopFuture<Void> = connection.close()
        try? await future.get()
    }

    private func checkReachable(timeout: Duration) async throws {
        guard case .postgres(_, let settings) = self.backend else { return try await self.ping() }
        // One direct connection first: its error says why (refused, bad password, no such database),
        // where the pool would retry quietly for a minute.
        let configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: try Self.connectionTLS(settings.tls))
        let logger = self.logger
        try await withDeadline(timeout, what: "\(settings.host):\(settings.port)") {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try await connection.close()
            } catch {
                throw StoreError.unavailable("cannot reach \(settings.description): \(Self.describe(error))")
            }
        }
        try await withDeadline(timeout, what: "\(settings.host):\(settings.port)") { try await self.ping() }
    }

    private static func connectionTLS(_ mode: PostgresSettings.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: return .disable
        case .prefer: return .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    // MARK: Store

    public func ping() async throws {
        do {
            try await self.withDatabase { db in try await db.raw("SELECT 1 AS one").run() }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable(Self.describe(error))
        }
    }

    public func statistics() async -> StoreStatistics {
        let (inUse, waiting) = self.usage.withLock { $0 }
        switch self.backend {
        case .sqlite: return StoreStatistics(backend: "sqlite", poolSize: 1, inUse: inUse, waiting: waiting)
        case .postgres(_, let settings):
            return StoreStatistics(backend: "postgres", poolSize: settings.maximumConnections, inUse: inUse, waiting: waiting)
        }
    }

    // MARK: connections

    /// Runs `body` on one connection, held for the whole call.
    func withDatabase<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.withConnection { db, _ in try await body(db) }
    }

    /// ``withDatabase(_:)`` that also hands over PostgreSQL's connection itself (for `COPY`; `nil` on SQLite).
    func withConnection<T>(_ body: (any SQLDatabase, PostgresConnection?) async throws -> T) async throws -> T {
        self.usage.withLock { $0.waiting += 1 }
        switch self.backend {
        case .sqlite(let connection, let lock):
            await lock.acquire()
            self.usage.withLock {
                $0.waiting -= 1
                $0.inUse += 1
            }
            defer { self.usage.withLock { $0.inUse -= 1 } }
            do {
                let result = try await body(connection.sql(), nil)
                await lock.release()
                return result
            } catch {
                await lock.release()
                throw error
            }
        case .postgres(let client, _):
            var leased = false
            defer {
                self.usage.withLock {
                    if leased { $0.inUse -= 1 } else { $0.waiting -= 1 }
                }
            }
            return try await client.withConnection { connection in
                self.usage.withLock {
                    $0.waiting -= 1
                    $0.inUse += 1
                }
                leased = true
                return try await body(connection.sql(), connection)
            }
        }
    }

    /// Runs a read on one of SQLite's read-only connections (PostgreSQL: a pooled one). Only for
    /// statements that change nothing. The readers are used in turn without a lock of ours: SQLite is
    /// built serialized (`SQLITE_THREADSAFE=1`, `SQLITE_OPEN_FULLMUTEX`), so two reads on one reader
    /// simply wait for each other there.
    func withReader<T>(_ body: (any SQLDatabase, SQLiteConnection?) async throws -> T) async throws -> T {
        guard case .sqlite = self.backend, case .sqlite(let path) = self.location, path != ":memory:" else {
            return try await self.withDatabase { db in
                if case .sqlite(let connection, _) = self.backend { return try await body(db, connection) }
                return try await body(db, nil)
            }
        }
        let turn = self.readerTurn.add(1, ordering: .relaxed).oldValue
        var reader = self.openReaders.withLock { readers in readers.count == Self.readerCount ? readers[turn % Self.readerCount] : nil }
        if reader == nil {
            let connection: SQLiteConnection
            do {
                connection = try await SQLiteConnection.open(storage: .file(path: path), logger: self.logger)
            } catch {
                throw StoreError.unavailable("cannot open a reader on \(path): \(Self.describe(error))")
            }
            do {
                _ = try await connection.query("PRAGMA query_only = ON")
                _ = try await connection.query("PRAGMA busy_timeout = 5000")
                _ = try await connection.query("PRAGMA cache_size = -16384")
            } catch {
                // Set up half-way (a cancelled task, say): closed, not left to be dropped open.
                let closing: EventLoopFuture<Void> = connection.close()
                try? await closing.get()
                if error is CancellationError { throw error }
                throw StoreError.unavailable("cannot open a reader on \(path): \(Self.describe(error))")
            }
            // Two first reads at once may both open one: the spare is closed and a kept one used.
            let existing = self.openReaders.withLock { readers -> SQLiteConnection? in
                guard readers.count < Self.readerCount else { return readers[turn % Self.readerCount] }
                readers.append(connection)
                return nil
            }
            if let existing {
                let closing: EventLoopFuture<Void> = connection.close()
                try? await closing.get()
                reader = existing
            } else {
                reader = connection
            }
            // Kept after the store closed (``close()`` set the flag, then closed the readers it saw):
            // closed here, since nobody else would.
            if existing == nil, self.closed.withLock({ $0 }) {
                let closing: EventLoopFuture<Void> = connection.close()
                try? await closing.get()
                throw StoreError.unavailable("the database \(path) is closed")
            }
        }
        guard let connection = reader else { throw StoreError.unavailable("no reader") }
        return try await body(connection.sql(), connection)
    }

    /// Runs a read on one of the reader connections (SQLite; PostgreSQL's pool otherwise), so that reads
    /// never queue behind the single SQLite writer: a burst of writes (a flood of sign-ins, an import)
    /// does not hold up the pages everybody else is reading.
    func withReading<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.withReader { db, _ in try await body(db) }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func withTransaction<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.withConnectionTransaction { db, _ in try await body(db) }
    }

    /// ``withTransaction(_:)`` with PostgreSQL's connection itself too (`nil` on SQLite).
    func withConnectionTransaction<T>(_ body: (any SQLDatabase, PostgresConnection?) async throws -> T) async throws -> T {
        let begin = self.isSQLite ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await self.withConnection { db, connection in
            try await db.raw(SQLQueryString(begin)).run()
            do {
                let result = try await body(db, connection)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    // MARK: errors

    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError { return error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed }
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] == "23505" }
        return false
    }

    /// A deadlock or serialization failure PostgreSQL broke, or SQLite's lock held by another process
    /// longer than the busy timeout: the transaction may simply be tried again.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] { return state == "40P01" || state == "40001" }
        if let error = error as? SQLiteError { return [.busy, .locked, .busyTimeout].contains(error.reason) }
        return false
    }

    static func isForeignKeyViolation(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError { return error.reason == .constraintForeignKeyFailed }
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] == "23503" }
        return false
    }

    /// A one-line reason for a driver error, without the driver's stack of types.
    static func describe(_ error: any Error) -> String {
        if let error = error as? StoreError { return error.description }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? SQLiteError { return error.message }
        return "\(error)"
    }
}

/// Runs `body`, or throws ``StoreError/unavailable(_:)`` if it takes longer than `timeout`.
func withDeadline<T: Sendable>(
    _ timeout: Duration, what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw StoreError.unavailable("no answer from \(what) within \(timeout)")
        }
        return value
    }
}
