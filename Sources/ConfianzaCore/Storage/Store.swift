import Foundation

/// Storage for accounts, sessions, API tokens and login throttling.
///
/// Implemented by the SQLite and PostgreSQL stores in `ConfianzaStore`; both pass the same contract tests.
public protocol AccountStore: Sendable {
    /// Adds a user. Throws ``StoreError/duplicate(field:value:)`` when the username is taken.
    func insertUser(_ user: User) async throws
    func user(named username: String) async throws -> User?
    func user(id: UUID) async throws -> User?
    /// Every user, ordered by username.
    func users() async throws -> [User]
    /// Replaces the stored user with the same id. Throws ``StoreError/notFound(_:)`` when there is none.
    func updateUser(_ user: User) async throws
    func userCount() async throws -> Int

    func insertSession(_ session: Session) async throws
    func session(tokenHash: String) async throws -> Session?
    func extendSession(tokenHash: String, expiresAt: Date, lastSeenAt: Date) async throws
    func deleteSession(tokenHash: String) async throws
    /// Ends every session of a user (after a password reset or when the account is disabled).
    func deleteSessions(userID: UUID) async throws
    /// Removes sessions that expired before `date`; returns how many.
    @discardableResult func deleteExpiredSessions(before date: Date) async throws -> Int

    /// Adds a token. Throws ``StoreError/duplicate(field:value:)`` when the hash is already known.
    func insertToken(_ token: APIToken) async throws
    func token(hash: String) async throws -> APIToken?
    /// A user's tokens, newest first, revoked ones included.
    func tokens(userID: UUID) async throws -> [APIToken]
    /// Marks a token revoked; returns `false` when the user has no such live token.
    func revokeToken(id: UUID, userID: UUID, at date: Date) async throws -> Bool
    /// Revokes every live token of a user; returns how many.
    func revokeTokens(userID: UUID, at date: Date) async throws -> Int
    /// A number that grows whenever a credential or a right changes in any process sharing the
    /// database (a user changed or disabled, an API token revoked, a peer's tokens, access or details
    /// changed). Caches of credentials compare it to know they are stale.
    func credentialEpoch() async throws -> Int64
    /// How many such changes this process made through this store: free to read on every request, so
    /// that a change made here applies at once (others' through ``credentialEpoch()``).
    var credentialChangesHere: Int64 { get }
    func markTokenUsed(id: UUID, at date: Date) async throws

    /// Counts sign-in attempt `attempt` under each key (for example `user:ana|address:192.0.2.1` and
    /// `address:192.0.2.1`) before its password is checked, if `admit` accepts the attempts counted
    /// under those keys since `since`, which are returned. Reading and counting are one step, so
    /// attempts made at once cannot all pass on the same count.
    func countLoginAttempt(
        _ attempt: String, keys: [String], at date: Date, since: Date, admit: @Sendable ([LoginAttempts]) -> Bool
    ) async throws -> [LoginAttempts]
    /// Takes back an attempt counted under `key`: it succeeded.
    func forgetLoginAttempt(_ attempt: String, key: String) async throws
    func clearLoginFailures(key: String) async throws
    /// Forgets failures older than `date`.
    func pruneLoginFailures(before date: Date) async throws
}

/// The append-only log of security-relevant actions.
public protocol AuditStore: Sendable {
    func appendAudit(_ event: AuditEvent) async throws
    /// Entries newest first, at most `limit`, optionally only those older than sequence `before`.
    func auditEntries(limit: Int, before sequence: Int64?) async throws -> [AuditEntry]
}

/// Figures about the storage backend, for `/metrics`.
public struct StoreStatistics: Sendable, Equatable {
    /// `sqlite` or `postgres`.
    public var backend: String
    /// Connections this process may hold.
    public var poolSize: Int
    /// Connections this process is using now.
    public var inUse: Int
    /// Callers waiting for a connection now.
    public var waiting: Int

    public init(backend: String, poolSize: Int, inUse: Int, waiting: Int) {
        self.backend = backend
        self.poolSize = poolSize
        self.inUse = inUse
        self.waiting = waiting
    }
}

/// Whether the database answers, and how its connections are used: for `/healthz` and `/metrics`.
public protocol StoreHealth: Sendable {
    /// Checks that the database answers. Throws ``StoreError/unavailable(_:)`` when it does not.
    func ping() async throws
    func statistics() async -> StoreStatistics
}

/// Every module's store in one: only the executable, which wires storage to the services, uses it.
/// Services and controllers name the module stores they use (`any IncidentStore & PeerStore`, …).
public protocol Store: AccountStore, AuditStore, ConstituencyStore, EventStore, IncidentStore, PeerStore, IndicatorStore, TAXIIStore, HeldReplyStore, FeedSourceStore, RetentionStore, AssessmentStore, RiskStore, KnowledgeStore, ReportStore, StoreHealth {}

/// Why a storage operation failed, in words an operator can act on.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case duplicate(field: String, value: String)
    case notFound(String)
    case unavailable(String)
    case schemaTooNew(found: Int, supported: Int)
    case migrationFailed(version: Int, reason: String)
    case invalidConfiguration(String)
    case corrupt(String)
    /// A process lost the lease under which it was writing (another process took the work over).
    case leaseLost(String)

    public var description: String {
        switch self {
        case .duplicate(let field, let value): "\(field) '\(value)' is already taken"
        case .notFound(let what): "\(what) not found"
        case .unavailable(let reason): "database unavailable: \(reason)"
        case .schemaTooNew(let found, let supported):
            "the database is at schema version \(found) but this program knows only up to \(supported): "
                + "run a newer Confianza, or restore a backup made by this version"
        case .migrationFailed(let version, let reason): "migration \(version) failed: \(reason)"
        case .invalidConfiguration(let reason): "invalid database configuration: \(reason)"
        case .corrupt(let reason): "stored data is not readable: \(reason)"
        case .leaseLost(let what): "\(what) is being read by another process now (this one held it too long): nothing of this batch was stored"
        }
    }
}

/// Earlier sign-in attempts under one key, within the window asked about.
public struct LoginAttempts: Sendable, Equatable {
    public var count: Int
    public var latest: Date?

    public init(count: Int, latest: Date?) {
        self.count = count
        self.latest = latest
    }
}
