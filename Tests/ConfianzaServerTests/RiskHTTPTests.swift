import ConfianzaCore
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The risk pages and the public SME self-assessment through the HTTP app, on every backend.
@Suite struct RiskHTTPTests {
    static let catalogues = try! RiskCatalogues.bundled()

    /// Answers every question of a step with `choice`, returning the response.
    static func answerStep(_ visitor: Browser, _ location: String, choice: String) async throws -> TestResponse {
        let page = try await visitor.get(location)
        #expect(page.status == .ok, "\(location)")
        let questions = Set(page.text.matches(of: /name="q\.([a-z-]+)"/).map { String($0.1) })
        return try await visitor.post(location, questions.sorted().map { ("q.\($0)", choice) } + [("go", "next")])
    }

    @Test(arguments: TestBackend.available)
    func anAnonymousBusinessFinishesResumesAndShares(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let visitor = Browser(client)
            #expect(try await visitor.get("/self-assessment").status == .ok)
            #expect(try await visitor.post("/self-assessment", [("size", "giant"), ("sector", "retail")]).status == .unprocessableContent)
            let started = try await visitor.post("/self-assessment", [("size", "micro"), ("sector", "retail")])
            #expect(started.status == .seeOther)
            var location = try #require(started.location)
            #expect(location.hasSuffix("/1"))

            // An answer outside the choices, and a question left out: the step again, saying why, nothing recorded.
            let first = try await visitor.get(location)
            #expect(first.text.contains("gv-owner") && !first.text.contains("gv-policy"), "a micro business is not asked for written rules")
            let wrong = try await visitor.post(location, [("q.gv-owner", "maybe"), ("q.gv-risks", "yes"), ("go", "next")])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("id=\"error-gv-owner\"") && wrong.text.contains("maybe") && wrong.text.contains("id=\"error-gv-law\""))
            #expect(try await visitor.post(location, [("q.pr-mfa", "yes"), ("go", "next")]).status == .badRequest, "a question of another step")

            // Step one answered; resumed from the code on a fresh browser; the rest answered.
            let next = try await Self.answerStep(visitor, location, choice: "partly")
            #expect(next.status == .seeOther)
            location = try #require(next.location)
            let code = String(location.split(separator: "/")[1])
            let other = Browser(client)
            let resumed = try await other.get("/self-assessment/resume?code=\(code.lowercased())")
            #expect(resumed.status == .seeOther && resumed.location == location)
            #expect(try await other.get("/self-assessment/resume?code=ZZZZ-ZZZZ").status == .unprocessableContent)
            #expect(try await other.get("/self-assessment/NOT-A-CODE/1").status == .notFound)
            #expect(try await other.get("/self-assessment/\(code)/99").status == .notFound)
            #expect(try await other.get("/self-assessment/\(code)/plan").location == location, "the plan waits for every answer")
            while !location.hasSuffix("/plan") {
                let response = try await Self.answerStep(other, location, choice: "no")
                #expect(response.status == .seeOther)
                location = try #require(response.location)
            }
            let plan = try await other.get(location)
            #expect(plan.status == .ok && plan.text.contains("id=\"sme-actions\"") && plan.text.contains("id=\"maturity\""))
            #expect(plan.text.contains("data-question=\"pr-mfa\""))
            #expect(try await other.get(location + "?print=1").text.contains("id=\"sme-print-hint\""))

            // Nothing kept until the business agrees; then anonymous unless it names itself.
            #expect(try await dependencies.store.smeResults(limit: 10).isEmpty)
            let refused = try await other.post(location + "/share", [("business", "Tienda")])
            #expect(refused.status == .ok && refused.text.contains("flash error"))
            #expect(try await dependencies.store.smeResults(limit: 10).isEmpty)
            #expect(try await other.post(location + "/share", [("consent", "yes"), ("business", "Tienda Sol")]).status == .ok)
            let kept = try await dependencies.store.smeResults(limit: 10)
            #expect(kept.count == 1 && kept[0].business == nil && kept[0].sector == "retail" && kept[0].size == "micro")
            // One address shares at most ten an hour: the form is public.
            for _ in 1..<RiskService.sharesPerHour {
                #expect(try await other.post(location + "/share", [("consent", "yes")]).status == .ok)
            }
            #expect(try await other.post(location + "/share", [("consent", "yes")]).status == .tooManyRequests)
            #expect(try await dependencies.store.smeResults(limit: 100).count == RiskService.sharesPerHour)

