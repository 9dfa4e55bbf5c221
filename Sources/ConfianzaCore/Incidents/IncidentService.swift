import Foundation

/// How events become incidents: events with the same values of `fields` in the same window (fixed,
/// of the event's first sighting) make one incident; later events with the same key join it while
/// it is open.
public struct IncidentGrouping: Sendable, Equatable, Codable {
    public enum Field: String, Sendable, Codable, CaseIterable {
        case organisation, taxonomy, type, feed
    }

    public var fields: [Field]
    public var windowSeconds: Int

    public init(fields: [Field], windowSeconds: Int) {
        self.fields = fields
        self.windowSeconds = max(60, windowSeconds)
    }

    /// One incident per organisation and classification type per 24 hours.
    public static let standard = IncidentGrouping(fields: [.organisation, .type], windowSeconds: 86400)

    /// Reads a rule file: `{"fields": ["organisation", "type"], "windowSeconds": 86400}`. The organisation
    /// must be among the fields (an incident concerns one organisation's events), and the window is
    /// from one minute to 31 days.
    public static func load(_ data: Data, source: String) throws(IncidentError) -> IncidentGrouping {
        struct File: Decodable {
            var fields: [String]
            var windowSeconds: Int
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw .invalid(field: source, reason: "is not a grouping rule ({\"fields\": [\"organisation\", \"type\"], \"windowSeconds\": 86400})")
        }
        var fields: [Field] = []
        for name in file.fields {
            guard let field = Field(rawValue: name) else {
                throw .invalid(field: source, reason: "'\(name)' is not a field to group by (organisation, taxonomy, type, feed)")
            }
            fields.append(field)
        }
        guard fields.contains(.organisation) else { throw .invalid(field: source, reason: "must group by organisation") }
        guard (60...31 * 86400).contains(file.windowSeconds) else { throw .invalid(field: source, reason: "windowSeconds must be from 60 to 2678400") }
        return IncidentGrouping(fields: fields, windowSeconds: file.windowSeconds)
    }

    func key(_ candidate: IncidentCandidate, organisation: UUID) -> String {
        let seconds = Int64(candidate.firstSeen.timeIntervalSince1970.rounded(.down))
        let window = Int64(self.windowSeconds)
        let start = (seconds >= 0 ? seconds / window : (seconds - window + 1) / window) * window
        let parts = self.fields.map { field -> String in
            switch field {
            case .organisation: "org=\(organisation.uuidString)"
            case .taxonomy: "taxonomy=\(candidate.taxonomy)"
            case .type: "type=\(candidate.type)"
            case .feed: "feed=\(candidate.feed)"
            }
        }
        return (parts + ["window=\(start)"]).joined(separator: "|")
    }
}

/// The rules of incident handling: allowed transitions, due dates from the SLA policy, a timeline
/// entry for every change, and events grouped into incidents.
public struct IncidentService: Sendable {
    public static let system = "confianza"

    /// Incident handling reads the constituency (who is notified), accounts (who may be assigned),
    /// events and indicators (what is grouped and matched), and peers (who it is shared with).
    public typealias Storage = any IncidentStore & PeerStore & ConstituencyStore & AccountStore & EventStore & IndicatorStore & AuditStore & HeldReplyStore

    public let store: Storage
    public let policy: SLAPolicy
    public let grouping: IncidentGrouping
    let now: @Sendable () -> Date

    public init(store: Storage, policy: SLAPolicy = .standard, grouping: IncidentGrouping = .standard, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.policy = policy
        self.grouping = grouping
        self.now = now
    }

    public struct Draft: Sendable {
        public var title: String
        public var type: String
        public var severity: Severity
        public var tlp: TLP
        public var pap: PAP
        public var organisations: [UUID]
        public var assignee: String?

        public init(
            title: String, type: String, severity: Severity, tlp: TLP = .amber, pap: PAP = .amber, organisations: [UUID] = [], assignee: String? = nil
        ) {
            self.title = title
            self.type = type
            self.severity = severity
            self.tlp = tlp
            self.pap = pap
            self.organisations = organisations
            self.assignee = assignee
        }
    }

