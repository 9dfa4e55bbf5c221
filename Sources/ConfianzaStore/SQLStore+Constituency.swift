import ConfianzaCore
import ConfianzaNetwork
import Foundation
import SQLKit

extension SQLStore {
    // MARK: organisations

    private static let organisationColumns = "id, name, sector, country, kind, notes, tlp_ceiling, created_at, updated_at"

    public func organisations() async throws -> [Organisation] {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.organisationColumns) FROM organisations ORDER BY name_key").all()
                .map(Self.decodeOrganisation)
        }
    }

    public func organisation(id: UUID) async throws -> Organisation? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.organisationColumns) FROM organisations WHERE id = \(bind: id.uuidString)")
                .first().map(Self.decodeOrganisation)
        }
    }

    public func insertOrganisation(_ organisation: Organisation) async throws {
        try await self.changeConstituency { db in try await Self.insert(organisation, db) }
    }

    private static func insert(_ organisation: Organisation, _ db: any SQLDatabase) async throws {
        do {
            try await db.raw(
                """
                INSERT INTO organisations (id, name, name_key, sector, country, kind, notes, tlp_ceiling, created_at, updated_at)
                VALUES (\(bind: organisation.id.uuidString), \(bind: organisation.name), \(bind: organisation.name.lowercased()),
                    \(bind: organisation.sector.rawValue), \(bind: organisation.country), \(bind: organisation.kind.rawValue),
                    \(bind: organisation.notes), \(bind: organisation.tlpCeiling.rawValue), \(bind: Millis(organisation.createdAt)),
                    \(bind: Millis(organisation.updatedAt)))
                """
            ).run()
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "name", value: organisation.name)
        }
    }

    public func updateOrganisation(_ organisation: Organisation) async throws {
        let changed = try await self.changeConstituency { db in
            do {
                return try await db.raw(
                    """
                    UPDATE organisations SET name = \(bind: organisation.name), name_key = \(bind: organisation.name.lowercased()),
                        sector = \(bind: organisation.sector.rawValue), country = \(bind: organisation.country),
                        kind = \(bind: organisation.kind.rawValue), notes = \(bind: organisation.notes),
                        tlp_ceiling = \(bind: organisation.tlpCeiling.rawValue), updated_at = \(bind: Millis(organisation.updatedAt))
                    WHERE id = \(bind: organisation.id.uuidString) RETURNING id
                    """
                ).all().count
            } catch where Self.isUniqueViolation(error) {
                throw StoreError.duplicate(field: "name", value: organisation.name)
            }
        }
        if changed == 0 { throw StoreError.notFound("organisation \(organisation.name)") }
    }

    public func deleteOrganisation(id: UUID) async throws -> Bool {
        try await self.changeConstituency { db in
            try await db.raw("DELETE FROM organisations WHERE id = \(bind: id.uuidString) RETURNING id").all().count == 1
        }
    }

    static func decodeOrganisation(_ row: any SQLRow) throws -> Organisation {
        let id = try Self.uuid(row, "id")
        let sector = try row.decode(column: "sector", as: String.self)
        let kind = try row.decode(column: "kind", as: String.self)
        let tlp = try row.decode(column: "tlp_ceiling", as: String.self)
        guard let sectorValue = Sector(rawValue: sector), let kindValue = OrganisationKind(rawValue: kind), let tlpValue = TLP(label: tlp) else {
            throw StoreError.corrupt("organisation \(id): sector '\(sector)', kind '\(kind)' or TLP '\(tlp)'")
        }
        return Organisation(
            id: id, name: try row.decode(column: "name", as: String.self), sector: sectorValue,
            country: try row.decode(column: "country", as: String.self), kind: kindValue,
            notes: try row.decode(column: "notes", as: String.self), tlpCeiling: tlpValue,
            createdAt: try Millis.date(row, "created_at"), updatedAt: try Millis.date(row, "updated_at"))
    }

    // MARK: contacts

    private static let contactColumns =
        "c.id, c.organisation_id, c.name, c.email, c.language, c.role, c.pgp_key, c.frequency, c.minimum_severity, c.classification_types, c.feeds"

    public func contacts(organisationID: UUID?) async throws -> [Contact] {
        try await self.withReading { db in
            let rows: [any SQLRow]
            if let organisationID {
                rows = try await db.raw(
                    """
                    SELECT \(unsafeRaw: Self.contactColumns) FROM contacts c
                    WHERE c.organisation_id = \(bind: organisationID.uuidString) ORDER BY c.name, c.email
                    """
                ).all()
            } else {
                rows = try await db.raw(
                    """
                    SELECT \(unsafeRaw: Self.contactColumns) FROM contacts c JOIN organisations o ON o.id = c.organisation_id
                    ORDER BY o.name_key, c.name, c.email
                    """
                ).all()
            }
            return try rows.map(Self.decodeContact)
        }
    }

    public func insertContact(_ contact: Contact) async throws {
        try await self.changeConstituency { db in try await Self.insert(contact, db) }
    }

    private static func insert(_ contact: Contact, _ db: any SQLDatabase) async throws {
        do {
            try await db.raw(
                """
                INSERT INTO contacts (id, organisation_id, name, email, language, role, pgp_key, frequency, minimum_severity,
                    classification_types, feeds)
                VALUES (\(bind: contact.id.uuidString), \(bind: contact.organisationID.uuidString), \(bind: contact.name),
                    \(bind: contact.email), \(bind: contact.language), \(bind: contact.role.rawValue), \(bind: contact.pgpKey),
                    \(bind: contact.policy.frequency.rawValue), \(bind: contact.policy.minimumSeverity.rawValue),
                    \(bind: contact.policy.classificationTypes.joined(separator: ",")), \(bind: contact.policy.feeds.joined(separator: ",")))
                """
            ).run()
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "email", value: contact.email)
        } catch where Self.isForeignKeyViolation(error) {
            throw StoreError.notFound("organisation \(contact.organisationID)")
        }
    }

    public func updateContact(_ contact: Contact) async throws {
        let changed = try await self.changeConstituency { db in
            do {
                return try await db.raw(
                    """
                    UPDATE contacts SET name = \(bind: contact.name), email = \(bind: contact.email), language = \(bind: contact.language),
                        role = \(bind: contact.role.rawValue), pgp_key = \(bind: contact.pgpKey),
                        frequency = \(bind: contact.policy.frequency.rawValue),
                        minimum_severity = \(bind: contact.policy.minimumSeverity.rawValue),
                        classification_types = \(bind: contact.policy.classificationTypes.joined(separator: ",")),
                        feeds = \(bind: contact.policy.feeds.joined(separator: ","))
                    WHERE id = \(bind: contact.id.uuidString) AND organisation_id = \(bind: contact.organisationID.uuidString)
                    RETURNING id
                    """
                ).all().count
            } catch where Self.isUniqueViolation(error) {
                throw StoreError.duplicate(field: "email", value: contact.email)
            }
        }
        if changed == 0 { throw StoreError.notFound("contact") }
    }

    public func deleteContact(id: UUID, organisationID: UUID) async throws -> Bool {
        try await self.changeConstituency { db in
            try await db.raw(
                "DELETE FROM contacts WHERE id = \(bind: id.uuidString) AND organisation_id = \(bind: organisationID.uuidString) RETURNING id"
            ).all().count == 1
        }
    }

    static func decodeContact(_ row: any SQLRow) throws -> Contact {
        let id = try Self.uuid(row, "id")
        let role = try row.decode(column: "role", as: String.self)
        let frequency = try row.decode(column: "frequency", as: String.self)
        let severity = try row.decode(column: "minimum_severity", as: String.self)
        guard let roleValue = ContactRole(rawValue: role), let frequencyValue = NotificationFrequency(rawValue: frequency),
            let severityValue = Severity(rawValue: severity)
        else { throw StoreError.corrupt("contact \(id): role '\(role)', frequency '\(frequency)' or severity '\(severity)'") }
        func list(_ column: String) throws -> [String] {
            try row.decode(column: column, as: String.self).split(separator: ",").map(String.init)
        }
        return Contact(
            id: id, organisationID: try Self.uuid(row, "organisation_id"), name: try row.decode(column: "name", as: String.self),
            email: try row.decode(column: "email", as: String.self), language: try row.decode(column: "language", as: String.self),
            role: roleValue, pgpKey: try row.decode(column: "pgp_key", as: String?.self),
            policy: NotificationPolicy(
                frequency: frequencyValue, minimumSeverity: severityValue, classificationTypes: try list("classification_types"),
                feeds: try list("feeds")))
    }

    // MARK: assets

    public func organisation(named name: String) async throws -> Organisation? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.organisationColumns) FROM organisations WHERE name_key = \(bind: name.lowercased())").first()
                .map(Self.decodeOrganisation)
        }
    }

    public func organisationNameList(limit: Int) async throws -> [String] {
        try await self.withReading { db in
            try await db.raw("SELECT name FROM organisations ORDER BY name_key LIMIT \(bind: max(0, limit))").all()
                .map { try $0.decode(column: "name", as: String.self) }
        }
    }

    public func organisationNames(ids: Set<UUID>) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        return try await self.withReading { db in
            var names: [UUID: String] = [:]
            for chunk in Array(ids).chunked(500) {
                for row in try await db.raw(
                    "SELECT id, name FROM organisations WHERE id IN (\(SQLList(chunk.map { SQLBind($0.uuidString) })))"
                ).all() {
                    names[try Self.uuid(row, "id")] = try row.decode(column: "name", as: String.self)
                }
            }
            return names
        }
    }

    public func assetAndContactCounts(organisationIDs: [UUID]) async throws -> [UUID: (assets: Int, contacts: Int)] {
        guard !organisationIDs.isEmpty else { return [:] }
        return try await self.withReading { db in
            var counts: [UUID: (assets: Int, contacts: Int)] = [:]
            for chunk in organisationIDs.chunked(500) {
                let ids = SQLList(chunk.map { SQLBind($0.uuidString) })
                for (table, isAssets) in [("assets", true), ("contacts", false)] {
                    for row in try await db.raw(
                        "SELECT organisation_id, COUNT(*) AS n FROM \(ident: table) WHERE organisation_id IN (\(ids)) GROUP BY organisation_id"
                    ).all() {
                        let id = try Self.uuid(row, "organisation_id")
                        let n = try row.decode(column: "n", as: Int.self)
                        var entry = counts[id] ?? (0, 0)
                        if isAssets { entry.assets = n } else { entry.contacts = n }
                        counts[id] = entry
                    }
                }
            }
            return counts
        }
    }

    public func assets(organisationID: UUID?) async throws -> [OwnedAsset] {
        try await self.withReading { db in
            let rows: [any SQLRow]
            if let organisationID {
                rows = try await db.raw(
                    """
                    SELECT id, organisation_id, kind, value, note FROM assets WHERE organisation_id = \(bind: organisationID.uuidString)
                    ORDER BY kind, value
                    """
                ).all()
            } else {
                rows = try await db.raw("SELECT id, organisation_id, kind, value, note FROM assets ORDER BY kind, value").all()
            }
            return try rows.map(Self.decodeAsset)
        }
    }

    public func insertAsset(_ asset: OwnedAsset) async throws {
        try await self.changeConstituency { db in try await Self.insert(asset, db) }
    }

    private static func insert(_ asset: OwnedAsset, _ db: any SQLDatabase) async throws {
        do {
            try await db.raw(
                """
                INSERT INTO assets (id, organisation_id, kind, value, note)
                VALUES (\(bind: asset.id.uuidString), \(bind: asset.organisationID.uuidString), \(bind: asset.asset.kind.rawValue),
                    \(bind: asset.asset.value), \(bind: asset.note))
                """
            ).run()
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "value", value: asset.asset.value)
        } catch where Self.isForeignKeyViolation(error) {
            throw StoreError.notFound("organisation \(asset.organisationID)")
        }
    }

    public func deleteAsset(id: UUID, organisationID: UUID) async throws -> Bool {
        try await self.changeConstituency { db in
            try await db.raw(
                "DELETE FROM assets WHERE id = \(bind: id.uuidString) AND organisation_id = \(bind: organisationID.uuidString) RETURNING id"
            ).all().count == 1
        }
    }

    static func decodeAsset(_ row: any SQLRow) throws -> OwnedAsset {
        let id = try Self.uuid(row, "id")
        let kindText = try row.decode(column: "kind", as: String.self)
        let value = try row.decode(column: "value", as: String.self)
        guard let kind = Asset.Kind(rawValue: kindText), let asset = try? Asset.parse(kind: kind, value: value) else {
            throw StoreError.corrupt("asset \(id): \(kindText) '\(value)'")
        }
        return OwnedAsset(
            id: id, organisationID: try Self.uuid(row, "organisation_id"), asset: asset, note: try row.decode(column: "note", as: String.self))
    }

    // MARK: import and revision

    public func importConstituency(_ batch: ConstituencyBatch, replace: Bool) async throws {
        try await self.changeConstituency { db in
            if replace { try await db.raw("DELETE FROM organisations").run() }
            for organisation in batch.organisations { try await Self.insert(organisation, db) }
            for contact in batch.contacts { try await Self.insert(contact, db) }
            for asset in batch.assets { try await Self.insert(asset, db) }
        }
    }

    public func constituencyRevision() async throws -> Int64 {
        try await self.withReading { db in
            try await db.raw("SELECT revision FROM constituency_revision WHERE id = 1").first()?.decode(column: "revision", as: Int64.self) ?? 0
        }
    }

    /// Runs a change in a transaction that also moves the revision on.
    private func changeConstituency<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.withTransaction { db in
            let result = try await body(db)
            try await db.raw("UPDATE constituency_revision SET revision = revision + 1 WHERE id = 1").run()
            return result
        }
    }

    static func uuid(_ row: any SQLRow, _ column: String) throws -> UUID {
        let text = try row.decode(column: column, as: String.self)
        guard let id = UUID(uuidString: text) else { throw StoreError.corrupt("\(column) '\(text)' is not a UUID") }
        return id
    }

    static func optionalUUID(_ row: any SQLRow, _ column: String) throws -> UUID? {
        guard let text = try row.decode(column: column, as: String?.self) else { return nil }
        guard let id = UUID(uuidString: text) else { throw StoreError.corrupt("\(column) '\(text)' is not a UUID") }
        return id
    }
}
