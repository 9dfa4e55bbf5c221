import Foundation

/// Storage for incidents, their events, timeline and tasks. The timeline is append-only.
public protocol IncidentStore: Sendable {
    /// Adds an incident with its first events and timeline entries in one transaction; the store gives
    /// it the next number. Events already in another incident are left out. Returns it as stored.
    func insertIncident(_ incident: Incident, events: [Int64], timeline: [TimelineEntry]) async throws -> Incident
    func incident(id: UUID) async throws -> Incident?
    func incident(number: Int) async throws -> Incident?
    /// Open incidents first, then by newest; with the query's filters.
    func incidents(matching query: IncidentQuery) async throws -> [Incident]
    /// Every incident, by number, `limit` at a time after `number`: for exports that read them all.
    func incidents(afterNumber number: Int, limit: Int) async throws -> [Incident]
    /// Counts over every incident at `now`, computed by the database: exact at any size.
    func incidentCounts(at now: Date) async throws -> IncidentCounts
    /// The dashboard's figures over every incident at `now`, computed by the database.
    func incidentMetrics(at now: Date) async throws -> IncidentMetrics
    /// Replaces an incident's fields (not its events) and appends to its timeline, in one transaction.
    /// Throws ``StoreError/notFound(_:)`` when there is no such incident.
    func updateIncident(_ incident: Incident, timeline: [TimelineEntry]) async throws
    /// Adds events that are in no incident yet; appends `timeline` (with the count) when any were added.
    /// Returns how many were added.
    func linkEvents(_ eventIDs: [Int64], to incidentID: UUID, timeline: TimelineEntry?) async throws -> Int
    /// Moves events from one incident to another (those that are in `from`), keeping both counts, and
    /// appends the timeline entries, in one transaction. Returns how many moved.
    func moveEvents(_ eventIDs: [Int64]?, from: UUID, to: UUID, timeline: [TimelineEntry]) async throws -> Int
    /// Records that two incidents are related (both ways), with the timeline entries; `false` when they
    /// already were.
    func linkIncidents(_ a: UUID, _ b: UUID, timeline: [TimelineEntry]) async throws -> Bool
    /// The incidents related to one, by number.
    func linkedIncidents(_ id: UUID) async throws -> [Incident]
    /// The incident's events, newest first.
    func incidentEvents(incidentID: UUID, limit: Int) async throws -> [StoredEvent]
    /// Oldest first.
    func timeline(incidentID: UUID) async throws -> [TimelineEntry]
    /// The open incidents made by a grouping rule with these keys, by key.
    func openIncidents(groupKeys: [String]) async throws -> [String: Incident]
    /// Applies one page of grouping in one transaction: adds the new incidents (numbered by the store),
    /// links events to incidents (skipping events already in one) and appends the timeline entries.
    /// Returns how many events each incident gained.
    func applyGrouping(newIncidents: [Incident], links: [UUID: [Int64]], timeline: [TimelineEntry]) async throws -> [UUID: Int]
    func tasks(incidentID: UUID) async throws -> [IncidentTask]
    func insertTask(_ task: IncidentTask, timeline: TimelineEntry) async throws
    func updateTask(_ task: IncidentTask, timeline: TimelineEntry) async throws
    func task(id: UUID) async throws -> IncidentTask?
    /// Queues messages and records them in their incidents' timelines, in one transaction.
    func enqueue(_ messages: [OutboxMessage], timeline: [TimelineEntry]) async throws
    /// Until when a contact's digests have covered incidents (`nil`: never sent one).
    func digestCursor(contactID: UUID) async throws -> Date?
    /// Queues a digest (if there is one) and moves the contact's cursor, with the timeline entries, in
    /// one transaction: a digest is never queued twice for the same period.
    func enqueueDigest(_ message: OutboxMessage?, contactID: UUID, coveredUntil: Date, timeline: [TimelineEntry]) async throws
    /// Pending messages whose time has come, oldest first.
    func dueMessages(at date: Date, limit: Int) async throws -> [OutboxMessage]
    /// Messages in a state (to recover those left `sending` by a crash), oldest first.
    func outboxMessages(state: OutboxMessage.State, limit: Int) async throws -> [OutboxMessage]
    func outboxMessages(incidentID: UUID) async throws -> [OutboxMessage]
    /// Stores a message's new state only if it is still in `expected` (another process may have taken
    /// it); appends `timeline` with it. Returns whether it was stored.
    func updateOutbox(_ message: OutboxMessage, expected: OutboxMessage.State, timeline: TimelineEntry?) async throws -> Bool
    /// A run's events that were routed to some organisation and are in no incident yet, by id.
    func eventsAwaitingIncident(runID: UUID, afterID: Int64, limit: Int) async throws -> [IncidentCandidate]
}

/// What grouping needs to know of an event (read from columns, without the whole event).
public struct IncidentCandidate: Sendable, Equatable {
    public var id: Int64
    public var organisations: [UUID]
    public var firstSeen: Date
    public var feed: String
    public var taxonomy: String
    public var type: String
    public var severity: Severity?
    public var tlp: TLP?

    public init(
        id: Int64, organisations: [UUID], firstSeen: Date, feed: String, taxonomy: String, type: String, severity: Severity?, tlp: TLP?
    ) {
        self.id = id
        self.organisations = organisations
        self.firstSeen = firstSeen
        self.feed = feed
        self.taxonomy = taxonomy
        self.type = type
        self.severity = severity
        self.tlp = tlp
    }

    public init(_ stored: StoredEvent) {
        self.init(
            id: stored.id, organisations: stored.organisations, firstSeen: stored.firstSeen, feed: stored.event["feed.name"]?.description ?? "",
            taxonomy: stored.event["classification.taxonomy"]?.description ?? "other",
            type: stored.event["classification.type"]?.description ?? "undetermined",
            severity: stored.event["severity"].flatMap { Severity(rawValue: $0.description) },
            tlp: stored.event["tlp"].flatMap { TLP(label: $0.description) })
    }
}