    /// Opens an incident, with the events given (those in no other incident).
    public func create(_ draft: Draft, events: [Int64] = [], by actor: String, groupKey: String? = nil) async throws -> Incident {
        let title = draft.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= 200 else { throw IncidentError.invalid(field: "title", reason: .init("incident.error.title_required", english: "is required (at most 200 characters)", ["max": "200"])) }
        guard let type = Taxonomy.canonicalType(draft.type), let taxonomy = Taxonomy.taxonomyOfType[type] else {
            throw IncidentError.invalid(field: "type", reason: .init("incident.error.type_unknown", english: "'\(draft.type)' is not an RSIT classification type", ["type": draft.type]))
        }
        let created = self.now()
        let due = self.policy.dueDates(createdAt: created, severity: draft.severity)
        let incident = Incident(
            title: title, taxonomy: taxonomy, type: type, severity: draft.severity, tlp: draft.tlp, pap: draft.pap,
            organisations: draft.organisations, assignee: draft.assignee, createdAt: created, triageDue: due.triage, resolveDue: due.resolve,
            groupKey: groupKey)
        var entries = [TimelineEntry(incidentID: incident.id, at: created, actor: actor, kind: .created, detail: "\(draft.severity.rawValue) \(type): \(title)",
            phrase: Phrase("timeline.created", ["severity": draft.severity.rawValue, "type": type, "title": title]))]
        if let assignee = draft.assignee {
            entries.append(TimelineEntry(incidentID: incident.id, at: created, actor: actor, kind: .assignee, detail: assignee, phrase: Phrase("timeline.assigned", ["user": assignee])))
        }
        let stored = try await self.store.insertIncident(incident, events: events, timeline: entries)
        // A stricter event among those given raises the marking, as it does when one joins later.
        guard let strictest = try await self.strictestTLP(of: events), strictest > stored.tlp else { return stored }
        try await self.raiseTLP(stored.id, to: strictest, at: created)
        return try await self.require(stored.id)
    }

    /// The strictest marking among these events, `nil` when none is marked.
    func strictestTLP(of eventIDs: [Int64]) async throws -> TLP? {
        var strictest: TLP?
        for id in Set(eventIDs) {
            guard let text = try await self.store.event(id: id)?.event["tlp"]?.description, let tlp = TLP(label: text) else { continue }
            strictest = max(strictest ?? tlp, tlp)
        }
        return strictest
    }

    func require(_ id: UUID) async throws -> Incident {
        guard let incident = try await self.store.incident(id: id) else { throw IncidentError.notFound("incident \(id)") }
        return incident
    }

    /// Moves an incident to another status, if the lifecycle allows it.
    @discardableResult
    public func move(_ id: UUID, to status: IncidentStatus, by actor: String, note: String? = nil) async throws -> Incident {
        var incident = try await self.require(id)
        guard incident.status.canMove(to: status) else { throw IncidentError.transition(from: incident.status, to: status) }
        let at = self.now()
        let from = incident.status
        incident.status = status
        incident.updatedAt = at
        switch status {
        case .triaged: incident.triagedAt = incident.triagedAt ?? at
        case .resolved: incident.resolvedAt = at
        case .closed: incident.closedAt = at
        case .inProgress where from == .resolved || from == .closed:
            incident.resolvedAt = nil
            incident.closedAt = nil
        default: break
        }
        if incident.triagedAt == nil && status != .new { incident.triagedAt = at }
        var entries = [TimelineEntry(incidentID: id, at: at, actor: actor, kind: .status, detail: "\(from.rawValue) → \(status.rawValue)",
            phrase: Phrase("timeline.moved", ["from_status": from.rawValue, "to_status": status.rawValue]))]
        if let note = note?.trimmingCharacters(in: .whitespacesAndNewlines), !note.isEmpty {
            entries.append(TimelineEntry(incidentID: id, at: at, actor: actor, kind: .note, detail: String(note.prefix(20000))))
        }
        try await self.store.updateIncident(incident, timeline: entries)
        return incident
    }

