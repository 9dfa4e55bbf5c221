import Foundation

/// Where an incident is in its life. Only the transitions of ``allowedNext`` are accepted.
public enum IncidentStatus: String, Sendable, Codable, CaseIterable {
    case new
    case triaged
    case inProgress = "in-progress"
    case waiting
    case resolved
    case closed

    /// new → triaged → in progress ⇄ waiting → resolved → closed; a resolved or closed incident can be
    /// reopened (back to in progress). Triaged incidents may wait or be resolved at once (a false positive).
    public var allowedNext: [IncidentStatus] {
        switch self {
        case .new: [.triaged]
        case .triaged: [.inProgress, .waiting, .resolved]
        case .inProgress: [.waiting, .resolved]
        case .waiting: [.inProgress, .resolved]
        case .resolved: [.closed, .inProgress]
        case .closed: [.inProgress]
        }
    }

    public func canMove(to next: IncidentStatus) -> Bool { self.allowedNext.contains(next) }

    /// Still needs work: counts against the time to resolve.
    public var isOpen: Bool { self != .resolved && self != .closed }
}

/// FIRST's Permissible Actions Protocol: what the recipient may do with the information.
public enum PAP: String, Sendable, Codable, CaseIterable {
    case clear = "PAP:CLEAR"
    case green = "PAP:GREEN"
    case amber = "PAP:AMBER"
    case red = "PAP:RED"

    /// Reads `PAP:AMBER`, `amber`, and PAP 1.0's `WHITE` as CLEAR.
    public init?(label: String) {
        var text = label.trimmingCharacters(in: .whitespaces).uppercased()
        if text.hasPrefix("PAP:") { text.removeFirst(4) }
        switch text {
        case "CLEAR", "WHITE": self = .clear
        case "GREEN": self = .green
        case "AMBER": self = .amber
        case "RED": self = .red
        default: return nil
        }
    }
}

/// One incident: what happened (classification, severity), to whom (organisations), who handles it,
/// where it is (status), by when (due dates from the SLA policy), and what it is made of (events).
public struct Incident: Sendable, Equatable, Identifiable {
    public var id: UUID
    /// A short number people can say (`#42`), given by the store.
    public var number: Int
    public var title: String
    public var taxonomy: String
    public var type: String
    public var severity: Severity
    public var tlp: TLP
    public var pap: PAP
    public var organisations: [UUID]
    /// A username, or nobody yet.
    public var assignee: String?
    public var status: IncidentStatus
    public var createdAt: Date
    public var updatedAt: Date
    public var triageDue: Date
    public var resolveDue: Date
    public var triagedAt: Date?
    public var resolvedAt: Date?
    public var closedAt: Date?
    /// Set on incidents made by a grouping rule: new events with the same key join while it is open.
    public var groupKey: String?
    public var eventCount: Int

    public init(
        id: UUID = UUID(), number: Int = 0, title: String, taxonomy: String, type: String, severity: Severity, tlp: TLP, pap: PAP = .amber,
        organisations: [UUID] = [], assignee: String? = nil, status: IncidentStatus = .new, createdAt: Date, updatedAt: Date? = nil,
        triageDue: Date, resolveDue: Date, triagedAt: Date? = nil, resolvedAt: Date? = nil, closedAt: Date? = nil, groupKey: String? = nil,
        eventCount: Int = 0
    ) {
        self.id = id
        self.number = number
        self.title = title
        self.taxonomy = taxonomy
        self.type = type
        self.severity = severity
        self.tlp = tlp
        self.pap = pap
        self.organisations = organisations
        self.assignee = assignee
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.triageDue = triageDue
        self.resolveDue = resolveDue
        self.triagedAt = triagedAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
        self.groupKey = groupKey
        self.eventCount = eventCount
    }

    /// Past a due date it has not met: triage for a new incident, resolution for any open one.
    public func isOverdue(at now: Date) -> Bool {
        self.isTriageOverdue(at: now) || self.isResolveOverdue(at: now)
    }

