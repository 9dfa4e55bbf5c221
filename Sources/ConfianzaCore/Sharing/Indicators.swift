import Foundation

/// A STIX 2.1 indicator received from a peer or a file: its pattern, when it is valid, whether it was
/// revoked, and its TLP marking. Simple equality patterns on an address are matched against incoming
/// events.
public struct Indicator: Sendable, Equatable, Identifiable {
    /// The STIX id (`indicator--…`).
    public var id: String
    /// Its `modified` timestamp, as given: a newer version replaces an older one.
    public var version: String
    public var name: String
    public var pattern: String
    public var patternType: String
    /// For `[ipv4-addr:value = '…']` and `[ipv6-addr:value = '…']`: the address matched against events.
    public var address: String?
    /// For `[domain-name:value = '…']`: the name (lower case, no final dot) matched against `source.fqdn`.
    public var domain: String?
    /// For `[url:value = '…']`: the URL matched, exactly, against `source.url`.
    public var url: String?
    public var validFrom: Date
    public var validUntil: Date?
    public var revoked: Bool
    public var tlp: TLP
    /// Where it came from (a file name, a peer).
    public var source: String
    public var importedAt: Date

    public init(
        id: String, version: String, name: String, pattern: String, patternType: String, address: String?, validFrom: Date, validUntil: Date?,
        revoked: Bool, tlp: TLP, source: String, importedAt: Date, domain: String? = nil, url: String? = nil
    ) {
        self.domain = domain
        self.url = url
        self.id = id
        self.version = version
        self.name = name
        self.pattern = pattern
        self.patternType = patternType
        self.address = address
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.revoked = revoked
        self.tlp = tlp
        self.source = source
        self.importedAt = importedAt
    }

    /// What an event's `source.fqdn` is compared with: lower case, without a final dot.
    public static func normalizedDomain(_ name: String) -> String {
        var text = name.trimmingCharacters(in: .whitespaces).lowercased()
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Valid now: not revoked, started, not expired.
    public func isActive(at date: Date) -> Bool {
        !self.revoked && self.validFrom <= date && (self.validUntil.map { date < $0 } ?? true)
    }
}

/// Filters for the indicators list.
public struct IndicatorQuery: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable { case all, active, expired, revoked }
    /// Part of the name, pattern or source.
    public var search: String?
    public var state: State
    public var limit: Int

    public init(search: String? = nil, state: State = .all, limit: Int = 200) {
        self.search = search
        self.state = state
        self.limit = limit
    }
}

/// Storage for indicators and the events they matched.
public protocol IndicatorStore: Sendable {
    /// Adds indicators, or replaces one with a newer version (by `version`); returns how many were
    /// added, replaced, and left as they were.
    func upsertIndicators(_ indicators: [Indicator]) async throws -> (added: Int, replaced: Int, unchanged: Int)
    func indicators(matching query: IndicatorQuery, now: Date) async throws -> [Indicator]
    func indicator(id: String) async throws -> Indicator?
    func setIndicatorRevoked(id: String, revoked: Bool) async throws
    /// A run's events whose source address an indicator active at `now` names, with that indicator's
    /// id; each pair once (pairs already recorded as sightings are left out).
    func indicatorMatches(runID: UUID, now: Date) async throws -> [(eventID: Int64, indicatorID: String)]
    /// Records sightings (an indicator seen in an event).
    func recordSightings(_ pairs: [(eventID: Int64, indicatorID: String)], at date: Date) async throws
    /// How many events each indicator was seen in.
    func sightingCounts(indicatorIDs: [String]) async throws -> [String: Int]
}
