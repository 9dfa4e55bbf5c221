import ConfianzaNetwork
import Foundation

/// The sectors an organisation may belong to. The raw value is what files and the API use.
///
/// `government`, `finance`, `energy`, `health`, `telecom` (ISPs and telecom operators), `education`,
/// `transport`, `water`, `digital` (digital service providers), `sme` (small and medium enterprises),
/// `other`.
public enum Sector: String, Sendable, Codable, CaseIterable {
    case government, finance, energy, health, telecom, education, transport, water, digital, sme, other
}

/// What kind of body an organisation is: `public` (a public body), `private` (a company),
/// `nonprofit`, `academic`, `international`.
public enum OrganisationKind: String, Sendable, Codable, CaseIterable {
    case `public`, `private`, nonprofit, academic, international
}

/// A member of the CIRT's constituency.
public struct Organisation: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var name: String
    public var sector: Sector
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String
    public var kind: OrganisationKind
    public var notes: String
    /// The most restrictive TLP it may receive.
    public var tlpCeiling: TLP
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID = UUID(), name: String, sector: Sector, country: String, kind: OrganisationKind, notes: String = "",
        tlpCeiling: TLP = .amber, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.sector = sector
        self.country = country
        self.kind = kind
        self.notes = notes
        self.tlpCeiling = tlpCeiling
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// Incident severities, most severe first.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case critical, high, medium, low, info

    var rank: Int { Self.allCases.count - (Self.allCases.firstIndex(of: self) ?? 0) }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// What a contact is for.
public enum ContactRole: String, Sendable, Codable, CaseIterable {
    case abuse, security, escalation, management
}

/// How often a contact is notified.
public enum NotificationFrequency: String, Sendable, Codable, CaseIterable {
    case immediate, daily, weekly
}

/// When and about what a contact wants to hear.
public struct NotificationPolicy: Sendable, Equatable, Codable {
    public var frequency: NotificationFrequency
    /// Events below this severity are not sent.
    public var minimumSeverity: Severity
    /// Classification types (RSIT) to send; empty means all.
    public var classificationTypes: [String]
    /// Feeds to send; empty means all.
    public var feeds: [String]

    public init(
        frequency: NotificationFrequency = .immediate, minimumSeverity: Severity = .low, classificationTypes: [String] = [],
        feeds: [String] = []
    ) {
        self.frequency = frequency
        self.minimumSeverity = minimumSeverity
        self.classificationTypes = classificationTypes
        self.feeds = feeds
    }
}

/// A person or mailbox at an organisation.
public struct Contact: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var organisationID: UUID
    public var name: String
    public var email: String
    /// ISO 639-1 code of the language they read (`en`, `es`, `fr`, …).
    public var language: String
    public var role: ContactRole
    /// An ASCII-armoured OpenPGP public key, to encrypt what is sent.
    public var pgpKey: String?
    public var policy: NotificationPolicy

    public init(
        id: UUID = UUID(), organisationID: UUID, name: String, email: String, language: String, role: ContactRole,
        pgpKey: String? = nil, policy: NotificationPolicy = NotificationPolicy()
    ) {
        self.id = id
        self.organisationID = organisationID
        self.name = name
        self.email = email
        self.language = language
        self.role = role
        self.pgpKey = pgpKey
        self.policy = policy
    }
}

/// Something an organisation owns: a network, an AS number, a domain (with its subdomains), or a
/// country (a national fallback).
public enum Asset: Sendable, Hashable, CustomStringConvertible {
    case prefix(IPPrefix)
    case asn(UInt32)
    case domain(String)
    case country(String)

    public enum Kind: String, Sendable, Codable, CaseIterable {
        case prefix, asn, domain, country
    }

    public var kind: Kind {
        switch self {
        case .prefix: .prefix
        case .asn: .asn
        case .domain: .domain
        case .country: .country
        }
    }

    /// The value as files and the API write it: `198.51.100.0/24`, `AS64500`, `example.org`, `UY`.
    public var value: String {
        switch self {
        case .prefix(let prefix): prefix.description
        case .asn(let number): "AS\(number)"
        case .domain(let name): name
        case .country(let code): code
        }
    }

    public var description: String { "\(self.kind.rawValue) \(self.value)" }

    /// Reads a value of the given kind, normalised.
    public static func parse(kind: Kind, value: String) throws(ConstituencyError) -> Asset {
        let text = value.trimmedSpaces == value ? value : value.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .prefix:
            do { return .prefix(try IPPrefix(text)) } catch { throw .invalid(field: "value", value: text, reason: "\(error.description)") }
        case .asn: return .asn(try Validation.asn(text))
        case .domain: return .domain(try Validation.domain(text))
        case .country: return .country(try Validation.country(text, field: "value"))
        }
    }
}

/// An asset recorded for an organisation.
public struct OwnedAsset: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var organisationID: UUID
    public var asset: Asset
    public var note: String

    public init(id: UUID = UUID(), organisationID: UUID, asset: Asset, note: String = "") {
        self.id = id
        self.organisationID = organisationID
        self.asset = asset
        self.note = note
    }
}

/// Why constituency data was refused, naming the field.
public enum ConstituencyError: ExplainedError, Equatable {
    case invalid(field: String, value: String, reason: Refusal)
    case duplicate(String)
    case unknownOrganisation(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let field, let value, let reason): "\(field) '\(value)': \(reason.english)"
        case .duplicate(let what): "\(what) is already recorded"
        case .unknownOrganisation(let name): "no organisation named '\(name)'"
        case .notFound(let what): "\(what) not found"
        }
    }

    /// The same in the locale files' words, for pages (a duplicate names its kind and value in English).
    public var phrase: Phrase? {
        switch self {
        case .invalid(let field, let value, let reason): reason.phrase(["field": field, "value": value])
        case .duplicate(let what): Phrase("constituency.error.duplicate", ["what": what])
        case .unknownOrganisation(let name): Phrase("constituency.error.unknown_organisation", ["name": name])
        case .notFound: Phrase("constituency.error.not_found")
        }
    }

    public var field: String? {
        switch self {
        case .invalid(let field, _, _): field
        case .duplicate, .notFound: nil
        case .unknownOrganisation: "organisation"
        }
    }
}
