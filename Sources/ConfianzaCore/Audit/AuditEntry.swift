import Foundation

/// A kind of security-relevant action. The raw value is what the audit log stores and shows; modules add
/// their own, and entries written by a newer Confianza read back as they were.
public struct AuditAction: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { self.rawValue }

    public static let login = AuditAction(rawValue: "login")
    public static let loginFailed = AuditAction(rawValue: "login.failed")
    public static let loginRateLimited = AuditAction(rawValue: "login.rate-limited")
    public static let logout = AuditAction(rawValue: "logout")
    public static let userCreated = AuditAction(rawValue: "user.created")
    public static let userRoleChanged = AuditAction(rawValue: "user.role-changed")
    public static let userDisabled = AuditAction(rawValue: "user.disabled")
    public static let userEnabled = AuditAction(rawValue: "user.enabled")
    public static let userPasswordReset = AuditAction(rawValue: "user.password-reset")
    public static let userPasswordChanged = AuditAction(rawValue: "user.password-changed")
    public static let tokenCreated = AuditAction(rawValue: "token.created")
    public static let tokenRevoked = AuditAction(rawValue: "token.revoked")
    public static let constituencyImported = AuditAction(rawValue: "constituency.imported")
    public static let constituencyReplaced = AuditAction(rawValue: "constituency.replaced")
    public static let organisationDeleted = AuditAction(rawValue: "organisation.deleted")
    public static let quarantineReprocessed = AuditAction(rawValue: "quarantine.reprocessed")
    public static let incidentShared = AuditAction(rawValue: "incident.shared")
    public static let indicatorRevoked = AuditAction(rawValue: "indicator.revoked")
    public static let indicatorRestored = AuditAction(rawValue: "indicator.restored")
    public static let taxiiCollectionAdded = AuditAction(rawValue: "taxii.collection.added")
    public static let taxiiGrant = AuditAction(rawValue: "taxii.grant")
    public static let taxiiTokenIssued = AuditAction(rawValue: "taxii.token.issued")
    public static let taxiiTokenRevoked = AuditAction(rawValue: "taxii.token.revoked")
    public static let peerAdded = AuditAction(rawValue: "peer.added")
    public static let peerChanged = AuditAction(rawValue: "peer.changed")
    public static let userTokensRevoked = AuditAction(rawValue: "user.tokens-revoked")
    public static let organisationSaved = AuditAction(rawValue: "organisation.saved")
    public static let contactSaved = AuditAction(rawValue: "contact.saved")
    public static let contactDeleted = AuditAction(rawValue: "contact.deleted")
    public static let assetAdded = AuditAction(rawValue: "asset.added")
    public static let assetDeleted = AuditAction(rawValue: "asset.deleted")
    public static let indicatorsImported = AuditAction(rawValue: "indicators.imported")
    public static let feedAdded = AuditAction(rawValue: "feed.added")
    public static let feedRemoved = AuditAction(rawValue: "feed.removed")
    public static let feedEnabled = AuditAction(rawValue: "feed.enabled")
    public static let feedDisabled = AuditAction(rawValue: "feed.disabled")
    public static let feedFetched = AuditAction(rawValue: "feed.fetched")
    public static let feedSchemaLoaded = AuditAction(rawValue: "feed.schema-loaded")
    public static let retentionRun = AuditAction(rawValue: "retention.run")
    public static let retentionDryRun = AuditAction(rawValue: "retention.dry-run")
}

/// An action to append to the audit log.
public struct AuditEvent: Sendable, Equatable {
    public var at: Date
    /// Username of who acted; `nil` for the command line run by the machine's operator or an unknown user.
    public var actor: String?
    public var action: AuditAction
    /// What the action was about (a username, a token name, …).
    public var target: String?
    /// Network address of the request, or `cli`.
    public var address: String?
    public var detail: String?

    public init(
        at: Date, actor: String?, action: AuditAction, target: String? = nil, address: String? = nil,
        detail: String? = nil
    ) {
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.address = address
        self.detail = detail
    }
}

/// An entry read back from the audit log, with its position in it.
public struct AuditEntry: Sendable, Equatable {
    /// Increasing with time of insertion.
    public var sequence: Int64
    public var event: AuditEvent

    public init(sequence: Int64, event: AuditEvent) {
        self.sequence = sequence
        self.event = event
    }
}
