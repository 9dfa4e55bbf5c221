import Foundation

/// Organisations, contacts and assets to add in one go (an import).
public struct ConstituencyBatch: Sendable, Equatable {
    public var organisations: [Organisation]
    public var contacts: [Contact]
    public var assets: [OwnedAsset]

    public init(organisations: [Organisation] = [], contacts: [Contact] = [], assets: [OwnedAsset] = []) {
        self.organisations = organisations
        self.contacts = contacts
        self.assets = assets
    }
}

/// Storage for the constituency. Every change raises the revision, so each process knows when to
/// rebuild its lookup index.
public protocol ConstituencyStore: Sendable {
    /// Every organisation, ordered by name.
    func organisations() async throws -> [Organisation]
    func organisation(id: UUID) async throws -> Organisation?
    /// Throws ``StoreError/duplicate(field:value:)`` (`name`) when the name is taken, in any case.
    func insertOrganisation(_ organisation: Organisation) async throws
    /// Throws ``StoreError/notFound(_:)`` or ``StoreError/duplicate(field:value:)``.
    func updateOrganisation(_ organisation: Organisation) async throws
    /// Deletes an organisation with its contacts and assets; `false` when there was none.
    func deleteOrganisation(id: UUID) async throws -> Bool

    /// Contacts of one organisation, or of all when `nil`, ordered by organisation, then name.
    func contacts(organisationID: UUID?) async throws -> [Contact]
    /// Throws ``StoreError/duplicate(field:value:)`` (`email`) when the organisation has that address.
    func insertContact(_ contact: Contact) async throws
    func updateContact(_ contact: Contact) async throws
    func deleteContact(id: UUID, organisationID: UUID) async throws -> Bool

    /// Assets of one organisation, or of all when `nil`.
    func assets(organisationID: UUID?) async throws -> [OwnedAsset]
    /// The organisation of that name (case ignored), if there is one.
    func organisation(named name: String) async throws -> Organisation?
    /// The first names in name order, for a form's suggestions.
    func organisationNameList(limit: Int) async throws -> [String]
    /// The names of these organisations (those that exist), for a page that shows them beside other records.
    func organisationNames(ids: Set<UUID>) async throws -> [UUID: String]
    /// How many assets and contacts each of these organisations has (a list page's columns).
    func assetAndContactCounts(organisationIDs: [UUID]) async throws -> [UUID: (assets: Int, contacts: Int)]
    /// Throws ``StoreError/duplicate(field:value:)`` (`value`) when the organisation already has it.
    func insertAsset(_ asset: OwnedAsset) async throws
    func deleteAsset(id: UUID, organisationID: UUID) async throws -> Bool

    /// Adds a whole batch in one transaction (all or nothing); with `replace`, the old constituency is
    /// removed first, in the same transaction.
    func importConstituency(_ batch: ConstituencyBatch, replace: Bool) async throws

    /// A number that grows with every change to the constituency.
    func constituencyRevision() async throws -> Int64
}

extension ConstituencyStore {
    /// The organisation a form names, typed or chosen from suggestions: by its id, by its name in any
    /// case (an index lookup), and only when neither finds one, by its name with accents typed
    /// differently (which reads the whole list, so only on that miss). `nil` when none is called so.
    public func organisation(namedOrID text: String) async throws -> Organisation? {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        if let id = UUID(uuidString: text), let found = try await self.organisation(id: id) { return found }
        if let found = try await self.organisation(named: text) { return found }
        return try await self.organisations().first { $0.name.compare(text, options: [.caseInsensitive, .diacriticInsensitive]) == .orderedSame }
    }
}
