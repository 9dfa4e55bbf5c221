import ConfianzaCore
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct ConstituencyPagesTests {
    /// Creates an organisation through the form and returns its page's path.
    static func createOrganisation(_ browser: Browser, name: String = "Banco del Litoral") async throws -> String {
        try await browser.get("/constituency/new")
        let made = try await browser.post(
            "/constituency", [("name", name), ("sector", "finance"), ("country", "uy"), ("kind", "private"), ("tlpCeiling", "TLP:AMBER"), ("notes", "")])
        #expect(made.status == .seeOther)
        return try #require(made.location)
    }

    @Test(arguments: TestBackend.available)
    func analystsRecordOrganisationsNetworksAndContacts(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, _ in
            let browser = Browser(client)
            try await browser.login("ana")
            let path = try await Self.createOrganisation(browser)
            let page = try await browser.get(path)
            #expect(page.text.contains("<h1>Banco del Litoral</h1>"))
            #expect(page.text.contains("Nothing recorded yet."))

            #expect(try await browser.post("\(path)/assets", [("kind", "prefix"), ("value", "198.51.100.0/24"), ("note", "sede")]).status == .seeOther)
            #expect(try await browser.post("\(path)/assets", [("kind", "domain"), ("value", "Banco.Example")]).status == .seeOther)
            let bad = try await browser.post("\(path)/assets", [("kind", "prefix"), ("value", "198.51.100.1/24")])
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("has host bits set: did you mean 198.51.100.0/24?"))
            #expect(bad.text.contains("value=\"198.51.100.1/24\""), "the value stays in the form to be fixed")
            let again = try await browser.post("\(path)/assets", [("kind", "prefix"), ("value", "198.51.100.0/24")])
            #expect(again.status == .conflict)

            try await browser.get("\(path)/contacts/new")
            #expect(try await browser.post(
                "\(path)/contacts",
                [("name", "CSIRT del banco"), ("email", "csirt@banco.example"), ("language", "es"), ("role", "security"),
                 ("frequency", "daily"), ("minimumSeverity", "medium"), ("classificationTypes", "phishing, ddos"), ("feeds", ""), ("pgpKey", "")]
            ).status == .seeOther)
            let badContact = try await browser.post(
                "\(path)/contacts", [("name", "X"), ("email", "nope"), ("language", "es"), ("role", "security"), ("frequency", "daily"), ("minimumSeverity", "low")])
            #expect(badContact.status == .badRequest)
            #expect(badContact.text.contains("not an e-mail address"))

            let full = try await browser.get(path)
            #expect(full.text.contains("<code>198.51.100.0/24</code>"))
            #expect(full.text.contains("<code>banco.example</code>"))
            #expect(full.text.contains("csirt@banco.example"))
            #expect(full.text.contains("daily digest, ≥ medium; phishing, ddos"))

            // Who owns it? From the search box, by address, URL or name.
            let lookup = try await browser.get("/constituency?q=198.51.100.77")
            #expect(lookup.text.contains("198.51.100.77 belongs to:"))
            #expect(lookup.text.contains("Rule that matched: prefix 198.51.100.0/24"))
            #expect(try await browser.get("/constituency?q=https%3A%2F%2Fwww.banco.example%2Flogin").text.contains("Rule that matched: domain banco.example"))
            #expect(try await browser.get("/constituency?q=203.0.113.1").text.contains("No organisation of the constituency is responsible for 203.0.113.1."))
            let byName = try await browser.get("/constituency?q=litoral")
            #expect(byName.text.contains("1 organisations"))

            // Edit, then delete.
            try await browser.get("\(path)/edit")
            #expect(try await browser.post(
                path, [("name", "Banco del Litoral S.A."), ("sector", "finance"), ("country", "UY"), ("kind", "private"), ("tlpCeiling", "TLP:RED"), ("notes", "n")]
            ).status == .seeOther)
            #expect(try await browser.get(path).text.contains("TLP:RED"))
            let badEdit = try await browser.post(path, [("name", ""), ("sector", "finance"), ("country", "ZZ"), ("kind", "private"), ("tlpCeiling", "TLP:RED")])
            #expect(badEdit.status == .badRequest)
            #expect(try await browser.post("\(path)/delete", []).location == "/constituency")
            #expect(try await browser.get(path).status == .notFound)
        }
    }

    @Test func viewersReadButDoNotChange() async throws {
        try await TestApp.run { client, dependencies in
            let org = try await dependencies.constituency.createOrganisation(
                OrganisationDraft(name: "Hospital", sector: "health", country: "UY", kind: "public"))
            let browser = Browser(client)
            try await browser.login("vera")
            let page = try await browser.get("/constituency/\(org.id.uuidString)")
            #expect(page.status == .ok)
            #expect(!page.text.contains("id=\"edit-organisation\""))
            #expect(try await browser.get("/constituency/new").status == .forbidden)
            #expect(try await browser.post("/constituency/\(org.id.uuidString)/delete", []).status == .forbidden)
            #expect(try await browser.get("/constituency/not-a-uuid").status == .notFound)
        }
    }

    @Test func aPastedFileIsImportedWholeOrNotAtAll() async throws {
        try await TestApp.run { client, dependencies in
            let browser = Browser(client)
            try await browser.login("ana")
            try await browser.get("/constituency/import")
            let good = "name,sector,country,kind\nAntel,telecom,UY,public\nBROU,finance,UY,public\n"
            let imported = try await browser.post("/constituency/import", [("content", good), ("format", "")])
            #expect(imported.text.contains("Imported 2 organisations, 0 contacts and 0 assets."))
            let bad = "organisation,kind,value\nAntel,prefix,10.0.0.0/8\nNobody,asn,AS1\n"
            let refused = try await browser.post("/constituency/import", [("content", bad), ("format", "csv")])
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("line 3, column organisation: no organisation named &#39;Nobody&#39;"))
            #expect(try await dependencies.store.assets(organisationID: nil).isEmpty, "nothing of the bad file was kept")
            #expect(try await browser.post("/constituency/import", [("content", good), ("replace", "1")]).status == .forbidden, "replace is for admins")

            let export = try await browser.get("/constituency/export.csv?table=organisations")
            #expect(export.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(export.text == "name,sector,country,kind,tlp_ceiling,notes\r\nAntel,telecom,UY,public,TLP:AMBER,\r\nBROU,finance,UY,public,TLP:AMBER,\r\n")
            #expect(try await browser.get("/constituency/export.csv?table=colours").status == .badRequest)
            let audit = try await dependencies.store.auditEntries(limit: 1, before: nil)
            #expect(audit.first?.event.action == .constituencyImported)
        }
    }
}

