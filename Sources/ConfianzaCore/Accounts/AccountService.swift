import Foundation
import Synchronization

/// Who is acting: a signed-in user, or the operator at the machine's console (`confianza user …`).
public enum Principal: Sendable, Equatable {
    case user(User)
    case console

    var auditName: String? {
        switch self {
        case .user(let user): user.username
        case .console: nil
        }
    }
}

/// Limits for sign-in and sessions.
public struct AccountPolicy: Sendable {
    /// How long a session lives without use; each use extends it.
    public var sessionIdleLifetime: TimeInterval = 12 * 3600
    /// How long a session may live at most, used or not.
    public var sessionMaximumLifetime: TimeInterval = 7 * 24 * 3600
    public var failureWindow: TimeInterval = 15 * 60
    /// Failed attempts on one account from one address before that address must wait.
    public var maxFailuresPerAccount = 5
    /// Failed attempts from one address, on any accounts, before it must wait.
    public var maxFailuresPerAddress = 20
    /// The first wait; each further attempt doubles it, up to ``failureWindow``.
    public var firstWait: TimeInterval = 30
    public var minimumPasswordLength = 12

    public init() {}

    /// Seconds still to wait before another attempt, given the attempts counted before it (`nil`: none).
    func wait(after attempts: LoginAttempts, limit: Int, at date: Date) -> Int? {
        guard attempts.count >= limit, let latest = attempts.latest else { return nil }
        let doublings = min(attempts.count - limit, 20)
        let wait = min(self.failureWindow, self.firstWait * Double(1 << doublings))
        let left = latest.addingTimeInterval(wait).timeIntervalSince(date)
        return left > 0 ? Int(left.rounded(.up)) : nil
    }
}

/// The rules for users, sessions and API tokens. Every security-relevant change lands in the audit log.
public struct AccountService: Sendable {
    /// The stores accounts are kept in.
    public typealias Storage = any AccountStore & AuditStore

    public let store: Storage
    public let policy: AccountPolicy
    private let hasher: any PasswordHasher
    /// Where passwords are checked (shared by every copy of this service).
    public let gate: PasswordGate
    /// Keys refused until a time, remembered so that a flood of attempts on them costs no database work.
    private let refusals = LoginRefusals()
    private let now: @Sendable () -> Date
    /// A hash to check against when the user does not exist, so both answers take as long.
    private let decoyHash: String

    public init(
        store: Storage, hasher: any PasswordHasher, policy: AccountPolicy = AccountPolicy(), gate: PasswordGate = PasswordGate(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.hasher = hasher
        self.gate = gate
        self.policy = policy
        self.now = now
        self.decoyHash = hasher.hash(Secrets.randomToken(bytes: 12))
    }

    // MARK: validation

    public static func validateUsername(_ name: String) throws(AccountError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard (2...64).contains(name.count), name.allSatisfy({ allowed.contains($0) }),
            let first = name.first, first.isLetter || first.isNumber
        else { throw .invalidUsername(name) }
    }

    public func validatePassword(_ password: String, username: String) throws(AccountError) {
        if password.count < self.policy.minimumPasswordLength {
            throw .weakPassword(
                .init("account.error.password_short", english: "use at least \(self.policy.minimumPasswordLength) characters", ["min": String(self.policy.minimumPasswordLength)]))
        }
        if password.utf8.count > 72 {
            throw .weakPassword(.init("account.error.password_long", english: "use at most 72 bytes (bcrypt ignores the rest)"))
        }
        if password.lowercased().contains(username.lowercased()) {
            throw .weakPassword(.init("account.error.password_username", english: "do not include the username"))
        }
        if Set(password).count < 4 {
            throw .weakPassword(.init("account.error.password_repetitive", english: "use more different characters"))
        }
    }

    static func validateDisplayName(_ name: String) throws(AccountError) {
        guard name.count <= 100 else { throw .invalidDisplayName(.init("account.error.display_name_long", english: "use at most 100 characters")) }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidDisplayName(.init("account.error.display_name_control", english: "control characters are not allowed"))
        }
    }

    // MARK: users

    /// Creates a user. Only an admin (or the console) may.
    public func createUser(
        username rawName: String, displayName: String? = nil, role: Role, password: String, by principal: Principal,
        address: String
    ) async throws -> User {
        try Self.requireAdmin(principal)
        let user = try self.newUser(username: rawName, displayName: displayName ?? "", role: role, password: password)
        let username = user.username
        do {
            try await self.store.insertUser(user)
        } catch StoreError.duplicate {
            throw AccountError.usernameTaken(username)
        }
        try await self.audit(.userCreated, by: principal, target: username, address: address, detail: "role=\(role.rawValue)")
        return user
    }

