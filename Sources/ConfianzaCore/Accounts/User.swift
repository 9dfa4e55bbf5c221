import Foundation

/// A person who signs in to Confianza.
public struct User: Sendable, Equatable, Codable, Identifiable {
    public var id: UUID
    /// Lower-case login name, unique.
    public var username: String
    public var displayName: String
    public var role: Role
    /// A bcrypt hash (`$2b$…`); never the password.
    public var passwordHash: String
    /// The language the user chose for pages, or `nil` to follow the browser.
    public var language: Language?
    public var disabled: Bool
    public var createdAt: Date
    public var passwordChangedAt: Date

    public init(
        id: UUID = UUID(), username: String, displayName: String, role: Role, passwordHash: String,
        language: Language? = nil, disabled: Bool = false, createdAt: Date, passwordChangedAt: Date? = nil
    ) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.role = role
        self.passwordHash = passwordHash
        self.language = language
        self.disabled = disabled
        self.createdAt = createdAt
        self.passwordChangedAt = passwordChangedAt ?? createdAt
    }
}

/// A signed-in browser. The cookie carries a random token; the store keeps only its SHA-256.
public struct Session: Sendable, Equatable {
    /// SHA-256 of the cookie value, hex.
    public var tokenHash: String
    public var userID: UUID
    /// The synchronizer token that every state-changing form of this session must carry.
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date
    public var lastSeenAt: Date
    public var address: String

    public init(
        tokenHash: String, userID: UUID, csrfToken: String, createdAt: Date, expiresAt: Date, lastSeenAt: Date,
        address: String
    ) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastSeenAt = lastSeenAt
        self.address = address
    }
}

/// A bearer token for the JSON API. Shown once when made; the store keeps only its SHA-256.
public struct APIToken: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var userID: UUID
    public var name: String
    /// SHA-256 of the token, hex.
    public var tokenHash: String
    /// The first characters of the token, so its owner can tell tokens apart.
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: UUID = UUID(), userID: UUID, name: String, tokenHash: String, prefix: String, createdAt: Date,
        lastUsedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.name = name
        self.tokenHash = tokenHash
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

extension User {
    /// Whether incidents may be assigned to this user: an active analyst or admin.
    public var canHandleIncidents: Bool { !self.disabled && self.role.includes(.analyst) }
}
