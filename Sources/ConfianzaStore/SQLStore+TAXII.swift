import ConfianzaCore
import Foundation
import NIOCore
import SQLKit
import SQLiteNIO
import Synchronization

extension SQLStore {
    // MARK: collections, grants, tokens

    public func insertCollection(_ collection: TAXIICollection) async throws {
        do {
            try await self.withDatabase { db in
                try await db.raw(
                    """
                    INSERT INTO taxii_collections (id, title, description, alias, tlp, created_at)
                    VALUES (\(bind: collection.id.uuidString), \(bind: collection.title), \(bind: collection.description), \(bind: collection.alias),
                        \(bind: collection.tlp.rawValue), \(bind: Millis(collection.createdAt)))
                    """
                ).run()
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "alias", value: collection.alias ?? collection.id.uuidString)
        }
    }

    public func collections() async throws -> [TAXIICollection] {
        try await self.withReading { db in
            try await db.raw("SELECT id, title, description, alias, tlp, created_at FROM taxii_collections").all().map(Self.decodeCollection)
                .sorted { $0.id.uuidString.lowercased() < $1.id.uuidString.lowercased() }
        }
    }

    public func collection(id: UUID) async throws -> TAXIICollection? {
        try await self.withReading { db in
            try await db.raw("SELECT id, title, description, alias, tlp, created_at FROM taxii_collections WHERE id = \(bind: id.uuidString)")
                .first().map(Self.decodeCollection)
        }
    }

    static func decodeCollection(_ row: any SQLRow) throws -> TAXIICollection {
        let idText = try row.decode(column: "id", as: String.self)
        let tlpText = try row.decode(column: "tlp", as: String.self)
        guard let id = UUID(uuidString: idText), let tlp = TLP(label: tlpText) else { throw StoreError.corrupt("collection \(idText)") }
        return TAXIICollection(
            id: id, title: try row.decode(column: "title", as: String.self), description: try row.decode(column: "description", as: String.self),
            alias: try row.decode(column: "alias", as: String?.self), tlp: tlp, createdAt: try Millis.date(row, "created_at"))
    }

    public func setGrant(_ grant: TAXIIGrant) async throws {
        try await self.withTransaction { db in
            guard try await db.raw("SELECT id FROM taxii_collections WHERE id = \(bind: grant.collectionID.uuidString)").first() != nil else {
                throw StoreError.notFound("collection \(grant.collectionID)")
            }
            guard try await db.raw("SELECT id FROM peers WHERE id = \(bind: grant.peerID.uuidString)").first() != nil else {
                throw StoreError.notFound("peer \(grant.peerID)")
            }
            try await db.raw(
                "DELETE FROM taxii_grants WHERE collection_id = \(bind: grant.collectionID.uuidString) AND peer_id = \(bind: grant.peerID.uuidString)"
            ).run()
            if grant.canRead || grant.canWrite {
                try await db.raw(
                    """
                    INSERT INTO taxii_grants (collection_id, peer_id, can_read, can_write)
                    VALUES (\(bind: grant.collectionID.uuidString), \(bind: grant.peerID.uuidString), \(bind: grant.canRead ? 1 : 0), \(bind: grant.canWrite ? 1 : 0))
                    """
                ).run()
            }
        }
        try await self.credentialsChanged()
    }

    public func grants(peerID: UUID) async throws -> [TAXIIGrant] {
        try await self.withReading { db in
            try await db.raw("SELECT collection_id, peer_id, can_read, can_write FROM taxii_grants WHERE peer_id = \(bind: peerID.uuidString) ORDER BY collection_id")
                .all().map(Self.decodeGrant)
        }
    }

    public func grants(collectionID: UUID) async throws -> [TAXIIGrant] {
        try await self.withReading { db in
            try await db.raw(
                "SELECT collection_id, peer_id, can_read, can_write FROM taxii_grants WHERE collection_id = \(bind: collectionID.uuidString) ORDER BY peer_id"
            ).all().map(Self.decodeGrant)
        }
    }

    static func decodeGrant(_ row: any SQLRow) throws -> TAXIIGrant {
        let collection = try row.decode(column: "collection_id", as: String.self)
        let peer = try row.decode(column: "peer_id", as: String.self)
        guard let collectionID = UUID(uuidString: collection), let peerID = UUID(uuidString: peer) else { throw StoreError.corrupt("grant \(collection)/\(peer)") }
        return TAXIIGrant(
            collectionID: collectionID, peerID: peerID, canRead: try row.decode(column: "can_read", as: Int.self) != 0,
            canWrite: try row.decode(column: "can_write", as: Int.self) != 0)
    }

    public func insertPeerToken(_ token: PeerToken) async throws {
        do {
            try await self.withDatabase { db in
                try await db.raw(
                    """
                    INSERT INTO peer_tokens (hash, peer_id, prefix, created_at, revoked_at)
                    VALUES (\(bind: token.hash), \(bind: token.peerID.uuidString), \(bind: token.prefix), \(bind: Millis(token.createdAt)),
                        \(bind: token.revokedAt.map(Millis.init)))
                    """
                ).run()
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "token", value: token.prefix)
        } catch where Self.isForeignKeyViolation(error) {
            throw StoreError.notFound("peer \(token.peerID)")
        }
    }