    /// A user checked (name, display name, password) and hashed, not stored: ``createUser`` stores it at
    /// once; an accepted invitation stores it together with what the invitation grants.
    public func newUser(username rawName: String, displayName: String, role: Role, password: String) throws(AccountError) -> User {
        let username = rawName.trimmingCharacters(in: .whitespaces).lowercased()
        try Self.validateUsername(username)
        let display = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.validateDisplayName(display)
        try self.validatePassword(password, username: username)
        return User(
            username: username, displayName: display.isEmpty ? username : display, role: role, passwordHash: self.hasher.hash(password),
            createdAt: self.now())
    }

    public func user(named username: String) async throws -> User {
        guard let user = try await self.store.user(named: username.lowercased()) else {
            throw AccountError.unknownUser(username)
        }
        return user
    }

    public func setRole(username: String, role: Role, by principal: Principal, address: String) async throws -> User {
        try Self.requireAdmin(principal)
        var user = try await self.user(named: username)
        guard user.role != role else { return user }
        if user.role == .admin, !user.disabled { try await self.requireAnotherActiveAdmin(than: user) }
        let old = user.role
        user.role = role
        try await self.store.updateUser(user)
        try await self.audit(
            .userRoleChanged, by: principal, target: user.username, address: address,
            detail: "\(old.rawValue) -> \(role.rawValue)")
        return user
    }

    public func setDisabled(username: String, disabled: Bool, by principal: Principal, address: String) async throws -> User {
        try Self.requireAdmin(principal)
        var user = try await self.user(named: username)
        guard user.disabled != disabled else { return user }
        if disabled, user.role == .admin { try await self.requireAnotherActiveAdmin(than: user) }
        user.disabled = disabled
        try await self.store.updateUser(user)
        if disabled { try await self.store.deleteSessions(userID: user.id) }
        try await self.audit(disabled ? .userDisabled : .userEnabled, by: principal, target: user.username, address: address)
        return user
    }

    /// Sets a new password for someone else (or a forgotten one). Returns the new password: the one
    /// given, or a generated one when `newPassword` is `nil`. Ends the user's sessions; with
    /// `revokeTokens`, revokes the user's API tokens too (a password reset after a compromise: tokens
    /// the intruder made would outlive the password otherwise).
    public func resetPassword(
        username: String, newPassword: String? = nil, revokeTokens: Bool = false, by principal: Principal, address: String
    ) async throws -> String {
        try Self.requireAdmin(principal)
        var user = try await self.user(named: username)
        let password = newPassword ?? Secrets.readablePassword()
        try self.validatePassword(password, username: user.username)
        let hasher = self.hasher
        user.passwordHash = try await self.gate.run { hasher.hash(password) }
        user.passwordChangedAt = self.now()
        try await self.store.updateUser(user)
        try await self.store.deleteSessions(userID: user.id)
        try await self.audit(.userPasswordReset, by: principal, target: user.username, address: address)
        if revokeTokens {
            let revoked = try await self.store.revokeTokens(userID: user.id, at: self.now())
            try await self.audit(.userTokensRevoked, by: principal, target: user.username, address: address, detail: "\(revoked) tokens")
        }
        return password
    }

    /// A user changes their own password, proving they know the current one. Every session of the user
    /// ends, the current one included: they sign in again with the new password.
    public func changePassword(user: User, current: String, new: String, address: String) async throws {
        let hasher = self.hasher
        let hash = user.passwordHash
        guard try await self.gate.run({ hasher.verify(current, hash: hash) }) else { throw AccountError.wrongCurrentPassword }
        try self.validatePassword(new, username: user.username)
        var changed = user
        changed.passwordHash = self.hasher.hash(new)
        changed.passwordChangedAt = self.now()
        try await self.store.updateUser(changed)
        try await self.store.deleteSessions(userID: user.id)
        try await self.audit(.userPasswordChanged, by: .user(user), target: user.username, address: address)
    }

    public func setLanguage(user: User, language: Language?) async throws -> User {
        var changed = user
        changed.language = language
        try await self.store.updateUser(changed)
        return changed
    }

    // MARK: sign-in

    /// A successful sign-in: the user, the cookie value to hand to the browser, and the stored session.
    public struct SignIn: Sendable {
        public var user: User
        public var cookieToken: String
        public var session: Session
    }

