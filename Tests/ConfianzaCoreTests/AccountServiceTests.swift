import ConfianzaCore
import Foundation
import Synchronization
import Testing

final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_764_000_000))
    var now: Date { self.current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { self.current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite struct AccountServiceTests {
    let store = InMemoryStore()
    let clock = TestClock()
    let service: AccountService

    init() {
        let clock = self.clock
        self.service = AccountService(store: self.store, hasher: BcryptHasher(cost: 4), now: { clock.now })
    }

    func makeAdmin(_ name: String = "root") async throws -> User {
        try await self.service.createUser(username: name, role: .admin, password: "correct horse battery", by: .console, address: "cli")
    }

    @Test func createdUsersCanSignInAndTheirSessionsWork() async throws {
        _ = try await self.makeAdmin()
        let signIn = try await self.service.login(username: "  ROOT ", password: "correct horse battery", address: "192.0.2.1")
        #expect(signIn.user.username == "root")
        let found = try await self.service.authenticate(sessionToken: signIn.cookieToken)
        #expect(found?.0.username == "root")
        #expect(found?.1.csrfToken == signIn.session.csrfToken)
        #expect(try await self.service.authenticate(sessionToken: "forged") == nil)
        #expect(try await self.service.authenticate(sessionToken: "") == nil)
        let actions = try await self.store.auditEntries(limit: 10, before: nil).map(\.event.action)
        #expect(actions == [.login, .userCreated])
    }

    @Test func wrongPasswordUnknownUserAndDisabledAccountLookTheSame() async throws {
        let admin = try await self.makeAdmin()
        _ = try await self.service.createUser(
            username: "ana", role: .analyst, password: "another long secret", by: .user(admin), address: "192.0.2.1")
        _ = try await self.service.setDisabled(username: "ana", disabled: true, by: .user(admin), address: "192.0.2.1")
        for (name, password) in [("root", "wrong password!!"), ("nobody", "whatever it is"), ("ana", "another long secret")] {
            await #expect(throws: AccountError.invalidCredentials) {
                try await self.service.login(username: name, password: password, address: "192.0.2.2")
            }
        }
        let reasons = try await self.store.auditEntries(limit: 3, before: nil).compactMap(\.event.detail)
        #expect(reasons == ["account disabled", "unknown user", "wrong password"])
    }

    @Test func tooManyFailuresForAnAccountAreThrottledThenForgiven() async throws {
        _ = try await self.makeAdmin()
        for _ in 0..<5 {
            await #expect(throws: AccountError.invalidCredentials) {
                try await self.service.login(username: "root", password: "not the password", address: "192.0.2.3")
            }
        }
        await #expect(throws: AccountError.rateLimited(retryAfterSeconds: 900)) {
            try await self.service.login(username: "root", password: "correct horse battery", address: "192.0.2.4")
        }
        self.clock.advance(15 * 60 + 1)
        _ = try await self.service.login(username: "root", password: "correct horse battery", address: "192.0.2.4")
    }

    @Test func oneAddressTryingManyAccountsIsThrottled() async throws {
        _ = try await self.makeAdmin()
        for index in 0..<20 {
            await #expect(throws: AccountError.invalidCredentials) {
                try await self.service.login(username: "guess\(index)", password: "not the password", address: "198.51.100.7")
            }
        }
        await #expect(throws: AccountError.rateLimited(retryAfterSeconds: 900)) {
            try await self.service.login(username: "root", password: "correct horse battery", address: "198.51.100.7")
        }
        _ = try await self.service.login(username: "root", password: "correct horse battery", address: "198.51.100.8")
    }

    @Test func sessionsExpireWhenIdleAndAtTheirMaximumAge() async throws {
        _ = try await self.makeAdmin()
        let signIn = try await self.service.login(username: "root", password: "correct horse battery", address: "192.0.2.1")
        for _ in 0..<15 {
            self.clock.advance(11 * 3600)
            #expect(try await self.service.authenticate(sessionToken: signIn.cookieToken) != nil)
        }
        // 15 × 11 h = 165 h; the next use, at 176 h, is past the 168 h (7 days) limit.
        self.clock.advance(11 * 3600)
        #expect(try await self.service.authenticate(sessionToken: signIn.cookieToken) == nil)

        let idle = try await self.service.login(username: "root", password: "correct horse battery", address: "192.0.2.1")
        self.clock.advance(12 * 3600 + 1)
        #expect(try await self.service.authenticate(sessionToken: idle.cookieToken) == nil)
    }

    @Test func apiTokensWorkUntilRevokedOrTheirUserIsDisabled() async throws {
        let admin = try await self.makeAdmin()
        let ana = try await self.service.createUser(
            username: "ana", role: .analyst, password: "another long secret", by: .user(admin), address: "x")
        let (token, secret) = try await self.service.createAPIToken(for: ana, name: "MISP sync", address: "x")
        #expect(secret.hasPrefix("cfz_"))
        #expect(token.prefix == String(secret.prefix(12)))
        #expect(token.tokenHash == Secrets.digest(secret))
        #expect(try await self.service.authenticate(bearer: secret)?.username == "ana")
        #expect(try await self.service.authenticate(bearer: "cfz_guess") == nil)
        #expect(try await self.service.authenticate(bearer: "not-even-a-token") == nil)

        _ = try await self.service.setDisabled(username: "ana", disabled: true, by: .user(admin), address: "x")
        #expect(try await self.service.authenticate(bearer: secret) == nil)
        let enabled = try await self.service.setDisabled(username: "ana", disabled: false, by: .user(admin), address: "x")
        #expect(try await self.service.authenticate(bearer: secret) != nil)

        await #expect(throws: AccountError.tokenNotFound) {
            try await self.service.revokeAPIToken(id: token.id, of: admin, address: "x")
        }
        try await self.service.revokeAPIToken(id: token.id, of: enabled, address: "x")
        #expect(try await self.service.authenticate(bearer: secret) == nil)

        for bad in ["", "   ", String(repeating: "n", count: 101), "tab\there"] {
            await #expect(throws: AccountError.self) { try await self.service.createAPIToken(for: ana, name: bad, address: "x") }
        }
    }

    @Test func onlyAdminsManageUsersAndTheLastAdminStays() async throws {
        let admin = try await self.makeAdmin()
        let ana = try await self.service.createUser(
            username: "ana", role: .analyst, password: "another long secret", by: .user(admin), address: "x")
        await #expect(throws: AccountError.forbidden(required: .admin)) {
            try await self.service.createUser(
                username: "eve", role: .admin, password: "another long secret", by: .user(ana), address: "x")
        }
        await #expect(throws: AccountError.lastAdmin) {
            try await self.service.setRole(username: "root", role: .viewer, by: .user(admin), address: "x")
        }
        await #expect(throws: AccountError.lastAdmin) {
            try await self.service.setDisabled(username: "root", disabled: true, by: .console, address: "cli")
        }
        _ = try await self.service.setRole(username: "ana", role: .admin, by: .user(admin), address: "x")
        let demoted = try await self.service.setRole(username: "root", role: .viewer, by: .console, address: "cli")
        #expect(demoted.role == .viewer)
        let audit = try await self.store.auditEntries(limit: 1, before: nil)
        #expect(audit.first?.event.detail == "admin -> viewer")
        #expect(audit.first?.event.actor == nil)
    }

    @Test func resettingAPasswordEndsSessionsAndTheOldPassword() async throws {
        _ = try await self.makeAdmin()
        let before = try await self.service.login(username: "root", password: "correct horse battery", address: "x")
        let generated = try await self.service.resetPassword(username: "root", by: .console, address: "cli")
        #expect(generated.count == 23)
        #expect(try await self.service.authenticate(sessionToken: before.cookieToken) == nil)
        await #expect(throws: AccountError.invalidCredentials) {
            try await self.service.login(username: "root", password: "correct horse battery", address: "x")
        }
        let after = try await self.service.login(username: "root", password: generated, address: "x")
        await #expect(throws: AccountError.wrongCurrentPassword) {
            try await self.service.changePassword(user: after.user, current: "nope", new: "a brand new phrase", address: "x")
        }
        try await self.service.changePassword(user: after.user, current: generated, new: "a brand new phrase", address: "x")
        _ = try await self.service.login(username: "root", password: "a brand new phrase", address: "x")
    }

    @Test(arguments: ["", "a", "-dash", "Has Space", "ñandú", String(repeating: "x", count: 65), "semi;colon"])
    func badUsernamesAreRefused(name: String) async throws {
        await #expect(throws: AccountError.self) {
            try await self.service.createUser(username: name, role: .viewer, password: "correct horse battery", by: .console, address: "cli")
        }
    }

    @Test(arguments: ["short", "aaaaaaaaaaaaaaaa", "contains-the-ana-name", String(repeating: "ñ", count: 40)])
    func weakOrOverlongPasswordsAreRefused(password: String) async throws {
        await #expect(throws: AccountError.self) {
            try await self.service.createUser(username: "ana", role: .viewer, password: password, by: .console, address: "cli")
        }
        #expect(try await self.store.userCount() == 0)
    }

    @Test func duplicateUsernamesAreRefused() async throws {
        _ = try await self.makeAdmin()
        await #expect(throws: AccountError.usernameTaken("root")) { try await self.makeAdmin("Root") }
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
        #expect(Language.negotiate(acceptLanguage: header) == expected)
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
