import Foundation

extension InMemoryStore {
    public func organisations() async throws -> [Organisation] {
        self.constituency.organisations.values.sorted { $0.name.lowercased() < $1.name.lowercased() }
    }

    public func organisation(id: UUID) async throws -> Organisation? { self.constituency.organisations[id] }

    public func insertOrganisation(_ organisation: Organisation) async throws {
        try self.checkName(organisation)
        self.constituency.organisations[organisation.id] = organisation
        self.constituency.revision += 1
    }

    public func updateOrganisation(_ organisation: Organisation) async throws {
        guard self.constituency.organisations[organisation.id] != nil else { throw StoreError.notFound("organisation \(organisation.name)") }
        try self.checkName(organisation)
        self.constituency.organisations[organisation.id] = organisation
        self.constituency.revision += 1
    }

    private func checkName(_ organisation: Organisation) throws {
        if self.constituency.organisations.values.contains(where: {
            $0.name.lowercased() == organisation.name.lowercased() && $0.id != organisation.id
        }) {
            throw StoreError.duplicate(field: "name", value: organisation.name)
        }
    }

    public func deleteOrganisation(id: UUID) async throws -> Bool {
        guard self.constituency.organisations.removeValue(forKey: id) != nil else { return false }
        self.constituency.contacts = self.constituency.contacts.filter { $0.value.organisationID != id }
        self.constituency.assets = self.constituency.assets.filter { $0.value.organisationID != id }
        self.constituency.revision += 1
        return true
    }

    public func contacts(organisationID: UUID?) async throws -> [Contact] {
        let names = self.constituency.organisations.mapValues { $0.name.lowercased() }
        return self.constituency.contacts.values.filter { organisationID == nil || $0.organisationID == organisationID }
            .sorted { (names[$0.organisationID] ?? "", $0.name, $0.email) < (names[$1.organisationID] ?? "", $1.name, $1.email) }
    }

    public func insertContact(_ contact: Contact) async throws {
        guard self.constituency.organisations[contact.organisationID] != nil else { throw StoreError.notFound("organisation") }
        try self.checkEmail(contact)
        self.constituency.contacts[contact.id] = contact
        self.constituency.revision += 1
    }

    public func updateContact(_ contact: Contact) async throws {
        guard let existing = self.constituency.contacts[contact.id], existing.organisationID == contact.organisationID else {
            throw StoreError.notFound("contact")
        }
        try self.checkEmail(contact)
        self.constituency.contacts[contact.id] = contact
        self.constituency.revision += 1
    }

    private func checkEmail(_ contact: Contact) throws {
        if self.constituency.contacts.values.contains(where: {
            $0.organisationID == contact.organisationID && $0.email == contact.email && $0.id != contact.id
        }) {
            throw StoreError.duplicate(field: "email", value: contact.email)
        }
    }

    public func deleteContact(id: UUID, organisationID: UUID) async throws -> Bool {
        guard self.constituency.contacts[id]?.organisationID == organisationID else { return false }
        self.constituency.contacts[id] = nil
        self.constituency.revision += 1
        return true
    }

    public func assets(organisationID: UUID?) async throws -> [OwnedAsset] {
        self.constituency.assets.values.filter { organisationID == nil || $0.organisationID == organisationID }
            .sorted { ($0.asset.kind.rawValue, $0.asset.value) < ($1.asset.kind.rawValue, $1.asset.value) }
    }

    public func insertAsset(_ asset: OwnedAsset) async throws {
        guard self.constituency.organisations[asset.organisationID] != nil else { throw StoreError.notFound("organisation") }
        if self.constituency.assets.values.contains(where: { $0.organisationID == asset.organisationID && $0.asset == asset.asset }) {
            throw StoreError.duplicate(field: "value", value: asset.asset.value)
        }
        self.constituency.assets[asset.id] = asset
        self.constituency.revision += 1
    }

    public func deleteAsset(id: UUID, organisationID: UUID) async throws -> Bool {
        guard self.constituency.assets[id]?.organisationID == organisationID else { return false }
        self.constituency.assets[id] = nil
        self.constituency.revision += 1
        return true
    }

    public func importConstituency(_ batch: ConstituencyBatch, replace: Bool) async throws {
        let saved = self.constituency
        if replace { self.constituency = ConstituencyData(revision: saved.revision) }
        do {
            for organisation in batch.organisations { try await self.insertOrganisation(organisation) }
            for contact in batch.contacts { try await self.insertContact(contact) }
            for asset in batch.assets { try await self.insertAsset(asset) }
            self.constituency.revision = saved.revision + 1
        } catch {
            self.constituency = saved
            throw error
        }
    }

    public func constituencyRevision() async throws -> Int64 { self.constituency.revision }
}

/// The in-memory store's constituency tables.
struct ConstituencyData {
    var organisations: [UUID: Organisation] = [:]
    var contacts: [UUID: Contact] = [:]
    var assets: [UUID: OwnedAsset] = [:]
    var revision: Int64 = 0
}
