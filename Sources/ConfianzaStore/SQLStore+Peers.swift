import ConfianzaCore
import Foundation
import SQLKit

/// Peer CIRTs and what was shared with them.
extension SQLStore {
    private static let peerColumns =
        "id, name, country, contact, tlp_ceiling, taxii_url, taxii_collection, taxii_username, taxii_secret, created_at"

    public func insertPeer(_ peer: Peer) async throws {
        do {
            try await self.withDatabase { db in
                try await db.raw(
                    """
                    INSERT INTO peers (\(unsafeRaw: Self.peerColumns), name_key)
                    VALUES (\(bind: peer.id.uuidString), \(bind: peer.name), \(bind: peer.country), \(bind: peer.contact), \(bind: peer.tlpCeiling.rawValue),
                        \(bind: peer.taxiiURL), \(bind: peer.taxiiCollection), \(bind: peer.taxiiUsername), \(bind: peer.taxiiSecret),
                        \(bind: Millis(peer.createdAt)), \(bind: peer.name.lowercased()))
                    """
                ).run()
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "name", value: peer.name)
        }
    }

    public func updatePeer(_ peer: Peer) async throws {
        do {
            try await self.withDatabase { db in
                let updated = try await db.raw(
                    """
                    UPDATE peers SET name = \(bind: peer.name), name_key = \(bind: peer.name.lowercased()), country = \(bind: peer.country),
                        contact = \(bind: peer.contact), tlp_ceiling = \(bind: peer.tlpCeiling.rawValue), taxii_url = \(bind: peer.taxiiURL),
                        taxii_collection = \(bind: peer.taxiiCollection), taxii_username = \(bind: peer.taxiiUsername), taxii_secret = \(bind: peer.taxiiSecret)
                    WHERE id = \(bind: peer.id.uuidString) RETURNING id
                    """
                ).all()
                guard !updated.isEmpty else { throw StoreError.notFound("peer \(peer.id)") }
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "name", value: peer.name)
        }
        try await self.credentialsChanged()
    }

    public func peer(id: UUID) async throws -> Peer? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.peerColumns) FROM peers WHERE id = \(bind: id.uuidString)").first().map(Self.decodePeer)
        }
    }

    public func peers() async throws -> [Peer] {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.peerColumns) FROM peers ORDER BY name_key").all().map(Self.decodePeer)
        }
    }

    public func insertShare(_ share: Share, timeline: TimelineEntry) async throws {
        try await self.withTransaction { db in
            try await db.raw(
                """
                INSERT INTO shares (id, incident_id, peer_id, tlp, summary, content, actor, at)
                VALUES (\(bind: share.id.uuidString), \(bind: share.incidentID.uuidString), \(bind: share.peerID.uuidString), \(bind: share.tlp.rawValue),
                    \(bind: share.summary), \(bind: share.content), \(bind: share.actor), \(bind: Millis(share.at)))
                """
            ).run()
            try await Self.appendTimeline([timeline], db: db)
        }
    }

    public func shares(incidentID: UUID) async throws -> [Share] {
        try await self.withReading { db in
            try await db.raw(
                "SELECT id, incident_id, peer_id, tlp, summary, content, actor, at FROM shares WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY at"
            ).all().map { row in
                let tlpText = try row.decode(column: "tlp", as: String.self)
                guard let tlp = TLP(label: tlpText) else { throw StoreError.corrupt("share tlp '\(tlpText)'") }
                return Share(
                    id: try Self.uuid(row, "id"), incidentID: try Self.uuid(row, "incident_id"), peerID: try Self.uuid(row, "peer_id"), tlp: tlp,
                    summary: try row.decode(column: "summary", as: String.self), content: try row.decode(column: "content", as: String.self),
                    actor: try row.decode(column: "actor", as: String.self),
                    at: try Millis.date(row, "at"))
            }
        }
    }

    static func decodePeer(_ row: any SQLRow) throws -> Peer {
        let tlpText = try row.decode(column: "tlp_ceiling", as: String.self)
        guard let tlp = TLP(label: tlpText) else { throw StoreError.corrupt("peer tlp '\(tlpText)'") }
        return Peer(
            id: try Self.uuid(row, "id"), name: try row.decode(column: "name", as: String.self), country: try row.decode(column: "country", as: String.self),
            contact: try row.decode(column: "contact", as: String.self), tlpCeiling: tlp, taxiiURL: try row.decode(column: "taxii_url", as: String?.self),
            taxiiCollection: try row.decode(column: "taxii_collection", as: String?.self),
            taxiiUsername: try row.decode(column: "taxii_username", as: String?.self), taxiiSecret: try row.decode(column: "taxii_secret", as: String?.self),
            createdAt: try Millis.date(row, "created_at"))
    }
}
