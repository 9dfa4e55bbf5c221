import ConfianzaCore
import Foundation

/// Incidents as STIX 2.1, and sharing them with peer CIRTs: the one place an incident's bundle is
/// written (pages, API, command line and demo all come here) and a share is checked, sent and recorded.
public struct IncidentSharing: Sendable {
    /// An incident's events and organisations are read; a share is recorded with the incident and, when
    /// the peer has a TAXII server, pushed there (its checkpoints live in the TAXII store).
    public typealias Storage = any IncidentStore & ConstituencyStore & PeerStore & TAXIIStore & IndicatorStore

    /// At most this many of an incident's events go into its bundle.
    public static let eventLimit = 100_000

    let store: Storage
    let incidents: IncidentService
    /// Our team's name, as the producer of the STIX objects.
    let producer: String
    let now: @Sendable () -> Date

    public init(store: Storage, incidents: IncidentService, producer: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.incidents = incidents
        self.producer = producer
        self.now = now
    }

    /// The incidents as one STIX bundle: nothing marked above `ceiling` is written.
    public func bundle(_ incidents: [Incident], ceiling: TLP = .red, eventLimit: Int = Self.eventLimit) async throws -> JSONValue {
        let organisations = try await self.store.organisations()
        var inputs: [STIXExporter.Input] = []
        for incident in incidents {
            inputs.append(
                STIXExporter.Input(
                    incident: incident, events: try await self.store.incidentEvents(incidentID: incident.id, limit: eventLimit),
                    organisations: organisations))
        }
        return STIXExporter(producer: self.producer).bundle(inputs, ceiling: ceiling, now: self.now())
    }

    /// The objects of the incidents' bundle, for publishing into a TAXII collection.
    public func objects(_ incidents: [Incident], ceiling: TLP = .red, eventLimit: Int = Self.eventLimit) async throws -> [JSONValue] {
        guard case .object(let fields) = try await self.bundle(incidents, ceiling: ceiling, eventLimit: eventLimit),
            case .array(let objects)? = fields["objects"]
        else { return [] }
        return objects
    }

    /// Nothing marked above this leaves for a peer, whatever its ceiling: TLP:RED goes to named people, by hand.
    public static let peerMaximum = TLP.amberStrict

    /// The STIX bundle a peer receives when the analyst shares at `tlp`: nothing above the marking chosen,
    /// the peer's ceiling, or ``peerMaximum``.
    public func bundle(_ incident: Incident, for peer: Peer, at tlp: TLP) async throws -> String {
        try await self.bundle([incident], ceiling: min(tlp, peer.tlpCeiling, Self.peerMaximum)).text
    }

    /// Shares an incident with a peer at a marking. The markings are checked by
    /// ``IncidentService/share(_:with:tlp:content:by:address:)`` before anything leaves; when the peer
    /// has a TAXII server the bundle is sent there first, and if that server refuses it nothing is
    /// recorded and the reason is given.
    @discardableResult
    public func share(_ incident: Incident, with peerID: UUID, tlp: TLP, by actor: String, address: String) async throws -> Share {
        guard let peer = try await self.store.peer(id: peerID) else { throw IncidentError.notFound("peer \(peerID)") }
        let content = try await self.bundle(incident, for: peer, at: tlp)
        guard let url = peer.taxiiURL, let collection = peer.taxiiCollection, tlp <= peer.tlpCeiling, tlp >= incident.tlp else {
            // No server to send to, or a share the markings forbid: `share` records it or refuses it.
            return try await self.incidents.share(incident.id, with: peerID, tlp: tlp, content: content, by: actor, address: address)
        }
        let credentials: TAXIIClient.Credentials =
            switch (peer.taxiiUsername, peer.taxiiSecret) {
            case (let user?, let secret?): .basic(user: user, password: secret)
            case (nil, let secret?): .bearer(secret)
            default: .none
            }
        guard case .object(let bundle) = try JSONReader.parse(content), case .array(let objects)? = bundle["objects"] else {
            throw IncidentError.invalid(field: "peer", reason: "the bundle could not be read back")
        }
        let sent: TAXIIClient.PushResult
        do {
            let client = try TAXIIClient(store: self.store, apiRoot: url, collection: collection, credentials: credentials)
            sent = try await client.push(objects)
        } catch let error as TAXIIClientError {
            throw IncidentError.invalid(
                field: "peer", reason: .init("incident.error.peer_refused", english: "\(peer.name)'s TAXII server did not take the bundle: \(error.description)",
                    ["peer": peer.name, "reason": error.description]))
        }
        let share = try await self.incidents.share(incident.id, with: peerID, tlp: tlp, content: content, by: actor, address: address)
        var detail = "sent to \(peer.name)'s TAXII server: \(sent.accepted) objects accepted"
        if sent.pending > 0 { detail += ", \(sent.pending) pending" }
        if !sent.refused.isEmpty { detail += ", \(sent.refused.count) refused (\(sent.refused.prefix(3).joined(separator: "; ")))" }
        try await self.incidents.addNote(incident.id, detail, by: actor)
        return share
    }
}