    /// Gives the incident to a user (who must exist and be active), or to nobody.
    @discardableResult
    public func assign(_ id: UUID, to username: String?, by actor: String) async throws -> Incident {
        var incident = try await self.require(id)
        if let username {
            guard let user = try await self.store.user(named: username), !user.disabled else {
                throw IncidentError.invalid(field: "assignee", reason: .init("incident.error.assignee_unknown", english: "'\(username)' is not an active user", ["user": username]))
            }
            guard user.canHandleIncidents else { throw IncidentError.invalid(field: "assignee", reason: .init("incident.error.assignee_viewer", english: "'\(username)' is a viewer; assign an analyst", ["user": username])) }
        }
        guard incident.assignee != username else { return incident }
        incident.assignee = username
        incident.updatedAt = self.now()
        try await self.store.updateIncident(
            incident, timeline: [TimelineEntry(incidentID: id, at: incident.updatedAt, actor: actor, kind: .assignee, detail: username ?? "nobody",
                phrase: username.map { Phrase("timeline.assigned", ["user": $0]) } ?? Phrase("timeline.unassigned"))])
        return incident
    }

    /// Changes the severity; due dates follow the policy for the new severity, counted from creation.
    @discardableResult
    public func setSeverity(_ id: UUID, _ severity: Severity, by actor: String) async throws -> Incident {
        var incident = try await self.require(id)
        guard incident.severity != severity else { return incident }
        let from = incident.severity
        incident.severity = severity
        (incident.triageDue, incident.resolveDue) = self.policy.dueDates(createdAt: incident.createdAt, severity: severity)
        incident.updatedAt = self.now()
        try await self.store.updateIncident(
            incident,
            timeline: [TimelineEntry(incidentID: id, at: incident.updatedAt, actor: actor, kind: .severity, detail: "\(from.rawValue) → \(severity.rawValue)",
                phrase: Phrase("timeline.severity", ["from_severity": from.rawValue, "to_severity": severity.rawValue]))])
        return incident
    }

    @discardableResult
    public func setTLP(_ id: UUID, _ tlp: TLP, by actor: String) async throws -> Incident {
        var incident = try await self.require(id)
        guard incident.tlp != tlp else { return incident }
        let from = incident.tlp
        incident.tlp = tlp
        incident.updatedAt = self.now()
        try await self.store.updateIncident(
            incident, timeline: [TimelineEntry(incidentID: id, at: incident.updatedAt, actor: actor, kind: .tlp, detail: "\(from.rawValue) → \(tlp.rawValue)")])
        return incident
    }

    /// Raises an incident's marking to `tlp` when it is looser (never lowers it), as the system.
    func raiseTLP(_ id: UUID, to tlp: TLP, at: Date) async throws {
        var incident = try await self.require(id)
        guard tlp > incident.tlp else { return }
        let from = incident.tlp
        incident.tlp = tlp
        incident.updatedAt = at
        try await self.store.updateIncident(
            incident,
            timeline: [
                TimelineEntry(
                    incidentID: id, at: at, actor: Self.system, kind: .tlp, detail: "\(from.rawValue) → \(tlp.rawValue) (a stricter event joined)",
                    phrase: Phrase("timeline.tlp_raised", ["from": from.rawValue, "to": tlp.rawValue]))
            ])
    }

    public func addNote(_ id: UUID, _ text: String, by actor: String) async throws {
        var incident = try await self.require(id)
        let note = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.count <= 20000 else { throw IncidentError.invalid(field: "note", reason: .init("incident.error.note_required", english: "is required (at most 20,000 characters)")) }
        incident.updatedAt = self.now()
        try await self.store.updateIncident(incident, timeline: [TimelineEntry(incidentID: id, at: incident.updatedAt, actor: actor, kind: .note, detail: note)])
    }

    @discardableResult
    public func addTask(_ id: UUID, title: String, assignee: String?, by actor: String) async throws -> IncidentTask {
        _ = try await self.require(id)
        let text = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 500 else { throw IncidentError.invalid(field: "title", reason: .init("incident.error.task_required", english: "is required (at most 500 characters)")) }
        let task = IncidentTask(incidentID: id, title: text, assignee: assignee.flatMap { $0.isEmpty ? nil : $0 }, createdAt: self.now())
        try await self.store.insertTask(task, timeline: TimelineEntry(incidentID: id, at: task.createdAt, actor: actor, kind: .task, detail: "added: \(text)", phrase: Phrase("timeline.task_added", ["title": text])))
        return task
    }

