import Foundation

/// Another CIRT this team works with: who they are, how far their TLP ceiling goes, and (for sharing
/// by TAXII) where their server is. The credential is kept but never shown again.
public struct Peer: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var name: String
    /// ISO 3166-1 alpha-2.
    public var country: String
    public var contact: String
    public var tlpCeiling: TLP
    public var taxiiURL: String?
    public var taxiiCollection: String?
    public var taxiiUsername: String?
    public var taxiiSecret: String?
    public var createdAt: Date

    public init(
        id: UUID = UUID(), name: String, country: String, contact: String, tlpCeiling: TLP, taxiiURL: String? = nil, taxiiCollection: String? = nil,
        taxiiUsername: String? = nil, taxiiSecret: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.country = country
        self.contact = contact
        self.tlpCeiling = tlpCeiling
        self.taxiiURL = taxiiURL
        self.taxiiCollection = taxiiCollection
        self.taxiiUsername = taxiiUsername
        self.taxiiSecret = taxiiSecret
        self.createdAt = createdAt
    }
}

/// What was shared with a peer, at which marking: kept with the incident, never changed.
public struct Share: Sendable, Equatable {
    public var id: UUID
    public var incidentID: UUID
    public var peerID: UUID
    public var tlp: TLP
    public var summary: String
    /// Exactly what was handed over (a STIX 2.1 bundle), kept for the record.
    public var content: String
    public var actor: String
    public var at: Date

    public init(id: UUID = UUID(), incidentID: UUID, peerID: UUID, tlp: TLP, summary: String, content: String = "", actor: String, at: Date) {
        self.content = content
        self.id = id
        self.incidentID = incidentID
        self.peerID = peerID
        self.tlp = tlp
        self.summary = summary
        self.actor = actor
        self.at = at
    }
}

/// Storage for the peer registry and the shares made.
public protocol PeerStore: Sendable {
    func insertPeer(_ peer: Peer) async throws
    func updatePeer(_ peer: Peer) async throws
    func peer(id: UUID) async throws -> Peer?
    /// By name.
    func peers() async throws -> [Peer]
    /// Records a share with its timeline entry, in one transaction.
    func insertShare(_ share: Share, timeline: TimelineEntry) async throws
    func shares(incidentID: UUID) async throws -> [Share]
}

/// Draft of a peer as a form or the API gives it.
public struct PeerDraft: Sendable, Equatable {
    public var name: String
    public var country: String
    public var contact: String
    public var tlpCeiling: String
    public var taxiiURL: String
    public var taxiiCollection: String
    public var taxiiUsername: String
    /// Empty keeps the credential already recorded.
    public var taxiiSecret: String

    public init(
        name: String, country: String, contact: String, tlpCeiling: String = "TLP:AMBER", taxiiURL: String = "", taxiiCollection: String = "",
        taxiiUsername: String = "", taxiiSecret: String = ""
    ) {
        self.name = name
        self.country = country
        self.contact = contact
        self.tlpCeiling = tlpCeiling
        self.taxiiURL = taxiiURL
        self.taxiiCollection = taxiiCollection
        self.taxiiUsername = taxiiUsername
        self.taxiiSecret = taxiiSecret
    }
}