    /// Still new after its triage due date.
    public func isTriageOverdue(at now: Date) -> Bool { self.status == .new && now > self.triageDue }

    /// Still open after its resolution due date.
    public func isResolveOverdue(at now: Date) -> Bool { self.status.isOpen && now > self.resolveDue }

    /// Triaged late, or not triaged yet and already late.
    public func triageBreached(at now: Date) -> Bool {
        if let triaged = self.triagedAt { return triaged > self.triageDue }
        return self.status == .new && now > self.triageDue
    }

    /// Resolved late, or still open and already late.
    public func resolveBreached(at now: Date) -> Bool {
        if let resolved = self.resolvedAt { return resolved > self.resolveDue }
        return self.status.isOpen && now > self.resolveDue
    }
}

/// Time to triage and time to resolve, per severity: due dates are counted from an incident's creation.
/// Durations are elapsed time, so they mean the same in every time zone and across daylight-saving changes.
public struct SLAPolicy: Sendable, Equatable, Codable {
    public struct Target: Sendable, Equatable, Codable {
        /// Seconds from creation to triage.
        public var triage: Int
        /// Seconds from creation to resolution.
        public var resolve: Int

        public init(triage: Int, resolve: Int) {
            self.triage = triage
            self.resolve = resolve
        }
    }

    public var targets: [String: Target]

    public init(targets: [Severity: Target]) {
        self.targets = Dictionary(uniqueKeysWithValues: targets.map { ($0.key.rawValue, $0.value) })
    }

    /// What a national CIRT commonly promises: a critical incident triaged within an hour and resolved
    /// within a day; an informational one looked at within three days and closed within a month.
    public static let standard = SLAPolicy(targets: [
        .critical: Target(triage: 3600, resolve: 86400),
        .high: Target(triage: 4 * 3600, resolve: 3 * 86400),
        .medium: Target(triage: 24 * 3600, resolve: 7 * 86400),
        .low: Target(triage: 2 * 86400, resolve: 14 * 86400),
        .info: Target(triage: 3 * 86400, resolve: 30 * 86400),
    ])

    /// Reads a policy file (`{"targets": {"critical": {"triage": 3600, "resolve": 86400}, …}}`); every
    /// severity must be there, with positive durations and triage no later than resolution.
    public static func load(_ data: Data, source: String) throws(IncidentError) -> SLAPolicy {
        let policy: SLAPolicy
        do { policy = try JSONDecoder().decode(SLAPolicy.self, from: data) } catch {
            throw .invalid(field: source, reason: "is not an SLA policy ({\"targets\": {\"critical\": {\"triage\": 3600, \"resolve\": 86400}, …}})")
        }
        for severity in Severity.allCases {
            guard let target = policy.targets[severity.rawValue] else { throw .invalid(field: source, reason: "has no target for \(severity.rawValue)") }
            guard target.triage > 0, target.resolve > 0, target.triage <= target.resolve else {
                throw .invalid(field: source, reason: "\(severity.rawValue): triage and resolve must be positive seconds, triage first")
            }
        }
        if let unknown = policy.targets.keys.sorted().first(where: { Severity(rawValue: $0) == nil }) {
            throw .invalid(field: source, reason: "'\(unknown)' is not a severity (critical, high, medium, low, info)")
        }
        return policy
    }

    public func target(_ severity: Severity) -> Target {
        self.targets[severity.rawValue] ?? Self.standard.targets[severity.rawValue] ?? Target(triage: 86400, resolve: 7 * 86400)
    }

    public func dueDates(createdAt: Date, severity: Severity) -> (triage: Date, resolve: Date) {
        let target = self.target(severity)
        return (createdAt.addingTimeInterval(TimeInterval(target.triage)), createdAt.addingTimeInterval(TimeInterval(target.resolve)))
    }
}

