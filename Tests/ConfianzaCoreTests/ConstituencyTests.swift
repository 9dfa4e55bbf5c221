import ConfianzaCore
import ConfianzaTestSupport
import ConfianzaNetwork
import Foundation
import Testing

@Suite struct ConstituencyIndexTests {
    static let t0 = Date(timeIntervalSince1970: 1_764_000_000)

    static func org(_ name: String) -> Organisation {
        Organisation(name: name, sector: .telecom, country: "UY", kind: .private, createdAt: Self.t0)
    }

    let isp = Self.org("ISP")
    let bank = Self.org("Bank")
    let ministry = Self.org("Ministry")
    let cert = Self.org("National CERT")

    var index: ConstituencyIndex {
        get throws {
            let assets: [OwnedAsset] = [
                OwnedAsset(organisationID: self.isp.id, asset: .prefix(try IPPrefix("198.51.100.0/22"))),
                OwnedAsset(organisationID: self.bank.id, asset: .prefix(try IPPrefix("198.51.101.0/24"))),
                OwnedAsset(organisationID: self.ministry.id, asset: .prefix(try IPPrefix("198.51.101.0/24"))),
                OwnedAsset(organisationID: self.isp.id, asset: .prefix(try IPPrefix("2001:db8::/32"))),
                OwnedAsset(organisationID: self.bank.id, asset: .prefix(try IPPrefix("2001:db8:b::/48"))),
                OwnedAsset(organisationID: self.isp.id, asset: .asn(64500)),
                OwnedAsset(organisationID: self.ministry.id, asset: .domain("gub.example")),
                OwnedAsset(organisationID: self.bank.id, asset: .domain("pagos.gub.example")),
                OwnedAsset(organisationID: self.cert.id, asset: .country("UY")),
            ]
            return ConstituencyIndex(organisations: [self.isp, self.bank, self.ministry, self.cert], assets: assets, revision: 1)
        }
    }

    func names(_ match: ConstituencyMatch?) -> [String] { match?.organisations.map(\.name) ?? [] }

    @Test func theMostSpecificRuleWins() throws {
        let index = try self.index
        #expect(self.names(index.lookup(.address(try IPAddress("198.51.100.9")))) == ["ISP"])
        let shared = index.lookup(.address(try IPAddress("198.51.101.9")))
        #expect(self.names(shared) == ["Bank", "Ministry"], "overlaps give every owner")
        #expect(shared?.rule == .prefix(try IPPrefix("198.51.101.0/24")))
        #expect(self.names(index.lookup(.address(try IPAddress("2001:db8:b::1")))) == ["Bank"])
        #expect(self.names(index.lookup(.address(try IPAddress("2001:db8:c::1")))) == ["ISP"])
        #expect(self.names(index.lookup(.address(try IPAddress("::ffff:198.51.100.1")))) == ["ISP"])
        #expect(index.lookup(.address(try IPAddress("203.0.113.1"))) == nil)
        #expect(self.names(index.lookup(.asn(64500))) == ["ISP"])
        #expect(self.names(index.lookup(.domain("www.pagos.gub.example"))) == ["Bank"])
        #expect(index.lookup(.domain("www.pagos.gub.example"))?.rule == .domain("pagos.gub.example"))
        #expect(self.names(index.lookup(.domain("tramites.gub.example"))) == ["Ministry"])
        #expect(index.lookup(.domain("example")) == nil)
        #expect(index.lookup(.domain("notgub.example")) == nil, "a suffix must be a whole label")
    }

