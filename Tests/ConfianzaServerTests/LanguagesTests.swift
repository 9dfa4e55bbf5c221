import ConfianzaCore
import ConfianzaLocales
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Languages are data: French is bundled beside English and Spanish, and a site adds a fourth by
/// dropping a folder, with no rebuild.
@Suite struct LanguagesTests {
    @Test(arguments: TestBackend.available)
    func theQueueAnIncidentAndARefusalInFrench(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let incident = try await dependencies.incidents.create(.init(title: "Balayage", type: "scanner", severity: .high), by: "ana")
            let browser = Browser(client)
            try await browser.login("ana")
            try await browser.get("/incidents")
            #expect(try await browser.post("/language", [("language", "fr"), ("next", "/incidents")]).status == .seeOther)
            let queue = try await browser.get("/incidents")
            #expect(queue.text.contains("<html lang=\"fr\" dir=\"ltr\">"))
            #expect(queue.text.contains("Filtrer les incidents") && queue.text.contains("Échéance (UTC)"))
            #expect(queue.text.contains("<option value=\"fr\" selected>Français</option>"))
            let page = try await browser.get("/incidents/\(incident.number)")
            #expect(page.text.contains("Historique") && page.text.contains("Ajouter une tâche"))
            let refused = try await browser.post("/incidents/\(incident.number)/status", [("status", "closed")])
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("un incident à l&#39;état nouveau ne peut pas passer à clos ; il peut passer à trié"))
            let linked = try await browser.post("/incidents/\(incident.number)/links", [("to", "\(incident.number)")])
            #expect(linked.text.contains("Un incident ne peut pas être lié à lui-même."))
            // The timeline in French: what the core recorded is said in the reader's words.
            #expect(try await browser.post("/incidents/\(incident.number)/status", [("status", "triaged")]).status == .seeOther)
            let timeline = try await browser.get("/incidents/\(incident.number)")
            #expect(timeline.text.contains("nouveau → trié"))
            #expect(timeline.text.contains("élevée scanner : Balayage"))
            let stored = try await dependencies.store.timeline(incidentID: incident.id)
            #expect(stored.map(\.detail).contains("new → triaged"), "the English text is kept for the API")
            #expect(stored.last?.phrase == Phrase("timeline.moved", ["from_status": "new", "to_status": "triaged"]), "and the phrase beside it")
            let dashboard = try await browser.get("/incidents/dashboard")
            #expect(dashboard.text.contains("Indicateurs des incidents"))
            // The API stays in English whatever the pages' language.
            let token = try await makeToken(dependencies, for: "ana")
            var headers = bearer(token, json: true)
            headers[.acceptLanguage] = "fr"
            let api = try await client.execute(
                uri: "/api/v1/incidents/\(incident.number)/status", method: .post, headers: headers, body: ByteBuffer(string: #"{"status": "closed"}"#))
            #expect(api.status == .conflict && api.text.contains("an incident that is triaged cannot become closed"))
        }
    }

