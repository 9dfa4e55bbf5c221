import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Testing

@Suite struct AccountServiceTests {
    /// A service on a fresh store of one backend, with a clock the test moves.
    struct Fixture {
        let store: any Store
        let clock = TestClock()
        let service: AccountService

        init(store: any Store) {
            self.store = store
            let clock = self.clock
            self.service = AccountService(store: store, hasher: BcryptHasher(cost: 4), now: { clock.now })
        }

        static func run(_ backend: TestBackend, _ body: (Fixture) async throws -> Void) async throws {
            try await TestDatabase.withStore(backend) { try await body(Fixture(store: $0)) }
        }

        func makeAdmin(_ name: String = "root") async throws -> User {
            try await self.service.createUser(username: name, role: .admin, password: "correct horse battery", by: .console, address: "cli")
        }
    }

    @Test(arguments: TestBackend.available)
    func createdUsersCanSignInAndTheirSessionsWork(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            _ = try await f.makeAdmin()
            let signIn = try await f.service.login(username: "  ROOT ", password: "correct horse battery", address: "192.0.2.1")
            #expect(signIn.user.username == "root")
            let found = try await f.service.authenticate(sessionToken: signIn.cookieToken)
            #expect(found?.0.username == "root")
            #expect(found?.1.csrfToken == signIn.session.csrfToken)
            #expect(try await f.service.authenticate(sessionToken: "forged") == nil)
            #expect(try await f.service.authenticate(sessionToken: "") == nil)
            let actions = try await f.store.auditEntries(limit: 10, before: nil).map(\.event.action)
            #expect(actions == [.login, .userCreated])
        }
    }

    @Test(arguments: TestBackend.available)
    func wrongPasswordUnknownUserAndDisabledAccountLookTheSame(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            let admin = try await f.makeAdmin()
            _ = try await f.service.createUser(
                username: "ana", role: .analyst, password: "another long secret", by: .user(admin), address: "192.0.2.1")
            _ = try await f.service.setDisabled(username: "ana", disabled: true, by: .user(admin), address: "192.0.2.1")
            for (name, password) in [("root", "wrong password!!"), ("nobody", "whatever it is"), ("ana", "another long secret")] {
                await #expect(throws: AccountError.invalidCredentials) {
                    try await f.service.login(username: name, password: password, address: "192.0.2.2")
                }
            }
            let reasons = try await f.store.auditEntries(limit: 3, before: nil).compactMap(\.event.detail)
            #expect(reasons == ["account disabled", "unknown user", "wrong password"])
        }
    }

    /// Failures on an account lock it out from that address only, with a wait that doubles with each
    /// further failure; the account's owner signs in from elsewhere meanwhile (issue 12, item 4).
    @Test(arguments: TestBackend.available)
    func failuresLockAnAccountFromThatAddressOnlyWithBackOff(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            _ = try await f.makeAdmin()
            func attempt(_ password: String, from address: String) async throws { _ = try await f.service.login(username: "root", password: password, address: address) }
            for _ in 0..<5 {
                await #expect(throws: AccountError.invalidCredentials) { try await attempt("not the password", from: "192.0.2.3") }
            }
            await #expect(throws: AccountError.rateLimited(retryAfterSeconds: 30)) { try await attempt("correct horse battery", from: "192.0.2.3") }
            // Somebody else cannot keep root out: root signs in from its own address.
            try await attempt("correct horse battery", from: "192.0.2.4")
            // Waiting the time given is enough (a refused attempt is not counted); each further failure doubles the wait.
            f.clock.advance(31)
            await #expect(throws: AccountError.invalidCredentials) { try await attempt("not the password", from: "192.0.2.3") }
            await #expect(throws: AccountError.rateLimited(retryAfterSeconds: 60)) { try await attempt("not the password", from: "192.0.2.3") }
            f.clock.advance(61)
            await #expect(throws: AccountError.invalidCredentials) { try await attempt("not the password", from: "192.0.2.3") }
            await #expect(throws: AccountError.rateLimited(retryAfterSeconds: 120)) { try await attempt("correct horse battery", from: "192.0.2.3") }
            // After the window, the address starts afresh; a success clears its count.
            f.clock.advance(15 * 60 + 1)
            try await attempt("correct horse battery", from: "192.0.2.3")
            for _ in 0..<4 {
                await #expect(throws: AccountError.invalidCredentials) { try await attempt("not the password", from: "192.0.2.3") }
            }
            try await attempt("correct horse battery", from: "192.0.2.3")
        }
    }

    /// A burst of sign-ins at once: the attempts are counted before any password is checked, so no more
    /// than the limit reach bcrypt, and the checks run a few at a time off the request threads.
    @Test(arguments: TestBackend.available)
    func aBurstOfAttemptsCannotAllReachThePasswordCheck(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            _ = try await f.makeAdmin()
            let counting = CountingHasher(BcryptHasher(cost: 4))
            let service = AccountService(store: f.store, hasher: counting, gate: PasswordGate(concurrent: 1, waiting: 1000), now: { [clock = f.clock] in clock.now })
            let outcomes = await withTaskGroup(of: String.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        do {
                            _ = try await service.login(username: "root", password: "not the password", address: "198.51.100.1")
                            return "signed in"
                        } catch let error as AccountError {
                            if case .rateLimited = error { return "rate limited" }
                            return error == .invalidCredentials ? "refused" : "\(error)"
                        } catch { return "\(error)" }
                    }
                }
                var all: [String] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == "refused" }.count == 5, "\(Set(outcomes))")
            #expect(outcomes.filter { $0 == "rate limited" }.count == 95)
            #expect(counting.verifications == 5, "only the admitted attempts were hashed")
            #expect(counting.mostAtOnce == 1)
        }
    }

    /// More sign-ins than the gate holds are refused at once as busy, not queued without end.
    @Test func theGateRefusesWhatItCannotHold() async throws {
        let gate = PasswordGate(concurrent: 1, waiting: 2)
        let hold = DispatchSemaphore(value: 0)
        let started = AsyncStream<Void>.makeStream()
        let blocker = Task {
            try await gate.run {
                started.continuation.yield()
                hold.wait()  // holds the one place until the test lets go
                return true
            }
        }
        for await _ in started.stream { break }
        let waiting = (0..<2).map { _ in Task { try await gate.run { true } } }
        while await gate.load.waiting < 2 { await Task.yield() }
        await #expect(throws: AccountError.busy) { _ = try await gate.run { true } }
        hold.signal()
        #expect(try await blocker.value)
        for task in waiting { #expect(try await task.value) }
        let load = await gate.load
        #expect(load.running == 0 && load.waiting == 0)
    }

    @Test(arguments: TestBackend.available)
    func oneAddressTryingManyAccountsIsThrottled(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            _ = try await f.makeAdmin()
            for index in 0..<20 {
                await #expect(throws: AccountError.invalidCredentials) {
                    try await f.service.login(username: "guess\(index)", password: "not the password", address: "198.51.100.7")
                }
            }
            await #expect(throws: AccountError.rateLimited(retryAfterSeconds: 30)) {
                try await f.service.login(username: "root", password: "correct horse battery", address: "198.51.100.7")
            }
            _ = try await f.service.login(username: "root", password: "correct horse battery", address: "198.51.100.8")
        }
    }

    @Test(arguments: TestBackend.available)
    func sessionsExpireWhenIdleAndAtTheirMaximumAge(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            _ = try await f.makeAdmin()
            let signIn = try await f.service.login(username: "root", password: "correct horse battery", address: "192.0.2.1")
            for _ in 0..<15 {
                f.clock.advance(11 * 3600)
                #expect(try await f.service.authenticate(sessionToken: signIn.cookieToken) != nil)
            }
            // 15 × 11 h = 165 h; the next use, at 176 h, is past the 168 h (7 days) limit.
            f.clock.advance(11 * 3600)
            #expect(try await f.service.authenticate(sessionToken: signIn.cookieToken) == nil)

            let idle = try await f.service.login(username: "root", password: "correct horse battery", address: "192.0.2.1")
            f.clock.advance(12 * 3600 + 1)
            #expect(try await f.service.authenticate(sessionToken: idle.cookieToken) == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func apiTokensWorkUntilRevokedOrTheirUserIsDisabled(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            let admin = try await f.makeAdmin()
            let ana = try await f.service.createUser(
                username: "ana", role: .analyst, password: "another long secret", by: .user(admin), address: "x")
            let (token, secret) = try await f.service.createAPIToken(for: ana, name: "MISP sync", address: "x")
            #expect(secret.hasPrefix("cfz_"))
            #expect(token.prefix == String(secret.prefix(12)))
            #expect(token.tokenHash == Secrets.digest(secret))
            #expect(try await f.service.authenticate(bearer: secret)?.username == "ana")
            #expect(try await f.service.authenticate(bearer: "cfz_guess") == nil)
            #expect(try await f.service.authenticate(bearer: "not-even-a-token") == nil)

            _ = try await f.service.setDisabled(username: "ana", disabled: true, by: .user(admin), address: "x")
            #expect(try await f.service.authenticate(bearer: secret) == nil)
            let enabled = try await f.service.setDisabled(username: "ana", disabled: false, by: .user(admin), address: "x")
            #expect(try await f.service.authenticate(bearer: secret) != nil)

            await #expect(throws: AccountError.tokenNotFound) {
                try await f.service.revokeAPIToken(id: token.id, of: admin, address: "x")
            }
            try await f.service.revokeAPIToken(id: token.id, of: enabled, address: "x")
            #expect(try await f.service.authenticate(bearer: secret) == nil)

            for bad in ["", "   ", String(repeating: "n", count: 101), "tab\there"] {
                await #expect(throws: AccountError.self) { try await f.service.createAPIToken(for: ana, name: bad, address: "x") }
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func onlyAdminsManageUsersAndTheLastAdminStays(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            let admin = try await f.makeAdmin()
            let ana = try await f.service.createUser(
                username: "ana", role: .analyst, password: "another long secret", by: .user(admin), address: "x")
            await #expect(throws: AccountError.forbidden(required: .admin)) {
                try await f.service.createUser(
                    username: "eve", role: .admin, password: "another long secret", by: .user(ana), address: "x")
            }
            await #expect(throws: AccountError.lastAdmin) {
                try await f.service.setRole(username: "root", role: .viewer, by: .user(admin), address: "x")
            }
            await #expect(throws: AccountError.lastAdmin) {
                try await f.service.setDisabled(username: "root", disabled: true, by: .console, address: "cli")
            }
            _ = try await f.service.setRole(username: "ana", role: .admin, by: .user(admin), address: "x")
            let demoted = try await f.service.setRole(username: "root", role: .viewer, by: .console, address: "cli")
            #expect(demoted.role == .viewer)
            let audit = try await f.store.auditEntries(limit: 1, before: nil)
            #expect(audit.first?.event.detail == "admin -> viewer")
            #expect(audit.first?.event.actor == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func resettingAPasswordEndsSessionsAndTheOldPassword(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            _ = try await f.makeAdmin()
            let before = try await f.service.login(username: "root", password: "correct horse battery", address: "x")
            let generated = try await f.service.resetPassword(username: "root", by: .console, address: "cli")
            #expect(generated.count == 23)
            #expect(try await f.service.authenticate(sessionToken: before.cookieToken) == nil)
            await #expect(throws: AccountError.invalidCredentials) {
                try await f.service.login(username: "root", password: "correct horse battery", address: "x")
            }
            let after = try await f.service.login(username: "root", password: generated, address: "x")
            await #expect(throws: AccountError.wrongCurrentPassword) {
                try await f.service.changePassword(user: after.user, current: "nope", new: "a brand new phrase", address: "x")
            }
            try await f.service.changePassword(user: after.user, current: generated, new: "a brand new phrase", address: "x")
            let signedIn = try await f.service.login(username: "root", password: "a brand new phrase", address: "x")
            // A reset keeps API tokens unless asked to revoke them (issue 12, item 6).
            let (_, kept) = try await f.service.createAPIToken(for: signedIn.user, name: "kept", address: "x")
            _ = try await f.service.resetPassword(username: "root", by: .console, address: "cli")
            #expect(try await f.service.authenticate(bearer: kept) != nil)
            let epoch = try await f.store.credentialEpoch()
            _ = try await f.service.resetPassword(username: "root", revokeTokens: true, by: .console, address: "cli")
            #expect(try await f.service.authenticate(bearer: kept) == nil)
            #expect(try await f.store.credentialEpoch() > epoch, "caches of credentials learn of it")
            #expect(try await f.store.auditEntries(limit: 1, before: nil).first?.event.detail == "1 tokens")
        }
    }

    @Test(arguments: ["", "a", "-dash", "Has Space", "ñandú", String(repeating: "x", count: 65), "semi;colon"])
    func badUsernamesAreRefused(name: String) async throws {
        try await Fixture.run(.sqlite) { f in
            await #expect(throws: AccountError.self) {
                try await f.service.createUser(username: name, role: .viewer, password: "correct horse battery", by: .console, address: "cli")
            }
        }
    }

    @Test(arguments: ["short", "aaaaaaaaaaaaaaaa", "contains-the-ana-name", String(repeating: "ñ", count: 40)])
    func weakOrOverlongPasswordsAreRefused(password: String) async throws {
        try await Fixture.run(.sqlite) { f in
            await #expect(throws: AccountError.self) {
                try await f.service.createUser(username: "ana", role: .viewer, password: password, by: .console, address: "cli")
            }
            let users = try await f.store.userCount()
            #expect(users == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func duplicateUsernamesAreRefused(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            _ = try await f.makeAdmin()
            await #expect(throws: AccountError.usernameTaken("root")) { try await f.makeAdmin("Root") }
        }
    }
}