@Suite struct ConstituencyAPITests {
    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test(arguments: TestBackend.available)
    func organisationsAssetsContactsAndLookupThroughTheAPI(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let analyst = try await makeToken(dependencies, for: "ana")
            let viewer = try await makeToken(dependencies, for: "vera")
            let made = try await client.execute(
                uri: "/api/v1/organisations", method: .post, headers: bearer(analyst, json: true),
                body: Self.json(#"{"name":"Antel","sector":"telecom","country":"uy","kind":"public","tlpCeiling":"green"}"#))
            #expect(made.status == .created)
            let id = try #require(try made.json()["id"] as? String)
            #expect(try made.json()["tlpCeiling"] as? String == "TLP:GREEN")

            let asset = try await client.execute(
                uri: "/api/v1/organisations/\(id)/assets", method: .post, headers: bearer(analyst, json: true),
                body: Self.json(#"{"kind":"prefix","value":"2001:db8::/32"}"#))
            #expect(asset.status == .created)
            let assetID = try #require(try asset.json()["id"] as? String)
            let contact = try await client.execute(
                uri: "/api/v1/organisations/\(id)/contacts", method: .post, headers: bearer(analyst, json: true),
                body: Self.json(#"{"name":"NOC","email":"noc@antel.example","classificationTypes":["ddos"]}"#))
            #expect(contact.status == .created)
            let contactID = try #require(try contact.json()["id"] as? String)
            let patched = try await client.execute(
                uri: "/api/v1/organisations/\(id)/contacts/\(contactID)", method: .patch, headers: bearer(analyst, json: true),
                body: Self.json(#"{"frequency":"weekly"}"#))
            #expect((try patched.json()["policy"] as? [String: Any])?["frequency"] as? String == "weekly")

            let lookup = try await client.execute(uri: "/api/v1/lookup?q=2001:db8:1::5", method: .get, headers: bearer(viewer))
            #expect((try lookup.json()["rule"] as? [String: Any])?["value"] as? String == "2001:db8::/32")
            #expect((try lookup.json()["organisations"] as? [[String: Any]])?.first?["name"] as? String == "Antel")
            let miss = try await client.execute(uri: "/api/v1/lookup?q=AS1", method: .get, headers: bearer(viewer))
            #expect(try miss.json()["rule"] == nil)
            #expect(try await client.execute(uri: "/api/v1/lookup?q=1.2.3", method: .get, headers: bearer(viewer)).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/lookup", method: .get, headers: bearer(viewer)).status == .badRequest)

            let detail = try await client.execute(uri: "/api/v1/organisations/\(id)", method: .get, headers: bearer(viewer))
            #expect((try detail.json()["assets"] as? [[String: Any]])?.count == 1)
            #expect((try detail.json()["contacts"] as? [[String: Any]])?.count == 1)

            #expect(try await client.execute(
                uri: "/api/v1/organisations/\(id)", method: .patch, headers: bearer(viewer, json: true), body: Self.json(#"{"notes":"x"}"#)
            ).status == .forbidden)
            let renamed = try await client.execute(
                uri: "/api/v1/organisations/\(id)", method: .patch, headers: bearer(analyst, json: true), body: Self.json(#"{"notes":"core network"}"#))
            #expect(try renamed.json()["notes"] as? String == "core network")
            #expect(try renamed.json()["name"] as? String == "Antel")

            #expect(try await client.execute(uri: "/api/v1/organisations/\(id)/assets/\(assetID)", method: .delete, headers: bearer(analyst)).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/organisations/\(id)/assets/\(assetID)", method: .delete, headers: bearer(analyst)).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/organisations/\(id)", method: .delete, headers: bearer(analyst)).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/organisations/\(id)", method: .get, headers: bearer(analyst)).status == .notFound)
        }
    }

    @Test(arguments: [
        (#"{"name":"X","sector":"finance","country":"UY"}"#, 400, "kind"),
        (#"{"name":"X","sector":"banking","country":"UY","kind":"public"}"#, 400, "sector"),
        (#"{"name":"X","sector":"finance","country":"XX","kind":"public"}"#, 400, "country"),
        (#"{"name":"X","sector":"finance","country":"UY","kind":"public","colour":"red"}"#, 400, "colour"),
        (#"{"name":["X"],"sector":"finance","country":"UY","kind":"public"}"#, 400, "name"),
        (#"{"name":"X","sector":"finance""#, 400, nil as String?),
    ])
    func badOrganisationsAreRefusedNamingTheField(body: String, status: Int, field: String?) async throws {
        try await TestApp.run { client, dependencies in
            let analyst = try await makeToken(dependencies, for: "ana")
            let response = try await client.execute(uri: "/api/v1/organisations", method: .post, headers: bearer(analyst, json: true), body: Self.json(body))
            #expect(Int(response.status.code) == status)
            if let field {
                let errors = try #require(try response.json()["errors"] as? [[String: Any]])
                #expect(errors.contains { $0["field"] as? String == field }, "\(errors)")
            }
            #expect(try await dependencies.store.organisations().isEmpty)
        }
    }

    @Test func importsThroughTheAPIAreAllOrNothing() async throws {
        try await TestApp.run { client, dependencies in
            let admin = try await makeToken(dependencies, for: "root")
            let analyst = try await makeToken(dependencies, for: "ana")
            var csv = bearer(analyst)
            csv[.contentType] = "text/csv"
            let good = try await client.execute(
                uri: "/api/v1/constituency/import", method: .post, headers: csv, body: Self.json("name,sector,country,kind\nAntel,telecom,UY,public\n"))
            #expect(try good.json()["organisations"] as? Int == 1)

            let bad = try await client.execute(
                uri: "/api/v1/constituency/import", method: .post, headers: csv,
                body: Self.json("organisation,kind,value\nAntel,prefix,10.0.0.0/8\nAntel,prefix,10.0.0.0/33\n"))
            #expect(bad.status == .badRequest)
            let problem = try bad.json()
            #expect(problem["line"] as? Int == 3)
            #expect((problem["errors"] as? [[String: Any]])?.first?["field"] as? String == "column value")
            #expect(try await dependencies.store.assets(organisationID: nil).isEmpty)

            let exported = try await client.execute(uri: "/api/v1/constituency/export", method: .get, headers: bearer(analyst))
            #expect(exported.headers[.contentType] == "application/json")
            let document = exported.text.replacingOccurrences(of: "Antel", with: "Antel SA")
            #expect(try await client.execute(
                uri: "/api/v1/constituency/import?replace=true", method: .post, headers: bearer(analyst, json: true), body: Self.json(document)
            ).status == .forbidden)
            let replaced = try await client.execute(
                uri: "/api/v1/constituency/import?replace=true", method: .post, headers: bearer(admin, json: true), body: Self.json(document))
            #expect(try replaced.json()["replaced"] as? Bool == true)
            #expect(try await dependencies.store.organisations().map(\.name) == ["Antel SA"])
            #expect(try await client.execute(
                uri: "/api/v1/constituency/import?replace=maybe", method: .post, headers: bearer(admin, json: true), body: Self.json(document)
            ).status == .badRequest)
            var xml = bearer(admin)
            xml[.contentType] = "application/xml"
            #expect(try await client.execute(uri: "/api/v1/constituency/import", method: .post, headers: xml, body: Self.json("<x/>")).status == .unsupportedMediaType)
        }
    }
}