    public func setTask(_ taskID: UUID, done: Bool, by actor: String) async throws {
        guard var task = try await self.store.task(id: taskID) else { throw IncidentError.notFound("task \(taskID)") }
        guard task.done != done else { return }
        task.done = done
        try await self.store.updateTask(
            task, timeline: TimelineEntry(incidentID: task.incidentID, at: self.now(), actor: actor, kind: .task, detail: "\(done ? "done" : "reopened"): \(task.title)",
                phrase: Phrase(done ? "timeline.task_done" : "timeline.task_reopened", ["title": task.title])))
    }

    /// Files a constituent's reply with its incident, in the timeline.
    /// Files a reply with its incident when it comes from an address one of the incident's notices went
    /// to; holds it for an analyst otherwise (a subject naming an incident is easy to forge).
    @discardableResult
    public func addReply(_ id: UUID, from sender: String, subject: String, text: String, by actor: String) async throws -> ReplyOutcome {
        let incident = try await self.require(id)
        let address = HeldReply.address(sender)
        let notified = try await self.store.outboxMessages(incidentID: id)
            .filter { $0.state == .sent || $0.state == .uncertain || $0.state == .sending }
            .map { HeldReply.address($0.recipient) }
        let body = text.count > 20000 ? String(text.prefix(20000)) + "\n[…]" : text
        guard notified.contains(address) else {
            let held = HeldReply(incidentID: id, sender: sender, subject: subject, text: body, receivedAt: self.now())
            try await self.store.insertHeldReply(
                held,
                timeline: TimelineEntry(
                    incidentID: id, at: held.receivedAt, actor: actor, kind: .reply, detail: "a reply from \(sender) was held: no notice of this incident went to that address",
                    phrase: Phrase("timeline.reply_held", ["sender": sender])))
            return .held(held.id)
        }
        try await self.file(incident, from: sender, subject: subject, body: body, by: actor)
        return .filed
    }

    private func file(_ incident: Incident, from sender: String, subject: String, body: String, by actor: String) async throws {
        var incident = incident
        incident.updatedAt = self.now()
        try await self.store.updateIncident(
            incident,
            timeline: [TimelineEntry(incidentID: incident.id, at: incident.updatedAt, actor: actor, kind: .reply, detail: "from \(sender): \(subject)\n\n\(body)",
                    phrase: Phrase("timeline.reply", ["sender": sender, "subject": subject, "body": body]))])
    }

    /// An analyst files a held reply with its incident, or discards it; the timeline says which.
    public func decideHeldReply(_ heldID: UUID, file: Bool, by actor: String) async throws {
        let now = self.now()
        let removed = try await self.store.removeHeldReply(id: heldID) { held in
            file
                ? [TimelineEntry(incidentID: held.incidentID, at: now, actor: actor, kind: .reply, detail: "from \(held.sender): \(held.subject)\n\n\(held.text)",
                      phrase: Phrase("timeline.reply", ["sender": held.sender, "subject": held.subject, "body": held.text]))]
                : [TimelineEntry(incidentID: held.incidentID, at: now, actor: actor, kind: .reply, detail: "the held reply from \(held.sender) was discarded",
                      phrase: Phrase("timeline.reply_discarded", ["sender": held.sender]))]
        }
        guard removed != nil else { throw IncidentError.notFound("held reply \(heldID)") }
    }

