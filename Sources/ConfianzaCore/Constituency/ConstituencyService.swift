import Foundation
import Synchronization

/// The rules for the constituency, and the lookup index kept fresh.
///
/// The index is rebuilt after every change made through this service, and, when another process
/// changed the data (several servers on one PostgreSQL), at the latest `refreshInterval` after.
public final class ConstituencyService: Sendable {
    /// The stores the constituency is kept in.
    public typealias Storage = any ConstituencyStore & AuditStore

    public let store: Storage
    private let now: @Sendable () -> Date
    private let refreshInterval: TimeInterval
    private let state = Mutex<(index: ConstituencyIndex, checkedAt: Date)>((.empty, .distantPast))

    public init(store: Storage, refreshInterval: TimeInterval = 2, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.refreshInterval = refreshInterval
        self.now = now
    }

    // MARK: the index

    /// The current index, rebuilt when the stored revision moved on.
    public func index() async throws -> ConstituencyIndex {
        let (current, checkedAt) = self.state.withLock { ($0.index, $0.checkedAt) }
        let date = self.now()
        if date.timeIntervalSince(checkedAt) < self.refreshInterval { return current }
        if checkedAt != .distantPast, try await self.store.constituencyRevision() == current.revision {
            self.state.withLock { $0.checkedAt = date }
            return current
        }
        return try await self.rebuild()
    }

    /// Builds a new index from the store and swaps it in.
    @discardableResult
    public func rebuild() async throws -> ConstituencyIndex {
        let revision = try await self.store.constituencyRevision()
        let index = ConstituencyIndex(
            organisations: try await self.store.organisations(), assets: try await self.store.assets(organisationID: nil),
            revision: revision)
        let date = self.now()
        self.state.withLock { state in
            if index.revision >= state.index.revision { state.index = index }
            state.checkedAt = date
        }
        return index
    }

    public func lookup(_ text: String) async throws -> (LookupQuery, ConstituencyMatch?) {
        let query = try LookupQuery.parse(text)
        return (query, try await self.index().lookup(query))
    }

    // MARK: organisations

    public func organisation(id: UUID) async throws -> Organisation {
        guard let organisation = try await self.store.organisation(id: id) else { throw ConstituencyError.notFound("organisation") }
        return organisation
    }

    public func createOrganisation(_ draft: OrganisationDraft, by actor: String? = nil, address: String? = nil) async throws -> Organisation {
        let organisation = try draft.validated(createdAt: self.now())
        do {
            try await self.store.insertOrganisation(organisation)
        } catch StoreError.duplicate {
            throw ConstituencyError.duplicate("organisation '\(organisation.name)'")
        }
        try await self.rebuild()
        try await self.audit(.organisationSaved, organisation.name, "created", by: actor, address: address)
        return organisation
    }

    public func updateOrganisation(id: UUID, _ draft: OrganisationDraft, by actor: String? = nil, address: String? = nil) async throws -> Organisation {
        let existing = try await self.organisation(id: id)
        let organisation = try draft.validated(id: id, createdAt: existing.createdAt, updatedAt: self.now())
        do {
            try await self.store.updateOrganisation(organisation)
        } catch StoreError.duplicate {
            throw ConstituencyError.duplicate("organisation '\(organisation.name)'")
        } catch StoreError.notFound {
            throw ConstituencyError.notFound("organisation")
        }
        try await self.rebuild()
        try await self.audit(.organisationSaved, organisation.name, Self.changes(from: existing, to: organisation), by: actor, address: address)
        return organisation
    }

    public func deleteOrganisation(id: UUID, by actor: String? = nil, address: String? = nil) async throws {
        let organisation = try await self.organisation(id: id)
        guard try await self.store.deleteOrganisation(id: id) else { throw ConstituencyError.notFound("organisation") }
        try await self.rebuild()
        try await self.audit(.organisationDeleted, organisation.name, nil, by: actor, address: address)
    }

    // MARK: assets

