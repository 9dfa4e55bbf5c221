import Foundation

/// The in-memory store's incident tables.
struct IncidentData {
    var incidents: [UUID: Incident] = [:]
    /// Event id → incident.
    var eventIncident: [Int64: UUID] = [:]
    var timeline: [TimelineEntry] = []
    var tasks: [UUID: IncidentTask] = [:]
    var outbox: [UUID: OutboxMessage] = [:]
    var peers: [UUID: Peer] = [:]
    var shares: [Share] = []
    var links: Set<[UUID]> = []
    var digestCursors: [UUID: Date] = [:]
    var indicators: [String: Indicator] = [:]
    var sightings: [(eventID: Int64, indicatorID: String, at: Date)] = []
}

extension InMemoryStore {
    public func insertIncident(_ incident: Incident, events: [Int64], timeline: [TimelineEntry]) async throws -> Incident {
        var stored = incident
        stored.number = (self.incidentData.incidents.values.map(\.number).max() ?? 0) + 1
        stored.eventCount = 0
        self.incidentData.incidents[stored.id] = stored
        self.appendTimeline(timeline)
        _ = self.link(events, to: stored.id)
        return self.incidentData.incidents[stored.id] ?? stored
    }

    private func appendTimeline(_ entries: [TimelineEntry]) {
        for var entry in entries {
            entry.sequence = Int64(self.incidentData.timeline.count + 1)
            self.incidentData.timeline.append(entry)
        }
    }

    private func link(_ eventIDs: [Int64], to id: UUID) -> Int {
        let known = Set(self.eventData.events.values.map(\.id))
        var added = 0
        for eventID in Set(eventIDs) where known.contains(eventID) && self.incidentData.eventIncident[eventID] == nil {
            self.incidentData.eventIncident[eventID] = id
            added += 1
        }
        self.incidentData.incidents[id]?.eventCount += added
        return added
    }

    public func incident(id: UUID) async throws -> Incident? { self.incidentData.incidents[id] }

    public func incident(number: Int) async throws -> Incident? { self.incidentData.incidents.values.first { $0.number == number } }

    public func incidents(matching query: IncidentQuery) async throws -> [Incident] {
        let found = self.incidentData.incidents.values.filter { query.matches($0) }.sorted { a, b in
            switch query.order {
            case .newest:
                (a.status.isOpen ? 0 : 1, -a.createdAt.timeIntervalSince1970, -a.number) < (b.status.isOpen ? 0 : 1, -b.createdAt.timeIntervalSince1970, -b.number)
            case .due:
                (IncidentQuery.nextDue(a), a.number) < (IncidentQuery.nextDue(b), b.number)
            }
        }
        return Array(found.dropFirst(max(0, query.offset)).prefix(max(0, query.limit)))
    }

    public func updateIncident(_ incident: Incident, timeline: [TimelineEntry]) async throws {
        guard let existing = self.incidentData.incidents[incident.id] else { throw StoreError.notFound("incident \(incident.id)") }
        var updated = incident
        updated.number = existing.number
        updated.eventCount = existing.eventCount
        self.incidentData.incidents[incident.id] = updated
        self.appendTimeline(timeline)
    }

    public func linkEvents(_ eventIDs: [Int64], to incidentID: UUID, timeline: TimelineEntry?) async throws -> Int {
        guard self.incidentData.incidents[incidentID] != nil else { throw StoreError.notFound("incident \(incidentID)") }
        let added = self.link(eventIDs, to: incidentID)
        if added > 0, var entry = timeline {
            entry.detail = "\(entry.detail): \(added)"
            self.appendTimeline([entry])
        }
        return added
    }

    public func incidentEvents(incidentID: UUID, limit: Int) async throws -> [StoredEvent] {
        let ids = Set(self.incidentData.eventIncident.filter { $0.value == incidentID }.keys)
        return Array(self.eventData.events.values.filter { ids.contains($0.id) }.sorted { ($0.lastSeen, $0.id) > ($1.lastSeen, $1.id) }.prefix(limit))
    }

    public func timeline(incidentID: UUID) async throws -> [TimelineEntry] {
        self.incidentData.timeline.filter { $0.incidentID == incidentID }
    }

    public func tasks(incidentID: UUID) async throws -> [IncidentTask] {
        self.incidentData.tasks.values.filter { $0.incidentID == incidentID }.sorted { ($0.createdAt, $0.title) < ($1.createdAt, $1.title) }
    }

    public func insertTask(_ task: IncidentTask, timeline: TimelineEntry) async throws {
        guard self.incidentData.incidents[task.incidentID] != nil else { throw StoreError.notFound("incident \(task.incidentID)") }
        self.incidentData.tasks[task.id] = task
        self.appendTimeline([timeline])
    }

