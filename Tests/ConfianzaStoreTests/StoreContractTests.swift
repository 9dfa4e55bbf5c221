import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Testing

/// One contract, every backend: memory, SQLite, and PostgreSQL when the test command provides it.
@Suite struct StoreContractTests {
    static let t0 = Date(timeIntervalSince1970: 1_764_000_000)

    static func makeUser(_ name: String, role: Role = .analyst) -> User {
        User(username: name, displayName: name.capitalized, role: role, passwordHash: "$2b$04$x", createdAt: Self.t0)
    }

    @Test(arguments: TestBackend.available)
    func usersRoundTripAndStayUnique(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            var ana = Self.makeUser("ana", role: .admin)
            ana.language = .spanish
            try await store.insertUser(ana)
            try await store.insertUser(Self.makeUser("bruno"))
            #expect(try await store.user(named: "ana") == ana)
            #expect(try await store.user(id: ana.id) == ana)
            #expect(try await store.user(named: "nobody") == nil)
            #expect(try await store.userCount() == 2)
            #expect(try await store.users().map(\.username) == ["ana", "bruno"])

            await #expect(throws: StoreError.duplicate(field: "username", value: "ana")) {
                try await store.insertUser(Self.makeUser("ana"))
            }
            ana.role = .viewer
            ana.disabled = true
            ana.language = nil
            try await store.updateUser(ana)
            #expect(try await store.user(id: ana.id) == ana)

            var renamed = ana
            renamed.username = "bruno"
            await #expect(throws: StoreError.duplicate(field: "username", value: "bruno")) {
                try await store.updateUser(renamed)
            }
            await #expect(throws: StoreError.notFound("user ghost")) {
                try await store.updateUser(Self.makeUser("ghost"))
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func sessionsExpireAndEndPerUser(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let ana = Self.makeUser("ana")
            try await store.insertUser(ana)
            let live = Session(
                tokenHash: "h1", userID: ana.id, csrfToken: "c1", createdAt: Self.t0,
                expiresAt: Self.t0.addingTimeInterval(3600), lastSeenAt: Self.t0, address: "192.0.2.1")
            var old = live
            old.tokenHash = "h2"
            old.expiresAt = Self.t0.addingTimeInterval(-1)
            try await store.insertSession(live)
            try await store.insertSession(old)
            #expect(try await store.session(tokenHash: "h1") == live)

            let later = Self.t0.addingTimeInterval(600)
            try await store.extendSession(tokenHash: "h1", expiresAt: later.addingTimeInterval(3600), lastSeenAt: later)
            #expect(try await store.session(tokenHash: "h1")?.lastSeenAt == later)

            #expect(try await store.deleteExpiredSessions(before: Self.t0) == 1)
            #expect(try await store.session(tokenHash: "h2") == nil)

            try await store.deleteSessions(userID: ana.id)
            #expect(try await store.session(tokenHash: "h1") == nil)

            try await store.insertSession(live)
            try await store.deleteSession(tokenHash: "h1")
            #expect(try await store.session(tokenHash: "h1") == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func tokensAreFoundByHashAndRevokedOnce(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let ana = Self.makeUser("ana")
            let bruno = Self.makeUser("bruno")
            try await store.insertUser(ana)
            try await store.insertUser(bruno)
            let first = APIToken(userID: ana.id, name: "feeds", tokenHash: "th1", prefix: "cfz_aaaaaaaa", createdAt: Self.t0)
            let second = APIToken(
                userID: ana.id, name: "misp", tokenHash: "th2", prefix: "cfz_bbbbbbbb", createdAt: Self.t0.addingTimeInterval(5))
            try await store.insertToken(first)
            try await store.insertToken(second)
            #expect(try await store.token(hash: "th1") == first)
            #expect(try await store.tokens(userID: ana.id).map(\.name) == ["misp", "feeds"])
            #expect(try await store.tokens(userID: bruno.id).isEmpty)

            var clash = first
            clash.id = UUID()
            await #expect(throws: StoreError.duplicate(field: "token", value: "cfz_aaaaaaaa")) {
                try await store.insertToken(clash)
            }

            let used = Self.t0.addingTimeInterval(60)
            try await store.markTokenUsed(id: first.id, at: used)
            #expect(try await store.token(hash: "th1")?.lastUsedAt == used)

            #expect(try await store.revokeToken(id: first.id, userID: bruno.id, at: used) == false)
            #expect(try await store.revokeToken(id: first.id, userID: ana.id, at: used) == true)
            #expect(try await store.revokeToken(id: first.id, userID: ana.id, at: used) == false)
            #expect(try await store.token(hash: "th1")?.revokedAt == used)
        }
    }

    @Test(arguments: TestBackend.available)
    func loginAttemptsCountWithinTheWindow(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let keys = ["user:ana|address:192.0.2.9", "address:192.0.2.9"]
            func count(since: Date, keys: [String] = keys, admit: Bool = false) async throws -> [Int] {
                try await store.countLoginAttempt("probe", keys: keys, at: Self.t0, since: since) { _ in admit }.map(\.count)
            }
            for minute in 0..<3 {
                let earlier = try await store.countLoginAttempt("a\(minute)", keys: keys, at: Self.t0.addingTimeInterval(Double(minute) * 60), since: Self.t0) { _ in true }
                #expect(earlier.map(\.count) == [minute, minute])
                #expect(earlier[0].latest == (minute == 0 ? nil : Self.t0.addingTimeInterval(Double(minute - 1) * 60)))
            }
            #expect(try await count(since: Self.t0) == [3, 3], "an attempt not admitted is not counted")
            #expect(try await count(since: Self.t0.addingTimeInterval(61)) == [1, 1])
            try await store.forgetLoginAttempt("a2", key: "address:192.0.2.9")
            #expect(try await count(since: Self.t0) == [3, 2], "a success takes back its own attempt only")
            try await store.clearLoginFailures(key: keys[0])
            #expect(try await count(since: Self.t0) == [0, 2])
            try await store.pruneLoginFailures(before: Self.t0.addingTimeInterval(30))
            #expect(try await count(since: Self.t0) == [0, 1])
        }
    }

    @Test(arguments: TestBackend.available)
    func auditReadsBackNewestFirstInPages(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            for index in 0..<5 {
                try await store.appendAudit(
                    AuditEvent(
                        at: Self.t0.addingTimeInterval(Double(index)), actor: index == 0 ? nil : "ana",
                        action: index.isMultiple(of: 2) ? .login : .loginFailed, target: "t\(index)",
                        address: "192.0.2.1", detail: index == 4 ? "línea ünïcode" : nil))
            }
            try await store.appendAudit(AuditEvent(at: Self.t0, actor: "ana", action: AuditAction(rawValue: "future.action")))
            let page1 = try await store.auditEntries(limit: 3, before: nil)
            #expect(page1.map(\.event.target) == [nil, "t4", "t3"])
            #expect(page1[0].event.action.rawValue == "future.action")
            #expect(page1[1].event.detail == "línea ünïcode")
            let page2 = try await store.auditEntries(limit: 3, before: page1.last?.sequence)
            #expect(page2.map(\.event.target) == ["t2", "t1", "t0"])
            #expect(page2.last?.event.actor == nil)
            #expect(try await store.auditEntries(limit: 3, before: page2.last?.sequence).isEmpty)
        }
    }
}