    public func addAsset(organisationID: UUID, kind: String, value: String, note: String = "", by actor: String? = nil, address: String? = nil) async throws -> OwnedAsset {
        let owner = try await self.organisation(id: organisationID)
        let parsedKind: Asset.Kind
        do { parsedKind = try Validation.enumValue(kind, Asset.Kind.self, field: "kind") }
        let owned = OwnedAsset(
            organisationID: organisationID, asset: try Asset.parse(kind: parsedKind, value: value),
            note: try Validation.text(note, field: "note", limit: 500, required: false))
        do {
            try await self.store.insertAsset(owned)
        } catch StoreError.duplicate {
            throw ConstituencyError.duplicate(owned.asset.description)
        }
        try await self.rebuild()
        try await self.audit(.assetAdded, owner.name, owned.asset.description, by: actor, address: address)
        return owned
    }

    public func removeAsset(id: UUID, organisationID: UUID, by actor: String? = nil, address: String? = nil) async throws {
        let owner = try await self.organisation(id: organisationID)
        let asset = try await self.store.assets(organisationID: organisationID).first { $0.id == id }
        guard try await self.store.deleteAsset(id: id, organisationID: organisationID) else { throw ConstituencyError.notFound("asset") }
        try await self.rebuild()
        try await self.audit(.assetDeleted, owner.name, asset?.asset.description, by: actor, address: address)
    }

    // MARK: contacts

    public func addContact(organisationID: UUID, _ draft: ContactDraft, by actor: String? = nil, address: String? = nil) async throws -> Contact {
        let owner = try await self.organisation(id: organisationID)
        let contact = try draft.validated(organisationID: organisationID)
        do {
            try await self.store.insertContact(contact)
        } catch StoreError.duplicate {
            throw ConstituencyError.duplicate("contact \(contact.email)")
        }
        try await self.audit(.contactSaved, owner.name, "\(contact.email) added", by: actor, address: address)
        return contact
    }

    public func updateContact(id: UUID, organisationID: UUID, _ draft: ContactDraft, by actor: String? = nil, address: String? = nil) async throws -> Contact {
        let owner = try await self.organisation(id: organisationID)
        guard try await self.store.contacts(organisationID: organisationID).contains(where: { $0.id == id }) else {
            throw ConstituencyError.notFound("contact")
        }
        let contact = try draft.validated(id: id, organisationID: organisationID)
        do {
            try await self.store.updateContact(contact)
        } catch StoreError.duplicate {
            throw ConstituencyError.duplicate("contact \(contact.email)")
        }
        try await self.audit(.contactSaved, owner.name, "\(contact.email) changed", by: actor, address: address)
        return contact
    }

    public func removeContact(id: UUID, organisationID: UUID, by actor: String? = nil, address: String? = nil) async throws {
        let owner = try await self.organisation(id: organisationID)
        let contact = try await self.store.contacts(organisationID: organisationID).first { $0.id == id }
        guard try await self.store.deleteContact(id: id, organisationID: organisationID) else { throw ConstituencyError.notFound("contact") }
        try await self.audit(.contactDeleted, owner.name, contact?.email, by: actor, address: address)
    }

    // MARK: the audit log

    /// Every change to the constituency is audited here, whoever makes it (pages, API, command line).
    private func audit(_ action: AuditAction, _ target: String, _ detail: String?, by actor: String?, address: String?) async throws {
        try await self.store.appendAudit(AuditEvent(at: self.now(), actor: actor, action: action, target: target, address: address, detail: detail))
    }

    /// The fields an edit changed, old and new.
    static func changes(from old: Organisation, to new: Organisation) -> String {
        AuditDiff.changes(
            from: old, to: new,
            [
                ("name", \.name), ("sector", \.sector.rawValue), ("country", \.country), ("kind", \.kind.rawValue), ("tlpCeiling", \.tlpCeiling.rawValue),
                ("notes", \.notes),
            ])
    }

    // MARK: import

    /// Stores a checked batch in one transaction and rebuilds the index.
    public func importBatch(_ batch: ConstituencyBatch, replace: Bool) async throws {
        do {
            try await self.store.importConstituency(batch, replace: replace)
        } catch StoreError.duplicate(let field, let value) {
            throw ConstituencyError.duplicate("\(field) '\(value)'")
        }
        try await self.rebuild()
    }
}
