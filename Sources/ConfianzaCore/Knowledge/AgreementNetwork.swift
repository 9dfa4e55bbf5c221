import Foundation

/// The network of agreements in force between countries: countries are nodes, and two countries are
/// joined when an agreement in force has both as parties (a multilateral agreement joins every pair of
/// its countries). What it tells: each country's partners, countries with no agreement or none on
/// incident response, clusters within a region, bridges (links whose loss splits a group), and the
/// missing links within a region most worth making. Every answer is in a stable order.
public struct AgreementNetwork: Sendable, Equatable {
    public struct Link: Sendable, Equatable, Hashable, Comparable {
        public var a: String
        public var b: String

        public init(_ x: String, _ y: String) {
            self.a = min(x, y)
            self.b = max(x, y)
        }

        public static func < (lhs: Link, rhs: Link) -> Bool { (lhs.a, lhs.b) < (rhs.a, rhs.b) }
    }

    public struct Suggestion: Sendable, Equatable {
        public var link: Link
        /// Partners both countries have.
        public var common: [String]
    }

    /// The countries considered (those a country list or region is drawn from).
    public let universe: [String]
    /// Partners of each country (only countries with at least one).
    public let partners: [String: Set<String>]
    /// The scopes each link covers, over all its agreements.
    public let scopes: [Link: Set<AgreementScope>]
    /// The agreements behind each link.
    public let agreements: [Link: [UUID]]
    let region: @Sendable (String) -> String?

    public static func == (lhs: AgreementNetwork, rhs: AgreementNetwork) -> Bool {
        lhs.universe == rhs.universe && lhs.partners == rhs.partners && lhs.scopes == rhs.scopes && lhs.agreements == rhs.agreements
    }

    /// Builds the network of `agreements` in force, over `universe` (by default every ISO code), with
    /// regions from `region` (by default the ITU regions).
    public init(
        agreements: [Agreement], universe: [String] = Countries.codes, region: @escaping @Sendable (String) -> String? = { Countries.region(of: $0) }
    ) {
        var partners: [String: Set<String>] = [:]
        var scopes: [Link: Set<AgreementScope>] = [:]
        var behind: [Link: [UUID]] = [:]
        for agreement in agreements where agreement.status == .inForce {
            let countries = agreement.countries
            for (i, x) in countries.enumerated() {
                for y in countries[(i + 1)...] {
                    let link = Link(x, y)
                    partners[x, default: []].insert(y)
                    partners[y, default: []].insert(x)
                    scopes[link, default: []].formUnion(agreement.scope)
                    behind[link, default: []].append(agreement.id)
                }
            }
        }
        self.universe = Array(Set(universe).union(partners.keys)).sorted()
        self.partners = partners
        self.scopes = scopes
        self.agreements = behind
        self.region = region
    }

    public var links: [Link] { self.scopes.keys.sorted() }

    public func partners(of country: String) -> [String] { (self.partners[country] ?? []).sorted() }
    public func degree(of country: String) -> Int { self.partners[country]?.count ?? 0 }

    /// Countries of the universe (of a region, when given) with no agreement in force.
    public func isolated(region: String? = nil) -> [String] {
        self.universe.filter { self.partners[$0] == nil && (region == nil || self.region($0) == region) }
    }

    /// Countries of the universe (of a region, when given) with no agreement in force covering incident response.
    public func withoutIncidentResponse(region: String? = nil) -> [String] {
        self.universe.filter { country in
            (region == nil || self.region(country) == region)
                && !(self.partners[country] ?? []).contains { self.scopes[Link(country, $0)]?.contains(.incidentResponse) == true }
        }
    }

    /// Groups of countries of a region joined by links within the region (two or more countries each),
    /// largest first, each sorted.
    public func clusters(region: String) -> [[String]] {
        let members = Set(self.universe.filter { self.region($0) == region && self.partners[$0] != nil })
        var seen: Set<String> = []
        var groups: [[String]] = []
        for start in members.sorted() where !seen.contains(start) {
            var group: [String] = []
            var stack = [start]
            seen.insert(start)
            while let country = stack.popLast() {
                group.append(country)
                for next in self.partners(of: country) where members.contains(next) && seen.insert(next).inserted { stack.append(next) }
            }
            if group.count > 1 { groups.append(group.sorted()) }
        }
        return groups.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
    }

    /// Links whose loss would split the group they join (bridges, by Tarjan's low-link), sorted.
    public func bridges() -> [Link] {
        var order: [String: Int] = [:]
        var low: [String: Int] = [:]
        var counter = 0
        var found: [Link] = []
        // Iterative depth-first search: (node, parent, index of the next neighbour to visit).
        for root in self.partners.keys.sorted() where order[root] == nil {
            var stack: [(node: String, parent: String?, next: Int)] = [(root, nil, 0)]
            order[root] = counter
            low[root] = counter
            counter += 1
            while !stack.isEmpty {
                let top = stack.count - 1
                let node = stack[top].node
                let neighbours = self.partners(of: node)
                if stack[top].next < neighbours.count {
                    let next = neighbours[stack[top].next]
                    stack[top].next += 1
                    if next == stack[top].parent { continue }
                    if let seen = order[next] {
                        low[node] = min(low[node] ?? seen, seen)
                    } else {
                        order[next] = counter
                        low[next] = counter
                        counter += 1
                        stack.append((next, node, 0))
                    }
                } else {
                    stack.removeLast()
                    if let parent = stack.last?.node {
                        low[parent] = min(low[parent] ?? 0, low[node] ?? 0)
                        if (low[node] ?? 0) > (order[parent] ?? 0) { found.append(Link(parent, node)) }
                    }
                }
            }
        }
        return found.sorted()
    }

    /// Pairs of countries of a region with no agreement in force between them, ranked by how many
    /// partners they share (most first; ties by the codes), only pairs sharing at least one.
    public func suggestions(region: String, limit: Int = 10) -> [Suggestion] {
        let members = self.universe.filter { self.region($0) == region }
        var result: [Suggestion] = []
        for (i, x) in members.enumerated() {
            guard let px = self.partners[x] else { continue }
            for y in members[(i + 1)...] where !px.contains(y) {
                guard let py = self.partners[y] else { continue }
                let common = px.intersection(py)
                if !common.isEmpty { result.append(Suggestion(link: Link(x, y), common: common.sorted())) }
            }
        }
        return Array(result.sorted { $0.common.count != $1.common.count ? $0.common.count > $1.common.count : $0.link < $1.link }.prefix(limit))
    }

    /// Where each country with a partner is drawn: regions as arcs of one circle (in the regions' order),
    /// countries along their arc by code. The same network always gives the same picture.
    public func layout(regions: [String] = Countries.regions, size: Double = 600) -> [String: (x: Double, y: Double)] {
        let drawn = self.partners.keys.sorted()
        let ordered = drawn.sorted { a, b in
            let ra = regions.firstIndex(of: self.region(a) ?? "") ?? regions.count
            let rb = regions.firstIndex(of: self.region(b) ?? "") ?? regions.count
            return ra != rb ? ra < rb : a < b
        }
        let centre = size / 2
        let radius = size / 2 - 40
        var positions: [String: (x: Double, y: Double)] = [:]
        for (index, country) in ordered.enumerated() {
            let angle = 2 * Double.pi * Double(index) / Double(max(1, ordered.count)) - Double.pi / 2
            positions[country] = (((centre + radius * cos(angle)) * 10).rounded() / 10, ((centre + radius * sin(angle)) * 10).rounded() / 10)
        }
        return positions
    }
}
