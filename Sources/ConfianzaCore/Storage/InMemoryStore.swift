import Foundation

/// A ``Store`` kept in memory, for tests and throw-away runs. Behaves like the SQL stores.
public actor InMemoryStore: Store {
    private var usersByID: [UUID: User] = [:]
    private var sessions: [String: Session] = [:]
    private var tokensByID: [UUID: APIToken] = [:]
    private var failures: [String: [Date]] = [:]
    private var audit: [AuditEntry] = []
    var constituency = ConstituencyData()
    var eventData = EventData()
    var incidentData = IncidentData()
    var taxiiData = TAXIIData()

    public init() {}

    public func ping() async throws {}

    public func statistics() async -> StoreStatistics {
        StoreStatistics(backend: "memory", poolSize: 1, inUse: 0, waiting: 0)
    }

    // MARK: users

    public func insertUser(_ user: User) async throws {
        if self.usersByID.values.contains(where: { $0.username == user.username }) {
            throw StoreError.duplicate(field: "username", value: user.username)
        }
        self.usersByID[user.id] = user
    }

    public func user(named username: String) async throws -> User? {
        self.usersByID.values.first { $0.username == username }
    }

    public func user(id: UUID) async throws -> User? { self.usersByID[id] }

    public func users() async throws -> [User] { self.usersByID.values.sorted { $0.username < $1.username } }

    public func updateUser(_ user: User) async throws {
        guard self.usersByID[user.id] != nil else { throw StoreError.notFound("user \(user.username)") }
        if self.usersByID.values.contains(where: { $0.username == user.username && $0.id != user.id }) {
            throw StoreError.duplicate(field: "username", value: user.username)
        }
        self.usersByID[user.id] = user
    }

    public func userCount() async throws -> Int { self.usersByID.count }

    // MARK: sessions

    public func insertSession(_ session: Session) async throws {
        guard self.usersByID[session.userID] != nil else { throw StoreError.notFound("user \(session.userID)") }
        self.sessions[session.tokenHash] = session
    }

    public func session(tokenHash: String) async throws -> Session? { self.sessions[tokenHash] }

    public func extendSession(tokenHash: String, expiresAt: Date, lastSeenAt: Date) async throws {
        self.sessions[tokenHash]?.expiresAt = expiresAt
        self.sessions[tokenHash]?.lastSeenAt = lastSeenAt
    }

    public func deleteSession(tokenHash: String) async throws { self.sessions[tokenHash] = nil }

    public func deleteSessions(userID: UUID) async throws {
        self.sessions = self.sessions.filter { $0.value.userID != userID }
    }

    public func deleteExpiredSessions(before date: Date) async throws -> Int {
        let before = self.sessions.count
        self.sessions = self.sessions.filter { $0.value.expiresAt >= date }
        return before - self.sessions.count
    }

    // MARK: tokens

    public func insertToken(_ token: APIToken) async throws {
        guard self.usersByID[token.userID] != nil else { throw StoreError.notFound("user \(token.userID)") }
        if self.tokensByID.values.contains(where: { $0.tokenHash == token.tokenHash }) {
            throw StoreError.duplicate(field: "token", value: token.prefix)
        }
        self.tokensByID[token.id] = token
    }

    public func token(hash: String) async throws -> APIToken? {
        self.tokensByID.values.first { $0.tokenHash == hash }
    }

    public func tokens(userID: UUID) async throws -> [APIToken] {
        self.tokensByID.values.filter { $0.userID == userID }
            .sorted { $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.id.uuidString < $1.id.uuidString }
    }

    public func revokeToken(id: UUID, userID: UUID, at date: Date) async throws -> Bool {
        guard let token = self.tokensByID[id], token.userID == userID, token.revokedAt == nil else { return false }
        self.tokensByID[id]?.revokedAt = date
        return true
    }

    public func markTokenUsed(id: UUID, at date: Date) async throws { self.tokensByID[id]?.lastUsedAt = date }

    // MARK: login throttling

    public func recordLoginFailure(keys: [String], at date: Date) async throws {
        for key in keys { self.failures[key, default: []].append(date) }
    }

    public func loginFailureCount(key: String, since date: Date) async throws -> Int {
        self.failures[key, default: []].filter { $0 >= date }.count
    }

    public func clearLoginFailures(key: String) async throws { self.failures[key] = nil }

    public func pruneLoginFailures(before date: Date) async throws {
        for key in self.failures.keys { self.failures[key] = self.failures[key]?.filter { $0 >= date } }
        self.failures = self.failures.filter { !$0.value.isEmpty }
    }

    // MARK: audit

    public func appendAudit(_ event: AuditEvent) async throws {
        self.audit.append(AuditEntry(sequence: Int64(self.audit.count + 1), event: event))
    }

    public func auditEntries(limit: Int, before sequence: Int64?) async throws -> [AuditEntry] {
        let older = self.audit.reversed().filter { entry in sequence.map { entry.sequence < $0 } ?? true }
        return Array(older.prefix(max(0, limit)))
    }
}