@Suite struct LanguageTests {
    @Test(arguments: [
        ("es-419,es;q=0.9,en;q=0.8", Language.spanish),
        ("en-GB,en;q=0.9", .english),
        ("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.4", .spanish),
        ("de, en;q=0", nil),
        ("es;q=0, en;q=0.1", .english),
        ("*", .english),
        ("es;q=abc", nil),
        ("", nil),
        (";;;,,,", nil),
    ])
    func acceptLanguageIsNegotiated(header: String, expected: Language?) {
        #expect(Language.negotiate(acceptLanguage: header, among: [.english, .spanish]) == expected)
    }

    @Test func aLanguagePresentIsPreferredAndCodesAreChecked() {
        #expect(Language.negotiate(acceptLanguage: "fr-FR,fr;q=0.9,es;q=0.5", among: [.english, .spanish, .french]) == .french)
        #expect(Language.negotiate(acceptLanguage: "de-AT, de;q=0.9, en;q=0.1", among: [.english, Language(rawValue: "de")!]) == Language(rawValue: "de"))
        #expect(Language.negotiate(acceptLanguage: "*", among: [.spanish]) == nil, "* is English, and English is not among these")
        for bad in ["", "e", "engl", "e1", "../x", "es-ES", "ñu"] { #expect(Language(rawValue: bad) == nil, "\(bad)") }
        #expect(Language(rawValue: "FR") == .french)
        #expect(Language(tag: "pt_BR")?.rawValue == "pt")
        #expect([Language.french, .spanish, .english, Language(rawValue: "ar")!].sorted().map(\.rawValue) == ["en", "ar", "es", "fr"])
    }

    @Test func secretsAreRandomAndComparedSafely() {
        let a = Secrets.randomToken()
        #expect(a.count == 43)
        #expect(a != Secrets.randomToken())
        #expect(!a.contains("+") && !a.contains("/") && !a.contains("="))
        #expect(Secrets.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Secrets.constantTimeEquals("same", "same"))
        #expect(!Secrets.constantTimeEquals("same", "sane"))
        #expect(!Secrets.constantTimeEquals("same", "same+"))
    }
}

/// A hasher that counts its verifications and how many ran at once.
final class CountingHasher: PasswordHasher, @unchecked Sendable {
    private let inner: BcryptHasher
    private let lock = NSLock()
    private var running = 0
    private(set) var verifications = 0
    private(set) var mostAtOnce = 0

    init(_ inner: BcryptHasher) { self.inner = inner }

    func hash(_ password: String) -> String { self.inner.hash(password) }

    func verify(_ password: String, hash: String) -> Bool {
        self.lock.withLock {
            self.running += 1
            self.verifications += 1
            self.mostAtOnce = max(self.mostAtOnce, self.running)
        }
        defer { self.lock.withLock { self.running -= 1 } }
        return self.inner.verify(password, hash: hash)
    }
}
