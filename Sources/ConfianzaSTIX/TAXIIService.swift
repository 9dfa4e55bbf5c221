import ConfianzaCore
import Foundation

/// Who is asking the TAXII server, and what they may do: one of our staff (through an API token), or
/// a peer CIRT (through a token we issued it), with its TLP ceiling and rights per collection.
public struct TAXIIRequester: Sendable, Equatable {
    /// `peer:<uuid>` or `user:<name>`: the owner of the statuses it creates.
    public var name: String
    /// `nil` for our staff.
    public var peer: Peer?
    public var grants: [UUID: TAXIIGrant]
    /// Staff with the analyst role may add and delete; viewers only read.
    public var staffMayWrite: Bool

    public static func staff(username: String, mayWrite: Bool) -> TAXIIRequester {
        TAXIIRequester(name: "user:\(username)", peer: nil, grants: [:], staffMayWrite: mayWrite)
    }

    public static func peer(_ peer: Peer, grants: [TAXIIGrant]) -> TAXIIRequester {
        TAXIIRequester(
            name: "peer:\(peer.id.uuidString.lowercased())", peer: peer,
            grants: Dictionary(grants.map { ($0.collectionID, $0) }, uniquingKeysWith: { a, _ in a }), staffMayWrite: false)
    }

    public var ceiling: TLP { self.peer?.tlpCeiling ?? .red }

    /// Whether the collection is shown at all (a peer sees only those it has some right on).
    public func knows(_ collection: TAXIICollection) -> Bool { self.peer == nil || self.grants[collection.id] != nil }
    public func canRead(_ collection: TAXIICollection) -> Bool { self.peer == nil || self.grants[collection.id]?.canRead == true }
    public func canWrite(_ collection: TAXIICollection) -> Bool {
        self.peer == nil ? self.staffMayWrite : self.grants[collection.id]?.canWrite == true
    }

    /// What this requester sees of a collection: at most the collection's level and their ceiling.
    public func visibility(in collection: TAXIICollection) -> STIXVisibility {
        STIXVisibility(ceiling: min(collection.tlp, self.ceiling), peerID: self.peer?.id)
    }
}

/// Adding objects to a collection: each object checked and marked on its own, those within the
/// collection's level stored, indicators among them taken in for matching against events, and a
/// status that accounts for every object.
public struct TAXIIService: Sendable {
    public static let maxContentLength = 10 * 1024 * 1024
    /// How long statuses are kept (at least the day TAXII servers commonly keep).
    public static let statusRetention: TimeInterval = 2 * 24 * 3600

    public typealias Storage = any TAXIIStore & IndicatorStore

    let store: Storage
    let now: @Sendable () -> Date

    public init(store: Storage, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    /// Reads an envelope (`{"objects": […]}`, or a STIX bundle) and adds what it may.
    public func add(_ body: String, to collection: TAXIICollection, by requester: TAXIIRequester) async throws -> TAXIIStatus {
        let root: JSONValue
        do { root = try JSONReader.parse(body) } catch { throw TAXIIError.badRequest("the body is not JSON: \(error.description)") }
        guard case .object(let envelope) = root else { throw TAXIIError.unprocessable("the body is not a TAXII envelope ({\"objects\": […]})") }
        let objects: [JSONValue]
        switch envelope["objects"] {
        case .array(let list)?: objects = list
        case nil: throw TAXIIError.unprocessable("the envelope has no objects")
        default: throw TAXIIError.unprocessable("objects is not a list")
        }
        let now = self.now()
        var successes: [TAXIIStatus.Detail] = []
        var failures: [TAXIIStatus.Detail] = []
        var accepted: [STIXObjectRecord] = []
        var acceptedFields: [[String: JSONValue]] = []
        for (index, result) in STIXObjects.records(objects, defaultTLP: collection.tlp, source: requester.peer?.id, now: now).enumerated() {
            switch result {
            case .failure(let refused): failures.append(.init(id: refused.id, version: refused.version, message: refused.reason))
            case .success(let record) where record.tlp > collection.tlp:
                failures.append(
                    .init(id: record.id, version: record.versionText.isEmpty ? nil : record.versionText, message: "marked \(record.tlp.rawValue), above this collection's \(collection.tlp.rawValue)"))
            case .success(let record):
                accepted.append(record)
                if case .object(let fields) = objects[index] { acceptedFields.append(fields) }
            }
        }
        let outcomes = try await self.store.addSTIXObjects(accepted, now: now)
        for (record, outcome) in zip(accepted, outcomes) {
            successes.append(
                .init(id: record.id, version: record.versionText.isEmpty ? nil : record.versionText, message: outcome == .unchanged ? "already held" : nil))
        }
        // Indicators sent to us are matched against incoming events from now on.
        let source = requester.peer.map { "TAXII: \($0.name)" } ?? "TAXII: \(requester.name)"
        var indicators: [Indicator] = []
        let markings = STIXImporter.markings(in: acceptedFields.map { .object($0) })
        for fields in acceptedFields where fields["type"] == .string("indicator") {
            if let indicator = try? STIXImporter.indicator(fields, path: "", markings: markings, source: source, now: now) { indicators.append(indicator) }
        }
        let own = try await Self.onlyFromTheirSource(indicators, store: self.store)
        if !own.isEmpty { _ = try await self.store.upsertIndicators(own) }
        let status = TAXIIStatus(collectionID: collection.id, requester: requester.name, requestTimestamp: now, successes: successes, failures: failures)
        try await self.store.insertStatus(status)
        try await self.store.pruneStatuses(before: now.addingTimeInterval(-Self.statusRetention))
        return status
    }

    /// Indicators a source may take in: new ones, and new versions of its own. A sender cannot replace
    /// (or revoke) an indicator that came from elsewhere by sending its id with a newer version.
    static func onlyFromTheirSource(_ indicators: [Indicator], store: any IndicatorStore) async throws -> [Indicator] {
        var kept: [Indicator] = []
        for indicator in indicators {
            if let existing = try await store.indicator(id: indicator.id), existing.source != indicator.source { continue }
            kept.append(indicator)
        }
        return kept
    }

    /// Publishes our own objects (a bundle we wrote, or a peer's we chose to pass on) into the store,
    /// marked as they are, unmarked ones at `tlp`. Returns how many were added and refused.
    public func publish(_ objects: [JSONValue], tlp: TLP) async throws -> (added: Int, unchanged: Int, refused: [STIXObjects.Refused]) {
        let now = self.now()
        var refused: [STIXObjects.Refused] = []
        var records: [STIXObjectRecord] = []
        for result in STIXObjects.records(objects, defaultTLP: tlp, source: nil, now: now) {
            switch result {
            case .success(let record): records.append(record)
            case .failure(let reason): refused.append(reason)
            }
        }
        let outcomes = try await self.store.addSTIXObjects(records, now: now)
        let unchanged = outcomes.filter { $0 == .unchanged }.count
        return (outcomes.count - unchanged, unchanged, refused)
    }
}
