import ConfianzaCore
import Foundation
import Testing

/// The knowledge base's core: the agreements network against a graph worked by hand, the file with
/// every fault at its place, and Markdown that cannot act.
@Suite struct AgreementNetworkTests {
    static func agreement(_ parties: [String], _ scope: [AgreementScope], _ status: AgreementStatus = .inForce) -> Agreement {
        Agreement(title: parties.joined(separator: "–"), type: parties.count == 2 ? .bilateral : .multilateral, parties: parties.map(AgreementParty.country), scope: scope, status: status)
    }

    /// Americas: AR, BR, UY a triangle, CL hanging from AR, PY and BO with nothing in force. Europe: ES, FR,
    /// PT and UY in one multilateral agreement (a clique). Links: AR–UY (incident response), BR–UY, AR–BR,
    /// AR–CL, and the six of the clique. The only bridge is AR–CL; the missing links worth making in the
    /// Americas are BR–CL and CL–UY (both through AR).
    static let network = AgreementNetwork(
        agreements: [
            Self.agreement(["AR", "UY"], [.incidentResponse]), Self.agreement(["BR", "UY"], [.informationSharing]),
            Self.agreement(["AR", "BR"], [.capacityBuilding]), Self.agreement(["CL", "AR"], [.cybercrime]),
            Self.agreement(["ES", "FR", "PT", "UY"], [.incidentResponse, .research]), Self.agreement(["PY", "BO"], [.incidentResponse], .signed),
            Self.agreement(["BO", "ES"], [.incidentResponse], .expired),
        ], universe: ["AR", "BO", "BR", "CL", "ES", "FR", "PT", "PY", "UY"])

    @Test func partnersDegreesAndGapsMatchTheHandBuiltGraph() {
        let n = Self.network
        #expect(n.links.count == 10)
        #expect(n.partners(of: "UY") == ["AR", "BR", "ES", "FR", "PT"] && n.degree(of: "UY") == 5)
        #expect(n.partners(of: "CL") == ["AR"] && n.degree(of: "PY") == 0)
        #expect(n.isolated() == ["BO", "PY"] && n.isolated(region: "europe").isEmpty)
        #expect(n.withoutIncidentResponse(region: "americas") == ["BO", "BR", "CL", "PY"])
        #expect(n.withoutIncidentResponse(region: "europe").isEmpty)
        #expect(n.scopes[AgreementNetwork.Link("UY", "ES")] == [.incidentResponse, .research])
        #expect(n.agreements[AgreementNetwork.Link("FR", "PT")]?.count == 1)
    }

    @Test func clustersBridgesAndSuggestions() {
        let n = Self.network
        #expect(n.clusters(region: "americas") == [["AR", "BR", "CL", "UY"]])
        #expect(n.clusters(region: "europe") == [["ES", "FR", "PT"]])
        #expect(n.bridges() == [AgreementNetwork.Link("AR", "CL")])
        let suggestions = n.suggestions(region: "americas")
        #expect(suggestions.map { [$0.link.a, $0.link.b] } == [["BR", "CL"], ["CL", "UY"]])
        #expect(suggestions.map(\.common) == [["AR"], ["AR"]])
    }

    @Test func aChainHasEveryLinkAsABridgeAndACycleNone() {
        let chain = AgreementNetwork(agreements: [Self.agreement(["AR", "BR"], []), Self.agreement(["BR", "CL"], []), Self.agreement(["CL", "UY"], [])], universe: [])
        #expect(chain.bridges() == [.init("AR", "BR"), .init("BR", "CL"), .init("CL", "UY")])
        let ring = AgreementNetwork(
            agreements: [Self.agreement(["AR", "BR"], []), Self.agreement(["BR", "CL"], []), Self.agreement(["CL", "UY"], []), Self.agreement(["UY", "AR"], [])], universe: [])
        #expect(ring.bridges().isEmpty)
        #expect(ring.suggestions(region: "americas").map(\.common) == [["BR", "UY"], ["AR", "CL"]])
    }

    @Test func theLayoutIsTheSameEveryTime() {
        let first = Self.network.layout()
        let again = AgreementNetwork(agreements: Self.network.agreements.isEmpty ? [] : [], universe: []).layout()
        #expect(again.isEmpty)
        #expect(first.count == 7 && Self.network.layout().mapValues { [$0.x, $0.y] } == first.mapValues { [$0.x, $0.y] })
        for (_, point) in first { #expect((0...600).contains(point.x) && (0...600).contains(point.y)) }
    }
}

@Suite struct KnowledgeFileTests {
    static let sample = """
        {"initiatives": [{"title": "National CIRT capacity", "level": "national", "countries": ["uy"], "region": "americas",
           "organisations": [{"name": "OAS", "role": "funder"}, {"name": "CERTuy"}], "pillars": ["technical", "capacity-development"],
           "themes": ["CSIRT"], "status": "completed", "startDate": "2023-01-01", "endDate": "2024-06-30", "links": ["https://example.org/p"], "tlp": "clear"}],
         "caseStudies": [{"title": "A CIRT inside the e-government agency", "country": "UY", "institutionType": "national-cirt",
           "mandate": "Coordinate incident response", "services": ["incident handling", "alerts"], "body": "# Origins\\n\\nCreated by **law** in 2008."}],
         "agreements": [{"title": "MoU AR–UY", "parties": ["AR", {"country": "uy"}], "scope": "incident-response", "status": "in-force",
           "signedDate": "2020-05-01", "expiryDate": "2025-05-01", "tlp": "TLP:CLEAR"},
          {"title": "Regional network", "parties": ["BR", "CL", {"organisation": "OAS"}], "scope": ["information-sharing", "research"]}]}
        """