    /// Records that two incidents are related (the same campaign, a cause and its effect).
    public func link(_ id: UUID, to other: UUID, by actor: String) async throws {
        guard id != other else { throw IncidentError.invalid(field: "to", reason: .init("incident.error.link_self", english: "an incident cannot be linked to itself")) }
        let one = try await self.require(id)
        let two = try await self.require(other)
        let at = self.now()
        _ = try await self.store.linkIncidents(
            id, other,
            timeline: [
                TimelineEntry(incidentID: id, at: at, actor: actor, kind: .events, detail: "linked to #\(two.number)", phrase: Phrase("timeline.linked", ["number": String(two.number)])),
                TimelineEntry(incidentID: other, at: at, actor: actor, kind: .events, detail: "linked to #\(one.number)", phrase: Phrase("timeline.linked", ["number": String(one.number)])),
            ])
    }

    /// Merges incidents into one: their events move to `target`, their organisations join it, and each
    /// is closed with a note saying where it went (a merge closes whatever the status was).
    @discardableResult
    public func merge(_ sources: [UUID], into target: UUID, by actor: String) async throws -> Incident {
        var into = try await self.require(target)
        guard into.status.isOpen else { throw IncidentError.invalid(field: "into", reason: .init("incident.error.merge_closed", english: "#\(into.number) is \(into.status.rawValue): merge into an open incident", ["number": String(into.number), "status": into.status.rawValue])) }
        for sourceID in sources {
            guard sourceID != target else { throw IncidentError.invalid(field: "into", reason: .init("incident.error.merge_self", english: "an incident cannot be merged into itself")) }
            var source = try await self.require(sourceID)
            let at = self.now()
            let moved = try await self.store.moveEvents(
                nil, from: sourceID, to: target,
                timeline: [
                    TimelineEntry(incidentID: sourceID, at: at, actor: actor, kind: .events, detail: "merged into #\(into.number)", phrase: Phrase("timeline.merged_into", ["number": String(into.number)])),
                    TimelineEntry(incidentID: target, at: at, actor: actor, kind: .events, detail: "#\(source.number) merged in", phrase: Phrase("timeline.merged_in", ["number": String(source.number)])),
                ])
            let from = source.status
            source.status = .closed
            source.closedAt = at
            source.updatedAt = at
            try await self.store.updateIncident(
                source, timeline: [TimelineEntry(incidentID: sourceID, at: at, actor: actor, kind: .status, detail: "\(from.rawValue) → closed (merged, \(moved) events moved)",
                    phrase: Phrase("timeline.closed_merged", ["from_status": from.rawValue, "to_status": "closed", "count": String(moved)]))])
            into = try await self.require(target)
            into.organisations += source.organisations.filter { !into.organisations.contains($0) }
            into.updatedAt = at
            try await self.store.updateIncident(into, timeline: [])
        }
        return try await self.require(target)
    }

    /// Moves some of an incident's events to a new incident with the same classification and markings.
    @discardableResult
    public func split(_ eventIDs: [Int64], from id: UUID, title: String, by actor: String) async throws -> Incident {
        let source = try await self.require(id)
        guard !eventIDs.isEmpty else { throw IncidentError.invalid(field: "events", reason: .init("incident.error.split_none", english: "choose the events to split out")) }
        let theirs = Set(try await self.store.incidentEvents(incidentID: id, limit: 1_000_000).map(\.id))
        if let stranger = eventIDs.first(where: { !theirs.contains($0) }) {
            throw IncidentError.invalid(field: "events", reason: .init("incident.error.split_stranger", english: "event \(stranger) is not in #\(source.number)", ["event": String(stranger), "number": String(source.number)]))
        }
        guard Set(eventIDs).count < theirs.count else {
            throw IncidentError.invalid(field: "events", reason: .init("incident.error.split_all", english: "splitting out every event would leave #\(source.number) empty", ["number": String(source.number)]))
        }
        let created = try await self.create(
            Draft(title: title, type: source.type, severity: source.severity, tlp: source.tlp, pap: source.pap, organisations: source.organisations,
                  assignee: source.assignee),
            by: actor)
        let at = self.now()
        _ = try await self.store.moveEvents(
            eventIDs, from: id, to: created.id,
            timeline: [
                TimelineEntry(incidentID: id, at: at, actor: actor, kind: .events, detail: "events split out to #\(created.number)",
                    phrase: Phrase("timeline.split_to", ["number": String(created.number)])),
                TimelineEntry(incidentID: created.id, at: at, actor: actor, kind: .events, detail: "split out of #\(source.number)",
                    phrase: Phrase("timeline.split_from", ["number": String(source.number)])),
            ])
        return try await self.require(created.id)
    }

