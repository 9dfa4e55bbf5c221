import ConfianzaCore
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The annual report through the HTTP app: staff make it in every format, edition and language; a value
/// refused is said in the reader's language; the public edition published is what a visitor reads, and
/// it names nobody.
@Suite struct ReportsHTTPTests {
    @Test(arguments: TestBackend.available)
    func staffMakeAndPublishAndAVisitorReadsOnlyThePublicEdition(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let store = dependencies.store
            let bank = try await ConstituencyService(store: store).createOrganisation(
                OrganisationDraft(name: "Banco Zorro Oriental", sector: "finance", country: "UY", kind: "private"))
            for day in 1...7 {
                let created = CalendarDay.parse(String(format: "2026-03-%02d", day))!
                _ = try await store.insertIncident(
                    Incident(
                        title: "Phishing at Banco Zorro Oriental", taxonomy: "fraud", type: "phishing", severity: .medium, tlp: .amber,
                        organisations: day == 1 ? [bank.id] : [], createdAt: created, triageDue: created.addingTimeInterval(3600),
                        resolveDue: created.addingTimeInterval(86400)),
                    events: [], timeline: [])
            }
            let ana = Browser(client)
            try await ana.login("ana")
            let page = try await ana.get("/reports")
            #expect(page.status == .ok && page.text.contains("id=\"report-form\"") && page.text.contains("id=\"publish-form\""))

            // HTML: its own page, its one stylesheet allowed by hash, no script, the marking, nobody named.
            let query = "/reports/annual?year=2026&as_of=2026-12-31&threshold=5"
            let html = try await ana.get(query + "&format=html&tlp=CLEAR")
            #expect(html.status == .ok && html.text.hasPrefix("<!doctype html>") && html.text.contains("TLP:CLEAR"))
            let policy = html.headers[.contentSecurityPolicy] ?? ""
            #expect(policy.contains("style-src 'sha256-") && !policy.contains("unsafe-inline") && policy.contains("default-src 'none'"))
            #expect(!html.text.contains("Banco Zorro") && !html.text.contains("<script"))
            #expect(html.text.contains("<dd data-figure=\"incidents\">7</dd>"))
            let amber = try await ana.get(query + "&format=html&tlp=AMBER")
            #expect(amber.text.contains("TLP:AMBER") && amber.text.contains("Internal edition"))

            // Downloads: Markdown and JSON, the same bytes twice; Spanish when asked.
            let markdown = try await ana.get(query + "&format=md&language=es")
            #expect(markdown.headers[.contentType]?.hasPrefix("text/markdown") == true)
            #expect(markdown.headers[.contentDisposition] == "attachment; filename=\"confianza-report-2026-CLEAR-es.md\"")
            #expect(markdown.text.contains("# Informe anual al Consejo, 2026") && markdown.text.contains("## Información compartida"))
            let json = try await ana.get(query + "&format=json")
            #expect(json.text == (try await ana.get(query + "&format=json")).text)
            let parsed = try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [String: Any]
            let figures = ((parsed?["sections"] as? [String: Any])?["incidents"] as? [String: Any])?["figures"] as? [String: Any]
            #expect(parsed?["edition"] as? String == "TLP:CLEAR" && figures?["incidents"] as? Int == 7)

            // Refused values: the page again with the reason, in the reader's language; nothing else changes.
            let badYear = try await ana.get("/reports/annual?year=12&format=md")
            #expect(badYear.status == .unprocessableContent && badYear.text.contains("not &quot;12&quot;"))
            let badFormat = try await ana.get("/reports/annual?year=2026&format=docx", headers: [.acceptLanguage: "fr"])
            #expect(badFormat.status == .unprocessableContent && badFormat.text.contains("Le format est html, md, json ou pdf"))
            #expect(try await ana.get("/reports/annual?year=2026&tlp=RED").status == .unprocessableContent)
            #expect(try await ana.get("/reports/annual?year=2026&as_of=2026-13-40").status == .unprocessableContent)
            #expect(try await ana.get("/reports/annual?year=2026&threshold=0").status == .unprocessableContent)

            // Publishing: a viewer may not; an analyst may; the visitor reads exactly the public edition.
            let vera = Browser(client)
            try await vera.login("vera")
            #expect(try await vera.get("/reports").status == .ok)
            #expect(try await vera.post("/reports/publish", [("year", "2026")]).status == .forbidden)
            #expect(try await ana.post("/reports/publish", [("year", "twenty"), ("as_of", "2026-12-31")]).status == .unprocessableContent)
            #expect(try await store.publishedReports().isEmpty)
            let published = try await ana.post("/reports/publish", [("year", "2026"), ("as_of", "2026-12-31"), ("threshold", "5")])
            #expect(published.status == .ok && published.text.contains("flash ok") && published.text.contains("data-year=\"2026\""))
            #expect(try await store.auditEntries(limit: 1, before: nil).first?.event.action == .reportPublished)

            let visitor = Browser(client)
            let list = try await visitor.get("/public/reports")
            #expect(list.status == .ok && list.text.contains("href=\"/public/reports/2026\""))
            let publicHTML = try await visitor.get("/public/reports/2026")
            #expect(publicHTML.status == .ok && publicHTML.text.contains("TLP:CLEAR") && !publicHTML.text.contains("Banco Zorro"))
            // A visitor's copy links only to public pages.
            #expect(!publicHTML.text.contains("href=\"/incidents") && publicHTML.text.contains("href=\"/public/knowledge"))
            #expect(html.text.contains("href=\"/incidents\""), "staff's copy links to the staff pages")
            #expect(try await visitor.get("/public/reports/2026?format=json").text == json.text, "the public copy is the public edition as published")
            let french = try await visitor.get("/public/reports/2026?format=md", headers: [.acceptLanguage: "fr"])
            #expect(french.text.contains("# Rapport annuel au Conseil, 2026"))
            #expect(try await visitor.get("/public/reports/2025").status == .notFound)
            #expect(try await visitor.get("/public/reports/2026?format=docx").status == .badRequest)
            #expect(try await visitor.get("/reports").status == .seeOther, "the staff page needs an account")

            let withdrawn = try await ana.post("/reports/2026/unpublish", [])
            #expect(withdrawn.status == .seeOther && withdrawn.location == "/reports")
            #expect(try await visitor.get("/public/reports/2026").status == .notFound)
            #expect(try await ana.post("/reports/2026/unpublish", []).status == .notFound)
        }
    }
}
