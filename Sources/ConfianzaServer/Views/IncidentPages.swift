import ConfianzaCore
import Foundation

/// Typed data of the incident pages: Mustache reads their stored properties by name. A page template
/// whose data is typed opens with `{{#page}}` (the texts `t` and the form token `csrf` stay beside it).

/// One choice of a select or a list of options.
struct Choice: Sendable {
    var value: String
    var label: String
    var selected = false
}

/// An incident as the queue and its page show it.
struct IncidentRow: Sendable {
    var number: Int
    var title: String
    var severity: String
    var severityLabel: String
    var status: String
    var statusLabel: String
    var assignee: String
    var organisations: String
    var events: Int
    var type: String
    var taxonomy: String
    var created: String
    var due: String
    var overdue: Bool
    var tlp: String
    var pap: String
    var triageDue: String
    var resolveDue: String
    var triageOverdue: Bool
    var resolveOverdue: Bool

    init(_ incident: Incident, organisations names: [UUID: String], now: Date, texts: TextCatalogue, language: Language) {
        self.number = incident.number
        self.title = incident.title
        self.severity = incident.severity.rawValue
        self.severityLabel = texts.text("severity.\(incident.severity.rawValue)", language)
        self.status = incident.status.rawValue
        self.statusLabel = texts.text("incident.status.\(incident.status.rawValue)", language)
        self.assignee = incident.assignee ?? ""
        self.organisations = incident.organisations.compactMap { names[$0] }.joined(separator: ", ")
        self.events = incident.eventCount
        self.type = incident.type
        self.taxonomy = incident.taxonomy
        self.created = TimeFormat.minute(incident.createdAt)
        self.due = TimeFormat.minute(IncidentQuery.nextDue(incident))
        self.overdue = incident.isOverdue(at: now)
        self.tlp = incident.tlp.rawValue
        self.pap = incident.pap.rawValue
        self.triageDue = TimeFormat.minute(incident.triageDue)
        self.resolveDue = TimeFormat.minute(incident.resolveDue)
        self.triageOverdue = incident.isTriageOverdue(at: now)
        self.resolveOverdue = incident.isResolveOverdue(at: now)
    }
}

/// The incident queue.
/// (Mustache sees stored properties only: the flags are stored, set from what they summarise.)
struct IncidentQueuePage: Sendable {
    var incidents: [IncidentRow]
    var hasIncidents: Bool
    /// Overdue among every open incident, not only this page's.
    var overdueCount: Int
    var hasOverdue: Bool
    var canAct: Bool
    var statuses: [Choice]
    var severities: [Choice]
    var sorts: [Choice]
    var assignee: String
    var analysts: [Choice]
    var moves: [Choice]
    /// The page before and after this one (the same filters), when there is one.
    var previous: String?
    var next: String?

    init(
        incidents: [IncidentRow], overdueCount: Int, canAct: Bool, statuses: [Choice], severities: [Choice], sorts: [Choice], assignee: String,
        analysts: [Choice], moves: [Choice], previous: String? = nil, next: String? = nil
    ) {
        self.previous = previous
        self.next = next
        self.incidents = incidents
        self.hasIncidents = !incidents.isEmpty
        self.overdueCount = overdueCount
        self.hasOverdue = overdueCount > 0
        self.canAct = canAct
        self.statuses = statuses
        self.severities = severities
        self.sorts = sorts
        self.assignee = assignee
        self.analysts = analysts
        self.moves = moves
    }
}

/// The incidents dashboard: figures over every incident, and three charts.
struct IncidentDashboardPage: Sendable {
    var total: Int
    var open: Int
    var overdue: Int
    var triageBreaches: Int
    var resolveBreaches: Int
    var ackMedian: String
    var ackP90: String
    var resolveMedian: String
    var resolveP90: String
    /// Inline SVG.
    var byType: String
    var bySector: String
    var byMonth: String
}
