import ConfianzaCore
import Foundation
import SQLKit
import Synchronization

extension SQLStore {
    // MARK: users

    public func insertUser(_ user: User) async throws {
        do {
            try await self.withDatabase { db in
                try await db.raw(
                    """
                    INSERT INTO users (id, username, display_name, role, password_hash, language, disabled, created_at,
                        password_changed_at)
                    VALUES (\(bind: user.id.uuidString), \(bind: user.username), \(bind: user.displayName),
                        \(bind: user.role.rawValue), \(bind: user.passwordHash), \(bind: user.language?.rawValue),
                        \(bind: user.disabled), \(bind: Millis(user.createdAt)), \(bind: Millis(user.passwordChangedAt)))
                    """
                ).run()
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "username", value: user.username)
        }
    }

    private static let userColumns = "id, username, display_name, role, password_hash, language, disabled, created_at, password_changed_at"

    public func user(named username: String) async throws -> User? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.userColumns) FROM users WHERE username = \(bind: username)").first()
                .map(Self.decodeUser)
        }
    }

    public func user(id: UUID) async throws -> User? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.userColumns) FROM users WHERE id = \(bind: id.uuidString)").first()
                .map(Self.decodeUser)
        }
    }

    public func users() async throws -> [User] {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.userColumns) FROM users ORDER BY username").all().map(Self.decodeUser)
        }
    }

    public func updateUser(_ user: User) async throws {
        let changed: Int
        do {
            changed = try await self.withDatabase { db in
                try await db.raw(
                    """
                    UPDATE users SET username = \(bind: user.username), display_name = \(bind: user.displayName),
                        role = \(bind: user.role.rawValue), password_hash = \(bind: user.passwordHash),
                        language = \(bind: user.language?.rawValue), disabled = \(bind: user.disabled),
                        password_changed_at = \(bind: Millis(user.passwordChangedAt))
                    WHERE id = \(bind: user.id.uuidString)
                    RETURNING id
                    """
                ).all().count
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "username", value: user.username)
        }
        if changed == 0 { throw StoreError.notFound("user \(user.username)") }
        try await self.credentialsChanged()
    }

    public func userCount() async throws -> Int {
        try await self.withReading { db in
            try await db.raw("SELECT COUNT(*) AS n FROM users").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    static func decodeUser(_ row: any SQLRow) throws -> User {
        let idText = try row.decode(column: "id", as: String.self)
        let roleText = try row.decode(column: "role", as: String.self)
        guard let id = UUID(uuidString: idText) else { throw StoreError.corrupt("user id '\(idText)' is not a UUID") }
        guard let role = Role(rawValue: roleText) else { throw StoreError.corrupt("user role '\(roleText)' is unknown") }
        let language = try row.decode(column: "language", as: String?.self).flatMap(Language.init(rawValue:))
        return User(
            id: id, username: try row.decode(column: "username", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self), role: role,
            passwordHash: try row.decode(column: "password_hash", as: String.self), language: language,
            disabled: try row.decode(column: "disabled", as: Bool.self),
            createdAt: try Millis.date(row, "created_at"),
            passwordChangedAt: try Millis.date(row, "password_changed_at"))
    }

    // MARK: sessions

    public func insertSession(_ session: Session) async throws {
        try await self.withDatabase { db in
            try await db.raw(
                """
                INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, address)
                VALUES (\(bind: session.tokenHash), \(bind: session.userID.uuidString), \(bind: session.csrfToken),
                    \(bind: Millis(session.createdAt)), \(bind: Millis(session.expiresAt)),
                    \(bind: Millis(session.lastSeenAt)), \(bind: session.address))
                """
            ).run()
        }
    }

    public func session(tokenHash: String) async throws -> Session? {
        try await self.withReading { db in
            guard
                let row = try await db.raw(
                    """
                    SELECT token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, address
                    FROM sessions WHERE token_hash = \(bind: tokenHash)
                    """
                ).first()
            else { return nil }
            let userText = try row.decode(column: "user_id", as: String.self)
            guard let userID = UUID(uuidString: userText) else { throw StoreError.corrupt("session user '\(userText)'") }
            return Session(
                tokenHash: try row.decode(column: "token_hash", as: String.self), userID: userID,
                csrfToken: try row.decode(column: "csrf_token", as: String.self),
                createdAt: try Millis.date(row, "created_at"), expiresAt: try Millis.date(row, "expires_at"),
                lastSeenAt: try Millis.date(row, "last_seen_at"), address: try row.decode(column: "address", as: String.self))
        }
    }

    public func extendSession(tokenHash: String, expiresAt: Date, lastSeenAt: Date) async throws {
        try await self.withDatabase { db in
            try await db.raw(
                """
                UPDATE sessions SET expires_at = \(bind: Millis(expiresAt)), last_seen_at = \(bind: Millis(lastSeenAt))
                WHERE token_hash = \(bind: tokenHash)
                """
            ).run()
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await self.withDatabase { db in
            try await db.raw("DELETE FROM sessions WHERE token_hash = \(bind: tokenHash)").run()
        }
    }

    public func deleteSessions(userID: UUID) async throws {
        try await self.withDatabase { db in
            try await db.raw("DELETE FROM sessions WHERE user_id = \(bind: userID.uuidString)").run()
        }
    }

    public func deleteExpiredSessions(before date: Date) async throws -> Int {
        try await self.withDatabase { db in
            try await db.raw("DELETE FROM sessions WHERE expires_at < \(bind: Millis(date)) RETURNING token_hash").all().count
        }
    }

    // MARK: API tokens

    public func insertToken(_ token: APIToken) async throws {
        do {
            try await self.withDatabase { db in
                try await db.raw(
                    """
                    INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, last_used_at, revoked_at)
                    VALUES (\(bind: token.id.uuidString), \(bind: token.userID.uuidString), \(bind: token.name),
                        \(bind: token.tokenHash), \(bind: token.prefix), \(bind: Millis(token.createdAt)),
                        \(bind: token.lastUsedAt.map(Millis.init)), \(bind: token.revokedAt.map(Millis.init)))
                    """
                ).run()
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "token", value: token.prefix)
        }
    }

    private static let tokenColumns = "id, user_id, name, token_hash, prefix, created_at, last_used_at, revoked_at"

    public func token(hash: String) async throws -> APIToken? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.tokenColumns) FROM api_tokens WHERE token_hash = \(bind: hash)")
                .first().map(Self.decodeToken)
        }
    }

    public func tokens(userID: UUID) async throws -> [APIToken] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.tokenColumns) FROM api_tokens WHERE user_id = \(bind: userID.uuidString)
                ORDER BY created_at DESC, id
                """
            ).all().map(Self.decodeToken)
        }
    }

    public func revokeToken(id: UUID, userID: UUID, at date: Date) async throws -> Bool {
        let revoked = try await self.withDatabase { db in
            try await db.raw(
                """
                UPDATE api_tokens SET revoked_at = \(bind: Millis(date))
                WHERE id = \(bind: id.uuidString) AND user_id = \(bind: userID.uuidString) AND revoked_at IS NULL
                RETURNING id
                """
            ).all().count == 1
        }
        if revoked { try await self.credentialsChanged() }
        return revoked
    }

    public func revokeTokens(userID: UUID, at date: Date) async throws -> Int {
        let count = try await self.withDatabase { db in
            try await db.raw(
                "UPDATE api_tokens SET revoked_at = \(bind: Millis(date)) WHERE user_id = \(bind: userID.uuidString) AND revoked_at IS NULL RETURNING id"
            ).all().count
        }
        try await self.credentialsChanged()
        return count
    }

    public func credentialEpoch() async throws -> Int64 {
        try await self.withReading { db in
            try await db.raw("SELECT epoch FROM credential_epoch WHERE id = 1").first()?.decode(column: "epoch", as: Int64.self) ?? 0
        }
    }

    public var credentialChangesHere: Int64 { self.localCredentialChanges.load(ordering: .acquiring) }

    /// Moves the credential epoch on (see ``AccountStore/credentialEpoch()``), here and in the database.
    func credentialsChanged() async throws {
        self.localCredentialChanges.add(1, ordering: .releasing)
        try await self.withDatabase { db in try await db.raw("UPDATE credential_epoch SET epoch = epoch + 1 WHERE id = 1").run() }
    }

    public func markTokenUsed(id: UUID, at date: Date) async throws {
        try await self.withDatabase { db in
            try await db.raw("UPDATE api_tokens SET last_used_at = \(bind: Millis(date)) WHERE id = \(bind: id.uuidString)").run()
        }
    }

    static func decodeToken(_ row: any SQLRow) throws -> APIToken {
        let idText = try row.decode(column: "id", as: String.self)
        let userText = try row.decode(column: "user_id", as: String.self)
        guard let id = UUID(uuidString: idText), let userID = UUID(uuidString: userText) else {
            throw StoreError.corrupt("token '\(idText)' of user '\(userText)'")
        }
        return APIToken(
            id: id, userID: userID, name: try row.decode(column: "name", as: String.self),
            tokenHash: try row.decode(column: "token_hash", as: String.self),
            prefix: try row.decode(column: "prefix", as: String.self), createdAt: try Millis.date(row, "created_at"),
            lastUsedAt: try Millis.optionalDate(row, "last_used_at"), revokedAt: try Millis.optionalDate(row, "revoked_at"))
    }

    // MARK: login throttling

    public func countLoginAttempt(
        _ attempt: String, keys: [String], at date: Date, since: Date, admit: @Sendable ([LoginAttempts]) -> Bool
    ) async throws -> [LoginAttempts] {
        guard !keys.isEmpty else { return [] }
        return try await self.withTransaction { db in
            var found: [LoginAttempts] = []
            for key in keys {
                // PostgreSQL: attempts under one key are counted one at a time (SQLite has one writer anyway).
                if !self.isSQLite { try await db.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: key)))").run() }
                let row = try await db.raw(
                    "SELECT COUNT(*) AS n, MAX(at) AS latest FROM login_failures WHERE key = \(bind: key) AND at >= \(bind: Millis(since))"
                ).first()
                found.append(LoginAttempts(count: try row?.decode(column: "n", as: Int.self) ?? 0, latest: try row.flatMap { try Millis.optionalDate($0, "latest") }))
            }
            guard admit(found) else { return found }
            for key in keys {
                try await db.raw("INSERT INTO login_failures (key, at, attempt) VALUES (\(bind: key), \(bind: Millis(date)), \(bind: attempt))").run()
            }
            return found
        }
    }

    public func forgetLoginAttempt(_ attempt: String, key: String) async throws {
        try await self.withDatabase { db in
            try await db.raw("DELETE FROM login_failures WHERE key = \(bind: key) AND attempt = \(bind: attempt)").run()
        }
    }

    public func clearLoginFailures(key: String) async throws {
        try await self.withDatabase { db in
            try await db.raw("DELETE FROM login_failures WHERE key = \(bind: key)").run()
        }
    }

    public func pruneLoginFailures(before date: Date) async throws {
        try await self.withDatabase { db in
            try await db.raw("DELETE FROM login_failures WHERE at < \(bind: Millis(date))").run()
        }
    }
}

/// A time as whole milliseconds since 1970, the one portable way both databases store it.
struct Millis: Encodable, Sendable {
    let value: Int64

    init(_ date: Date) { self.value = Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.value)
    }

    static func date(_ row: any SQLRow, _ column: String) throws -> Date {
        Date(timeIntervalSince1970: Double(try row.decode(column: column, as: Int64.self)) / 1000)
    }

    static func optionalDate(_ row: any SQLRow, _ column: String) throws -> Date? {
        try row.decode(column: column, as: Int64?.self).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }
}
