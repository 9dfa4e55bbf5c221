import ConfianzaCore
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The assessment pages through the HTTP app: invitation, questionnaire with an uploaded document,
/// review with a returned answer, validation, profile, public page and API, on every backend.
@Suite struct AssessmentHTTPTests {
    /// A multipart form with `fields` and one file.
    static func multipart(_ fields: [(String, String)], file: (field: String, name: String, data: Data)?) -> (HTTPFields, ByteBuffer) {
        let boundary = "----confianza\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        if let file {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
            body.append(file.data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return ([.contentType: "multipart/form-data; boundary=\(boundary)"], ByteBuffer(bytes: body))
    }

    static func upload(_ browser: Browser, _ uri: String, question: String, name: String, data: Data, csrf: String? = nil) async throws -> TestResponse {
        let (headers, body) = Self.multipart([("_csrf", csrf ?? browser.csrf ?? ""), ("question", question)], file: ("document", name, data))
        return try await browser.send(uri, method: .post, headers: headers, body: body)
    }

    @Test(arguments: TestBackend.available)
    func aFocalPointAnswersAndAReviewerValidates(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            try await AssessmentService(store: dependencies.store).installBundledFrameworks()
            let root = Browser(client)
            try await root.login("root")
            let made = try await root.post("/assessment", [("framework", "five-pillars|2026"), ("country", "UY")])
            #expect(made.status == .seeOther)
            let base = try #require(made.location)
            let id = String(base.dropFirst("/assessment/".count))
            #expect(try await root.post("/assessment", [("framework", "five-pillars|2026"), ("country", "UY")]).status == .unprocessableContent)

            let invited = try await root.post("/assessment/invite", [("name", "Lucía"), ("email", "lucia@agesic.example"), ("country", "UY"), ("language", "es")])
            #expect(invited.status == .ok)
            let link = try #require(invited.text.firstMatch(of: /id="invite-link">[^<]*(\/invite\/[A-Za-z0-9_-]+)</)?.1).description
            let mail = try #require(try await dependencies.store.outboxMessages(state: .pending, limit: 5).first)
            #expect(mail.recipient == "lucia@agesic.example" && mail.language == "es" && mail.body.contains(link) && mail.subject.contains("Uruguay"))
            #expect(try await root.post("/assessment/invite", [("email", "not an address"), ("country", "UY")]).status == .unprocessableContent)

            // The focal point opens the link, chooses a password, signs in: only Uruguay's questionnaire.
            let lucia = Browser(client)
            #expect(try await lucia.get(link).text.contains("Uruguay"))
            #expect(try await lucia.post(link, [("username", "lucia"), ("password", "a long passphrase"), ("confirm", "another one")]).status == .unprocessableContent)
            #expect(try await lucia.post(link, [("username", "lucia"), ("password", "a long passphrase"), ("confirm", "a long passphrase")]).status == .ok)
            #expect(try await lucia.get(link).status == .notFound, "the link works once")
            #expect(try await lucia.login("lucia", "a long passphrase").status == .seeOther)
            #expect(try await lucia.get("/").location == "/assessment")
            for forbidden in ["/incidents", "/constituency", "/peers", "/admin/users", "/feeds"] {
                #expect(try await lucia.get(forbidden).status == .forbidden, "\(forbidden)")
            }
            let list = try await lucia.get("/assessment")
            #expect(list.status == .ok && list.text.contains(base) && !list.text.contains("new-assessment"))

            // Answers on the legal pillar, a wrong one refused with nothing saved, then a document and a link.
            #expect(try await lucia.get("\(base)/pillar/legal").status == .ok)
            let wrong = try await lucia.post("\(base)/pillar/legal", [("answer.L1.2", "perhaps")])
            #expect(wrong.status == .unprocessableContent)
            #expect(try await dependencies.store.answers(assessmentID: try #require(UUID(uuidString: id))).isEmpty)
            let saved = try await lucia.post(
                "\(base)/pillar/legal", [("answer.L1.2", "partial"), ("element.L1.1.access", "on"), ("element.L1.1.fraud", "on"), ("note.L1.1", "Ley 18.600")])
            #expect(saved.status == .seeOther)
            #expect(try await lucia.post("\(base)/submit", []).status == .conflict, "evidence is missing")
            let pdf = Data("%PDF-1.4 proyecto de ley".utf8)
            #expect(try await Self.upload(lucia, "\(base)/evidence/document", question: "L1.2", name: "proyecto.pdf", data: pdf).status == .seeOther)
            #expect(try await Self.upload(lucia, "\(base)/evidence/document", question: "L1.2", name: "virus.exe", data: Data("MZ".utf8)).status == .unprocessableContent)
            #expect(try await Self.upload(lucia, "\(base)/evidence/document", question: "L1.2", name: "fake.pdf", data: Data("<html>".utf8)).status == .unprocessableContent)
            let huge = try await Self.upload(lucia, "\(base)/evidence/document", question: "L1.2", name: "big.pdf", data: Data(count: EvidenceDocuments.maxSize + 100_000))
            #expect(huge.status == .contentTooLarge)
            #expect(try await Self.upload(lucia, "\(base)/evidence/document", question: "L1.2", name: "x.pdf", data: pdf, csrf: "forged").status == .forbidden)
            let broken = try await lucia.send(
                "\(base)/evidence/document", method: .post, headers: [.contentType: "multipart/form-data; boundary=xyz"], body: ByteBuffer(string: "--xyz\r\ngarbage"))
            #expect(broken.status == .badRequest)
            #expect(try await dependencies.store.evidence(assessmentID: try #require(UUID(uuidString: id))).count == 1)
            #expect(try await lucia.post("\(base)/evidence/link", [("question", "L1.1"), ("url", "https://www.impo.com.uy/bases/leyes/18600")]).status == .seeOther)
            let page = try await lucia.get("\(base)/pillar/legal")
            #expect(page.text.contains("proyecto.pdf") && page.text.contains(Secrets.sha256Hex(pdf)))
            let documentLink = try #require(page.text.firstMatch(of: /href="(\/assessment\/evidence\/[0-9A-F-]+)"/)?.1).description
            let download = try await lucia.get(documentLink)
            #expect(download.status == .ok && Data(download.body.readableBytesView) == pdf)
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            #expect(try await lucia.post("\(base)/submit", []).status == .seeOther)

            // The reviewer returns one answer with a comment; the focal point fixes it and submits again.
            #expect(try await lucia.post("\(base)/review", []).status == .forbidden)
            #expect(try await root.post("\(base)/review", []).status == .seeOther)
            #expect(try await root.post("\(base)/return", []).status == .conflict, "no comment yet")
            #expect(try await root.post("\(base)/comment", [("question", "L1.2"), ("comment", "La ley ya fue aprobada.")]).status == .seeOther)
            #expect(try await root.post("\(base)/return", []).status == .seeOther)
            #expect(try await lucia.get("\(base)/pillar/legal").text.contains("La ley ya fue aprobada."))
            #expect(try await lucia.post("\(base)/pillar/legal", [("answer.L1.2", "yes"), ("element.L1.1.access", "on"), ("element.L1.1.fraud", "on")]).status == .seeOther)
            #expect(try await lucia.post("\(base)/submit", []).status == .seeOther)
            #expect(try await root.post("\(base)/review", []).status == .seeOther)
            #expect(try await root.post("\(base)/validate", [("publish", "on")]).status == .seeOther)

            // L1 = 0.5 × 2/5 + 0.5 × 1 = 0.7; legal = 20 × 0.55 × 0.7 = 7.70, the whole score.
            let overview = try await root.get(base)
            #expect(overview.text.contains("id=\"total\">7.70</strong>"))
            #expect(overview.text.contains("Tier 5"))
            let explained = try await root.get("\(base)/score")
            #expect(explained.status == .ok && explained.text.contains("id=\"explained-total\">7.70<"))
            let profile = try await root.get("/assessment/country/UY")
            #expect(profile.status == .ok && profile.text.contains("<svg") && profile.text.contains("radar"))
            let table = try await root.get("/assessment?framework=five-pillars&edition=2026&sort=total&dir=desc&region=americas")
            #expect(table.text.contains("data-country=\"UY\""))
            #expect(!(try await root.get("/assessment?region=europe").text.contains("data-country=\"UY\"")))
            let csv = try await root.get("/assessment/export.csv?framework=five-pillars&edition=2026")
            #expect(csv.text.contains("UY,americas,five-pillars,2026,validated,7.7,100.0,tier-5"))

            // The API gives the same numbers; the public page shows the published assessment to anyone.
            let token = try await makeToken(dependencies, for: "root")
            let score = try await client.execute(uri: "/api/v1/assessments/\(id)/score", method: .get, headers: bearer(token))
            let json = try score.json()
            #expect(json["total"] as? Double == 7.7 && json["tier"] as? String == "tier-5")
            let anonymous = Browser(client)
            let published = try await anonymous.get("/public/assessment/UY")
            #expect(published.status == .ok && published.text.contains("7.70") && published.text.contains("https://www.impo.com.uy/bases/leyes/18600"))
            #expect(try await anonymous.get("/public/assessment").text.contains("/public/assessment/UY"))
            #expect(try await anonymous.get("/public/assessment/AR").status == .notFound)
            #expect(try await anonymous.get(base).status == .seeOther, "the assessment itself needs a login")
        }
    }

