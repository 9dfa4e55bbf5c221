import Foundation

/// Why a change to the TAXII server's collections or peers' access was refused. `field` names the
/// input at fault, so that pages can say it in the reader's language.
public enum SharingError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(field: String, reason: String)
    case aliasTaken(String)
    case unknownPeer(UUID)
    case unknownCollection(UUID)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field) \(reason)"
        case .aliasTaken(let alias): "another collection is already called '\(alias)'"
        case .unknownPeer(let id): "there is no peer \(id)"
        case .unknownCollection(let id): "there is no collection \(id)"
        }
    }
}

/// The rules for who may use our TAXII server: collections, each peer's rights on them, and the tokens
/// peers' tools present. Every change lands in the audit log. The command line, the sharing page and
/// the demo all go through here.
public struct SharingService: Sendable {
    /// Prefix of peer tokens (staff API tokens start `cfz_`).
    public static let tokenPrefix = "cfp_"

    public typealias Storage = any TAXIIStore & PeerStore & AuditStore

    let store: Storage
    let now: @Sendable () -> Date

    public init(store: Storage, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    /// Checks and adds a collection. `tlp` is a TLP label; an empty alias means none.
    public func addCollection(
        title rawTitle: String, tlp label: String, alias rawAlias: String = "", description: String = "", by actor: String, address: String? = nil
    ) async throws -> TAXIICollection {
        let title = rawTitle.trimmingCharacters(in: .whitespaces)
        guard !title.isEmpty, title.count <= 200 else { throw SharingError.invalid(field: "title", reason: "is required (at most 200 characters)") }
        guard let tlp = TLP(label: label) else {
            throw SharingError.invalid(field: "tlp", reason: "must be a TLP 2.0 label (TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)")
        }
        let alias = rawAlias.trimmingCharacters(in: .whitespaces)
        guard alias.count <= 60, alias.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw SharingError.invalid(field: "alias", reason: "may hold letters, digits and '-' only (at most 60)")
        }
        let collection = TAXIICollection(
            title: title, description: String(description.prefix(1000)), alias: alias.isEmpty ? nil : alias, tlp: tlp, createdAt: self.now())
        do { try await self.store.insertCollection(collection) } catch StoreError.duplicate { throw SharingError.aliasTaken(alias) }
        try await self.store.appendAudit(
            AuditEvent(at: collection.createdAt, actor: actor, action: .taxiiCollectionAdded, target: title, address: address, detail: tlp.rawValue))
        return collection
    }

    /// Sets what a peer may do with a collection; neither right takes its access away.
    public func setAccess(collectionID: UUID, peerID: UUID, read: Bool, write: Bool, by actor: String, address: String? = nil) async throws {
        guard let collection = try await self.store.collection(id: collectionID) else { throw SharingError.unknownCollection(collectionID) }
        guard let peer = try await self.store.peer(id: peerID) else { throw SharingError.unknownPeer(peerID) }
        try await self.store.setGrant(TAXIIGrant(collectionID: collection.id, peerID: peer.id, canRead: read, canWrite: write))
        try await self.store.appendAudit(
            AuditEvent(
                at: self.now(), actor: actor, action: .taxiiGrant, target: "collection \(collection.title)", address: address,
                detail: "\(peer.name): read \(read), write \(write)"))
    }

    /// Issues a token for a peer's tools; returns the secret, which is not kept (only its digest).
    public func issueToken(peerID: UUID, by actor: String, address: String? = nil) async throws -> String {
        guard let peer = try await self.store.peer(id: peerID) else { throw SharingError.unknownPeer(peerID) }
        let secret = Self.tokenPrefix + Secrets.randomToken()
        let prefix = String(secret.prefix(10))
        try await self.store.insertPeerToken(PeerToken(hash: Secrets.digest(secret), peerID: peer.id, prefix: prefix, createdAt: self.now()))
        try await self.store.appendAudit(
            AuditEvent(at: self.now(), actor: actor, action: .taxiiTokenIssued, target: "peer \(peer.name)", address: address, detail: prefix))
        return secret
    }

    /// Revokes every live token of a peer; returns how many.
    public func revokeTokens(peerID: UUID, by actor: String, address: String? = nil) async throws -> Int {
        guard let peer = try await self.store.peer(id: peerID) else { throw SharingError.unknownPeer(peerID) }
        let count = try await self.store.revokePeerTokens(peerID: peer.id, at: self.now())
        try await self.store.appendAudit(
            AuditEvent(at: self.now(), actor: actor, action: .taxiiTokenRevoked, target: "peer \(peer.name)", address: address, detail: "\(count) tokens"))
        return count
    }
}

extension TAXIICollection {
    /// Whether `key` names this collection: its id (any case) or its alias.
    public func isNamed(_ key: String) -> Bool {
        self.id.uuidString.lowercased() == key.lowercased() || (self.alias.map { $0 == key } ?? false)
    }
}