    @Test func aFileIsReadWithItsDefaultsAndWrittenBackTheSame() throws {
        let base = try KnowledgeFile.read(Self.sample, file: "k.json")
        #expect(base.initiatives.count == 1 && base.caseStudies.count == 1 && base.agreements.count == 2)
        let initiative = base.initiatives[0]
        #expect(initiative.countries == ["UY"] && initiative.organisations[1].role == .partner && initiative.tlp == .clear)
        #expect(initiative.pillars == [.technical, .capacityDevelopment] && CalendarDay.format(initiative.endDate ?? Date()) == "2024-06-30")
        #expect(base.caseStudies[0].tlp == .green, "not marked: not public")
        #expect(base.agreements[0].type == .bilateral && base.agreements[0].countries == ["AR", "UY"] && base.agreements[0].scope == [.incidentResponse])
        #expect(base.agreements[1].type == .multilateral && base.agreements[1].status == .signed && base.agreements[1].parties.last == .organisation("OAS"))
        #expect(base.clearOnly.agreements.count == 1 && base.clearOnly.caseStudies.isEmpty)
        let written = KnowledgeFile.json(base).text
        #expect(try KnowledgeFile.read(written, file: "again.json") == base)
    }

    @Test(arguments: [
        (#""countries": ["uy"]"#, #""countries": ["XX"]"#, "$.initiatives[0].countries[0]", "knowledge_country"),
        (#""parties": ["AR""#, #""parties": ["Argentina""#, "$.agreements[0].parties[0]", "knowledge_party"),
        (#""parties": ["AR""#, #""parties": [7"#, "$.agreements[0].parties[0]", "knowledge_party"),
        (#""endDate": "2024-06-30""#, #""endDate": "2022-06-30""#, "$.initiatives[0].endDate", "knowledge_order"),
        (#""expiryDate": "2025-05-01""#, #""expiryDate": "2019-05-01""#, "$.agreements[0].expiryDate", "knowledge_order"),
        (#""tlp": "clear""#, #""tlp": "pink""#, "$.initiatives[0].tlp", "knowledge_tlp"),
        (#""status": "completed""#, #""status": "done""#, "$.initiatives[0].status", "knowledge_choice"),
        (#""institutionType": "national-cirt""#, #""institutionType": "army""#, "$.caseStudies[0].institutionType", "knowledge_choice"),
        (#""links": ["https://example.org/p"]"#, #""links": ["javascript:alert(1)"]"#, "$.initiatives[0].links[0]", "knowledge_link"),
        (#""startDate": "2023-01-01""#, #""startDate": "2023-02-30""#, "$.initiatives[0].startDate", "knowledge_date"),
        (#""region": "americas""#, #""region": "mars""#, "$.initiatives[0].region", "knowledge_region"),
        (#""level": "national""#, #""level": "national", "budget": 5"#, "$.initiatives[0].budget", "unknown_field"),
        (#""title": "MoU AR–UY""#, #""title": "MoU AR–UY", "type": "trilateral""#, "$.agreements[0].type", "knowledge_choice"),
        (#""scope": ["information-sharing", "research"]"#, #""type": "bilateral", "scope": []"#, "$.agreements[1].type", "knowledge_bilateral"),
        (#""parties": ["AR", {"country": "uy"}]"#, #""parties": ["AR"]"#, "$.agreements[0].parties", "knowledge_parties"),
        (#""parties": ["AR", {"country": "uy"}]"#, #""parties": ["AR", "ar"]"#, "$.agreements[0].parties[1]", "knowledge_party_twice"),
        (#""title": "National CIRT capacity""#, #""title": """#, "$.initiatives[0].title", "missing"),
    ])
    func aFaultIsRefusedAtItsEntryAndField(find: String, replace: String, path: String, reason: String) throws {
        #expect(Self.sample.contains(find), "\(find)")
        do {
            _ = try KnowledgeFile.read(Self.sample.replacingOccurrences(of: find, with: replace), file: "k.json")
            Issue.record("accepted \(replace)")
        } catch {
            #expect(error.path == path, "\(error)")
            guard case .invalid(_, _, let refusal) = error else { return }
            #expect(refusal.key == "data.error.\(reason)" || reason == "knowledge_choice" && refusal.key == "data.error.knowledge_choice", "\(refusal)")
        }
    }

    @Test func otherCommonShapesAreRead() throws {
        let text = """
            {"initiatives": [{"title": "X", "region": "Arab States", "startDate": "2024-05-01T10:00:00Z"}],
             "agreements": [{"title": "Y", "parties": [{"type": "country", "code": "uy"}, {"type": "organization", "name": "OAS"}, {"organization": "ITU"}]}]}
            """
        let base = try KnowledgeFile.read(text, file: "k.json")
        #expect(base.initiatives[0].region == "arab-states" && base.initiatives[0].startDate.map(CalendarDay.format) == "2024-05-01")
        #expect(base.agreements[0].parties == [.country("UY"), .organisation("OAS"), .organisation("ITU")] && base.agreements[0].type == .multilateral)
    }

    @Test func truncatedEmptyAndWrongFilesAreRefusedWithoutACrash() {
        for cut in 0..<Self.sample.utf8.count {
            let prefix = String(decoding: Array(Self.sample.utf8.prefix(cut)), as: UTF8.self)
            #expect(throws: DataFileError.self) { _ = try KnowledgeFile.read(prefix, file: "k.json") }
        }
        for bad in ["", "[]", "null", #"{"initiatives": {}}"#, #"{"agreements": [1]}"#, #"{"other": []}"#] {
            #expect(throws: DataFileError.self) { _ = try KnowledgeFile.read(bad, file: "k.json") }
        }
        #expect((try? KnowledgeFile.read("{}", file: "k.json")) == KnowledgeBase())
    }
}

@Suite struct SafeMarkdownTests {
    @Test func markdownIsRendered() {
        let html = SafeMarkdown.html("# Origins\n\nCreated by **law** in *2008*, see [the law](https://example.org/law).\n\n- one\n- two `x<y`\n\n1. first\n2. second\n\n> quoted\n\n```\n<b>code</b>\n```")
        #expect(html.contains("<h3>Origins</h3>") && html.contains("<strong>law</strong>") && html.contains("<em>2008</em>"))
        #expect(html.contains("<a href=\"https://example.org/law\" rel=\"nofollow noopener\">the law</a>"))
        #expect(html.contains("<ul><li>one</li><li>two <code>x&lt;y</code></li></ul>") && html.contains("<ol><li>first</li><li>second</li></ol>"))
        #expect(html.contains("<blockquote><p>quoted</p></blockquote>") && html.contains("<pre><code>&lt;b&gt;code&lt;/b&gt;</code></pre>"))
    }

    @Test(arguments: [
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)", "[x]( javascript:alert(1))", "<a href=\"javascript:alert(1)\">x</a>", "**<iframe src=//evil>**",
        "[x](https://example.org\" onmouseover=\"alert(1))", "<svg onload=alert(1)>", "`</code><script>alert(1)</script>`",
    ])
    func nothingInABodyCanAct(body: String) {
        let html = SafeMarkdown.html(body)
        #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<iframe") && !html.contains("<svg"), "\(html)")
        #expect(!html.lowercased().contains("href=\"javascript") && !html.lowercased().contains("href=\"data:"), "\(html)")
        #expect(!html.contains("\" onmouseover=\""), "\(html)")
        #expect(!html.contains("<a href=\"javascript"), "\(html)")
    }
}

@Suite struct SearchTermsTests {
    @Test(arguments: [
        ["incident", "incidents", "incidente", "incidentes", "Incidents"], ["cooperation", "cooperación", "coopération", "Cooperations"],
        ["strategy", "strategies", "stratégie", "stratégies"], ["capacity", "capacidad", "capacité", "capacities"], ["response", "responses"],
        ["planning", "plan", "plans"], ["service", "services"], ["national", "nationale", "nationales"],
    ])
    func wordsOfOneFamilyMeet(family: [String]) {
        #expect(Set(family.map(SearchTerms.stem)).count == 1, "\(family.map(SearchTerms.stem))")
    }

    @Test func queriesAndSnippets() {
        #expect(SearchTerms.query("the national CIRT and the Incidents, incidents!") == ["national", "cirt", "incident"])
        #expect(SearchTerms.query(String(repeating: "word ", count: 1000)).count == 1)
        #expect(SearchTerms.query("<script>").isEmpty == false && SearchTerms.query("  ¿¡ ").isEmpty)
        let parts = SearchTerms.snippet("A long story. The national incident response team handles incidents daily.", terms: SearchTerms.query("incident"))
        #expect(parts.filter(\.marked).map(\.text) == ["incident", "incidents"])
        #expect(parts.map(\.text).joined().contains("national incident response"))
        #expect(SearchTerms.snippet("", terms: ["x"]).isEmpty)
    }
}