    @Test func routingFollowsThePrecedence() throws {
        let index = try self.index
        // A prefix beats an ASN, which beats a domain, which beats the country.
        #expect(self.names(index.route(address: try IPAddress("198.51.101.1"), asn: 64500, domain: "gub.example", country: "UY")) == ["Bank", "Ministry"])
        #expect(self.names(index.route(address: try IPAddress("203.0.113.1"), asn: 64500, domain: "gub.example", country: "UY")) == ["ISP"])
        #expect(self.names(index.route(address: try IPAddress("203.0.113.1"), asn: 64999, domain: "gub.example", country: "UY")) == ["Ministry"])
        let fallback = index.route(address: try IPAddress("203.0.113.1"), asn: nil, domain: "other.example", country: "uy")
        #expect(self.names(fallback) == ["National CERT"])
        #expect(fallback?.rule == .country("UY"))
        #expect(index.route(address: nil, asn: nil, domain: nil, country: "AR") == nil)
    }

    @Test(arguments: [
        ("198.51.100.7", LookupQuery.address(try! IPAddress("198.51.100.7"))),
        ("AS64500", .asn(64500)), ("as64500", .asn(64500)), ("64500", .asn(64500)),
        ("WWW.Pagos.Gub.Example.", .domain("www.pagos.gub.example")),
        ("https://pagos.gub.example:8443/login?x=1", .domain("pagos.gub.example")),
        ("hxxps://pagos[.]gub[.]example/x", .domain("pagos.gub.example")),
        ("http://[2001:db8::1]:8080/", .address(try! IPAddress("2001:db8::1"))),
        ("http://198.51.100.7/malware.exe", .address(try! IPAddress("198.51.100.7"))),
        ("::ffff:198.51.100.7", .address(try! IPAddress("198.51.100.7"))),
    ])
    func queriesAreRecognised(text: String, expected: LookupQuery) throws {
        #expect(try LookupQuery.parse(text) == expected)
    }

    @Test(arguments: ["", "1.2.3", "::g", "AS0", "AS99999999999", "http://", "not a domain!", "ñandú.example", "-bad.example"])
    func badQueriesAreRefused(text: String) {
        #expect(throws: ConstituencyError.self) { try LookupQuery.parse(text) }
    }
}

