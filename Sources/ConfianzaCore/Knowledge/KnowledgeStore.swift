import Foundation

public enum KnowledgeKind: String, Sendable, CaseIterable, Codable {
    case initiative
    case caseStudy = "case-study"
    case agreement
}

/// A search of the knowledge base: words (matched as ``SearchTerms``) and facet filters.
public struct KnowledgeQuery: Sendable, Equatable {
    public var text: String
    public var kind: KnowledgeKind?
    public var level: KnowledgeLevel?
    public var region: String?
    public var country: String?
    public var pillar: GCAPillar?
    /// An initiative's or an agreement's status (`ongoing`, `in-force`, …).
    public var status: String?
    /// Only TLP:CLEAR records: what the public portal searches.
    public var clearOnly: Bool
    public var limit: Int
    public var offset: Int

    public init(
        text: String = "", kind: KnowledgeKind? = nil, level: KnowledgeLevel? = nil, region: String? = nil, country: String? = nil, pillar: GCAPillar? = nil,
        status: String? = nil, clearOnly: Bool, limit: Int = 20, offset: Int = 0
    ) {
        self.text = text
        self.kind = kind
        self.level = level
        self.region = region
        self.country = country
        self.pillar = pillar
        self.status = status
        self.clearOnly = clearOnly
        self.limit = limit
        self.offset = offset
    }
}

/// One record found: enough to list it and cut a snippet around the words searched.
public struct KnowledgeHit: Sendable, Equatable {
    public var kind: KnowledgeKind
    public var id: UUID
    public var title: String
    public var text: String
    public var tlp: TLP
    public var rank: Double

    public init(kind: KnowledgeKind, id: UUID, title: String, text: String, tlp: TLP, rank: Double) {
        self.kind = kind
        self.id = id
        self.title = title
        self.text = text
        self.tlp = tlp
        self.rank = rank
    }
}

/// How many records found fall under each value of each facet.
public struct KnowledgeFacets: Sendable, Equatable {
    public var kind: [String: Int] = [:]
    public var level: [String: Int] = [:]
    public var region: [String: Int] = [:]
    public var country: [String: Int] = [:]
    public var pillar: [String: Int] = [:]
    public var status: [String: Int] = [:]

    public init() {}
}

public struct KnowledgeResults: Sendable, Equatable {
    public var hits: [KnowledgeHit]
    public var total: Int
    public var facets: KnowledgeFacets

    public init(hits: [KnowledgeHit], total: Int, facets: KnowledgeFacets) {
        self.hits = hits
        self.total = total
        self.facets = facets
    }
}

/// The searchable face of a record, as the index keeps it.
public struct KnowledgeIndexEntry: Sendable, Equatable {
    public var kind: KnowledgeKind
    public var id: UUID
    public var tlp: TLP
    public var title: String
    public var text: String
    public var level: String?
    public var region: String?
    public var countries: [String]
    public var pillars: [String]
    public var status: String?
    /// Words searched but not shown in snippets (an agreement's scopes).
    public var extra: String = ""

    /// The stems indexed: title, text and the extra words.
    public var terms: String { SearchTerms.terms(self.title + " " + self.text + " " + self.extra).joined(separator: " ") }
}

/// Where the knowledge base is kept and searched.
public protocol KnowledgeStore: Sendable {
    /// Adds or replaces (by id) every record given, all in one transaction, index included.
    func saveKnowledge(_ base: KnowledgeBase, at date: Date, by actor: String) async throws
    /// The whole knowledge base (TLP:CLEAR only when asked), each kind by title.
    func knowledge(clearOnly: Bool) async throws -> KnowledgeBase
    /// One record (as a knowledge base holding only it), or `nil`; TLP:CLEAR only when asked.
    func knowledgeRecord(kind: KnowledgeKind, id: UUID, clearOnly: Bool) async throws -> KnowledgeBase?
    func deleteKnowledge(kind: KnowledgeKind, id: UUID) async throws -> Bool
    /// How many records of each kind were first added in `[start, end)` (TLP:CLEAR only when asked).
    func knowledgeAdded(from start: Date, to end: Date, clearOnly: Bool) async throws -> [KnowledgeKind: Int]
    func searchKnowledge(_ query: KnowledgeQuery) async throws -> KnowledgeResults
}

extension KnowledgeBase {
    /// The index entries of every record.
    public var indexEntries: [KnowledgeIndexEntry] {
        self.initiatives.map { i in
            KnowledgeIndexEntry(
                kind: .initiative, id: i.id, tlp: i.tlp, title: i.title,
                text: ([i.summary, i.description] + i.organisations.map(\.name) + i.themes).filter { !$0.isEmpty }.joined(separator: "\n"), level: i.level.rawValue,
                region: i.region ?? i.countries.first.flatMap(Countries.region(of:)), countries: i.countries, pillars: i.pillars.map(\.rawValue),
                status: i.status.rawValue)
        }
            + self.caseStudies.map { c in
                KnowledgeIndexEntry(
                    kind: .caseStudy, id: c.id, tlp: c.tlp, title: c.title,
                    text: [c.mandate, c.legalBasis, c.governance, c.funding, c.staffing, c.services.joined(separator: ", "), c.lessonsLearned, c.body].filter { !$0.isEmpty }
                        .joined(separator: "\n"), level: KnowledgeLevel.national.rawValue, region: Countries.region(of: c.country), countries: [c.country], pillars: [],
                    status: nil)
            }
            + self.agreements.map { a in
                let countries = a.countries
                let regions = Set(countries.compactMap(Countries.region(of:)))
                return KnowledgeIndexEntry(
                    kind: .agreement, id: a.id, tlp: a.tlp, title: a.title,
                    text: ([a.summary] + a.parties.compactMap { if case .organisation(let name) = $0 { return name } else { return nil } })
                        .filter { !$0.isEmpty }.joined(separator: "\n"),
                    level: (a.type == .bilateral ? KnowledgeLevel.international : regions.count == 1 ? .regional : .international).rawValue,
                    region: regions.count == 1 ? regions.first : nil, countries: countries, pillars: [GCAPillar.cooperation.rawValue], status: a.status.rawValue,
                    extra: a.scope.map { $0.rawValue.replacingOccurrences(of: "-", with: " ") }.joined(separator: " "))
            }
    }
}
