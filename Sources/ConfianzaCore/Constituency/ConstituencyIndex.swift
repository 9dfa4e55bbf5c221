import ConfianzaNetwork
import Foundation

/// What to look up: an address, an AS number, or a domain (from a name or a URL).
public enum LookupQuery: Sendable, Equatable, CustomStringConvertible {
    case address(IPAddress)
    case asn(UInt32)
    case domain(String)

    /// Reads an address, `AS64500` (or a bare number), a domain, or a URL; defanged forms
    /// (`hxxp://`, `example[.]org`) are accepted, since that is how indicators travel.
    public static func parse(_ input: String) throws(ConstituencyError) -> LookupQuery {
        var text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw .invalid(field: "query", value: input, reason: .init("constituency.error.empty", english: "is empty")) }
        for (defanged, plain) in [("[.]", "."), ("(.)", "."), ("[:]", ":"), ("hxxp", "http"), ("[://]", "://")] {
            text = text.replacingOccurrences(of: defanged, with: plain, options: .caseInsensitive)
        }
        if text.contains("://") {
            guard let components = URLComponents(string: text), var host = components.host, !host.isEmpty else {
                throw .invalid(field: "query", value: input, reason: .init("constituency.error.url", english: "not a URL with a host"))
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if let address = try? IPAddress(host) { return .address(address.unmapped) }
            do { return .domain(try Validation.domain(host, field: "query")) } catch {
                throw .invalid(field: "query", value: input, reason: .init("constituency.error.url_host", english: "the URL's host is neither an address nor a domain"))
            }
        }
        if text.uppercased().hasPrefix("AS") || text.allSatisfy(\.isNumber) {
            do { return .asn(try Validation.asn(text)) } catch {
                throw .invalid(field: "query", value: input, reason: .init("constituency.error.asn", english: "not an AS number (AS1 to AS4294967295)"))
            }
        }
        if text.contains(":") || text.split(separator: ".").allSatisfy({ $0.allSatisfy(\.isNumber) }) {
            do { return .address(try IPAddress(text).unmapped) } catch {
                throw .invalid(field: "query", value: input, reason: "\(error.description)")
            }
        }
        do { return .domain(try Validation.domain(text, field: "query")) } catch {
            throw .invalid(field: "query", value: input, reason: .init("constituency.error.query", english: "not an address, AS number, domain or URL"))
        }
    }

    public var description: String {
        switch self {
        case .address(let address): address.description
        case .asn(let number): "AS\(number)"
        case .domain(let name): name
        }
    }
}

/// The organisations responsible for something, and the recorded asset that decided it.
public struct ConstituencyMatch: Sendable, Equatable {
    public var organisations: [Organisation]
    public var rule: Asset

    public init(organisations: [Organisation], rule: Asset) {
        self.organisations = organisations
        self.rule = rule
    }
}

/// An organisation's place in the list, and its name as search compares it.
public struct ListedOrganisation: Sendable {
    public let id: UUID
    let sortKey: String
    public let folded: String

    /// A name or a search folded the same way: case and accents ignored.
    public static func fold(_ text: String) -> String { text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil) }
}

/// An immutable snapshot of who owns what, built for fast answers. Rebuild it when the constituency
/// changes and swap it in whole (see ``ConstituencyService``).
///
/// Precedence, most specific first: a longer prefix beats a shorter one, a prefix beats an AS number,
/// an exact domain beats a parent domain, and a country is the last resort.
public struct ConstituencyIndex: Sendable {
    public let organisations: [UUID: Organisation]
    /// Every organisation by name (case and accents folded for search), in the order the list shows
    /// them: made once per change, not once per page.
    public let listing: [ListedOrganisation]
    public let revision: Int64
    private let prefixes: PrefixTable
    private let prefixOwners: [[UUID]]
    private let asns: [UInt32: [UUID]]
    private let domains: [String: [UUID]]
    private let countries: [String: [UUID]]

    public static let empty = ConstituencyIndex(organisations: [], assets: [], revision: 0)

