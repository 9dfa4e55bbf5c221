import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import NIOPosix
import SQLKit
import Testing

@testable import ConfianzaStore

/// What only the SQL stores do: files, migrations, append-only audit, clear errors at start.
@Suite struct SQLStoreTests {
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func sqliteFileIsCreatedInWALModeAndMigratedOnce() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("new.db").path
        let first = try await SQLStore.open(.sqlite(path: path), logger: TestDatabase.logger)
        try await first.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { store in
            #expect(try await store.schemaVersion() == 0)
            #expect(try await store.migrate() == Array(1...SQLStore.latestSchemaVersion))
            #expect(try await store.migrate() == [])
            let mode = try await store.withDatabase { db in
                try await db.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
            }
            #expect(mode == "wal")
        }
        #expect(FileManager.default.fileExists(atPath: path))
        let again = try await SQLStore.open(.sqlite(path: path), logger: TestDatabase.logger)
        try await again.withRunning(connectTimeout: TestDatabase.connectTimeout) { store in
            let version = try await store.schemaVersion()
            #expect(version == SQLStore.latestSchemaVersion)
        }
    }

    @Test(arguments: TestBackend.available)
    func databaseFromANewerProgramIsRefused(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let sql = try #require(store as? SQLStore)
            try await sql.withDatabase { db in
                try await db.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run()
            }
            await #expect(throws: StoreError.schemaTooNew(found: 999, supported: SQLStore.latestSchemaVersion)) {
                try await sql.migrate()
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func auditLogIsAppendOnly(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let sql = try #require(store as? SQLStore)
            try await store.appendAudit(AuditEvent(at: Date(), actor: "ana", action: .login))
            await #expect(throws: (any Error).self) {
                try await sql.withDatabase { db in try await db.raw("UPDATE audit_log SET actor = 'mallory'").run() }
            }
            await #expect(throws: (any Error).self) {
                try await sql.withDatabase { db in try await db.raw("DELETE FROM audit_log").run() }
            }
            #expect(try await store.auditEntries(limit: 10, before: nil).map(\.event.actor) == ["ana"])
        }
    }

    /// An incident's timeline cannot be rewritten, even by someone with the database in hand.
    @Test(arguments: TestBackend.available)
    func incidentTimelinesAreAppendOnly(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let sql = try #require(store as? SQLStore)
            let incident = try await IncidentService(store: store).create(.init(title: "x", type: "spam", severity: .low), by: "ana")
            await #expect(throws: (any Error).self) {
                try await sql.withDatabase { db in try await db.raw("UPDATE incident_timeline SET actor = 'mallory'").run() }
            }
            await #expect(throws: (any Error).self) {
                try await sql.withDatabase { db in try await db.raw("DELETE FROM incident_timeline").run() }
            }
            #expect(try await store.timeline(incidentID: incident.id).map(\.actor) == ["ana"])
        }
    }

    @Test(arguments: TestBackend.available)
    func migrationsFromTwoProcessesAtOnceApplyOnce(backend: TestBackend) async throws {
        // Two stores on one database stand for two processes starting together.
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func race(_ location: DatabaseLocation) async throws {
            // Each "process" has its own SQLite thread, as two processes would: on the shared pool, one
            // waiting for the lock could hold the only thread the other needs to finish.
            let pools = [NIOThreadPool(numberOfThreads: 1), NIOThreadPool(numberOfThreads: 1)]
            for pool in pools { pool.start() }
            defer { for pool in pools { pool.shutdownGracefully { _ in } } }
            let a = try await SQLStore.open(location, logger: TestDatabase.logger, threadPool: pools[0])
            let b = try await SQLStore.open(location, logger: TestDatabase.logger, threadPool: pools[1])
            try await a.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { a in
                try await b.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { b in
                    async let first = a.migrate()
                    async let second = b.migrate()
                    // Each migration runs under the database's lock, so the two may share the work; each
                    // version is applied once, in order.
                    let (mine, theirs) = try await (first, second)
                    #expect((mine + theirs).sorted() == Array(1...SQLStore.latestSchemaVersion))
                    #expect(mine == mine.sorted() && theirs == theirs.sorted())
                    #expect(try await a.schemaVersion() == SQLStore.latestSchemaVersion)
                }
            }
        }
        if backend == .sqlite {
            try await race(.sqlite(path: directory.appendingPathComponent("race.db").path))
        } else {
            try await TestDatabase.withPostgresDatabase { try await race($0) }
        }
    }

    /// Migration 6 moves each incident's comma-separated organisations into the join table, in order,
    /// and the incidents read back as they were (on a database an older release left at version 5).
    @Test(arguments: TestBackend.available)
    func incidentOrganisationsMoveToTheirTable(backend: TestBackend) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func check(_ location: DatabaseLocation) async throws {
            let store = try await SQLStore.open(location, logger: TestDatabase.logger)
            try await store.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { store in
                #expect(try await store.migrate(upTo: 5) == [1, 2, 3, 4, 5])
                let a = UUID(), b = UUID(), c = UUID()
                let rows: [(String, Int, String)] = [
                    (UUID().uuidString, 1, "\(b.uuidString),\(a.uuidString)"), (UUID().uuidString, 2, ""), (UUID().uuidString, 3, c.uuidString),
                    (UUID().uuidString, 4, "\(a.uuidString),\(a.uuidString),\(c.uuidString)"),
                ]
                try await store.withDatabase { db in
                    for (id, number, organisations) in rows {
                        try await db.raw(
                            """
                            INSERT INTO incidents (id, number, title, taxonomy, type, severity, tlp, pap, organisations, status, created_at, updated_at,
                                triage_due, resolve_due, event_count)
                            VALUES (\(bind: id), \(bind: number), 'old', 'fraud', 'phishing', 'high', 'TLP:AMBER', 'PAP:AMBER', \(bind: organisations),
                                'new', 0, 0, 1, 2, 0)
                            """
                        ).run()
                    }
                }
                #expect(try await store.migrate() == Array(6...SQLStore.latestSchemaVersion))
                #expect(try await store.incident(number: 1)?.organisations == [b, a], "in their order")
                #expect(try await store.incident(number: 2)?.organisations == [])
                #expect(try await store.incident(number: 3)?.organisations == [c])
                #expect(try await store.incident(number: 4)?.organisations == [a, c], "a repeated organisation once")
                #expect(try await store.incidents(matching: IncidentQuery(organisation: a, limit: 10)).map(\.number).sorted() == [1, 4])
            }
        }
        if backend == .sqlite {
            try await check(.sqlite(path: directory.appendingPathComponent("old.db").path))
        } else {
            try await TestDatabase.withPostgresDatabase { try await check($0) }
        }
    }

    /// Migration 8 sorts the objects an older release held: a peer's version of an id another source
    /// put there first becomes that peer's own copy, so the rewrite the issue found stops at upgrade.
    @Test(arguments: TestBackend.available)
    func heldObjectsAreSortedIntoTheirSourcesLines(backend: TestBackend) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func check(_ location: DatabaseLocation) async throws {
            let store = try await SQLStore.open(location, logger: TestDatabase.logger)
            try await store.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { store in
                _ = try await store.migrate(upTo: 7)
                let peer = UUID().uuidString.lowercased()
                let id = "indicator--00000000-0000-4000-8000-000000000001"
                let theirs = "indicator--00000000-0000-4000-8000-000000000002"
                // Ours first, then the peer's 2099 version of it; an object the peer created, then ours of it.
                let rows: [(Int64, String, Int64, String, Int)] = [
                    (1, id, 100, "", 0), (2, id, 4_070_908_800_000_000, peer, 1), (3, theirs, 100, peer, 0), (4, theirs, 200, "", 1),
                ]
                try await store.withDatabase { db in
                    for (added, objectID, version, source, latest) in rows {
                        try await db.raw(
                            """
                            INSERT INTO stix_objects (date_added, id, type, spec_version, version, version_text, tlp_rank, source_peer, is_latest, json)
                            VALUES (\(bind: added), \(bind: objectID), 'indicator', '2.1', \(bind: version), '', 1, \(bind: source), \(bind: latest), '{}')
                            """
                        ).run()
                    }
                }
                #expect(try await store.migrate() == Array(8...SQLStore.latestSchemaVersion))
                let everyone = STIXVisibility(ceiling: .green, peerID: UUID())
                let read = try await store.stixObjects(STIXObjectQuery(visibility: everyone, versions: .last, limit: 10))
                #expect(read.map(\.dateAdded) == [1, 4], "ours stays the latest for others; ours of the peer's object is shared")
                let sender = try await store.stixObjects(STIXObjectQuery(visibility: STIXVisibility(ceiling: .green, peerID: UUID(uuidString: peer)), versions: .last, limit: 10))
                #expect(sender.map(\.dateAdded) == [1, 2, 4])
            }
        }
        if backend == .sqlite {
            try await check(.sqlite(path: directory.appendingPathComponent("old.db").path))
        } else {
            try await TestDatabase.withPostgresDatabase { try await check($0) }
        }
    }

    @Test func unwritableOrMissingPlacesGiveOneClearLine() async throws {
        await #expect(throws: StoreError.unavailable("cannot create /nonexistent/dir/x.db: folder /nonexistent/dir does not exist")) {
            _ = try await SQLStore.open(.sqlite(path: "/nonexistent/dir/x.db"), logger: TestDatabase.logger)
        }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let notADatabase = directory.appendingPathComponent("notes.txt")
        try Data("these are not the tables you are looking for\n".utf8).write(to: notADatabase)
        do {
            _ = try await SQLStore.open(.sqlite(path: notADatabase.path), logger: TestDatabase.logger)
            Issue.record("a text file opened as a database")
        } catch let error as StoreError {
            #expect(error.description.contains("notes.txt"))
        }
    }

    @Test func unreachablePostgresFailsFastWithAReason() async throws {
        let location = try DatabaseLocation.parse("postgres://confianza@127.0.0.1:1/confianza?sslmode=disable")
        let store = try await SQLStore.open(location, logger: TestDatabase.logger)
        let started = ContinuousClock.now
        do {
            try await store.withRunning(connectTimeout: .seconds(5)) { _ in }
            Issue.record("connected to a closed port")
        } catch let error as StoreError {
            guard case .unavailable(let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(reason.contains("127.0.0.1:1"))
        }
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test(arguments: [
        ("postgres://ana:secret@db.example:6543/confianza?sslmode=require&pool=4", "postgres://ana:***@db.example:6543/confianza"),
        ("confianza.db", "sqlite:confianza.db"),
        ("sqlite:///var/lib/confianza/c.db", "sqlite:/var/lib/confianza/c.db"),
        ("sqlite:data/c.db", "sqlite:data/c.db"),
    ])
    func locationsParse(text: String, expected: String) throws {
        #expect(try DatabaseLocation.parse(text).description == expected)
    }

    @Test(arguments: [
        "", "postgres://host-only", "postgres:///db", "postgres://a@h/db?sslmode=sometimes", "postgres://a@h/db?pool=0",
        "postgres://a@h/db?colour=blue", "mysql://a@h/db", "sqlite:",
    ])
    func badLocationsAreRefusedWithAReason(text: String) {
        #expect(throws: StoreError.self) { try DatabaseLocation.parse(text) }
    }
}