    /// Checks a username and password and opens a session.
    ///
    /// Every attempt is counted before the password is checked, under the account *from this address*
    /// and under the address. After ``AccountPolicy/maxFailuresPerAccount`` failures an account is
    /// refused from that address only, for a time that doubles with each further failure (from 30
    /// seconds up to the failure window): nobody can keep a user locked out from elsewhere. A refused
    /// attempt is not counted, so waiting the time given is enough. An address
    /// with ``AccountPolicy/maxFailuresPerAddress`` failures, on any accounts, is refused the same way.
    /// The password is checked through the ``PasswordGate``, off the request threads.
    ///
    /// - Throws: ``AccountError/invalidCredentials`` for an unknown user, a wrong password or a disabled
    ///   account alike; ``AccountError/rateLimited(retryAfterSeconds:)`` while refused;
    ///   ``AccountError/busy`` when too many sign-ins are being checked at once.
    public func login(username rawName: String, password: String, address: String) async throws -> SignIn {
        let username = rawName.trimmingCharacters(in: .whitespaces).lowercased()
        let date = self.now()
        let since = date.addingTimeInterval(-self.policy.failureWindow)
        let pairKey = "user:\(username)|address:\(address)"
        let addressKey = "address:\(address)"
        let keys = [pairKey, addressKey]
        if let wait = self.refusals.wait(for: keys, at: date) { throw AccountError.rateLimited(retryAfterSeconds: wait) }
        let attempt = Secrets.randomToken(bytes: 12)
        let policy = self.policy
        let limits = [policy.maxFailuresPerAccount, policy.maxFailuresPerAddress]
        let waits: @Sendable ([LoginAttempts]) -> [Int?] = { earlier in
            zip(earlier, limits).map { attempts, limit in policy.wait(after: attempts, limit: limit, at: date) }
        }
        let earlier = try await self.store.countLoginAttempt(attempt, keys: keys, at: date, since: since) { waits($0).allSatisfy { $0 == nil } }
        let refusedFor = waits(earlier)
        if let wait = refusedFor.compactMap({ $0 }).max() {
            // Audited once per refusal: the attempts it turns away meanwhile are answered from memory.
            self.refusals.refuse(zip(keys, refusedFor).compactMap { key, seconds in seconds.map { (key, date.addingTimeInterval(Double($0))) } })
            try await self.store.appendAudit(
                AuditEvent(at: date, actor: nil, action: .loginRateLimited, target: username, address: address))
            throw AccountError.rateLimited(retryAfterSeconds: wait)
        }
        let stored = try await self.store.user(named: username)
        let hasher = self.hasher
        let hash = stored?.passwordHash ?? self.decoyHash
        let passwordMatches = try await self.gate.run { hasher.verify(password, hash: hash) }
        guard let user = stored, passwordMatches, !user.disabled else {
            let reason = stored == nil ? "unknown user" : (passwordMatches ? "account disabled" : "wrong password")
            try await self.store.appendAudit(
                AuditEvent(at: date, actor: nil, action: .loginFailed, target: username, address: address, detail: reason))
            throw AccountError.invalidCredentials
        }
        try await self.store.clearLoginFailures(key: pairKey)
        try await self.store.forgetLoginAttempt(attempt, key: addressKey)
        let token = Secrets.randomToken()
        let session = Session(
            tokenHash: Secrets.digest(token), userID: user.id, csrfToken: Secrets.randomToken(),
            createdAt: date, expiresAt: date.addingTimeInterval(self.policy.sessionIdleLifetime), lastSeenAt: date,
            address: address)
        try await self.store.insertSession(session)
        try await self.audit(.login, by: .user(user), target: user.username, address: address)
        if Int.random(in: 0..<50) == 0 {
            try await self.store.deleteExpiredSessions(before: date)
            try await self.store.pruneLoginFailures(before: since)
        }
        return SignIn(user: user, cookieToken: token, session: session)
    }

