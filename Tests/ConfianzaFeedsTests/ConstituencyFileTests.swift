import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Testing

@Suite struct ConstituencyFileTests {
    static let now = Date(timeIntervalSince1970: 1_764_000_000)

    static let json = """
        {
          "format": "confianza-constituency", "version": 1,
          "organisations": [
            {"name": "Banco de la República", "sector": "finance", "country": "uy", "kind": "public", "tlpCeiling": "amber+strict",
             "notes": "Línea 1\\nLínea 2",
             "assets": [{"kind": "prefix", "value": "198.51.100.0/24", "note": "sede"}, {"kind": "asn", "value": "AS64500"},
                        {"kind": "domain", "value": "BROU.Example."}],
             "contacts": [{"name": "CSIRT", "email": "csirt@brou.example", "language": "es", "role": "security",
                           "frequency": "daily", "minimumSeverity": "medium", "classificationTypes": ["phishing"], "feeds": []}]},
            {"name": "Antel", "sector": "telecom", "country": "UY", "kind": "public",
             "assets": [{"kind": "prefix", "value": "2001:db8::/32"}, {"kind": "country", "value": "uy"}]}
          ]
        }
        """

    static func read(_ text: String, _ format: ConstituencyFile.Format, existing: ConstituencyFile.Existing = .init(), replace: Bool = false)
        throws(ConstituencyFileError) -> ConstituencyBatch
    {
        try ConstituencyFile.read(Array(text.utf8), format: format, existing: existing, replace: replace, now: Self.now)
    }

    static func error(_ text: String, _ format: ConstituencyFile.Format, existing: ConstituencyFile.Existing = .init()) -> ConstituencyFileError? {
        do {
            _ = try Self.read(text, format, existing: existing)
            return nil
        } catch {
            return error
        }
    }

    @Test func aJSONDocumentIsReadWhole() throws {
        let batch = try Self.read(Self.json, .json)
        #expect(batch.organisations.map(\.name) == ["Banco de la República", "Antel"])
        #expect(batch.organisations[0].tlpCeiling == .amberStrict)
        #expect(batch.organisations[0].country == "UY")
        #expect(batch.assets.map(\.asset.value) == ["198.51.100.0/24", "AS64500", "brou.example", "2001:db8::/32", "UY"])
        #expect(batch.contacts.first?.policy.frequency == .daily)
        #expect(batch.contacts.first?.organisationID == batch.organisations[0].id)
    }

    @Test func exportThenImportGivesTheSameConstituency() throws {
        let batch = try Self.read(Self.json, .json)
        let exported = ConstituencyFile.exportJSON(organisations: batch.organisations, contacts: batch.contacts, assets: batch.assets)
        let again = try ConstituencyFile.read(exported, format: .json, existing: .init(), replace: true, now: Self.now)
        let exportedAgain = ConstituencyFile.exportJSON(organisations: again.organisations, contacts: again.contacts, assets: again.assets)
        #expect(exported == exportedAgain)

        // And through the CSV tables, one at a time.
        let organisationsCSV = ConstituencyFile.exportCSV(.organisations, organisations: batch.organisations, contacts: batch.contacts, assets: batch.assets)
        let fromCSV = try ConstituencyFile.read(organisationsCSV, format: .csv, existing: .init(), replace: false, now: Self.now)
        #expect(fromCSV.organisations.map(\.name).sorted() == batch.organisations.map(\.name).sorted())
        #expect(fromCSV.organisations.first { $0.name == "Banco de la República" }?.notes == "Línea 1\nLínea 2")
        let existing = ConstituencyFile.Existing(organisations: fromCSV.organisations)
        let assetsCSV = ConstituencyFile.exportCSV(.assets, organisations: batch.organisations, contacts: batch.contacts, assets: batch.assets)
        #expect(try ConstituencyFile.read(assetsCSV, format: .csv, existing: existing, replace: false, now: Self.now).assets.count == 5)
        let contactsCSV = ConstituencyFile.exportCSV(.contacts, organisations: batch.organisations, contacts: batch.contacts, assets: batch.assets)
        let contacts = try ConstituencyFile.read(contactsCSV, format: .csv, existing: existing, replace: false, now: Self.now).contacts
        #expect(contacts.map(\.policy) == batch.contacts.map(\.policy))
    }