extension IncidentService {
    /// Checks and records a peer (a new one, or changes to `existing`).
    /// Adds a peer, or changes `existing`; either is audited (what changed, never the credential itself).
    public func savePeer(_ draft: PeerDraft, existing: Peer? = nil, by actor: String? = nil, address: String? = nil) async throws -> Peer {
        let name = draft.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 200 else { throw IncidentError.invalid(field: "name", reason: "is required (at most 200 characters)") }
        let country = draft.country.trimmingCharacters(in: .whitespaces).uppercased()
        guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw IncidentError.invalid(field: "country", reason: "must be a two-letter ISO 3166 code")
        }
        let contact = draft.contact.trimmingCharacters(in: .whitespaces)
        guard contact.contains("@"), !contact.contains(" "), contact.count <= 254 else { throw IncidentError.invalid(field: "contact", reason: "must be an e-mail address") }
        guard let tlp = TLP(label: draft.tlpCeiling) else { throw IncidentError.invalid(field: "tlpCeiling", reason: "must be a TLP 2.0 label") }
        let url = draft.taxiiURL.trimmingCharacters(in: .whitespaces)
        if !url.isEmpty {
            guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
                let host = parsed.host, !host.isEmpty
            else {
                throw IncidentError.invalid(field: "taxiiURL", reason: "must be the peer's TAXII API root, https://…")
            }
            // Credentials and shared content go to the peer over TLS; plain HTTP only to this machine (a test peer).
            guard scheme == "https" || ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) else {
                throw IncidentError.invalid(field: "taxiiURL", reason: "must use https:// (plain http only to this machine)")
            }
        }
        func optional(_ text: String) -> String? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
        var peer = existing ?? Peer(name: name, country: country, contact: contact, tlpCeiling: tlp, createdAt: self.now())
        peer.name = name
        peer.country = country
        peer.contact = contact
        peer.tlpCeiling = tlp
        peer.taxiiURL = optional(url)
        peer.taxiiCollection = optional(draft.taxiiCollection)
        peer.taxiiUsername = optional(draft.taxiiUsername)
        if let secret = optional(draft.taxiiSecret) { peer.taxiiSecret = secret }
        if existing == nil { try await self.store.insertPeer(peer) } else { try await self.store.updatePeer(peer) }
        try await self.store.appendAudit(
            AuditEvent(
                at: self.now(), actor: actor, action: existing == nil ? .peerAdded : .peerChanged, target: peer.name, address: address,
                detail: Self.peerChanges(from: existing, to: peer)))
        return peer
    }

    /// What the audit log says of a peer saved: its rights-bearing fields, old and new; of the credential
    /// only that it was set or removed.
    static func peerChanges(from old: Peer?, to new: Peer) -> String {
        let credential = old?.taxiiSecret == new.taxiiSecret ? [] : [new.taxiiSecret == nil ? "credential removed" : "credential set"]
        return AuditDiff.changes(
            from: old, to: new,
            [
                ("name", \.name), ("country", \.country), ("contact", \.contact), ("tlpCeiling", \.tlpCeiling.rawValue), ("taxiiURL", { $0.taxiiURL ?? "" }),
                ("taxiiCollection", { $0.taxiiCollection ?? "" }), ("taxiiUsername", { $0.taxiiUsername ?? "" }),
            ], also: credential)
    }

    /// Records that the incident was shared with a peer at a marking: never above the incident's own
    /// marking, nor above what the peer may receive. The timeline and the audit log both keep it.
    /// `content` is what is handed over (the caller writes it, within the peer's ceiling).
    public func share(_ id: UUID, with peerID: UUID, tlp: TLP, content: String = "", by actor: String, address: String? = nil) async throws -> Share {
        let incident = try await self.require(id)
        guard let peer = try await self.store.peer(id: peerID) else { throw IncidentError.notFound("peer \(peerID)") }
        guard tlp <= peer.tlpCeiling else {
            throw IncidentError.invalid(field: "tlp", reason: .init("incident.error.share_ceiling", english: "\(peer.name) may receive up to \(peer.tlpCeiling.rawValue), not \(tlp.rawValue)", ["peer": peer.name, "ceiling": peer.tlpCeiling.rawValue, "tlp": tlp.rawValue]))
        }
        guard tlp >= incident.tlp else {
            throw IncidentError.invalid(
                field: "tlp", reason: .init("incident.error.share_looser", english: "the incident is \(incident.tlp.rawValue): it cannot be shared under a looser marking (\(tlp.rawValue))", ["incident_tlp": incident.tlp.rawValue, "tlp": tlp.rawValue]))
        }
        let summary = "#\(incident.number) \(incident.title) — \(incident.taxonomy)/\(incident.type), \(incident.severity.rawValue), \(incident.eventCount) events"
        let share = Share(incidentID: id, peerID: peerID, tlp: tlp, summary: summary, content: content, actor: actor, at: self.now())
        try await self.store.insertShare(
            share, timeline: TimelineEntry(incidentID: id, at: share.at, actor: actor, kind: .share, detail: "shared with \(peer.name) (\(peer.country)) at \(tlp.rawValue)",
                phrase: Phrase("timeline.shared", ["peer": peer.name, "country": peer.country, "tlp": tlp.rawValue])))
        try await self.store.appendAudit(
            AuditEvent(at: share.at, actor: actor, action: .incidentShared, target: "incident #\(incident.number)", address: address,
                       detail: "with \(peer.name) at \(tlp.rawValue)"))
        return share
    }
}