            // Staff see the statistics; a visitor does not.
            #expect(try await other.get("/risk/sme").status == .seeOther)
            let staff = Browser(client)
            try await staff.login("vera")
            let stats = try await staff.get("/risk/sme")
            #expect(stats.status == .ok && stats.text.contains("id=\"sme-groups\""))
            #expect(try await staff.get("/risk/sme?format=csv").text.hasPrefix("sector,size,results,percent,GV,ID,PR,DE,RS,RC\r\nretail,micro,10,"))
            #expect(try await staff.get("/risk/sme?format=xml").status == .badRequest)
        }
    }

    static let customMatrix = """
        {"id": "agency-4x4", "title": {"en": "Agency 4×4", "es": "Agencia 4×4", "fr": "Agence 4×4"},
         "likelihood": [{"id": "l1", "title": "Rare"}, {"id": "l2", "title": "Possible"}, {"id": "l3", "title": "Likely"}, {"id": "l4", "title": "Certain"}],
         "impact": [{"id": "i1", "title": "Minor"}, {"id": "i2", "title": "Moderate"}, {"id": "i3", "title": "Major"}, {"id": "i4", "title": "Severe"}],
         "levels": [{"id": "low", "title": "Low", "colour": "#4caf50", "min": 1, "max": 3},
                    {"id": "medium", "title": "Medium", "colour": "#ffeb3b", "min": 4, "max": 8},
                    {"id": "high", "title": "High", "colour": "#f44336", "min": 9, "max": 16}]}
        """

    static func scenarioForm(_ title: String, current: (String, String), threat: String = "ransomware", controls: String = "PR.DS-11 rc.rp-01") -> [(String, String)] {
        [
            ("title", title), ("asset", "Citizen portal"), ("threat", threat), ("inherent_likelihood", "l4"), ("inherent_impact", "i4"),
            ("current_likelihood", current.0), ("current_impact", current.1), ("residual_likelihood", "l1"), ("residual_impact", "i2"),
            ("treatment", "reduce"), ("controls", controls), ("owner", "CISO"), ("due", "2027-03-31"),
        ]
    }

    @Test(arguments: TestBackend.available)
    func anAnalystBuildsARegisterOnACustomMatrixAndComparesCycles(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let agency = Organisation(name: "Agencia Digital", sector: .government, country: "UY", kind: .public, notes: "", tlpCeiling: .amber, createdAt: Date())
            try await dependencies.store.insertOrganisation(agency)
            let ana = Browser(client)
            try await ana.login("ana")
            #expect(try await ana.get("/risk").text.contains("id=\"no-registers\""))

            // The matrix: refused when not square or with a gap (saying where), then added.
            #expect(try await ana.get("/risk/matrices").status == .ok)
            let square = try await ana.post("/risk/matrices", [("source", Self.customMatrix.replacingOccurrences(of: #", {"id": "i4", "title": "Severe"}"#, with: ""))])
            #expect(square.status == .unprocessableContent && square.text.contains("$.impact"))
            let gap = try await ana.post("/risk/matrices", [("source", Self.customMatrix.replacingOccurrences(of: #""min": 4"#, with: #""min": 5"#))])
            #expect(gap.status == .unprocessableContent && gap.text.contains("$.levels[1].min"))
            let colour = try await ana.post("/risk/matrices", [("source", Self.customMatrix.replacingOccurrences(of: "#ffeb3b", with: "sunshine"))])
            #expect(colour.status == .unprocessableContent && colour.text.contains("$.levels[1].colour"))
            #expect(try await ana.post("/risk/matrices", [("source", Self.customMatrix)]).status == .ok)
            #expect(try await ana.get("/risk/matrices").text.contains("data-matrix=\"agency-4x4\""))

            // A register on it; a risk refused for a step of another matrix, then three risks.
            #expect(try await ana.post("/risk/cycles", [("organisation", "Nadie"), ("matrix", "agency-4x4")]).status == .unprocessableContent)
            #expect(try await ana.post("/risk/cycles", [("organisation", "agencia digital"), ("matrix", "agency-4x4"), ("review", "2026-13-01")]).status == .unprocessableContent)
            let started = try await ana.post("/risk/cycles", [("organisation", "agencia digital"), ("matrix", "agency-4x4"), ("review", "2020-01-01")])
            let first = try #require(started.location)
            #expect(try await ana.get("\(first)/scenarios/new").status == .ok)
            let bad = try await ana.post("\(first)/scenarios", Self.scenarioForm("Bad", current: ("likely", "i2"), controls: "PR.XX-99"))
            #expect(bad.status == .unprocessableContent && bad.text.contains("likely") && bad.text.contains("PR.XX-99"))
            for (title, current) in [("Ransomware", ("l3", "i4")), ("Phishing", ("l3", "i2")), ("Outage", ("l2", "i2"))] {
                #expect(try await ana.post("\(first)/scenarios", Self.scenarioForm(title, current: current)).status == .seeOther)
            }
            let register = try await ana.get(first)
            #expect(register.text.contains("id=\"heatmap-current\"") && register.text.contains("data-likelihood=\"l3\" data-impact=\"i4\" data-count=\"1\""))
            #expect(register.text.components(separatedBy: "class=\"current-level\" data-level=\"high\"").count == 2)
            let csv = try await ana.get("\(first)?format=csv")
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true && csv.text.contains("Ransomware,Citizen portal,ransomware,l4,i4,high,l3,i4,high"))
            #expect(try await ana.get("\(first)/print").text.contains("print"))

            // Overdue on the overview; a viewer reads but cannot change.
            #expect(try await ana.get("/").text.contains("id=\"overdue-reviews\""))
            let vera = Browser(client)
            try await vera.login("vera")
            #expect(try await vera.get(first).status == .ok)
            #expect(try await vera.post("/risk/cycles", [("organisation", "Agencia Digital"), ("matrix", "4x4")]).status == .forbidden)

            // The second cycle: a copy; two risks change; the first cycle is history.
            let second = try #require(try await ana.post("/risk/cycles", [("organisation", agency.id.uuidString), ("matrix", "3x3"), ("review", "2099-01-01")]).location)
            #expect(second != first)
            let page = try await ana.get(second)
            #expect(page.text.contains("Agency 4×4"), "the copy keeps the matrix")
            let links = page.text.matches(of: /href="(\/risk\/cycles\/[0-9A-F-]+\/scenarios\/[0-9A-F-]+)"/).map { String($0.1) }
            #expect(links.count == 3)
            #expect(try await ana.post(links[0], Self.scenarioForm("Ransomware", current: ("l1", "i4"))).status == .seeOther)
            #expect(try await ana.post(links[1], Self.scenarioForm("Phishing", current: ("l4", "i4"), threat: "phishing")).status == .seeOther)
            let firstID = try #require(UUID(uuidString: String(first.split(separator: "/").last ?? "")))
            let oldScenario = try #require(try await dependencies.store.cycle(id: firstID)?.cycle.scenarios.first)
            #expect(try await ana.get("\(first)/scenarios/\(oldScenario.id.uuidString)").status == .conflict, "an earlier cycle is history")
            #expect(try await ana.post("\(first)/scenarios", Self.scenarioForm("Late", current: ("l1", "i1"))).status == .conflict)
            #expect(!(try await ana.get("/").text.contains("id=\"overdue-reviews\"")), "the latest cycle's review is in the future")

            let compare = try await ana.get("\(second)/compare")
            #expect(compare.status == .ok)
            #expect(compare.text.contains("<li class=\"card\" data-change=\"improved\"><strong class=\"count\">1</strong>"))
            #expect(compare.text.contains("<li class=\"card\" data-change=\"worsened\"><strong class=\"count\">1</strong>"))
            #expect(compare.text.contains("<li class=\"card\" data-change=\"unchanged\"><strong class=\"count\">1</strong>"))
            #expect(compare.text.contains("id=\"trend\""))
            #expect(try await ana.get("\(first)/compare").status == .notFound, "the first cycle has nothing before it")
            let compareJSON = try await ana.get("\(second)/compare?format=json").json()
            #expect((compareJSON["comparison"] as? [[String: String]])?.count == 3)

            // The API, and an import that is refused whole for one bad risk.
            let secret = try await makeToken(dependencies, for: "ana")
            let registers = try await client.execute(uri: "/api/v1/risk/registers", method: .get, headers: bearer(secret))
            let registerList = try registers.jsonArray()
            #expect(registers.status == .ok && registerList.first?["cycles"] as? Int == 2)
            let secondID = String(second.split(separator: "/").last ?? "")
            let cycle = try await client.execute(uri: "/api/v1/risk/cycles/\(secondID)", method: .get, headers: bearer(secret)).json()
            #expect((cycle["comparison"] as? [Any])?.count == 3 && (cycle["scenarios"] as? [Any])?.count == 3)
            var exported = try await RiskService(store: dependencies.store, catalogues: Self.catalogues).exportRegisters(organisationID: agency.id).text
            #expect(exported.contains("\"format\":\"confianza-risk\""))
            let conflict = try await client.execute(uri: "/api/v1/risk/import", method: .post, headers: bearer(secret, json: true), body: ByteBuffer(string: exported))
            #expect(conflict.status == .conflict, "the cycles are there already")
            exported = exported.replacingOccurrences(of: secondID, with: UUID().uuidString)
            let broken = exported.replacingOccurrences(of: "\"treatment\":\"reduce\"", with: "\"treatment\":\"ignore\"")
            let refused = try await client.execute(uri: "/api/v1/risk/import", method: .post, headers: bearer(secret, json: true), body: ByteBuffer(string: broken))
            #expect(refused.status == .badRequest && refused.text.contains("treatment"))
            for body in ["", "{", "[]", "{\"format\":\"x\",\"version\":1,\"registers\":[]}", String(repeating: "x", count: 100)] {
                let response = try await client.execute(uri: "/api/v1/risk/import", method: .post, headers: bearer(secret, json: true), body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body.prefix(20))")
            }
            #expect(try await dependencies.store.cycleHeaders(organisationID: nil).count == 2, "nothing imported")
        }
    }
}