    /// Adds events (chosen in the events list) to an incident.
    public func addEvents(_ eventIDs: [Int64], to id: UUID, by actor: String) async throws -> Int {
        let incident = try await self.require(id)
        let at = self.now()
        let added = try await self.store.linkEvents(
            eventIDs, to: id, timeline: TimelineEntry(incidentID: id, at: at, actor: actor, kind: .events, detail: "events added", phrase: Phrase("timeline.events_added")))
        if added > 0, let strictest = try await self.strictestTLP(of: eventIDs), strictest > incident.tlp {
            try await self.raiseTLP(id, to: strictest, at: at)
        }
        return added
    }

    /// Hands a run's new events to incident handling: each event routed to an organisation joins the
    /// open incident of its group, or opens one. Safe to run again: events already in an incident are
    /// skipped. Works a page of events at a time, each page in one transaction. Returns how many
    /// incidents were opened and how many events joined one.
    @discardableResult
    public func group(runID: UUID, organisationNames: [UUID: String] = [:], pageSize: Int = 20_000) async throws -> (opened: Int, joined: Int) {
        var opened = 0
        var joined = 0
        var after: Int64 = 0
        while true {
            let page = try await self.store.eventsAwaitingIncident(runID: runID, afterID: after, limit: pageSize)
            guard let last = page.last else { break }
            after = last.id
            var groups: [String: (organisation: UUID, events: [IncidentCandidate])] = [:]
            var order: [String] = []
            for candidate in page {
                guard let organisation = candidate.organisations.first else { continue }
                let key = self.grouping.key(candidate, organisation: organisation)
                if groups[key] == nil { order.append(key) }
                groups[key, default: (organisation, [])].events.append(candidate)
            }
            let open = try await self.store.openIncidents(groupKeys: order)
            let at = self.now()
            var created: [Incident] = []
            var links: [UUID: [Int64]] = [:]
            var entries: [TimelineEntry] = []
            var raised: [(Incident, TLP)] = []
            for key in order {
                guard let (organisation, events) = groups[key] else { continue }
                if let incident = open[key] {
                    links[incident.id, default: []] += events.map(\.id)
                    entries.append(TimelineEntry(incidentID: incident.id, at: at, actor: Self.system, kind: .events, detail: "events joined by the grouping rule: \(events.count)",
                            phrase: Phrase("timeline.grouped", ["count": String(events.count)])))
                    // A stricter event raises the incident's marking: what is sent about it must not be looser than what it holds.
                    if let stricter = events.compactMap(\.tlp).max(), stricter > incident.tlp { raised.append((incident, stricter)) }
                    continue
                }
                let type = events[0].type
                let taxonomy = Taxonomy.taxonomyOfType[type] ?? events[0].taxonomy
                let severity = events.compactMap(\.severity).max() ?? .medium
                let tlp = events.compactMap(\.tlp).max() ?? .amber
                let title = "\(type) at \(organisationNames[organisation] ?? "an organisation")"
                let due = self.policy.dueDates(createdAt: at, severity: severity)
                let incident = Incident(
                    title: title, taxonomy: taxonomy, type: type, severity: severity, tlp: tlp, organisations: [organisation], createdAt: at,
                    triageDue: due.triage, resolveDue: due.resolve, groupKey: key)
                created.append(incident)
                links[incident.id] = events.map(\.id)
                entries.append(TimelineEntry(incidentID: incident.id, at: at, actor: Self.system, kind: .created, detail: "\(severity.rawValue) \(type): \(title)",
                        phrase: Phrase("timeline.created", ["severity": severity.rawValue, "type": type, "title": title])))
            }
            let added = try await self.store.applyGrouping(newIncidents: created, links: links, timeline: entries)
            for (incident, tlp) in raised { try await self.raiseTLP(incident.id, to: tlp, at: at) }
            opened += created.count
            joined += added.values.reduce(0, +)
        }
        return (opened, joined)
    }
}
