import ConfianzaCore
import Synchronization
import VaporCSQLite

/// Read-only SQLite connections used through SQLite's C API on the calling thread, for the reads that
/// are many, small and on a hot path (TAXII object pages): no hop through sqlite-nio's thread pool and
/// back per query, and each statement prepared once per connection and then reused. A read in WAL mode
/// does not wait for writers, so the calling thread is held for the read alone (a page: under a
/// millisecond). Connections are taken from an idle list and put back; there are at most as many as
/// threads read at once.
final class DirectSQLiteReaders: Sendable {
    private let path: String
    private let idle = Mutex<[DirectSQLiteConnection]>([])
    private let all = Mutex<[DirectSQLiteConnection]>([])
    private let closed = Atomic<Bool>(false)

    init(path: String) { self.path = path }

    /// Runs `body` with a connection no other thread uses meanwhile.
    func withConnection<T>(_ body: (DirectSQLiteConnection) throws -> T) throws -> T {
        guard !self.closed.load(ordering: .acquiring) else { throw StoreError.unavailable("the database \(self.path) is closed") }
        let connection = try self.idle.withLock { $0.popLast() } ?? self.open()
        defer { self.idle.withLock { $0.append(connection) } }
        return try body(connection)
    }

    private func open() throws -> DirectSQLiteConnection {
        let connection = try DirectSQLiteConnection(path: self.path)
        self.all.withLock { $0.append(connection) }
        return connection
    }

    /// Closes every connection (the store is closing; nothing reads any more).
    func close() {
        self.closed.store(true, ordering: .releasing)
        for connection in self.all.withLock({ list in defer { list = [] }; return list }) { connection.close() }
        self.idle.withLock { $0 = [] }
    }
}

/// One read-only connection and its prepared statements. Used by one thread at a time (the readers'
/// idle list hands it out), which is what makes it safe to share as `Sendable`.
final class DirectSQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private let path: String

    init(path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let reason = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "code \(opened)"
            if let handle { sqlite_nio_sqlite3_close_v2(handle) }
            throw StoreError.unavailable("cannot open \(path) to read: \(reason)")
        }
        sqlite_nio_sqlite3_busy_timeout(handle, 5000)
        self.handle = handle
    }

    /// A row being read: its columns by position.
    struct Row {
        fileprivate let statement: OpaquePointer

        func integer(_ column: Int32) -> Int64? {
            sqlite_nio_sqlite3_column_type(self.statement, column) == SQLITE_INTEGER ? sqlite_nio_sqlite3_column_int64(self.statement, column) : nil
        }

        func text(_ column: Int32) -> String? {
            guard sqlite_nio_sqlite3_column_type(self.statement, column) == SQLITE_TEXT,
                let bytes = sqlite_nio_sqlite3_column_text(self.statement, column)
            else { return nil }
            let count = Int(sqlite_nio_sqlite3_column_bytes(self.statement, column))
            return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        }
    }

    /// Runs `sql` with `binds`, calling `row` for each row.
    func query(_ sql: String, _ binds: [EventColumn], row: (Row) throws -> Void) throws {
        guard let handle = self.handle else { throw StoreError.unavailable("the database \(self.path) is closed") }
        let statement = try self.prepared(sql, handle)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (index, value) in binds.enumerated() {
            let position = Int32(index + 1)
            let bound: Int32
            switch value {
            case .integer(let number): bound = sqlite_nio_sqlite3_bind_int64(statement, position, number)
            case .optionalInteger(let number):
                bound = number.map { sqlite_nio_sqlite3_bind_int64(statement, position, $0) } ?? sqlite_nio_sqlite3_bind_null(statement, position)
            case .text(let text): bound = Self.bind(text, statement, position)
            case .optionalText(let text): bound = text.map { Self.bind($0, statement, position) } ?? sqlite_nio_sqlite3_bind_null(statement, position)
            case .blob(let bytes): bound = Self.bind(bytes, statement, position)
            case .optionalBlob(let bytes): bound = bytes.map { Self.bind($0, statement, position) } ?? sqlite_nio_sqlite3_bind_null(statement, position)
            }
            guard bound == SQLITE_OK else { throw self.failure(handle, "binding value \(index + 1)") }
        }
        while true {
            let stepped = sqlite_nio_sqlite3_step(statement)
            if stepped == SQLITE_DONE { return }
            guard stepped == SQLITE_ROW else { throw self.failure(handle, "reading") }
            try row(Row(statement: statement))
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ text: String, _ statement: OpaquePointer, _ position: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            let empty: StaticString = ""
            let start = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(empty.utf8Start)
            return sqlite_nio_sqlite3_bind_text64(
                statement, position, start.assumingMemoryBound(to: CChar.self), UInt64(bytes.count), Self.transient, UInt8(SQLITE_UTF8))
        }
    }

    private static func bind(_ bytes: [UInt8], _ statement: OpaquePointer, _ position: Int32) -> Int32 {
        bytes.withUnsafeBytes { sqlite_nio_sqlite3_bind_blob64(statement, position, $0.baseAddress, UInt64($0.count), Self.transient) }
    }

    /// The statement for `sql`, prepared on first use (at most 64 are kept; then they start again).
    private func prepared(_ sql: String, _ handle: OpaquePointer) throws -> OpaquePointer {
        if let known = self.statements[sql] { return known }
        if self.statements.count >= 64 { self.finalizeAll() }
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw self.failure(handle, "preparing a query")
        }
        self.statements[sql] = statement
        return statement
    }

    private func failure(_ handle: OpaquePointer, _ what: String) -> StoreError {
        StoreError.unavailable("\(self.path): \(what): \(String(cString: sqlite_nio_sqlite3_errmsg(handle)))")
    }

    private func finalizeAll() {
        for statement in self.statements.values { sqlite_nio_sqlite3_finalize(statement) }
        self.statements = [:]
    }

    func close() {
        self.finalizeAll()
        if let handle = self.handle { sqlite_nio_sqlite3_close_v2(handle) }
        self.handle = nil
    }
}