    public init(organisations: [Organisation], assets: [OwnedAsset], revision: Int64) {
        self.organisations = Dictionary(organisations.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.listing = self.organisations.values.map { ListedOrganisation(id: $0.id, sortKey: $0.name.lowercased(), folded: ListedOrganisation.fold($0.name)) }
            .sorted { ($0.sortKey, $0.id.uuidString) < ($1.sortKey, $1.id.uuidString) }
        self.revision = revision
        var prefixPosition: [IPPrefix: Int] = [:]
        var prefixList: [IPPrefix] = []
        var prefixOwners: [[UUID]] = []
        var asns: [UInt32: [UUID]] = [:]
        var domains: [String: [UUID]] = [:]
        var countries: [String: [UUID]] = [:]
        // Stable order: organisations by name, so answers listing several owners read the same each time.
        let names = Dictionary(organisations.map { ($0.id, $0.name.lowercased()) }, uniquingKeysWith: { first, _ in first })
        // Keys made once: formatting a UUID inside the comparison made the build of a large
        // constituency slow.
        let sorted = assets.compactMap { owned in names[owned.organisationID].map { (name: $0, id: owned.id.uuidString, owned: owned) } }
            .sorted { ($0.name, $0.id) < ($1.name, $1.id) }
            .map(\.owned)
        for owned in sorted {
            let owner = owned.organisationID
            switch owned.asset {
            case .prefix(let prefix):
                if let position = prefixPosition[prefix] {
                    if !prefixOwners[position].contains(owner) { prefixOwners[position].append(owner) }
                } else {
                    prefixPosition[prefix] = prefixList.count
                    prefixList.append(prefix)
                    prefixOwners.append([owner])
                }
            case .asn(let number): Self.add(owner, to: &asns[number, default: []])
            case .domain(let name): Self.add(owner, to: &domains[name, default: []])
            case .country(let code): Self.add(owner, to: &countries[code, default: []])
            }
        }
        self.prefixes = PrefixTable(prefixList)
        self.prefixOwners = prefixOwners
        self.asns = asns
        self.domains = domains
        self.countries = countries
    }

    private static func add(_ owner: UUID, to list: inout [UUID]) {
        if !list.contains(owner) { list.append(owner) }
    }

    public var prefixCount: Int { self.prefixes.count }

    /// Who is responsible for one thing.
    public func lookup(_ query: LookupQuery) -> ConstituencyMatch? {
        switch query {
        case .address(let address): self.match(address: address)
        case .asn(let number): self.match(asn: number)
        case .domain(let name): self.match(domain: name)
        }
    }

    /// Who is responsible for an event, from everything known about it, by the precedence above.
    /// An event that names a network instead of an address (a blocklisted range) goes to the owner of
    /// the network's first address: a prefix that holds the network, or one inside it that starts there.
    public func route(address: IPAddress?, network: IPPrefix? = nil, asn: UInt32?, domain: String?, country: String?) -> ConstituencyMatch? {
        if let address, let match = self.match(address: address) { return match }
        if address == nil, let network, let match = self.match(address: network.address) { return match }
        if let asn, let match = self.match(asn: asn) { return match }
        if let domain, let match = self.match(domain: domain) { return match }
        if let country, let owners = self.countries[country.uppercased()] {
            return self.answer(owners, rule: .country(country.uppercased()))
        }
        return nil
    }

    public func match(address: IPAddress) -> ConstituencyMatch? {
        guard let position = self.prefixes.lookup(address) else { return nil }
        return self.answer(self.prefixOwners[position], rule: .prefix(self.prefixes.prefix(at: position)))
    }

    public func match(asn: UInt32) -> ConstituencyMatch? {
        self.asns[asn].flatMap { self.answer($0, rule: .asn(asn)) }
    }

    /// The most specific recorded domain equal to `name` or a parent of it.
    public func match(domain name: String) -> ConstituencyMatch? {
        var candidate = Substring(name.lowercased())
        if candidate.hasSuffix(".") { candidate = candidate.dropLast() }
        while !candidate.isEmpty {
            if let owners = self.domains[String(candidate)] { return self.answer(owners, rule: .domain(String(candidate))) }
            guard let dot = candidate.firstIndex(of: ".") else { break }
            candidate = candidate[candidate.index(after: dot)...]
        }
        return nil
    }

    private func answer(_ owners: [UUID], rule: Asset) -> ConstituencyMatch? {
        let organisations = owners.compactMap { self.organisations[$0] }
        return organisations.isEmpty ? nil : ConstituencyMatch(organisations: organisations, rule: rule)
    }
}
