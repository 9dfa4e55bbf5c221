import Foundation

/// A TAXII 2.1 collection: a view of the STIX objects this CIRT holds, up to one TLP level. Objects
/// are stored once; a collection shows those marked at or below its level, and each requester sees
/// them filtered again by what they may receive.
public struct TAXIICollection: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var title: String
    public var description: String
    /// A short name, unique, for URLs and the command line.
    public var alias: String?
    /// The most restrictive marking the collection shows (and accepts).
    public var tlp: TLP
    public var createdAt: Date

    public init(id: UUID = UUID(), title: String, description: String = "", alias: String? = nil, tlp: TLP, createdAt: Date) {
        self.id = id
        self.title = title
        self.description = description
        self.alias = alias
        self.tlp = tlp
        self.createdAt = createdAt
    }
}

/// What one peer may do with one collection.
public struct TAXIIGrant: Sendable, Equatable {
    public var collectionID: UUID
    public var peerID: UUID
    public var canRead: Bool
    public var canWrite: Bool

    public init(collectionID: UUID, peerID: UUID, canRead: Bool, canWrite: Bool) {
        self.collectionID = collectionID
        self.peerID = peerID
        self.canRead = canRead
        self.canWrite = canWrite
    }
}

/// A secret a peer's tools present to our TAXII server (HTTP Basic password or Bearer token). Only
/// its digest is kept.
public struct PeerToken: Sendable, Equatable {
    public var hash: String
    public var peerID: UUID
    /// The first characters, to tell tokens apart in lists.
    public var prefix: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(hash: String, peerID: UUID, prefix: String, createdAt: Date, revokedAt: Date? = nil) {
        self.hash = hash
        self.peerID = peerID
        self.prefix = prefix
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// One version of one STIX object as the TAXII server keeps it. Times are microseconds since 1970.
public struct STIXObjectRecord: Sendable, Equatable {
    public var id: String
    public var type: String
    public var specVersion: String
    /// `modified`, else `created`, else the time it was added (cyber-observables have neither).
    public var version: Int64
    /// The same as written in the object (or formatted from `version`).
    public var versionText: String
    /// When this server added it: unique and increasing, so it orders every list and page.
    public var dateAdded: Int64
    /// The object's marking (or, unmarked, that of the objects referring to it, or the collection's).
    public var tlp: TLP
    /// The peer who sent it; `nil` for our own.
    public var sourcePeer: UUID?
    /// The object, as compact JSON.
    public var json: String
    /// Set when a peer sent a version of an object another source put here first (us, or the peer that
    /// created it): that version is the sender's own copy, which only the sender sees. Versions belong to
    /// their source: nobody's version replaces the creator's for other readers.
    public var privateTo: UUID?

    public init(
        id: String, type: String, specVersion: String, version: Int64, versionText: String, dateAdded: Int64 = 0, tlp: TLP, sourcePeer: UUID?,
        json: String, privateTo: UUID? = nil
    ) {
        self.id = id
        self.type = type
        self.specVersion = specVersion
        self.version = version
        self.versionText = versionText
        self.dateAdded = dateAdded
        self.tlp = tlp
        self.sourcePeer = sourcePeer
        self.json = json
        self.privateTo = privateTo
    }

    /// The versions of one id that follow each other: the shared line (ours and the creator's), or one
    /// sender's own copies.
    public var lineage: UUID? { self.privateTo }
}

/// Which versions of each object a TAXII request asks for (`match[version]`).
public enum STIXVersionMatch: Sendable, Equatable {
    case last, first, all
    /// Exact versions, as microseconds.
    case at([Int64])
    /// Any of these (`match[version]=first,last`): each is `last`, `first` or `at`.
    indirect case anyOf([STIXVersionMatch])
}

/// Who may see which stored objects. TLP is enforced here, once, for every endpoint: an object above
/// `ceiling` never appears; a peer sees objects another peer sent only when they are at most
/// ``peerSharingLimit`` (TLP:GREEN may go to the community; TLP:AMBER and above stay with us and the
/// sender).
public struct STIXVisibility: Sendable, Equatable, Hashable {
    public static let peerSharingLimit = TLP.green
    /// No peer receives TLP:RED through TAXII, whatever its ceiling and grants: RED goes to named
    /// people, by hand, never into a collection an organisation's tools read.
    public static let peerMaximum = TLP.amberStrict

    public var ceiling: TLP
    /// The requesting peer; `nil` for this CIRT's own staff.
    public var peerID: UUID?

    /// A peer's ceiling is lowered to ``peerMaximum``.
    public init(ceiling: TLP, peerID: UUID?) {
        self.ceiling = peerID == nil ? ceiling : min(ceiling, Self.peerMaximum)
        self.peerID = peerID
    }

    public func allows(_ record: STIXObjectRecord) -> Bool {
        guard record.tlp <= self.ceiling else { return false }
        if let owner = record.privateTo { return owner == self.peerID }
        guard let peerID = self.peerID, let source = record.sourcePeer else { return true }
        return source == peerID || record.tlp <= Self.peerSharingLimit
    }
}

/// The filters of a TAXII objects, manifest or versions request, already checked.
public struct STIXObjectQuery: Sendable, Equatable {
    public var visibility: STIXVisibility
    public var ids: [String]?
    public var types: [String]?
    public var versions: STIXVersionMatch
    public var specVersions: [String]?
    /// Only objects added strictly after this (`added_after`).
    public var addedAfter: Int64?
    /// The page cursor: objects added strictly after this (from `next`).
    public var after: Int64?
    public var limit: Int
    /// Only `dateAdded` and `json` are needed (object pages): the other fields may be left empty.
    public var pageOnly = false

    public init(
        visibility: STIXVisibility, ids: [String]? = nil, types: [String]? = nil, versions: STIXVersionMatch = .last, specVersions: [String]? = nil,
        addedAfter: Int64? = nil, after: Int64? = nil, limit: Int = 100
    ) {
        self.visibility = visibility
        self.ids = ids
        self.types = types
        self.versions = versions
        self.specVersions = specVersions
        self.addedAfter = addedAfter
        self.after = after
        self.limit = limit
    }

    /// The lower bound both `added_after` and the cursor put on `date_added`.
    public var lowerBound: Int64? {
        switch (self.addedAfter, self.after) {
        case (nil, nil): nil
        case (let a?, nil): a
        case (nil, let b?): b
        case (let a?, let b?): max(a, b)
        }
    }
}

/// What happened to one object handed to ``TAXIIStore/addSTIXObjects(_:now:)``.
public enum STIXAddOutcome: Sendable, Equatable {
    /// Stored as a new object or a new version.
    case added
    /// The same id and version was already held from the same sender: nothing changed. (Another
    /// sender's copy is never touched nor told of: each sender's copies are their own.)
    case unchanged
    /// Already held under a stricter marking: now held under this one (added again, as new).
    case relaxed
}

/// The result of adding objects to a collection (TAXII's status resource). Kept at least a day.
public struct TAXIIStatus: Sendable, Equatable {
    public struct Detail: Sendable, Equatable {
        public var id: String
        public var version: String?
        public var message: String?

        public init(id: String, version: String? = nil, message: String? = nil) {
            self.id = id
            self.version = version
            self.message = message
        }
        /// As TAXII writes a status detail (and as it is stored).
        public var json: JSONValue {
            var fields: [String: JSONValue] = ["id": .string(self.id)]
            if let version = self.version { fields["version"] = .string(version) }
            if let message = self.message { fields["message"] = .string(message) }
            return .object(fields)
        }
    }

    public var id: UUID
    public var collectionID: UUID
    /// Who asked: a peer id, or `user:<name>` for our staff. Only they may read it back.
    public var requester: String
    public var requestTimestamp: Date
    public var successes: [Detail]
    public var failures: [Detail]

    public init(id: UUID = UUID(), collectionID: UUID, requester: String, requestTimestamp: Date, successes: [Detail], failures: [Detail]) {
        self.id = id
        self.collectionID = collectionID
        self.requester = requester
        self.requestTimestamp = requestTimestamp
        self.successes = successes
        self.failures = failures
    }

    public var totalCount: Int { self.successes.count + self.failures.count }
}

/// Storage for the TAXII server: collections, peers' rights and tokens, objects, statuses.
public protocol TAXIIStore: Sendable {
    /// Throws ``StoreError/duplicate(field:value:)`` when the alias is taken.
    func insertCollection(_ collection: TAXIICollection) async throws
    /// Ordered by id (as TAXII servers commonly do).
    func collections() async throws -> [TAXIICollection]
    func collection(id: UUID) async throws -> TAXIICollection?

    /// Sets (or, with neither right, removes) a peer's rights on a collection.
    func setGrant(_ grant: TAXIIGrant) async throws
    func grants(peerID: UUID) async throws -> [TAXIIGrant]
    func grants(collectionID: UUID) async throws -> [TAXIIGrant]

    func insertPeerToken(_ token: PeerToken) async throws
    /// A live (not revoked) token.
    func peerToken(hash: String) async throws -> PeerToken?
    func peerTokens(peerID: UUID) async throws -> [PeerToken]
    func revokePeerTokens(peerID: UUID, at date: Date) async throws -> Int

    /// Adds objects (each with its marking and sender already worked out), giving each a `date_added`
    /// later than any held. A peer's version of an object
    /// another source put here first is kept as the peer's own copy (``STIXObjectRecord/privateTo``). Returns one outcome per record, in order.
    func addSTIXObjects(_ records: [STIXObjectRecord], now: Date) async throws -> [STIXAddOutcome]
    /// The matching records in `date_added` order, at most `query.limit`.
    func stixObjects(_ query: STIXObjectQuery) async throws -> [STIXObjectRecord]
    /// Removes the matching versions of one object; returns how many. Only versions `visibility`
    /// allows, and with `sentBy` only those that peer sent, are touched.
    func deleteSTIXObject(id: String, visibility: STIXVisibility, sentBy: UUID?, versions: STIXVersionMatch, specVersions: [String]?) async throws -> Int
    /// How many objects are held (every version), for `/metrics` and the demo.
    func stixObjectCount() async throws -> Int

    func insertStatus(_ status: TAXIIStatus) async throws
    func status(id: UUID) async throws -> TAXIIStatus?
    /// Forgets statuses older than `date`.
    func pruneStatuses(before date: Date) async throws

    /// Where `confianza taxii pull` stopped for a source (`<api root>|<collection>`): the last
    /// `date_added` it took in, as the server wrote it.
    func pullCheckpoint(source: String) async throws -> String?
    func setPullCheckpoint(source: String, addedAfter: String, at date: Date) async throws
}

extension STIXVersionMatch {
    /// Picks the versions this rule keeps out of one object's records (all of the same id, and all that
    /// the reader may see: `last` and `first` are the newest and oldest the reader sees, in each lineage,
    /// so that a version the reader may not see changes nothing in what it gets).
    public func select(_ records: [STIXObjectRecord]) -> [STIXObjectRecord] {
        switch self {
        case .all: return records
        case .last, .first:
            var chosen: [UUID?: Int64] = [:]
            for record in records {
                if let held = chosen[record.lineage], self == .last ? record.version <= held : record.version >= held { continue }
                chosen[record.lineage] = record.version
            }
            return records.filter { chosen[$0.lineage] == $0.version }
        case .at(let versions):
            // An object without a version (a cyber-observable) is named by when it was added.
            return records.filter { versions.contains($0.versionText.isEmpty ? $0.dateAdded : $0.version) }
        case .anyOf(let rules):
            let kept = rules.flatMap { $0.select(records) }
            return records.filter { record in kept.contains { $0.version == record.version && $0.sourcePeer == record.sourcePeer } }
        }
    }
}