@Suite struct ConstituencyServiceTests {
    @Test(arguments: TestBackend.available)
    func changesAreSeenByTheIndexAtOnce(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let service = ConstituencyService(store: store, refreshInterval: 3600)
            let org = try await service.createOrganisation(OrganisationDraft(name: "Antel", sector: "telecom", country: "uy", kind: "public"))
            #expect(org.country == "UY")
            _ = try await service.addAsset(organisationID: org.id, kind: "prefix", value: "203.0.113.0/24")
            #expect(try await service.lookup("203.0.113.9").1?.organisations.first?.name == "Antel")
            await #expect(throws: ConstituencyError.duplicate("prefix 203.0.113.0/24")) {
                try await service.addAsset(organisationID: org.id, kind: "prefix", value: "203.0.113.0/24")
            }
            await #expect(throws: ConstituencyError.self) { try await service.addAsset(organisationID: org.id, kind: "prefix", value: "203.0.113.1/24") }
            await #expect(throws: ConstituencyError.self) { try await service.addAsset(organisationID: org.id, kind: "colour", value: "blue") }
            await #expect(throws: ConstituencyError.notFound("organisation")) {
                try await service.addAsset(organisationID: UUID(), kind: "asn", value: "AS1")
            }
            try await service.deleteOrganisation(id: org.id)
            #expect(try await service.lookup("203.0.113.9").1 == nil)
        }
    }

    /// Every change to the constituency is audited by the service, whoever makes it (issue 12, item 6);
    /// a refused change leaves no entry.
    @Test(arguments: TestBackend.available)
    func constituencyEditsAreAudited(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let service = ConstituencyService(store: store)
            let org = try await service.createOrganisation(OrganisationDraft(name: "Antel", sector: "telecom", country: "uy", kind: "public"), by: "ana", address: "192.0.2.1")
            _ = try await service.updateOrganisation(id: org.id, OrganisationDraft(name: "Antel", sector: "telecom", country: "uy", kind: "public", tlpCeiling: "TLP:GREEN"), by: "ana")
            let asset = try await service.addAsset(organisationID: org.id, kind: "asn", value: "AS64500", by: "ana")
            await #expect(throws: ConstituencyError.self) { try await service.addAsset(organisationID: org.id, kind: "asn", value: "AS64500", by: "ana") }
            let contact = try await service.addContact(organisationID: org.id, ContactDraft(name: "NOC", email: "noc@antel.example"), by: "ana")
            _ = try await service.updateContact(id: contact.id, organisationID: org.id, ContactDraft(name: "NOC", email: "soc@antel.example"), by: "ana")
            try await service.removeContact(id: contact.id, organisationID: org.id, by: "ana")
            try await service.removeAsset(id: asset.id, organisationID: org.id, by: "ana")
            try await service.deleteOrganisation(id: org.id)
            let entries = try await store.auditEntries(limit: 20, before: nil).reversed().map(\.event)
            #expect(entries.map(\.action) == [.organisationSaved, .organisationSaved, .assetAdded, .contactSaved, .contactSaved, .contactDeleted, .assetDeleted, .organisationDeleted])
            #expect(entries.map(\.detail) == ["created", "tlpCeiling: TLP:AMBER -> TLP:GREEN", "asn AS64500", "noc@antel.example added", "soc@antel.example changed", "soc@antel.example", "asn AS64500", nil])
            #expect(entries.first?.address == "192.0.2.1" && entries.last?.actor == nil, "the command line acts as nobody in particular")
        }
    }

    @Test(arguments: TestBackend.available)
    func anotherProcessChangesAreSeenAfterTheRefreshInterval(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let clock = TestClock()
            let mine = ConstituencyService(store: store, refreshInterval: 2, now: { clock.now })
            let theirs = ConstituencyService(store: store, refreshInterval: 2, now: { clock.now })
            #expect(try await mine.lookup("AS64501").1 == nil)
            let org = try await theirs.createOrganisation(OrganisationDraft(name: "Other", sector: "energy", country: "KE", kind: "private"))
            _ = try await theirs.addAsset(organisationID: org.id, kind: "asn", value: "64501")
            #expect(try await mine.lookup("AS64501").1 == nil, "within the interval the old index answers")
            clock.advance(3)
            #expect(try await mine.lookup("AS64501").1?.organisations.first?.name == "Other")
        }
    }

    @Test(arguments: [
        (OrganisationDraft(name: "", sector: "finance", country: "UY", kind: "public"), "name"),
        (OrganisationDraft(name: "X", sector: "banking", country: "UY", kind: "public"), "sector"),
        (OrganisationDraft(name: "X", sector: "finance", country: "XX", kind: "public"), "country"),
        (OrganisationDraft(name: "X", sector: "finance", country: "UY", kind: "cooperative"), "kind"),
        (OrganisationDraft(name: "X", sector: "finance", country: "UY", kind: "public", tlpCeiling: "TLP:PURPLE"), "tlpCeiling"),
        (OrganisationDraft(name: String(repeating: "n", count: 201), sector: "finance", country: "UY", kind: "public"), "name"),
        (OrganisationDraft(name: "Tab\tname", sector: "finance", country: "UY", kind: "public"), "name"),
    ])
    func badOrganisationsNameTheField(draft: OrganisationDraft, field: String) {
        do {
            _ = try draft.validated(createdAt: Date())
            Issue.record("accepted")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test(arguments: [
        (ContactDraft(name: "A", email: "not-an-email"), "email"),
        (ContactDraft(name: "A", email: "a@localhost"), "email"),
        (ContactDraft(name: "A", email: "a@b.example", language: "spanish"), "language"),
        (ContactDraft(name: "A", email: "a@b.example", role: "ceo"), "role"),
        (ContactDraft(name: "A", email: "a@b.example", pgpKey: "ssh-rsa AAAA"), "pgpKey"),
        (ContactDraft(name: "A", email: "a@b.example", frequency: "hourly"), "frequency"),
        (ContactDraft(name: "A", email: "a@b.example", minimumSeverity: "urgent"), "minimumSeverity"),
        (ContactDraft(name: "A", email: "a@b.example", classificationTypes: ["phishing!"]), "classificationTypes"),
    ])
    func badContactsNameTheField(draft: ContactDraft, field: String) {
        do {
            _ = try draft.validated(organisationID: UUID())
            Issue.record("accepted")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func tlpLabelsReadTheWayPeopleWriteThem() {
        #expect(TLP(label: "white") == .clear)
        #expect(TLP(label: "TLP:AMBER+STRICT") == .amberStrict)
        #expect(TLP(label: " tlp:red ") == .red)
        #expect(TLP(label: "amber strict") == nil)
        #expect(TLP.clear < TLP.red)
    }
}

@Suite struct EventTimeTests {
    @Test(arguments: [
        ("2024-05-01 00:14:34", "2024-05-01T00:14:34+00:00"), ("2024-05-01T00:14:34Z", "2024-05-01T00:14:34+00:00"),
        ("2024-05-01T02:14:34+02:00", "2024-05-01T00:14:34+00:00"), ("2024-02-29 23:59:59", "2024-02-29T23:59:59+00:00"),
        ("1999-12-31T20:00:00-04:00", "2000-01-01T00:00:00+00:00"), ("2024-05-01T00:14:34.250Z", "2024-05-01T00:14:34+00:00"),
        ("2024-05-01", "2024-05-01T00:00:00+00:00"),
    ])
    func timesAreReadAndWrittenInUTC(text: String, expected: String) throws {
        let date = try #require(EventTime.parse(text))
        #expect(EventTime.format(date) == expected)
    }

    /// An event's own times keep their milliseconds (IntelMQ keeps fractions too); the rest of the
    /// platform writes whole seconds.
    @Test(arguments: [
        ("2024-05-01T23:59:59.999Z", "2024-05-01T23:59:59.999+00:00"), ("2024-05-01T00:14:34.25+02:00", "2024-04-30T22:14:34.250+00:00"),
        ("2024-05-01T00:14:34.000Z", "2024-05-01T00:14:34+00:00"), ("1969-12-31T23:59:59.500Z", "1969-12-31T23:59:59.500+00:00"),
        ("2024-05-01 00:14:34", "2024-05-01T00:14:34+00:00"),
    ])
    func eventTimesKeepTheirMilliseconds(text: String, expected: String) throws {
        let date = try #require(EventTime.parse(text))
        #expect(EventTime.format(date, milliseconds: true) == expected)
        #expect(EventTime.parse(EventTime.format(date, milliseconds: true)) == date)
    }

    @Test(arguments: ["yesterday", "2023-02-29 00:00:00", "2024-13-01 00:00:00", "2024-05-01 24:00:00", "2024/05/01 00:00:00", ""])
    func badTimesAreRefused(text: String) {
        #expect(EventTime.parse(text) == nil)
    }
}

@Suite struct JSONReaderTests {
    @Test func valuesKeepTheirJSONTypes() throws {
        #expect(try JSONReader.parse(#"{"a":0.0,"b":0,"c":-1.5e3,"d":true,"e":null,"f":"\u00f1\ud83d\ude00\n","g":[]}"#)
            == .object(["a": .double(0), "b": .integer(0), "c": .double(-1500), "d": .bool(true), "e": .null, "f": .string("ñ😀\n"), "g": .array([])]))
    }

    @Test(arguments: [
        "", "{", #"{"a":}"#, #"{"a":1,}"#, #"{"a":1}x"#, #"{"a":1,"a":2}"#, #"["\ud800"]"#, "[01]", "[1.]", "[\"tab\there\"]", "nul",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "[1e999]",
    ])
    func malformedJSONIsRefused(text: String) {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(text) }
    }
}
