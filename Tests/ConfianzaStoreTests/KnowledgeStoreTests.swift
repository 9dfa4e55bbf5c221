import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Testing

@testable import ConfianzaStore

/// The knowledge base on every backend: records kept whole and replaced by id; full-text search whose
/// results are exactly those an oracle in Swift finds (so SQLite and PostgreSQL agree), with facets, and
/// nothing above TLP:CLEAR in a public search — not in hits, not in counts.
@Suite struct KnowledgeStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    static let base = KnowledgeBase(
        initiatives: [
            Initiative(
                title: "National incident response capacity", summary: "Training for the national CIRT on incident handling.", countries: ["UY"],
                region: "americas", organisations: [Involvement(name: "OAS", role: .funder)], pillars: [.technical, .capacityDevelopment], status: .completed,
                tlp: .clear),
            Initiative(
                title: "Cooperación regional en ciberseguridad", summary: "Red de equipos de respuesta a incidentes de la región.", level: .regional,
                countries: ["AR", "UY", "PY"], region: "americas", pillars: [.cooperation], tlp: .clear),
            Initiative(
                title: "Stratégie nationale de cybersécurité", summary: "Appui à la rédaction de la stratégie et à la coopération internationale.",
                countries: ["SN"], region: "africa", pillars: [.legal, .organizational], status: .planned, tlp: .clear),
            Initiative(
                title: "Secret incident exercise", summary: "A confidential exercise on incidents in the energy sector.", countries: ["UY"],
                region: "americas", pillars: [.technical], tlp: .amber),
        ],
        caseStudies: [
            CaseStudy(
                title: "A CIRT inside the e-government agency", country: "UY", institutionType: .nationalCIRT, mandate: "Coordinate incident response nationally",
                body: "Created by law; handles incidents for the public sector.", tlp: .clear),
            CaseStudy(title: "Sectoral CSIRT for banks", country: "KE", institutionType: .sectoralCIRT, mandate: "Financial sector incidents", tlp: .green),
        ],
        agreements: [
            Agreement(title: "MoU on incident response", type: .bilateral, parties: [.country("AR"), .country("UY")], scope: [.incidentResponse], status: .inForce, tlp: .clear),
            Agreement(
                title: "Cooperation on cybercrime", type: .multilateral, parties: [.country("ES"), .country("FR"), .organisation("Europol")], scope: [.cybercrime],
                status: .signed, tlp: .red),
        ])

    /// What a search must find: records whose terms include every term of the query.
    static func oracle(_ text: String, clearOnly: Bool) -> Set<UUID> {
        let wanted = Set(SearchTerms.query(text))
        return Set(Self.base.indexEntries.filter { entry in
            (!clearOnly || entry.tlp == .clear) && wanted.isSubset(of: Set(entry.terms.split(separator: " ").map(String.init)))
        }.map(\.id))
    }

    @Test(arguments: TestBackend.available)
    func searchFindsWhatTheOracleFindsAndNothingAboveClearInPublic(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            try await store.saveKnowledge(Self.base, at: Self.t0, by: "ana")
            let all = try await store.knowledge(clearOnly: false)
            #expect(Set(all.initiatives.map(\.id)) == Set(Self.base.initiatives.map(\.id)) && all.agreements.count == 2)
            #expect(all.caseStudies.first { $0.country == "UY" } == Self.base.caseStudies[0])
            let public_ = try await store.knowledge(clearOnly: true)
            #expect(public_.initiatives.count == 3 && public_.caseStudies.count == 1 && public_.agreements.count == 1)

            for text in ["incident", "incidentes", "cooperation", "coopération", "stratégie nationale", "CIRT", "energy", "banks", "nothing here", "", "<script>", "\"quoted\" OR x"] {
                for clearOnly in [false, true] {
                    let results = try await store.searchKnowledge(KnowledgeQuery(text: text, clearOnly: clearOnly, limit: 100))
                    let expected = text.isEmpty || SearchTerms.query(text).isEmpty
                        ? Set(Self.base.indexEntries.filter { !clearOnly || $0.tlp == .clear }.map(\.id)) : Self.oracle(text, clearOnly: clearOnly)
                    #expect(Set(results.hits.map(\.id)) == expected, "\(backend) \(text) clearOnly \(clearOnly)")
                    #expect(results.total == expected.count)
                    if clearOnly { #expect(results.hits.allSatisfy { $0.tlp == .clear }) }
                }
            }
            // Words in other languages meet: "incidentes" finds the English records, "coopération" the Spanish one.
            #expect(try await store.searchKnowledge(KnowledgeQuery(text: "incidentes", clearOnly: true, limit: 100)).total == 4)
            #expect(Set(try await store.searchKnowledge(KnowledgeQuery(text: "coopération", clearOnly: true)).hits.map(\.title))
                == ["Cooperación regional en ciberseguridad", "Stratégie nationale de cybersécurité"])

            // Facets count what was found; in public the AMBER exercise counts nowhere.
            let everything = try await store.searchKnowledge(KnowledgeQuery(text: "incident", clearOnly: false, limit: 2))
            #expect(everything.hits.count == 2 && everything.total == 6)
            #expect(everything.facets.country["UY"] == 5 && everything.facets.kind == ["initiative": 3, "case-study": 2, "agreement": 1])
            let open = try await store.searchKnowledge(KnowledgeQuery(text: "incident", clearOnly: true))
            #expect(open.total == 4 && open.facets.country["UY"] == 4 && open.facets.pillar["technical"] == 1 && open.facets.kind["initiative"] == 2)
            #expect(open.facets.country["KE"] == nil, "the GREEN case study counts nowhere public")
            let filtered = try await store.searchKnowledge(KnowledgeQuery(text: "incident", kind: .initiative, region: "americas", pillar: .technical, clearOnly: false))
            #expect(filtered.hits.map(\.title).sorted() == ["National incident response capacity", "Secret incident exercise"])
            #expect(try await store.searchKnowledge(KnowledgeQuery(country: "SN", status: "planned", clearOnly: true)).hits.map(\.title) == ["Stratégie nationale de cybersécurité"])
            let paged = try await store.searchKnowledge(KnowledgeQuery(clearOnly: false, limit: 3, offset: 6))
            #expect(paged.total == 8 && paged.hits.count == 2)

            let day = (Self.t0.addingTimeInterval(-1), Self.t0.addingTimeInterval(1))
            #expect(try await store.knowledgeAdded(from: day.0, to: day.1, clearOnly: false) == [.initiative: 4, .caseStudy: 2, .agreement: 2])
            #expect(try await store.knowledgeAdded(from: day.0, to: day.1, clearOnly: true) == [.initiative: 3, .caseStudy: 1, .agreement: 1])
            #expect(try await store.knowledgeAdded(from: day.1, to: day.1.addingTimeInterval(99), clearOnly: false).isEmpty)

            // Replaced by id, index included; removed.
            var changed = Self.base.initiatives[3]
            changed.tlp = .clear
            changed.summary = "Now public: an exercise on ransomware."
            try await store.saveKnowledge(KnowledgeBase(initiatives: [changed]), at: Self.t0, by: "ana")
            #expect(try await store.searchKnowledge(KnowledgeQuery(text: "ransomware", clearOnly: true)).hits.map(\.id) == [changed.id])
            #expect(try await store.searchKnowledge(KnowledgeQuery(text: "confidential", clearOnly: false)).total == 0)
            #expect(try await store.deleteKnowledge(kind: .initiative, id: changed.id))
            #expect(!(try await store.deleteKnowledge(kind: .initiative, id: changed.id)))
            #expect(try await store.searchKnowledge(KnowledgeQuery(text: "ransomware", clearOnly: false)).total == 0)
        }
    }

    /// A process keeps the base it read until the base changes, and sees a change another process made
    /// (two store objects on one database): saved, changed, deleted, for both editions.
    @Test(arguments: TestBackend.available)
    func aBaseReadOnceFollowsChangesFromAnotherProcess(backend: TestBackend) async throws {
        try await TestDatabase.withEmptyLocation(backend) { location in
            let reader = try await SQLStore.open(location, logger: TestDatabase.logger)
            let writer = try await SQLStore.open(location, logger: TestDatabase.logger)
            try await reader.withRunning(connectTimeout: TestDatabase.connectTimeout) { reader in
                try await writer.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { writer in
                    #expect(try await reader.knowledge(clearOnly: false) == KnowledgeBase())
                    try await writer.saveKnowledge(Self.base, at: Self.t0, by: "ana")
                    #expect(try await reader.knowledge(clearOnly: false).initiatives.count == 4)
                    #expect(try await reader.knowledge(clearOnly: true).agreements.count == 1)
                    var changed = Self.base.agreements[1]
                    changed.tlp = .clear
                    try await writer.saveKnowledge(KnowledgeBase(agreements: [changed]), at: Self.t0, by: "ana")
                    #expect(try await reader.knowledge(clearOnly: true).agreements.count == 2)
                    #expect(try await writer.deleteKnowledge(kind: .initiative, id: Self.base.initiatives[0].id))
                    #expect(try await reader.knowledge(clearOnly: false).initiatives.count == 3)
                    #expect(try await reader.knowledge(clearOnly: true).initiatives.count == 2)
                    #expect(try await reader.knowledge(clearOnly: false) == (try await writer.knowledge(clearOnly: false)))
                }
            }
        }
    }
}