    @Test func aFocalPointSeesNoOtherCountry() async throws {
        try await TestApp.run { client, dependencies in
            let service = AssessmentService(store: dependencies.store)
            try await service.installBundledFrameworks()
            let root = try await dependencies.accounts.user(named: "root")
            let argentina = try await service.create(frameworkID: "five-pillars", edition: "2026", country: "AR", by: root, address: "test")
            let token = try await service.invite(
                email: "x@y.example", name: "X", country: "UY", language: .english, by: root, address: "test", link: { $0 }, mail: { _, _ in ("s", "b") })
            _ = try await service.accept(token: token, username: "uy.focal", password: "a long passphrase", accounts: dependencies.accounts, address: "test")
            let focal = Browser(client)
            try await focal.login("uy.focal", "a long passphrase")
            #expect(try await focal.get("/assessment/\(argentina.id.uuidString)").status == .notFound)
            #expect(try await focal.get("/assessment/\(argentina.id.uuidString)/pillar/legal").status == .notFound)
            #expect(try await focal.post("/assessment/\(argentina.id.uuidString)/pillar/legal", [("answer.L1.2", "yes")]).status == .notFound)
            #expect(try await focal.get("/assessment/country/AR").status == .notFound)
            #expect(!(try await focal.get("/assessment").text.contains(argentina.id.uuidString)))
            let secret = try await makeToken(dependencies, for: "uy.focal")
            #expect(try await client.execute(uri: "/api/v1/assessments/\(argentina.id.uuidString)/score", method: .get, headers: bearer(secret)).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/incidents", method: .get, headers: bearer(secret)).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/assessments", method: .get, headers: bearer(secret)).text == "[]")
        }
    }
}

