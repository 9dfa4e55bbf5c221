import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Synchronization
import Testing

final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_764_000_000))
    var now: Date { self.current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { self.current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

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

    @Test(arguments: TestBackend.available)
    func tooManyFailuresForAnAccountAreThrottledThenForgiven(backend: TestBackend) async throws {
        try await Fixture.run(backend) { f in
            _ = try await f.makeAdmin()
            for _ in 0..<5 {
                await #expect(throws: AccountError.invalidCredentials) {
                    try await f.service.login(username: "root", password: "not the password", address: "192.0.2.3")
                }
            }
            await #expect(throws: AccountError.rateLimited(retryAfterSeconds: 900)) {
                try await f.service.login(username: "root", password: "correct horse battery", address: "192.0.2.4")
            }
            f.clock.advance(15 * 60 + 1)
            _ = try await f.service.login(username: "root", password: "correct horse battery", address: "192.0.2.4")
        }
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
            await #expect(throws: AccountError.rateLimited(retryAfterSeconds: 900)) {
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
            _ = try await f.service.login(username: "root", password: "a brand new phrase", address: "x")
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
