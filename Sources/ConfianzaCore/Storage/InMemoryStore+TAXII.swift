import Foundation

/// The in-memory store's TAXII tables.
struct TAXIIData {
    var collections: [UUID: TAXIICollection] = [:]
    var grants: [String: TAXIIGrant] = [:]
    var tokens: [String: PeerToken] = [:]
    /// In `date_added` order.
    var objects: [STIXObjectRecord] = []
    var statuses: [UUID: TAXIIStatus] = [:]
    var checkpoints: [String: String] = [:]
}

extension InMemoryStore {
    public func insertCollection(_ collection: TAXIICollection) async throws {
        if let alias = collection.alias, self.taxiiData.collections.values.contains(where: { $0.alias == alias }) {
            throw StoreError.duplicate(field: "alias", value: alias)
        }
        self.taxiiData.collections[collection.id] = collection
    }

    public func collections() async throws -> [TAXIICollection] {
        self.taxiiData.collections.values.sorted { $0.id.uuidString.lowercased() < $1.id.uuidString.lowercased() }
    }

    public func collection(id: UUID) async throws -> TAXIICollection? { self.taxiiData.collections[id] }

    public func setGrant(_ grant: TAXIIGrant) async throws {
        guard self.taxiiData.collections[grant.collectionID] != nil else { throw StoreError.notFound("collection \(grant.collectionID)") }
        guard self.incidentData.peers[grant.peerID] != nil else { throw StoreError.notFound("peer \(grant.peerID)") }
        let key = "\(grant.collectionID)|\(grant.peerID)"
        self.taxiiData.grants[key] = grant.canRead || grant.canWrite ? grant : nil
    }

    public func grants(peerID: UUID) async throws -> [TAXIIGrant] {
        self.taxiiData.grants.values.filter { $0.peerID == peerID }.sorted { $0.collectionID.uuidString < $1.collectionID.uuidString }
    }

    public func grants(collectionID: UUID) async throws -> [TAXIIGrant] {
        self.taxiiData.grants.values.filter { $0.collectionID == collectionID }.sorted { $0.peerID.uuidString < $1.peerID.uuidString }
    }

    public func insertPeerToken(_ token: PeerToken) async throws {
        guard self.taxiiData.tokens[token.hash] == nil else { throw StoreError.duplicate(field: "token", value: token.prefix) }
        self.taxiiData.tokens[token.hash] = token
    }

    public func peerToken(hash: String) async throws -> PeerToken? {
        self.taxiiData.tokens[hash].flatMap { $0.revokedAt == nil ? $0 : nil }
    }

    public func peerTokens(peerID: UUID) async throws -> [PeerToken] {
        self.taxiiData.tokens.values.filter { $0.peerID == peerID }.sorted { $0.createdAt > $1.createdAt }
    }

    public func revokePeerTokens(peerID: UUID, at date: Date) async throws -> Int {
        var count = 0
        for (hash, token) in self.taxiiData.tokens where token.peerID == peerID && token.revokedAt == nil {
            self.taxiiData.tokens[hash]?.revokedAt = date
            count += 1
        }
        return count
    }

    public func addSTIXObjects(_ records: [STIXObjectRecord], now: Date) async throws -> [STIXAddOutcome] {
        var next = max(Int64((now.timeIntervalSince1970 * 1_000_000).rounded(.down)), (self.taxiiData.objects.last?.dateAdded ?? 0) + 1)
        var outcomes: [STIXAddOutcome] = []
        for var record in records {
            var outcome = STIXAddOutcome.added
            // Each sender's copy is its own (see the SQL stores).
            if let index = self.taxiiData.objects.firstIndex(where: { $0.id == record.id && $0.version == record.version && $0.sourcePeer == record.sourcePeer }) {
                let held = self.taxiiData.objects[index]
                guard record.tlp < held.tlp else {
                    outcomes.append(.unchanged)
                    continue
                }
                self.taxiiData.objects.remove(at: index)
                outcome = .relaxed
            }
            record.dateAdded = next
            next += 1
            self.taxiiData.objects.append(record)
            self.markLatest(id: record.id)
            outcomes.append(outcome)
        }
        return outcomes
    }

    private func markLatest(id: String) {
        let newest = self.taxiiData.objects.filter { $0.id == id }.map(\.version).max()
        for index in self.taxiiData.objects.indices where self.taxiiData.objects[index].id == id {
            self.taxiiData.objects[index].isLatest = self.taxiiData.objects[index].version == newest
        }
    }

    public func stixObjects(_ query: STIXObjectQuery) async throws -> [STIXObjectRecord] {
        let candidates = self.taxiiData.objects.filter(query.matchesIgnoringVersion)
        let candidateIDs = Set(candidates.map(\.id))
        var byID: [String: [STIXObjectRecord]] = [:]
        for record in self.taxiiData.objects where candidateIDs.contains(record.id) { byID[record.id, default: []].append(record) }
        let kept = Set(byID.values.flatMap { query.versions.select($0) }.map { "\($0.id)|\($0.version)" })
        return Array(candidates.filter { kept.contains("\($0.id)|\($0.version)") }.prefix(max(0, query.limit)))
    }

    public func deleteSTIXObject(id: String, visibility: STIXVisibility, sentBy: UUID?, versions: STIXVersionMatch, specVersions: [String]?) async throws -> Int {
        let all = self.taxiiData.objects.filter { $0.id == id }
        let chosen = Set(
            versions.select(all).filter { record in
                visibility.allows(record) && (specVersions?.contains(record.specVersion) ?? true) && (sentBy.map { record.sourcePeer == $0 } ?? true)
            }.map(\.dateAdded))
        self.taxiiData.objects.removeAll { chosen.contains($0.dateAdded) }
        if !chosen.isEmpty { self.markLatest(id: id) }
        return chosen.count
    }

    public func stixObjectCount() async throws -> Int { self.taxiiData.objects.count }

    public func insertStatus(_ status: TAXIIStatus) async throws { self.taxiiData.statuses[status.id] = status }

    public func status(id: UUID) async throws -> TAXIIStatus? { self.taxiiData.statuses[id] }

    public func pruneStatuses(before date: Date) async throws {
        self.taxiiData.statuses = self.taxiiData.statuses.filter { $0.value.requestTimestamp >= date }
    }

    public func pullCheckpoint(source: String) async throws -> String? { self.taxiiData.checkpoints[source] }

    public func setPullCheckpoint(source: String, addedAfter: String, at date: Date) async throws { self.taxiiData.checkpoints[source] = addedAfter }
}