    /// A CSV export cannot carry a formula to a spreadsheet (issue 12, item 6): a cell starting with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` first, and reading the export back
    /// gives the names and notes as they were.
    @Test func theCSVExportGuardsFormulasAndReadsBackTheSame() throws {
        let json = """
            {"format": "confianza-constituency", "version": 1, "organisations": [
              {"name": "=HYPERLINK(\\"http://evil.example\\",\\"click\\")", "sector": "finance", "country": "UY", "kind": "private",
               "notes": "+1 555 0100", "contacts": [{"name": "@soc", "email": "soc@bank.example", "role": "security"}]},
              {"name": "-Dash Co", "sector": "telecom", "country": "UY", "kind": "private", "notes": "\\tindented"}]}
            """
        let batch = try Self.read(json, .json)
        let organisations = String(decoding: ConstituencyFile.exportCSV(.organisations, organisations: batch.organisations, contacts: [], assets: []), as: UTF8.self)
        let contacts = String(decoding: ConstituencyFile.exportCSV(.contacts, organisations: batch.organisations, contacts: batch.contacts, assets: []), as: UTF8.self)
        for line in (organisations + contacts).split(separator: "\r\n").dropFirst() {
            for cell in line.split(separator: ",", omittingEmptySubsequences: false) {
                let value = cell.hasPrefix("\"") ? cell.dropFirst() : cell[...]
                #expect(!(value.first.map { "=+-@\t\r".contains($0) } ?? false), "\(line): a cell starts with a formula character")
            }
        }
        let back = try ConstituencyFile.read(Array(organisations.utf8), format: .csv, existing: .init(), replace: false, now: Self.now)
        #expect(Set(back.organisations.map(\.name)) == Set(batch.organisations.map(\.name)))
        #expect(Set(back.organisations.map(\.notes)) == Set(batch.organisations.map(\.notes)) && back.organisations.contains { $0.notes == "+1 555 0100" })
        let people = try ConstituencyFile.read(
            Array(contacts.utf8), format: .csv, existing: .init(organisations: back.organisations), replace: false, now: Self.now)
        #expect(people.contacts.map(\.name) == ["@soc"])
    }