/// Loading a framework revision on its page: a bad file refused with its place and nothing saved; new
/// weights make a new revision whose file downloads as loaded.
@Suite struct AssessmentFrameworksHTTPTests {
    @Test(arguments: TestBackend.available)
    func anAdminLoadsANewRevisionAndABadFileIsRefused(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            try await AssessmentService(store: dependencies.store).installBundledFrameworks()
            let root = Browser(client)
            try await root.login("root")
            let page = try await root.get("/assessment/frameworks")
            #expect(page.status == .ok && page.text.contains("data-framework=\"five-pillars-2026\"") && page.text.contains("load-framework"))
            let five = try #require(AssessmentService.bundledFrameworkFiles().first { $0.name == "five-pillars.json" }).text
            let broken = five.replacingOccurrences(of: "\"max\": 20", with: "\"max\": -20")
            let (headers, body) = AssessmentHTTPTests.multipart([("_csrf", root.csrf ?? "")], file: ("file", "five.json", Data(broken.utf8)))
            let refused = try await root.send("/assessment/frameworks", method: .post, headers: headers, body: body)
            #expect(refused.status == .unprocessableContent && refused.text.contains("five.json, $.pillars[0].max"))
            #expect(try await dependencies.store.framework(id: "five-pillars", edition: "2026", revision: nil)?.revision == 1)
            let (h2, b2) = AssessmentHTTPTests.multipart([("_csrf", root.csrf ?? "")], file: ("file", "latin1.json", Data([0x7B, 0xE9, 0x7D])))
            #expect(try await root.send("/assessment/frameworks", method: .post, headers: h2, body: b2).status == .unprocessableContent)

            let reweighted = five.replacingOccurrences(of: "\"weight\": 0.55", with: "\"weight\": 0.7")
            let loaded = try await root.post("/assessment/frameworks", [("source", reweighted)])
            #expect(loaded.status == .ok && loaded.text.contains("revision 2") && loaded.text.contains("L1.weight"))
            let file = try await root.get("/assessment/frameworks/five-pillars/2026")
            #expect(file.status == .ok && file.text == reweighted)
            let ana = Browser(client)
            try await ana.login("ana")
            #expect(try await ana.post("/assessment/frameworks", [("source", five)]).status == .forbidden)
            #expect(!(try await ana.get("/assessment/frameworks").text.contains("load-framework-submit")))
        }
    }
}