    /// The user and session behind a session cookie, or `nil` when it is unknown, expired, or its
    /// user is disabled. Extends the session when more than a minute has passed since it was last seen.
    public func authenticate(sessionToken token: String) async throws -> (User, Session)? {
        guard !token.isEmpty, token.count <= 128 else { return nil }
        let hash = Secrets.digest(token)
        guard var session = try await self.store.session(tokenHash: hash) else { return nil }
        let date = self.now()
        let hardLimit = session.createdAt.addingTimeInterval(self.policy.sessionMaximumLifetime)
        guard session.expiresAt > date, hardLimit > date else {
            try await self.store.deleteSession(tokenHash: hash)
            return nil
        }
        guard let user = try await self.store.user(id: session.userID), !user.disabled else { return nil }
        if date.timeIntervalSince(session.lastSeenAt) > 60 {
            session.lastSeenAt = date
            session.expiresAt = min(date.addingTimeInterval(self.policy.sessionIdleLifetime), hardLimit)
            try await self.store.extendSession(tokenHash: hash, expiresAt: session.expiresAt, lastSeenAt: date)
        }
        return (user, session)
    }

    public func logout(sessionToken token: String, user: User, address: String) async throws {
        try await self.store.deleteSession(tokenHash: Secrets.digest(token))
        try await self.audit(.logout, by: .user(user), target: user.username, address: address)
    }

    // MARK: API tokens

    /// Makes an API token for a user. Returns the stored token and its secret, which is shown once.
    public func createAPIToken(for user: User, name rawName: String, address: String) async throws -> (APIToken, String) {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw AccountError.invalidTokenName(.init("account.error.token_name_empty", english: "give the token a name")) }
        guard name.count <= 100 else { throw AccountError.invalidTokenName(.init("account.error.token_name_long", english: "use at most 100 characters")) }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw AccountError.invalidTokenName(.init("account.error.token_name_control", english: "control characters are not allowed"))
        }
        let secret = "cfz_" + Secrets.randomToken()
        let token = APIToken(
            userID: user.id, name: name, tokenHash: Secrets.digest(secret), prefix: String(secret.prefix(12)),
            createdAt: self.now())
        try await self.store.insertToken(token)
        try await self.audit(.tokenCreated, by: .user(user), target: name, address: address, detail: token.prefix)
        return (token, secret)
    }

    /// The user behind a bearer token, or `nil` when it is unknown, revoked, or its user is disabled.
    public func authenticate(bearer secret: String) async throws -> User? {
        guard secret.hasPrefix("cfz_"), secret.count <= 128 else { return nil }
        guard let token = try await self.store.token(hash: Secrets.digest(secret)), token.revokedAt == nil,
            let user = try await self.store.user(id: token.userID), !user.disabled
        else { return nil }
        let date = self.now()
        if token.lastUsedAt.map({ date.timeIntervalSince($0) > 60 }) ?? true {
            try await self.store.markTokenUsed(id: token.id, at: date)
        }
        return user
    }

    public func revokeAPIToken(id: UUID, of user: User, address: String) async throws {
        guard try await self.store.revokeToken(id: id, userID: user.id, at: self.now()) else {
            throw AccountError.tokenNotFound
        }
        try await self.audit(.tokenRevoked, by: .user(user), target: id.uuidString, address: address)
    }

    // MARK: helpers

    static func requireAdmin(_ principal: Principal) throws(AccountError) {
        if case .user(let user) = principal, user.role != .admin || user.disabled { throw .forbidden(required: .admin) }
    }

    private func requireAnotherActiveAdmin(than user: User) async throws {
        let others = try await self.store.users().filter { $0.id != user.id && $0.role == .admin && !$0.disabled }
        if others.isEmpty { throw AccountError.lastAdmin }
    }

    private func audit(
        _ action: AuditAction, by principal: Principal, target: String?, address: String, detail: String? = nil
    ) async throws {
        try await self.store.appendAudit(
            AuditEvent(at: self.now(), actor: principal.auditName, action: action, target: target, address: address, detail: detail))
    }
}

/// Keys (an account from an address, an address) refused sign-in until a time. The database holds the
/// count; this only spares it (and the audit log) the attempts a flood makes while a refusal lasts.
final class LoginRefusals: Sendable {
    private let until = Mutex<[String: Date]>([:])

    func wait(for keys: [String], at date: Date) -> Int? {
        self.until.withLock { until in
            let waits = keys.compactMap { key -> Int? in
                guard let end = until[key] else { return nil }
                guard end > date else {
                    until[key] = nil
                    return nil
                }
                return Int(end.timeIntervalSince(date).rounded(.up))
            }
            return waits.max()
        }
    }

    func refuse(_ keys: [(String, Date)]) {
        self.until.withLock { until in
            // Bounded: a flood from many addresses cannot grow this without end.
            if until.count > 10_000 { until.removeAll() }
            for (key, end) in keys { until[key] = max(until[key] ?? end, end) }
        }
    }
}