    public func updateTask(_ task: IncidentTask, timeline: TimelineEntry) async throws {
        guard self.incidentData.tasks[task.id] != nil else { throw StoreError.notFound("task \(task.id)") }
        self.incidentData.tasks[task.id] = task
        self.appendTimeline([timeline])
    }

    public func task(id: UUID) async throws -> IncidentTask? { self.incidentData.tasks[id] }

    public func eventsAwaitingIncident(runID: UUID, afterID: Int64, limit: Int) async throws -> [IncidentCandidate] {
        Array(
            self.eventData.events.values
                .filter { $0.runID == runID && $0.id > afterID && !$0.organisations.isEmpty && self.incidentData.eventIncident[$0.id] == nil }
                .sorted { $0.id < $1.id }.prefix(limit)
        ).map(IncidentCandidate.init)
    }

    public func enqueue(_ messages: [OutboxMessage], timeline: [TimelineEntry]) async throws {
        for message in messages { self.incidentData.outbox[message.id] = message }
        self.appendTimeline(timeline)
    }

    public func dueMessages(at date: Date, limit: Int) async throws -> [OutboxMessage] {
        Array(self.incidentData.outbox.values.filter { $0.state == .pending && $0.nextAttemptAt <= date }.sorted { $0.createdAt < $1.createdAt }.prefix(limit))
    }

    public func outboxMessages(state: OutboxMessage.State, limit: Int) async throws -> [OutboxMessage] {
        Array(self.incidentData.outbox.values.filter { $0.state == state }.sorted { $0.createdAt < $1.createdAt }.prefix(limit))
    }

    public func outboxMessages(incidentID: UUID) async throws -> [OutboxMessage] {
        self.incidentData.outbox.values.filter { $0.incidentID == incidentID }.sorted { ($0.createdAt, $0.recipient) < ($1.createdAt, $1.recipient) }
    }

    public func updateOutbox(_ message: OutboxMessage, expected: OutboxMessage.State, timeline: TimelineEntry?) async throws -> Bool {
        guard self.incidentData.outbox[message.id]?.state == expected else { return false }
        self.incidentData.outbox[message.id] = message
        if let timeline { self.appendTimeline([timeline]) }
        return true
    }

    public func insertPeer(_ peer: Peer) async throws {
        if self.incidentData.peers.values.contains(where: { $0.name.lowercased() == peer.name.lowercased() }) {
            throw StoreError.duplicate(field: "name", value: peer.name)
        }
        self.incidentData.peers[peer.id] = peer
    }

    public func updatePeer(_ peer: Peer) async throws {
        guard self.incidentData.peers[peer.id] != nil else { throw StoreError.notFound("peer \(peer.id)") }
        if self.incidentData.peers.values.contains(where: { $0.name.lowercased() == peer.name.lowercased() && $0.id != peer.id }) {
            throw StoreError.duplicate(field: "name", value: peer.name)
        }
        self.incidentData.peers[peer.id] = peer
    }

    public func peer(id: UUID) async throws -> Peer? { self.incidentData.peers[id] }

    public func peers() async throws -> [Peer] { self.incidentData.peers.values.sorted { $0.name.lowercased() < $1.name.lowercased() } }

    public func insertShare(_ share: Share, timeline: TimelineEntry) async throws {
        self.incidentData.shares.append(share)
        self.appendTimeline([timeline])
    }

    public func shares(incidentID: UUID) async throws -> [Share] { self.incidentData.shares.filter { $0.incidentID == incidentID } }

    public func moveEvents(_ eventIDs: [Int64]?, from: UUID, to: UUID, timeline: [TimelineEntry]) async throws -> Int {
        guard self.incidentData.incidents[from] != nil, self.incidentData.incidents[to] != nil else { throw StoreError.notFound("incident") }
        let chosen = eventIDs.map(Set.init)
        var moved = 0
        for (eventID, incidentID) in self.incidentData.eventIncident where incidentID == from && (chosen?.contains(eventID) ?? true) {
            self.incidentData.eventIncident[eventID] = to
            moved += 1
        }
        self.incidentData.incidents[from]?.eventCount -= moved
        self.incidentData.incidents[to]?.eventCount += moved
        self.appendTimeline(timeline)
        return moved
    }

    public func openIncidents(groupKeys: [String]) async throws -> [String: Incident] {
        let keys = Set(groupKeys)
        var found: [String: Incident] = [:]
        for incident in self.incidentData.incidents.values.sorted(by: { $0.number < $1.number }) where incident.status.isOpen {
            if let key = incident.groupKey, keys.contains(key), found[key] == nil { found[key] = incident }
        }
        return found
    }

