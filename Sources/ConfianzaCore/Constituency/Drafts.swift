import Foundation

/// An organisation as typed into a form, a file or an API call: text to be checked.
public struct OrganisationDraft: Sendable, Equatable {
    public var name: String
    public var sector: String
    public var country: String
    public var kind: String
    public var tlpCeiling: String
    public var notes: String

    public init(name: String, sector: String, country: String, kind: String, tlpCeiling: String = "TLP:AMBER", notes: String = "") {
        self.name = name
        self.sector = sector
        self.country = country
        self.kind = kind
        self.tlpCeiling = tlpCeiling
        self.notes = notes
    }

    public init(_ organisation: Organisation) {
        self.init(
            name: organisation.name, sector: organisation.sector.rawValue, country: organisation.country,
            kind: organisation.kind.rawValue, tlpCeiling: organisation.tlpCeiling.rawValue, notes: organisation.notes)
    }

    /// The checked organisation; keeps `id` and `createdAt` of `existing` when editing.
    public func validated(id: UUID = UUID(), createdAt: Date, updatedAt: Date? = nil) throws(ConstituencyError) -> Organisation {
        Organisation(
            id: id, name: try Validation.text(self.name, field: "name", limit: 200), sector: try Validation.sector(self.sector),
            country: try Validation.country(self.country), kind: try Validation.kind(self.kind),
            notes: try Validation.text(self.notes, field: "notes", limit: 4000, required: false, multiline: true),
            tlpCeiling: try Validation.tlp(self.tlpCeiling), createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// A contact as typed: text to be checked.
public struct ContactDraft: Sendable, Equatable {
    public var name: String
    public var email: String
    public var language: String
    public var role: String
    public var pgpKey: String
    public var frequency: String
    public var minimumSeverity: String
    public var classificationTypes: [String]
    public var feeds: [String]

    public init(
        name: String, email: String, language: String = "en", role: String = "abuse", pgpKey: String = "",
        frequency: String = "immediate", minimumSeverity: String = "low", classificationTypes: [String] = [], feeds: [String] = []
    ) {
        self.name = name
        self.email = email
        self.language = language
        self.role = role
        self.pgpKey = pgpKey
        self.frequency = frequency
        self.minimumSeverity = minimumSeverity
        self.classificationTypes = classificationTypes
        self.feeds = feeds
    }

    /// The draft of a stored contact, to edit.
    public init(_ contact: Contact) {
        self.init(
            name: contact.name, email: contact.email, language: contact.language, role: contact.role.rawValue, pgpKey: contact.pgpKey ?? "",
            frequency: contact.policy.frequency.rawValue, minimumSeverity: contact.policy.minimumSeverity.rawValue,
            classificationTypes: contact.policy.classificationTypes, feeds: contact.policy.feeds)
    }

    public func validated(id: UUID = UUID(), organisationID: UUID) throws(ConstituencyError) -> Contact {
        Contact(
            id: id, organisationID: organisationID, name: try Validation.text(self.name, field: "name", limit: 200),
            email: try Validation.email(self.email), language: try Validation.language(self.language),
            role: try Validation.role(self.role), pgpKey: try Validation.pgpKey(self.pgpKey),
            policy: NotificationPolicy(
                frequency: try Validation.frequency(self.frequency), minimumSeverity: try Validation.severity(self.minimumSeverity),
                classificationTypes: try Validation.tokens(self.classificationTypes, field: "classificationTypes"),
                feeds: try Validation.tokens(self.feeds, field: "feeds")))
    }

    /// Splits a list typed as text: commas, semicolons or spaces.
    public static func list(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " || $0 == "\n" }).map(String.init)
    }
}
