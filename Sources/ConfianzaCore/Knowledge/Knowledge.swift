import Foundation

/// The knowledge base of Resolution 130: initiatives (*resuelve* 7), case studies of institutional
/// arrangements (*resuelve* 8) and cooperation agreements between countries (*encarga al Secretario
/// General* 3). Values are the file format's (`KnowledgeFile`), so a record reads the same everywhere.
public enum KnowledgeLevel: String, Sendable, CaseIterable, Codable { case national, regional, international }

/// The five pillars of the Global Cybersecurity Agenda.
public enum GCAPillar: String, Sendable, CaseIterable, Codable {
    case legal, technical, organizational
    case capacityDevelopment = "capacity-development"
    case cooperation
}

public enum InitiativeStatus: String, Sendable, CaseIterable, Codable { case planned, ongoing, completed }

/// What an organisation does in an initiative (IATI's roles, in plain words).
public enum InvolvementRole: String, Sendable, CaseIterable, Codable { case funder, implementer, beneficiary, partner }

public enum InstitutionType: String, Sendable, CaseIterable, Codable {
    case nationalCIRT = "national-cirt"
    case sectoralCIRT = "sectoral-cirt"
    case agency, regulator
    case ministryUnit = "ministry-unit"
    case publicPrivate = "public-private"
}

public enum AgreementType: String, Sendable, CaseIterable, Codable { case bilateral, multilateral }

public enum AgreementScope: String, Sendable, CaseIterable, Codable {
    case incidentResponse = "incident-response"
    case informationSharing = "information-sharing"
    case capacityBuilding = "capacity-building"
    case cybercrime, research
}

public enum AgreementStatus: String, Sendable, CaseIterable, Codable {
    case negotiating, signed
    case inForce = "in-force"
    case expired
}

public struct Involvement: Sendable, Equatable, Hashable {
    public var name: String
    public var role: InvolvementRole

    public init(name: String, role: InvolvementRole) {
        self.name = name
        self.role = role
    }
}

public struct Initiative: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var title: String
    public var summary: String
    public var description: String
    public var level: KnowledgeLevel
    /// ISO 3166-1 alpha-2, upper case.
    public var countries: [String]
    /// An ITU region (`Countries.regions`), or `nil`.
    public var region: String?
    public var organisations: [Involvement]
    public var pillars: [GCAPillar]
    public var themes: [String]
    public var status: InitiativeStatus
    public var startDate: Date?
    public var endDate: Date?
    public var links: [String]
    public var tlp: TLP

    public init(
        id: UUID = UUID(), title: String, summary: String = "", description: String = "", level: KnowledgeLevel = .national, countries: [String] = [],
        region: String? = nil, organisations: [Involvement] = [], pillars: [GCAPillar] = [], themes: [String] = [], status: InitiativeStatus = .ongoing,
        startDate: Date? = nil, endDate: Date? = nil, links: [String] = [], tlp: TLP = KnowledgeFile.defaultTLP
    ) {
        self.id = id
        self.title = title
        self.summary = summary
        self.description = description
        self.level = level
        self.countries = countries
        self.region = region
        self.organisations = organisations
        self.pillars = pillars
        self.themes = themes
        self.status = status
        self.startDate = startDate
        self.endDate = endDate
        self.links = links
        self.tlp = tlp
    }
}

/// How a country organised itself: an institution, its mandate and means, and what others can learn.
public struct CaseStudy: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var title: String
    public var country: String
    public var institutionType: InstitutionType
    public var mandate: String
    public var legalBasis: String
    public var governance: String
    public var funding: String
    public var staffing: String
    public var services: [String]
    public var lessonsLearned: String
    /// Markdown, rendered by ``SafeMarkdown`` (no raw HTML, no script, safe links only).
    public var body: String
    public var links: [String]
    public var tlp: TLP

    public init(
        id: UUID = UUID(), title: String, country: String, institutionType: InstitutionType, mandate: String = "", legalBasis: String = "",
        governance: String = "", funding: String = "", staffing: String = "", services: [String] = [], lessonsLearned: String = "", body: String = "",
        links: [String] = [], tlp: TLP = KnowledgeFile.defaultTLP
    ) {
        self.id = id
        self.title = title
        self.country = country
        self.institutionType = institutionType
        self.mandate = mandate
        self.legalBasis = legalBasis
        self.governance = governance
        self.funding = funding
        self.staffing = staffing
        self.services = services
        self.lessonsLearned = lessonsLearned
        self.body = body
        self.links = links
        self.tlp = tlp
    }
}

/// A party to an agreement: a country (by its code) or an organisation (by name).
public enum AgreementParty: Sendable, Equatable, Hashable {
    case country(String)
    case organisation(String)

    public var country: String? {
        if case .country(let code) = self { return code }
        return nil
    }
}

public struct Agreement: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var title: String
    public var summary: String
    public var type: AgreementType
    public var parties: [AgreementParty]
    public var scope: [AgreementScope]
    public var status: AgreementStatus
    public var signedDate: Date?
    public var startDate: Date?
    public var expiryDate: Date?
    public var link: String?
    public var tlp: TLP

    public init(
        id: UUID = UUID(), title: String, summary: String = "", type: AgreementType, parties: [AgreementParty], scope: [AgreementScope],
        status: AgreementStatus = .signed, signedDate: Date? = nil, startDate: Date? = nil, expiryDate: Date? = nil, link: String? = nil,
        tlp: TLP = KnowledgeFile.defaultTLP
    ) {
        self.id = id
        self.title = title
        self.summary = summary
        self.type = type
        self.parties = parties
        self.scope = scope
        self.status = status
        self.signedDate = signedDate
        self.startDate = startDate
        self.expiryDate = expiryDate
        self.link = link
        self.tlp = tlp
    }

    /// The country parties, each once, sorted.
    public var countries: [String] { Array(Set(self.parties.compactMap(\.country))).sorted() }
}

/// The whole knowledge base, or what a file holds.
public struct KnowledgeBase: Sendable, Equatable {
    public var initiatives: [Initiative]
    public var caseStudies: [CaseStudy]
    public var agreements: [Agreement]

    public init(initiatives: [Initiative] = [], caseStudies: [CaseStudy] = [], agreements: [Agreement] = []) {
        self.initiatives = initiatives
        self.caseStudies = caseStudies
        self.agreements = agreements
    }

    /// Only what may be shown to anyone: TLP:CLEAR.
    public var clearOnly: KnowledgeBase {
        KnowledgeBase(
            initiatives: self.initiatives.filter { $0.tlp == .clear }, caseStudies: self.caseStudies.filter { $0.tlp == .clear },
            agreements: self.agreements.filter { $0.tlp == .clear })
    }
}
