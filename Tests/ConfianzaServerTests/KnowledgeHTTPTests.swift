import ConfianzaCore
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The knowledge base through the HTTP app: an analyst imports and adds records; a visitor with no
/// account searches the public portal and opens the network, and nothing above TLP:CLEAR shows anywhere.
@Suite struct KnowledgeHTTPTests {
    static let file = """
        {"initiatives": [
          {"title": "Regional incident response network", "summary": "CIRTs of the region handle incidents together.", "level": "regional",
           "countries": ["AR", "UY", "PY"], "region": "americas", "pillars": ["cooperation"], "tlp": "TLP:CLEAR"},
          {"title": "Confidential incident drill Zorro", "summary": "An incident exercise with the secret service of Zorrolandia.", "countries": ["UY"],
           "region": "americas", "pillars": ["technical"], "tlp": "TLP:AMBER"}],
         "caseStudies": [
          {"title": "A CIRT in the e-government agency", "country": "UY", "institutionType": "national-cirt", "tlp": "TLP:CLEAR",
           "body": "## History\\n\\nSee [law](https://example.org/law) and [bad](javascript:alert(1)).\\n\\n<script>alert('x')</script>"}],
         "agreements": [
          {"title": "MoU AR-UY on incident response", "parties": ["AR", "UY"], "scope": ["incident-response"], "status": "in-force", "tlp": "TLP:CLEAR"},
          {"title": "MoU BR-UY", "parties": ["BR", "UY"], "scope": ["information-sharing"], "status": "in-force", "tlp": "TLP:CLEAR"},
          {"title": "Secret pact Zorro", "parties": ["UY", "KE"], "scope": ["incident-response"], "status": "in-force", "tlp": "TLP:RED"}]}
        """

    @Test(arguments: TestBackend.available)
    func anAnalystImportsAndAVisitorSeesOnlyClear(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let ana = Browser(client)
            try await ana.login("ana")
            #expect(try await ana.get("/knowledge").status == .ok)
            let bad = try await ana.post("/knowledge/import", [("source", Self.file.replacingOccurrences(of: "\"PY\"", with: "\"XX\""))])
            #expect(bad.status == .unprocessableContent && bad.text.contains("$.initiatives[0].countries[2]"))
            #expect(try await dependencies.store.knowledge(clearOnly: false) == KnowledgeBase(), "nothing kept")
            let done = try await ana.post("/knowledge/import", [("source", Self.file)])
            #expect(done.status == .ok && done.text.contains("flash ok"))
            let staffSearch = try await ana.get("/knowledge?q=zorro")
            #expect(staffSearch.text.contains("Confidential incident drill") && staffSearch.text.contains("TLP:AMBER"))

            // Adding through the form: the same checks as a file.
            #expect(try await ana.get("/knowledge/new?kind=agreement").status == .ok)
            let wrong = try await ana.post("/knowledge/new", [("kind", "agreement"), ("title", "Bad"), ("parties", "UY"), ("tlp", "TLP:CLEAR")])
            #expect(wrong.status == .unprocessableContent && wrong.text.contains("$.agreements[0].parties"))
            let added = try await ana.post(
                "/knowledge/new",
                [("kind", "agreement"), ("title", "MoU CL-UY"), ("parties", "CL, UY"), ("scope.research", "on"), ("status", "in-force"), ("tlp", "TLP:CLEAR")])
            #expect(added.status == .seeOther && added.location?.hasPrefix("/knowledge/agreement/") == true)

            // The visitor: search, a record, the network; nothing above CLEAR, not even in counts.
            let visitor = Browser(client)
            let search = try await visitor.get("/public/knowledge?q=incident")
            #expect(search.status == .ok && search.text.contains("Regional incident response network") && search.text.contains("<mark>"))
            for secret in ["Zorro", "Zorrolandia", "TLP:AMBER", "TLP:RED", "Secret pact"] { #expect(!search.text.contains(secret), "\(secret)") }
            #expect(search.text.contains("<p id=\"found\">2 found</p>"), "the AMBER drill is not counted")
            let everything = try await visitor.get("/public/knowledge")
            #expect(!everything.text.contains("Zorro") && everything.text.contains("MoU CL-UY"))
            #expect(try await visitor.get("/public/knowledge?country=KE").text.contains(">0 found<"))
            let hidden = try #require(try await dependencies.store.knowledge(clearOnly: false).initiatives.first { $0.tlp == .amber })
            #expect(try await visitor.get("/public/knowledge/initiative/\(hidden.id.uuidString)").status == .notFound)
            #expect(try await ana.get("/knowledge/initiative/\(hidden.id.uuidString)").status == .ok)
            let caseStudy = try #require(try await dependencies.store.knowledge(clearOnly: true).caseStudies.first)
            let page = try await visitor.get("/public/knowledge/case-study/\(caseStudy.id.uuidString)")
            #expect(page.text.contains("<a href=\"https://example.org/law\" rel=\"nofollow noopener\">law</a>"))
            #expect(!page.text.contains("<script>alert") && !page.text.contains("href=\"javascript"))
            let network = try await visitor.get("/public/knowledge/network?region=americas")
            #expect(network.status == .ok && network.text.contains("id=\"network\""))
            #expect(!network.text.contains("data-country=\"KE\"") && !network.text.contains("Kenya"), "the RED pact is no link in public")
            #expect(network.text.contains("<tr data-country=\"UY\"><td>Uruguay</td><td class=\"num degree\">3</td>"))
            let staffNetwork = try await ana.get("/knowledge/network")
            #expect(staffNetwork.text.contains("<tr data-country=\"UY\"><td>Uruguay</td><td class=\"num degree\">4</td>"))
            #expect(try await visitor.get("/public/knowledge?region=mars").status == .badRequest)
            #expect(try await visitor.get("/knowledge").status == .seeOther, "staff pages need a sign-in")
            let before = try await dependencies.store.knowledge(clearOnly: false)
            #expect(try await visitor.post("/knowledge/import", [("source", "{}")]).status != .ok)
            #expect(try await dependencies.store.knowledge(clearOnly: false) == before)
        }
    }
}