    @Test(arguments: [
        (#"{"organisations": [{"name": "X", "sector": "finance", "country": "UY", "kind": "public", "contry": "UY"}]}"#,
         "organisations[0].contry: unknown field (known: assets, contacts, country, kind, name, notes, sector, tlpCeiling)"),
        (#"{"organisations": [{"name": "X", "sector": "finance", "country": "UY"}]}"#, "organisations[0].kind: is required"),
        (#"{"organisations": [{"name": 7, "sector": "finance", "country": "UY", "kind": "public"}]}"#, "organisations[0].name: has the wrong type"),
        (#"{"organisations": [{"name": "X", "sector": "finance", "country": "UY", "kind": "public", "assets": [{"kind": "prefix", "value": "10.0.0.0/33"}]}]}"#,
         "organisations[0].assets[0].value: '10.0.0.0/33': '10.0.0.0/33' has a bad prefix length: use 0 to 32"),
        (#"{"organisations": [{"name": "X", "sector": "finance", "country": "UY", "kind": "public", "assets": [{"kind": "prefix", "value": "10.0.0.1/8"}]}]}"#,
         "organisations[0].assets[0].value: '10.0.0.1/8': '10.0.0.1/8' has host bits set: did you mean 10.0.0.0/8?"),
        (#"{"organisations": [{"name": "X", "sector": "finance", "country": "UY", "kind": "public", "assets": [{"kind": "asn", "value": "AS1"}, {"kind": "asn", "value": "1"}]}]}"#,
         "organisations[0].assets[1].value: asn AS1 is already recorded for this organisation"),
        (#"{"organisations": [{"name": "X", "sector": "finance", "country": "UY", "kind": "public"}, {"name": "x", "sector": "energy", "country": "UY", "kind": "public"}]}"#,
         "organisations[1].name: organisation 'x' appears twice in the file"),
        (#"{"organisations": []}"#, "organisations: is empty"),
        ("{\"organisations\": [\n{\"name\": \"X\",\n\"sector\": }]}", "line 3: not valid JSON"),
        (#"{"organisations": [{"name": "X", "sector": "finance", "country": "UY", "kind": "public"}"#, "not valid JSON"),
        (#"["not", "an", "object"]"#, "must be a JSON object"),
        (#"{"format": "misp", "organisations": []}"#, "format: expected 'confianza-constituency', found 'misp'"),
    ])
    func badJSONIsRefusedSayingWhereAndWhy(text: String, message: String) {
        let error = Self.error(text, .json)
        #expect(error?.description.hasSuffix(message) == true, "\(String(describing: error))")
    }

    static let organisationsCSV = "name,sector,country,kind,tlp_ceiling\nAntel,telecom,UY,public,TLP:GREEN\n\"Banco, S.A.\",finance,UY,private,\n"

    @Test func csvTablesAreToldApartByTheirHeader() throws {
        let organisations = try Self.read(Self.organisationsCSV, .csv)
        #expect(organisations.organisations.map(\.name) == ["Antel", "Banco, S.A."])
        #expect(organisations.organisations[1].tlpCeiling == .amber, "an empty cell takes the default")
        let existing = ConstituencyFile.Existing(organisations: organisations.organisations)
        let assets = try Self.read("organisation,kind,value\nantel,prefix,203.0.113.0/24\n\"Banco, S.A.\",domain,banco.example\n", .csv, existing: existing)
        #expect(assets.assets.map(\.asset.value) == ["203.0.113.0/24", "banco.example"])
        let contacts = try Self.read(
            "organisation,name,email,classification_types\nAntel,NOC,noc@antel.example,phishing;ddos\n", .csv, existing: existing)
        #expect(contacts.contacts.first?.policy.classificationTypes == ["phishing", "ddos"])
    }

    @Test(arguments: [
        ("organisation,kind,value\nAntel,prefix,10.0.0.0/8\nAntel,prefix,10.0.0.0/33\n", "line 3, column value: '10.0.0.0/33': '10.0.0.0/33' has a bad prefix length: use 0 to 32"),
        ("organisation,kind,value\nNobody,asn,AS64500\n", "line 2, column organisation: no organisation named 'Nobody'"),
        ("organisation,kind,value\nAntel,asn,AS64500\nAntel,asn,64500\n", "line 3, column value: asn AS64500 is already recorded for this organisation"),
        ("organisation,kind,value\nAntel,asn,AS64499\n", "line 2, column value: asn AS64499 is already recorded for this organisation"),
        ("organisation,kind,value\nAntel,prefix\n", "line 2: expected 3 fields as in the header, found 2"),
        ("organisation,kind,value,colour\n", "line 1, column colour: unknown column for the assets table (known: organisation, kind, value, note)"),
        ("organisation,value\n", "line 1, column kind: is required in the assets table"),
        ("name,sector,country,kind\nAntel,telecom,UY,public\n", "line 2, column name: organisation 'Antel' is already recorded (to replace the whole constituency, import a JSON file with replace)"),
        ("name,sector,country,kind\nNueva,telecom,XX,public\n", "line 2, column country: 'XX': not an ISO 3166-1 alpha-2 country code (such as UY, KE, ES)"),
        ("organisation,kind,value\nAntel,\"prefix,10.0.0.0/8\n", "line 2: field 2: the quoted field never ends"),
        ("organisation,kind,value\n", "line 1: the file has a header and no rows"),
        ("ip,asn\n", "line 1: the header matches no table"),
        ("organisation,name,email\nAntel,NOC,noc@\n", "line 2, column email: 'noc@': not an e-mail address (name@example.org)"),
    ])
    func badCSVIsRefusedWithLineAndReason(text: String, message: String) throws {
        let antel = Organisation(name: "Antel", sector: .telecom, country: "UY", kind: .public, createdAt: Self.now)
        let existing = ConstituencyFile.Existing(organisations: [antel], assets: [OwnedAsset(organisationID: antel.id, asset: .asn(64499))])
        let error = Self.error(text, .csv, existing: existing)
        #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
    }

    @Test func badBytesAreRefused() {
        #expect(Self.error("", .csv)?.description == "the file is empty")
        var latin1 = Array("name,sector,country,kind\nJos".utf8)
        latin1 += [0xE9] + Array(",finance,UY,public\n".utf8)
        do {
            _ = try ConstituencyFile.read(latin1, format: .csv, existing: .init(), replace: false, now: Self.now)
            Issue.record("accepted")
        } catch {
            #expect(error.description == "line 2: field 1: not valid UTF-8")
        }
        do {
            _ = try ConstituencyFile.read([0x7B, 0xFF, 0x7D], format: .json, existing: .init(), replace: false, now: Self.now)
            Issue.record("accepted")
        } catch {
            #expect(error.description == "the file is not valid UTF-8")
        }
        #expect(Self.error(Self.organisationsCSV, .csv).map { _ in true } == nil)
        do {
            _ = try ConstituencyFile.read(Array(Self.organisationsCSV.utf8), format: .csv, existing: .init(), replace: true, now: Self.now)
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("needs a JSON file"))
        }
    }

    @Test func formatsAreDetected() {
        #expect(ConstituencyFile.Format.detect(fileName: "x.JSON", bytes: []) == .json)
        #expect(ConstituencyFile.Format.detect(fileName: nil, bytes: Array("\u{FEFF}  {\"a\":1}".utf8)) == .json)
        #expect(ConstituencyFile.Format.detect(fileName: "stdin", bytes: Array("name,sector".utf8)) == .csv)
    }
}