/// One line of an incident's history: who did what, when. Never changed or removed.
public struct TimelineEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case created, status, assignee, severity, tlp, note, events, task, notification, reply, share
    }

    public var sequence: Int64
    public var incidentID: UUID
    public var at: Date
    public var actor: String
    public var kind: Kind
    /// What happened, in English (the API and logs read it).
    public var detail: String
    /// The same in the locale files' words, for pages in the reader's language; `nil` for what people
    /// wrote themselves (notes, replies' text) and for entries recorded before phrases were kept.
    public var phrase: Phrase?

    public init(sequence: Int64 = 0, incidentID: UUID, at: Date, actor: String, kind: Kind, detail: String, phrase: Phrase? = nil) {
        self.sequence = sequence
        self.incidentID = incidentID
        self.at = at
        self.actor = actor
        self.kind = kind
        self.detail = detail
        self.phrase = phrase
    }
}

/// Something to do for an incident.
public struct IncidentTask: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var incidentID: UUID
    public var title: String
    public var assignee: String?
    public var done: Bool
    public var createdAt: Date

    public init(id: UUID = UUID(), incidentID: UUID, title: String, assignee: String? = nil, done: Bool = false, createdAt: Date) {
        self.id = id
        self.incidentID = incidentID
        self.title = title
        self.assignee = assignee
        self.done = done
        self.createdAt = createdAt
    }
}

/// Filters for the incident queue; `nil` means any.
public struct IncidentQuery: Sendable, Equatable {
    public enum Order: String, Sendable, CaseIterable {
        /// Open incidents first, then newest first.
        case newest
        /// The next due date first (triage for new incidents, resolution for the others): overdue ones lead.
        case due
    }

    public var statuses: [IncidentStatus]?
    public var order: Order = .newest
    public var severity: Severity?
    public var assignee: String?
    public var organisation: UUID?
    public var type: String?
    public var limit: Int
    public var offset: Int

    public init(
        statuses: [IncidentStatus]? = nil, severity: Severity? = nil, assignee: String? = nil, organisation: UUID? = nil, type: String? = nil,
        limit: Int = 100, offset: Int = 0
    ) {
        self.statuses = statuses
        self.severity = severity
        self.assignee = assignee
        self.organisation = organisation
        self.type = type
        self.limit = limit
        self.offset = offset
    }

    /// The due date the queue sorts by.
    public static func nextDue(_ incident: Incident) -> Date { incident.status == .new ? incident.triageDue : incident.resolveDue }
}

/// Why an incident change was refused.
///
/// `description` is the English sentence for the command line, the API and the logs; pages say the
/// same in the reader's language through ``phrase``.
public enum IncidentError: ExplainedError, Equatable {
    case invalid(field: String, reason: Reason)
    case transition(from: IncidentStatus, to: IncidentStatus)
    case notFound(String)

    /// What is wrong with a field (see ``Refusal``).
    public typealias Reason = Refusal

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field) \(reason.english)"
        case .transition(let from, let to):
            "an incident that is \(from.rawValue) cannot become \(to.rawValue); it can become \(from.allowedNext.map(\.rawValue).joined(separator: " or "))"
        case .notFound(let what): "\(what) not found"
        }
    }

    /// The refusal in the locale files' words, for pages; `nil` where only English exists. Statuses are
    /// given raw (`from_status`, `to_status`, `allowed_statuses`) for the page to show under their labels.
    public var phrase: Phrase? {
        switch self {
        case .invalid(let field, let reason): reason.phrase(["field": field])
        case .transition(let from, let to):
            Phrase(
                "incident.error.transition",
                ["from_status": from.rawValue, "to_status": to.rawValue, "allowed_statuses": from.allowedNext.map(\.rawValue).joined(separator: ",")])
        case .notFound: Phrase("incident.error.not_found")
        }
    }

    public var field: String? {
        switch self {
        case .invalid(let field, _): field
        case .transition: "status"
        case .notFound: nil
        }
    }
}
