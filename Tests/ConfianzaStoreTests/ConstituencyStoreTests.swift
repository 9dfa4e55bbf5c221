import ConfianzaCore
import ConfianzaNetwork
import ConfianzaTestSupport
import Foundation
import Testing

/// The constituency tables behave the same on every backend.
@Suite struct ConstituencyStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_764_000_000)

    static func organisation(_ name: String, country: String = "UY") -> Organisation {
        Organisation(name: name, sector: .finance, country: country, kind: .private, notes: "notas: ñ", tlpCeiling: .amberStrict, createdAt: Self.t0)
    }

    @Test(arguments: TestBackend.available)
    func organisationsContactsAndAssetsRoundTrip(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let bank = Self.organisation("Banco Central")
            let isp = Self.organisation("Antel", country: "UY")
            try await store.insertOrganisation(bank)
            try await store.insertOrganisation(isp)
            #expect(try await store.organisations().map(\.name) == ["Antel", "Banco Central"])
            #expect(try await store.organisation(id: bank.id) == bank)
            await #expect(throws: StoreError.duplicate(field: "name", value: "BANCO central")) {
                try await store.insertOrganisation(Self.organisation("BANCO central"))
            }

            let contact = Contact(
                organisationID: bank.id, name: "CSIRT del Banco", email: "csirt@banco.example", language: "es", role: .security,
                pgpKey: "-----BEGIN PGP PUBLIC KEY BLOCK-----\nxyz\n-----END PGP PUBLIC KEY BLOCK-----",
                policy: NotificationPolicy(frequency: .daily, minimumSeverity: .medium, classificationTypes: ["phishing", "ddos"], feeds: ["shadowserver"]))
            try await store.insertContact(contact)
            #expect(try await store.contacts(organisationID: bank.id) == [contact])
            var clash = contact
            clash.id = UUID()
            await #expect(throws: StoreError.duplicate(field: "email", value: "csirt@banco.example")) { try await store.insertContact(clash) }
            var edited = contact
            edited.policy.feeds = []
            edited.pgpKey = nil
            try await store.updateContact(edited)
            #expect(try await store.contacts(organisationID: nil) == [edited])

            let assets = [
                OwnedAsset(organisationID: bank.id, asset: .prefix(try IPPrefix("198.51.100.0/24")), note: "sede"),
                OwnedAsset(organisationID: bank.id, asset: .prefix(try IPPrefix("2001:db8:100::/48"))),
                OwnedAsset(organisationID: isp.id, asset: .asn(64500)),
                OwnedAsset(organisationID: isp.id, asset: .domain("antel.example")),
                OwnedAsset(organisationID: isp.id, asset: .country("UY")),
            ]
            for asset in assets { try await store.insertAsset(asset) }
            #expect(Set(try await store.assets(organisationID: nil).map(\.id)) == Set(assets.map(\.id)))
            #expect(try await store.assets(organisationID: bank.id).map(\.asset.value) == ["198.51.100.0/24", "2001:db8:100::/48"])
            await #expect(throws: StoreError.duplicate(field: "value", value: "AS64500")) {
                try await store.insertAsset(OwnedAsset(organisationID: isp.id, asset: .asn(64500)))
            }
            // The same network may belong to two organisations.
            try await store.insertAsset(OwnedAsset(organisationID: bank.id, asset: .asn(64500)))

            #expect(try await store.deleteAsset(id: assets[0].id, organisationID: isp.id) == false)
            #expect(try await store.deleteAsset(id: assets[0].id, organisationID: bank.id) == true)
            #expect(try await store.deleteContact(id: contact.id, organisationID: bank.id) == true)

            var renamed = bank
            renamed.name = "antel"
            await #expect(throws: StoreError.duplicate(field: "name", value: "antel")) { try await store.updateOrganisation(renamed) }
            renamed.name = "Banco Central del Uruguay"
            renamed.tlpCeiling = .green
            try await store.updateOrganisation(renamed)
            #expect(try await store.organisation(id: bank.id)?.tlpCeiling == .green)

            #expect(try await store.deleteOrganisation(id: bank.id) == true)
            #expect(try await store.assets(organisationID: bank.id).isEmpty, "assets go with their organisation")
            #expect(try await store.deleteOrganisation(id: bank.id) == false)
        }
    }

    @Test(arguments: TestBackend.available)
    func importsAreAllOrNothingAndMoveTheRevision(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let before = try await store.constituencyRevision()
            let first = Self.organisation("Ministerio")
            try await store.importConstituency(
                ConstituencyBatch(organisations: [first], assets: [OwnedAsset(organisationID: first.id, asset: .domain("gub.example"))]),
                replace: false)
            let afterFirst = try await store.constituencyRevision()
            #expect(afterFirst > before)

            // A batch with a clash in its last row changes nothing.
            let second = Self.organisation("Hospital")
            let bad = ConstituencyBatch(
                organisations: [second],
                assets: [
                    OwnedAsset(organisationID: second.id, asset: .asn(64501)), OwnedAsset(organisationID: second.id, asset: .asn(64501)),
                ])
            await #expect(throws: StoreError.self) { try await store.importConstituency(bad, replace: false) }
            #expect(try await store.organisations().map(\.name) == ["Ministerio"])
            #expect(try await store.constituencyRevision() == afterFirst)

            // Replace swaps everything at once.
            let third = Self.organisation("Universidad")
            try await store.importConstituency(ConstituencyBatch(organisations: [third]), replace: true)
            #expect(try await store.organisations().map(\.name) == ["Universidad"])
            #expect(try await store.assets(organisationID: nil).isEmpty)
        }
    }
}