    public func peerToken(hash: String) async throws -> PeerToken? {
        try await self.withReading { db in
            try await db.raw("SELECT hash, peer_id, prefix, created_at, revoked_at FROM peer_tokens WHERE hash = \(bind: hash) AND revoked_at IS NULL")
                .first().map(Self.decodePeerToken)
        }
    }

    public func peerTokens(peerID: UUID) async throws -> [PeerToken] {
        try await self.withReading { db in
            try await db.raw(
                "SELECT hash, peer_id, prefix, created_at, revoked_at FROM peer_tokens WHERE peer_id = \(bind: peerID.uuidString) ORDER BY created_at DESC"
            ).all().map(Self.decodePeerToken)
        }
    }

    public func revokePeerTokens(peerID: UUID, at date: Date) async throws -> Int {
        let count = try await self.withDatabase { db in
            try await db.raw(
                "UPDATE peer_tokens SET revoked_at = \(bind: Millis(date)) WHERE peer_id = \(bind: peerID.uuidString) AND revoked_at IS NULL RETURNING hash"
            ).all().count
        }
        try await self.credentialsChanged()
        return count
    }

    static func decodePeerToken(_ row: any SQLRow) throws -> PeerToken {
        let peer = try row.decode(column: "peer_id", as: String.self)
        guard let peerID = UUID(uuidString: peer) else { throw StoreError.corrupt("peer token of \(peer)") }
        return PeerToken(
            hash: try row.decode(column: "hash", as: String.self), peerID: peerID, prefix: try row.decode(column: "prefix", as: String.self),
            createdAt: try Millis.date(row, "created_at"), revokedAt: try Millis.optionalDate(row, "revoked_at"))
    }

    // MARK: statuses

    public func insertStatus(_ status: TAXIIStatus) async throws {
        try await self.withDatabase { db in
            try await db.raw(
                """
                INSERT INTO taxii_statuses (id, collection_id, requester, request_timestamp, successes, failures)
                VALUES (\(bind: status.id.uuidString), \(bind: status.collectionID.uuidString), \(bind: status.requester),
                    \(bind: Millis(status.requestTimestamp)), \(bind: Self.detailsText(status.successes)), \(bind: Self.detailsText(status.failures)))
                """
            ).run()
        }
    }

    public func status(id: UUID) async throws -> TAXIIStatus? {
        try await self.withReading { db in
            guard let row = try await db.raw("SELECT * FROM taxii_statuses WHERE id = \(bind: id.uuidString)").first() else { return nil }
            let collection = try row.decode(column: "collection_id", as: String.self)
            guard let collectionID = UUID(uuidString: collection) else { throw StoreError.corrupt("status \(id)") }
            return TAXIIStatus(
                id: id, collectionID: collectionID, requester: try row.decode(column: "requester", as: String.self),
                requestTimestamp: try Millis.date(row, "request_timestamp"),
                successes: try Self.details(try row.decode(column: "successes", as: String.self)),
                failures: try Self.details(try row.decode(column: "failures", as: String.self)))
        }
    }

    public func pruneStatuses(before date: Date) async throws {
        try await self.withDatabase { db in try await db.raw("DELETE FROM taxii_statuses WHERE request_timestamp < \(bind: Millis(date))").run() }
    }

    public func pullCheckpoint(source: String) async throws -> String? {
        try await self.withReading { db in
            try await db.raw("SELECT added_after FROM taxii_pull_checkpoints WHERE source = \(bind: source)").first()?.decode(column: "added_after", as: String.self)
        }
    }

    public func setPullCheckpoint(source: String, addedAfter: String, at date: Date) async throws {
        try await self.withDatabase { db in
            try await db.raw(
                """
                INSERT INTO taxii_pull_checkpoints (source, added_after, updated_at) VALUES (\(bind: source), \(bind: addedAfter), \(bind: Millis(date)))
                ON CONFLICT (source) DO UPDATE SET added_after = excluded.added_after, updated_at = excluded.updated_at
                """
            ).run()
        }
    }

    static func detailsText(_ details: [TAXIIStatus.Detail]) -> String { JSONValue.array(details.map(\.json)).text }

    static func details(_ text: String) throws -> [TAXIIStatus.Detail] {
        guard case .array(let items) = try JSONReader.parse(text) else { throw StoreError.corrupt("status details") }
        return try items.map { item in
            guard case .object(let fields) = item, case .string(let id)? = fields["id"] else { throw StoreError.corrupt("status details") }
            var version: String?
            var message: String?
            if case .string(let text)? = fields["version"] { version = text }
            if case .string(let text)? = fields["message"] { message = text }
            return TAXIIStatus.Detail(id: id, version: version, message: message)
        }
    }
}