    /// Refusals of the constituency's and the accounts' rules are said in the reader's language too.
    @Test func constituencyAndAccountRefusalsInFrenchAndSpanish() async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            try await browser.login("ana")
            try await browser.get("/constituency/new")
            #expect(try await browser.post("/language", [("language", "fr"), ("next", "/constituency/new")]).status == .seeOther)
            try await browser.get("/constituency/new")
            let country = try await browser.post(
                "/constituency", [("name", "ADIE"), ("sector", "government"), ("country", "XX"), ("kind", "public"), ("tlpCeiling", "TLP:AMBER")])
            #expect(country.status == .badRequest)
            #expect(country.text.contains("Pays « XX » : ce n&#39;est pas un code de pays ISO 3166-1 alpha-2 (comme UY, KE, ES)."))
            let sector = try await browser.post(
                "/constituency", [("name", "ADIE"), ("sector", "banking"), ("country", "SN"), ("kind", "public"), ("tlpCeiling", "TLP:AMBER")])
            #expect(sector.text.contains("Secteur « banking » : choisissez parmi government, finance"))
            try await browser.get("/account")
            let password = try await browser.post("/account/password", [("currentPassword", "not it at all"), ("newPassword", "a brand new phrase")])
            #expect(password.text.contains("Le mot de passe actuel est erroné."))
            let token = try await browser.post("/account/tokens", [("name", "")])
            #expect(token.text.contains("Donnez un nom au jeton."))
            #expect(try await browser.post("/language", [("language", "es"), ("next", "/account")]).status == .seeOther)
            try await browser.get("/account")
            let spanish = try await browser.post("/account/tokens", [("name", "")])
            #expect(spanish.text.contains("Dé un nombre al token."))
        }
    }

    /// A folder with a German translation of a few texts and its own notice, laid over the bundled ones.
    static func germanFolder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-locales-\(UUID().uuidString)")
        let german = root.appendingPathComponent("de")
        try FileManager.default.createDirectory(at: german.appendingPathComponent("mail"), withIntermediateDirectories: true)
        try Data(#"{"language.name": "Deutsch", "login.title": "Anmelden", "login.submit": "Anmelden", "incidents.title": "Vorfälle"}"#.utf8)
            .write(to: german.appendingPathComponent("texts.json"))
        try Data("Subject: {reference} {title}\n\nLiebes Team von {organisation},\n\n{tlp_note}\n".utf8)
            .write(to: german.appendingPathComponent("mail/notice.txt"))
        // A site's change to a bundled language: one Spanish text.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("es"), withIntermediateDirectories: true)
        try Data(#"{"login.title": "Entrar al sistema"}"#.utf8).write(to: root.appendingPathComponent("es/texts.json"))
        return root
    }

    @Test func aFourthLanguageFromAFolderAppearsWithoutARebuild() async throws {
        let folder = try Self.germanFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let texts = try LocaleFiles.load(overlay: folder)
        #expect(texts.languages.map(\.rawValue) == ["en", "de", "es", "fr"])
        #expect(texts.missingKeys(in: Language(rawValue: "de")!).count > 400, "a partial translation is allowed")
        #expect(texts.text("login.title", .spanish) == "Entrar al sistema", "a site's text replaces the bundled one")
        #expect(texts.text("login.submit", .spanish) == TestTexts.catalogue.text("login.submit", .spanish), "and only that one")
        let views = try await Views.load(texts: texts)
        try await TestApp.run(views: views) { client, _ in
            let browser = Browser(client)
            let login = try await browser.get("/login", headers: [.acceptLanguage: "de-DE,de;q=0.9,en;q=0.5"])
            #expect(login.text.contains("<html lang=\"de\" dir=\"ltr\">"))
            #expect(login.text.contains("Anmelden"))
            #expect(login.text.contains("Password"), "what is not translated yet shows in English")
            #expect(login.text.contains("<option value=\"de\" selected>Deutsch</option>"))
            #expect(try await browser.post("/language", [("language", "de"), ("next", "/login")]).status == .seeOther)
            #expect(try await browser.post("/language", [("language", "it"), ("next", "/login")]).status == .badRequest, "only languages present")
        }
        let hospital = Organisation(name: "Klinikum", sector: .health, country: "DE", kind: .public, tlpCeiling: .amber, createdAt: Date())
        let contact = Contact(organisationID: hospital.id, name: "IT", email: "it@klinikum.example", language: "de", role: .security)
        let incident = Incident(
            number: 7, title: "Scan", taxonomy: "information-gathering", type: "scanner", severity: .low, tlp: .green, organisations: [hospital.id],
            createdAt: Date(), triageDue: Date(), resolveDue: Date())
        let notice = NotificationText.make(incident: incident, organisation: hospital, contact: contact, eventCount: 1, tag: "CERT", texts: texts)
        #expect(notice.language == "de" && notice.subject == "[CERT #7] Scan")
        #expect(notice.body == "Liebes Team von Klinikum,\n\nTLP:GREEN: share within your community, not publicly.\n")
    }

    @Test(arguments: [
        ("de/texts.json", "{\"login.title\": ", "is not a JSON object"),
        ("de/texts.json", "[\"a\", \"b\"]", "is not a JSON object"),
        ("de/texts.json", "{\"login.title\": 3}", "key 'login.title' is neither a text nor a list of texts"),
        ("de/texts.json", "\u{FEFF}{\"login.title\": {\"x\": 1}}", "key 'login.title'"),
        ("Deutsch/texts.json", "{}", "a language folder is named by its ISO 639 code"),
        ("d1/texts.json", "{}", "a language folder is named by its ISO 639 code"),
        ("de/mail/notice.txt", "Dear {organisation}", "a mail template starts with a 'Subject:' line"),
        ("de/README", "nothing here", "holds neither texts (*.json) nor mail templates"),
    ])
    func badLocaleFilesAreRefusedNamingTheFile(file: String, content: String, reason: String) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-locales-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent(file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
        do {
            _ = try LocaleFiles.load(overlay: root)
            Issue.record("\(file) was accepted")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.description.contains(root.path), "the message names the file: \(error)")
        }
    }

    @Test func aKeyInTwoFilesOfOneLanguageIsRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-locales-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("de"), withIntermediateDirectories: true)
        try Data(#"{"login.title": "Anmelden"}"#.utf8).write(to: root.appendingPathComponent("de/common.json"))
        try Data(#"{"login.title": "Einloggen"}"#.utf8).write(to: root.appendingPathComponent("de/login.json"))
        #expect(throws: LocaleError.badFile(root.appendingPathComponent("de/login.json").path, "key 'login.title' is also in common.json: a key belongs to one file")) {
            try LocaleFiles.load(overlay: root)
        }
    }

    @Test func aMailTemplateInAnotherEncodingOrNoFolderIsRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-locales-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("de/mail"), withIntermediateDirectories: true)
        try Data([0x53, 0x75, 0x62, 0x6A, 0xFF, 0xFE, 0x0A]).write(to: root.appendingPathComponent("de/mail/notice.txt"))
        #expect(throws: LocaleError.self) { try LocaleFiles.load(overlay: root) }
        #expect(throws: LocaleError.self) { try LocaleFiles.load(overlay: root.appendingPathComponent("nowhere")) }
        #expect(throws: LocaleError.noEnglish) { try LocaleFiles.load(directories: []) }
    }
}

/// Templates read texts by key with dots made underscores (`risk.heatmap.current` → `risk_heatmap_current`):
/// two keys that become the same name would show one text where the other was meant.
@Suite struct TemplateNamesTests {
    @Test func noTwoKeysShareATemplateName() throws {
        let texts = try LocaleFiles.load()
        for language in texts.languages {
            var seen: [String: String] = [:]
            for key in texts.merged(language).keys.sorted() {
                let name = key.replacingOccurrences(of: ".", with: "_")
                #expect(seen[name] == nil, "\(language.rawValue): \(key) and \(seen[name] ?? "") are both \(name) in templates")
                seen[name] = key
            }
        }
    }
}