    public func applyGrouping(newIncidents: [Incident], links: [UUID: [Int64]], timeline: [TimelineEntry]) async throws -> [UUID: Int] {
        var next = (self.incidentData.incidents.values.map(\.number).max() ?? 0) + 1
        for incident in newIncidents {
            var stored = incident
            stored.number = next
            stored.eventCount = 0
            next += 1
            self.incidentData.incidents[stored.id] = stored
        }
        self.appendTimeline(timeline)
        var added: [UUID: Int] = [:]
        for (id, events) in links { added[id] = self.link(events, to: id) }
        return added
    }

    public func linkIncidents(_ a: UUID, _ b: UUID, timeline: [TimelineEntry]) async throws -> Bool {
        guard self.incidentData.incidents[a] != nil, self.incidentData.incidents[b] != nil else { throw StoreError.notFound("incident") }
        let pair = [a, b].sorted { $0.uuidString < $1.uuidString }
        guard self.incidentData.links.insert(pair).inserted else { return false }
        self.appendTimeline(timeline)
        return true
    }

    public func linkedIncidents(_ id: UUID) async throws -> [Incident] {
        self.incidentData.links.filter { $0.contains(id) }.compactMap { pair in pair.first { $0 != id }.flatMap { self.incidentData.incidents[$0] } }
            .sorted { $0.number < $1.number }
    }

    public func digestCursor(contactID: UUID) async throws -> Date? { self.incidentData.digestCursors[contactID] }

    public func enqueueDigest(_ message: OutboxMessage?, contactID: UUID, coveredUntil: Date, timeline: [TimelineEntry]) async throws {
        if let message { self.incidentData.outbox[message.id] = message }
        self.incidentData.digestCursors[contactID] = coveredUntil
        self.appendTimeline(timeline)
    }

    public func upsertIndicators(_ indicators: [Indicator]) async throws -> (added: Int, replaced: Int, unchanged: Int) {
        var counts = (added: 0, replaced: 0, unchanged: 0)
        for indicator in indicators {
            if let existing = self.incidentData.indicators[indicator.id] {
                if indicator.version > existing.version {
                    self.incidentData.indicators[indicator.id] = indicator
                    counts.replaced += 1
                } else {
                    counts.unchanged += 1
                }
            } else {
                self.incidentData.indicators[indicator.id] = indicator
                counts.added += 1
            }
        }
        return counts
    }

    public func indicators(matching query: IndicatorQuery, now: Date) async throws -> [Indicator] {
        Array(self.incidentData.indicators.values.filter { query.matches($0, now: now) }.sorted { ($0.importedAt, $0.id) > ($1.importedAt, $1.id) }.prefix(query.limit))
    }

    public func indicator(id: String) async throws -> Indicator? { self.incidentData.indicators[id] }

    public func setIndicatorRevoked(id: String, revoked: Bool) async throws {
        guard self.incidentData.indicators[id] != nil else { throw StoreError.notFound("indicator \(id)") }
        self.incidentData.indicators[id]?.revoked = revoked
    }

    public func indicatorMatches(runID: UUID, now: Date) async throws -> [(eventID: Int64, indicatorID: String)] {
        let active = self.incidentData.indicators.values.filter { $0.isActive(at: now) && ($0.address != nil || $0.domain != nil || $0.url != nil) }
        let seen = Set(self.incidentData.sightings.map { "\($0.eventID)|\($0.indicatorID)" })
        var pairs: [(eventID: Int64, indicatorID: String)] = []
        for event in self.eventData.events.values.filter({ $0.runID == runID }).sorted(by: { $0.id < $1.id }) {
            let ip = event.event["source.ip"]?.description
            let fqdn = event.event["source.fqdn"]?.description.lowercased()
            let url = event.event["source.url"]?.description
            for indicator in active.sorted(by: { $0.id < $1.id }) where !seen.contains("\(event.id)|\(indicator.id)") {
                let hit = (indicator.address != nil && indicator.address == ip) || (indicator.domain != nil && indicator.domain == fqdn)
                    || (indicator.url != nil && indicator.url == url)
                if hit { pairs.append((event.id, indicator.id)) }
            }
        }
        return pairs
    }

    public func recordSightings(_ pairs: [(eventID: Int64, indicatorID: String)], at date: Date) async throws {
        for pair in pairs { self.incidentData.sightings.append((pair.eventID, pair.indicatorID, date)) }
    }

    public func sightingCounts(indicatorIDs: [String]) async throws -> [String: Int] {
        let wanted = Set(indicatorIDs)
        var counts: [String: Int] = [:]
        for sighting in self.incidentData.sightings where wanted.contains(sighting.indicatorID) { counts[sighting.indicatorID, default: 0] += 1 }
        return counts
    }
}
