import ConfianzaCore
import Foundation
import SQLKit

extension SQLStore {
    static let incidentColumnList = """
        id, number, title, taxonomy, type, severity, tlp, pap, organisations, assignee, status, created_at, updated_at, triage_due, \
        resolve_due, triaged_at, resolved_at, closed_at, group_key, event_count
        """

    public func insertIncident(_ incident: Incident, events: [Int64], timeline: [TimelineEntry]) async throws -> Incident {
        // The number is the next free one; two writers racing for it on PostgreSQL meet the unique index, and the loser tries again.
        for attempt in 1...5 {
            do {
                return try await self.withTransaction { db in
                    let next = try await db.raw("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM incidents").first()?.decode(column: "n", as: Int.self) ?? 1
                    var stored = incident
                    stored.number = next
                    stored.eventCount = 0
                    try await db.raw(
                        """
                        INSERT INTO incidents (\(unsafeRaw: Self.incidentColumnList))
                        VALUES (\(bind: stored.id.uuidString), \(bind: next), \(bind: stored.title), \(bind: stored.taxonomy), \(bind: stored.type),
                            \(bind: stored.severity.rawValue), \(bind: stored.tlp.rawValue), \(bind: stored.pap.rawValue),
                            \(bind: Self.idList(stored.organisations)), \(bind: stored.assignee), \(bind: stored.status.rawValue),
                            \(bind: Millis(stored.createdAt)), \(bind: Millis(stored.updatedAt)), \(bind: Millis(stored.triageDue)),
                            \(bind: Millis(stored.resolveDue)), \(bind: stored.triagedAt.map(Millis.init)), \(bind: stored.resolvedAt.map(Millis.init)),
                            \(bind: stored.closedAt.map(Millis.init)), \(bind: stored.groupKey), 0)
                        """
                    ).run()
                    try await Self.appendTimeline(timeline, db: db)
                    stored.eventCount = try await Self.link(events, to: stored.id, db: db)
                    return stored
                }
            } catch where Self.isUniqueViolation(error) && attempt < 5 {
                continue
            }
        }
        throw StoreError.duplicate(field: "number", value: "incident")
    }

    static func idList(_ ids: [UUID]) -> String { ids.map(\.uuidString).joined(separator: ",") }

    static func appendTimeline(_ entries: [TimelineEntry], db: any SQLDatabase) async throws {
        for entry in entries {
            try await db.raw(
                """
                INSERT INTO incident_timeline (incident_id, at, actor, kind, detail)
                VALUES (\(bind: entry.incidentID.uuidString), \(bind: Millis(entry.at)), \(bind: entry.actor), \(bind: entry.kind.rawValue), \(bind: entry.detail))
                """
            ).run()
        }
    }

    /// Links the events that exist and are in no incident; returns how many, and keeps the incident's count.
    static func link(_ eventIDs: [Int64], to id: UUID, db: any SQLDatabase) async throws -> Int {
        var added = 0
        for chunk in Array(Set(eventIDs)).sorted().chunked(500) {
            let ids = SQLList(chunk.map { SQLBind($0) })
            let rows = try await db.raw(
                """
                INSERT INTO incident_events (event_id, incident_id)
                SELECT id, \(bind: id.uuidString) FROM events WHERE id IN (\(ids))
                ON CONFLICT (event_id) DO NOTHING
                RETURNING event_id
                """
            ).all()
            added += rows.count
        }
        if added > 0 {
            try await db.raw("UPDATE incidents SET event_count = event_count + \(bind: added) WHERE id = \(bind: id.uuidString)").run()
        }
        return added
    }

    public func incident(id: UUID) async throws -> Incident? {
        try await self.withDatabase { db in
            try await db.raw("SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents WHERE id = \(bind: id.uuidString)").first().map(Self.decodeIncident)
        }
    }

    public func incident(number: Int) async throws -> Incident? {
        try await self.withDatabase { db in
            try await db.raw("SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents WHERE number = \(bind: number)").first().map(Self.decodeIncident)
        }
    }

    public func incidents(matching query: IncidentQuery) async throws -> [Incident] {
        var conditions: [SQLQueryString] = []
        if let statuses = query.statuses {
            conditions.append(statuses.isEmpty ? "1 = 0" : "status IN (\(SQLList(statuses.map { SQLBind($0.rawValue) })))")
        }
        if let severity = query.severity { conditions.append("severity = \(bind: severity.rawValue)") }
        if let assignee = query.assignee { conditions.append("assignee = \(bind: assignee)") }
        if let organisation = query.organisation { conditions.append("organisations LIKE \(bind: "%\(organisation.uuidString)%")") }
        if let type = query.type { conditions.append("type = \(bind: type)") }
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents"
        for (index, condition) in conditions.enumerated() { sql = sql + (index == 0 ? " WHERE " : " AND ") + condition }
        switch query.order {
        case .newest: sql = sql + " ORDER BY CASE WHEN status IN ('resolved', 'closed') THEN 1 ELSE 0 END, created_at DESC, number DESC"
        case .due: sql = sql + " ORDER BY CASE WHEN status = 'new' THEN triage_due ELSE resolve_due END, number"
        }
        sql = sql + " LIMIT \(bind: max(0, min(query.limit, 10_000))) OFFSET \(bind: max(0, query.offset))"
        let finalSQL = sql
        return try await self.withDatabase { db in try await db.raw(finalSQL).all().map(Self.decodeIncident) }
    }

    public func updateIncident(_ incident: Incident, timeline: [TimelineEntry]) async throws {
        try await self.withTransaction { db in
            let updated = try await db.raw(
                """
                UPDATE incidents SET title = \(bind: incident.title), taxonomy = \(bind: incident.taxonomy), type = \(bind: incident.type),
                    severity = \(bind: incident.severity.rawValue), tlp = \(bind: incident.tlp.rawValue), pap = \(bind: incident.pap.rawValue),
                    organisations = \(bind: Self.idList(incident.organisations)), assignee = \(bind: incident.assignee),
                    status = \(bind: incident.status.rawValue), updated_at = \(bind: Millis(incident.updatedAt)),
                    triage_due = \(bind: Millis(incident.triageDue)), resolve_due = \(bind: Millis(incident.resolveDue)),
                    triaged_at = \(bind: incident.triagedAt.map(Millis.init)), resolved_at = \(bind: incident.resolvedAt.map(Millis.init)),
                    closed_at = \(bind: incident.closedAt.map(Millis.init)), group_key = \(bind: incident.groupKey)
                WHERE id = \(bind: incident.id.uuidString)
                RETURNING id
                """
            ).all()
            guard !updated.isEmpty else { throw StoreError.notFound("incident \(incident.id)") }
            try await Self.appendTimeline(timeline, db: db)
        }
    }

    public func linkEvents(_ eventIDs: [Int64], to incidentID: UUID, timeline: TimelineEntry?) async throws -> Int {
        try await self.withTransaction { db in
            guard try await db.raw("SELECT id FROM incidents WHERE id = \(bind: incidentID.uuidString)").first() != nil else {
                throw StoreError.notFound("incident \(incidentID)")
            }
            let added = try await Self.link(eventIDs, to: incidentID, db: db)
            if added > 0, var entry = timeline {
                entry.detail = "\(entry.detail): \(added)"
                try await Self.appendTimeline([entry], db: db)
            }
            return added
        }
    }

    public func incidentEvents(incidentID: UUID, limit: Int) async throws -> [StoredEvent] {
        try await self.withDatabase { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.eventColumnList) FROM events
                WHERE id IN (SELECT event_id FROM incident_events WHERE incident_id = \(bind: incidentID.uuidString))
                ORDER BY last_seen DESC, id DESC LIMIT \(bind: max(0, limit))
                """
            ).all().map(Self.decodeEvent)
        }
    }

    public func timeline(incidentID: UUID) async throws -> [TimelineEntry] {
        try await self.withDatabase { db in
            try await db.raw(
                "SELECT seq, incident_id, at, actor, kind, detail FROM incident_timeline WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY seq"
            ).all().map { row in
                let kindText = try row.decode(column: "kind", as: String.self)
                guard let kind = TimelineEntry.Kind(rawValue: kindText) else { throw StoreError.corrupt("timeline kind '\(kindText)'") }
                return TimelineEntry(
                    sequence: try row.decode(column: "seq", as: Int64.self), incidentID: try Self.uuid(row, "incident_id"),
                    at: try Millis.date(row, "at"), actor: try row.decode(column: "actor", as: String.self), kind: kind,
                    detail: try row.decode(column: "detail", as: String.self))
            }
        }
    }

    public func tasks(incidentID: UUID) async throws -> [IncidentTask] {
        try await self.withDatabase { db in
            try await db.raw(
                "SELECT id, incident_id, title, assignee, done, created_at FROM incident_tasks WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY created_at, title"
            ).all().map(Self.decodeTask)
        }
    }

    public func task(id: UUID) async throws -> IncidentTask? {
        try await self.withDatabase { db in
            try await db.raw("SELECT id, incident_id, title, assignee, done, created_at FROM incident_tasks WHERE id = \(bind: id.uuidString)")
                .first().map(Self.decodeTask)
        }
    }

    public func insertTask(_ task: IncidentTask, timeline: TimelineEntry) async throws {
        do {
            try await self.withTransaction { db in
                try await db.raw(
                    """
                    INSERT INTO incident_tasks (id, incident_id, title, assignee, done, created_at)
                    VALUES (\(bind: task.id.uuidString), \(bind: task.incidentID.uuidString), \(bind: task.title), \(bind: task.assignee),
                        \(bind: task.done), \(bind: Millis(task.createdAt)))
                    """
                ).run()
                try await Self.appendTimeline([timeline], db: db)
            }
        } catch where Self.isForeignKeyViolation(error) {
            throw StoreError.notFound("incident \(task.incidentID)")
        }
    }

    public func updateTask(_ task: IncidentTask, timeline: TimelineEntry) async throws {
        try await self.withTransaction { db in
            let updated = try await db.raw(
                """
                UPDATE incident_tasks SET title = \(bind: task.title), assignee = \(bind: task.assignee), done = \(bind: task.done)
                WHERE id = \(bind: task.id.uuidString) RETURNING id
                """
            ).all()
            guard !updated.isEmpty else { throw StoreError.notFound("task \(task.id)") }
            try await Self.appendTimeline([timeline], db: db)
        }
    }

    public func eventsAwaitingIncident(runID: UUID, afterID: Int64, limit: Int) async throws -> [IncidentCandidate] {
        try await self.withDatabase { db in
            try await db.raw(
                """
                SELECT id, organisations, first_seen, feed, taxonomy, type, severity, tlp FROM events
                WHERE run_id = \(bind: runID.uuidString) AND id > \(bind: afterID) AND organisations <> ''
                    AND NOT EXISTS (SELECT 1 FROM incident_events WHERE event_id = events.id)
                ORDER BY id LIMIT \(bind: max(0, limit))
                """
            ).all().map { row in
                IncidentCandidate(
                    id: try row.decode(column: "id", as: Int64.self),
                    organisations: try row.decode(column: "organisations", as: String.self).split(separator: ",").compactMap { UUID(uuidString: String($0)) },
                    firstSeen: try Millis.date(row, "first_seen"), feed: try row.decode(column: "feed", as: String.self),
                    taxonomy: try row.decode(column: "taxonomy", as: String.self), type: try row.decode(column: "type", as: String.self),
                    severity: try row.decode(column: "severity", as: String?.self).flatMap(Severity.init(rawValue:)),
                    tlp: try row.decode(column: "tlp", as: String?.self).flatMap(TLP.init(label:)))
            }
        }
    }

    static func decodeIncident(_ row: any SQLRow) throws -> Incident {
        let id = try Self.uuid(row, "id")
        let severityText = try row.decode(column: "severity", as: String.self)
        let tlpText = try row.decode(column: "tlp", as: String.self)
        let papText = try row.decode(column: "pap", as: String.self)
        let statusText = try row.decode(column: "status", as: String.self)
        guard let severity = Severity(rawValue: severityText), let tlp = TLP(label: tlpText), let pap = PAP(label: papText),
            let status = IncidentStatus(rawValue: statusText)
        else { throw StoreError.corrupt("incident \(id): \(severityText) \(tlpText) \(papText) \(statusText)") }
        return Incident(
            id: id, number: try row.decode(column: "number", as: Int.self), title: try row.decode(column: "title", as: String.self),
            taxonomy: try row.decode(column: "taxonomy", as: String.self), type: try row.decode(column: "type", as: String.self),
            severity: severity, tlp: tlp, pap: pap,
            organisations: try row.decode(column: "organisations", as: String.self).split(separator: ",").compactMap { UUID(uuidString: String($0)) },
            assignee: try row.decode(column: "assignee", as: String?.self), status: status, createdAt: try Millis.date(row, "created_at"),
            updatedAt: try Millis.date(row, "updated_at"), triageDue: try Millis.date(row, "triage_due"),
            resolveDue: try Millis.date(row, "resolve_due"), triagedAt: try Millis.optionalDate(row, "triaged_at"),
            resolvedAt: try Millis.optionalDate(row, "resolved_at"), closedAt: try Millis.optionalDate(row, "closed_at"),
            groupKey: try row.decode(column: "group_key", as: String?.self), eventCount: try row.decode(column: "event_count", as: Int.self))
    }

    static func decodeTask(_ row: any SQLRow) throws -> IncidentTask {
        IncidentTask(
            id: try Self.uuid(row, "id"), incidentID: try Self.uuid(row, "incident_id"), title: try row.decode(column: "title", as: String.self),
            assignee: try row.decode(column: "assignee", as: String?.self), done: try row.decode(column: "done", as: Bool.self),
            createdAt: try Millis.date(row, "created_at"))
    }
}

extension SQLStore {
    private static let outboxColumns = """
        id, incident_id, organisation_id, contact_id, recipient, language, subject, body, attachment_name, attachment, created_at, state, \
        attempts, next_attempt_at, last_error, sent_at
        """

    public func enqueue(_ messages: [OutboxMessage], timeline: [TimelineEntry]) async throws {
        try await self.withTransaction { db in
            for message in messages { try await Self.insertOutbox(message, db: db) }
            try await Self.appendTimeline(timeline, db: db)
        }
    }

    public func digestCursor(contactID: UUID) async throws -> Date? {
        try await self.withDatabase { db in
            try await db.raw("SELECT covered_until FROM digest_cursors WHERE contact_id = \(bind: contactID.uuidString)").first()
                .map { try Millis.date($0, "covered_until") }
        }
    }

    public func enqueueDigest(_ message: OutboxMessage?, contactID: UUID, coveredUntil: Date, timeline: [TimelineEntry]) async throws {
        try await self.withTransaction { db in
            if let message { try await Self.insertOutbox(message, db: db) }
            try await db.raw(
                """
                INSERT INTO digest_cursors (contact_id, covered_until) VALUES (\(bind: contactID.uuidString), \(bind: Millis(coveredUntil)))
                ON CONFLICT (contact_id) DO UPDATE SET covered_until = excluded.covered_until
                """
            ).run()
            try await Self.appendTimeline(timeline, db: db)
        }
    }

    static func insertOutbox(_ m: OutboxMessage, db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO outbox (\(unsafeRaw: Self.outboxColumns))
            VALUES (\(bind: m.id.uuidString), \(bind: m.incidentID.uuidString), \(bind: m.organisationID.uuidString),
                \(bind: m.contactID.uuidString), \(bind: m.recipient), \(bind: m.language), \(bind: m.subject), \(bind: m.body),
                \(bind: m.attachmentName), \(bind: m.attachment), \(bind: Millis(m.createdAt)), \(bind: m.state.rawValue),
                \(bind: m.attempts), \(bind: Millis(m.nextAttemptAt)), \(bind: m.lastError), \(bind: m.sentAt.map(Millis.init)))
            """
        ).run()
    }

    public func dueMessages(at date: Date, limit: Int) async throws -> [OutboxMessage] {
        try await self.withDatabase { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE state = 'pending' AND next_attempt_at <= \(bind: Millis(date))
                ORDER BY created_at LIMIT \(bind: max(0, limit))
                """
            ).all().map(Self.decodeOutbox)
        }
    }

    public func outboxMessages(state: OutboxMessage.State, limit: Int) async throws -> [OutboxMessage] {
        try await self.withDatabase { db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE state = \(bind: state.rawValue) ORDER BY created_at LIMIT \(bind: max(0, limit))"
            ).all().map(Self.decodeOutbox)
        }
    }

    public func outboxMessages(incidentID: UUID) async throws -> [OutboxMessage] {
        try await self.withDatabase { db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY created_at, recipient"
            ).all().map(Self.decodeOutbox)
        }
    }

    public func updateOutbox(_ m: OutboxMessage, expected: OutboxMessage.State, timeline: TimelineEntry?) async throws -> Bool {
        try await self.withTransaction { db in
            let updated = try await db.raw(
                """
                UPDATE outbox SET state = \(bind: m.state.rawValue), attempts = \(bind: m.attempts), next_attempt_at = \(bind: Millis(m.nextAttemptAt)),
                    last_error = \(bind: m.lastError), sent_at = \(bind: m.sentAt.map(Millis.init))
                WHERE id = \(bind: m.id.uuidString) AND state = \(bind: expected.rawValue)
                RETURNING id
                """
            ).all()
            guard !updated.isEmpty else { return false }
            if let timeline { try await Self.appendTimeline([timeline], db: db) }
            return true
        }
    }

    static func decodeOutbox(_ row: any SQLRow) throws -> OutboxMessage {
        let stateText = try row.decode(column: "state", as: String.self)
        guard let state = OutboxMessage.State(rawValue: stateText) else { throw StoreError.corrupt("outbox state '\(stateText)'") }
        return OutboxMessage(
            id: try Self.uuid(row, "id"), incidentID: try Self.uuid(row, "incident_id"), organisationID: try Self.uuid(row, "organisation_id"),
            contactID: try Self.uuid(row, "contact_id"), recipient: try row.decode(column: "recipient", as: String.self),
            language: try row.decode(column: "language", as: String.self), subject: try row.decode(column: "subject", as: String.self),
            body: try row.decode(column: "body", as: String.self), attachmentName: try row.decode(column: "attachment_name", as: String.self),
            attachment: try row.decode(column: "attachment", as: String.self), createdAt: try Millis.date(row, "created_at"), state: state,
            attempts: try row.decode(column: "attempts", as: Int.self), nextAttemptAt: try Millis.date(row, "next_attempt_at"),
            lastError: try row.decode(column: "last_error", as: String?.self), sentAt: try Millis.optionalDate(row, "sent_at"))
    }
}

extension SQLStore {
    private static let peerColumns =
        "id, name, country, contact, tlp_ceiling, taxii_url, taxii_collection, taxii_username, taxii_secret, created_at"

    public func insertPeer(_ peer: Peer) async throws {
        do {
            try await self.withDatabase { db in
                try await db.raw(
                    """
                    INSERT INTO peers (\(unsafeRaw: Self.peerColumns), name_key)
                    VALUES (\(bind: peer.id.uuidString), \(bind: peer.name), \(bind: peer.country), \(bind: peer.contact), \(bind: peer.tlpCeiling.rawValue),
                        \(bind: peer.taxiiURL), \(bind: peer.taxiiCollection), \(bind: peer.taxiiUsername), \(bind: peer.taxiiSecret),
                        \(bind: Millis(peer.createdAt)), \(bind: peer.name.lowercased()))
                    """
                ).run()
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "name", value: peer.name)
        }
    }

    public func updatePeer(_ peer: Peer) async throws {
        do {
            try await self.withDatabase { db in
                let updated = try await db.raw(
                    """
                    UPDATE peers SET name = \(bind: peer.name), name_key = \(bind: peer.name.lowercased()), country = \(bind: peer.country),
                        contact = \(bind: peer.contact), tlp_ceiling = \(bind: peer.tlpCeiling.rawValue), taxii_url = \(bind: peer.taxiiURL),
                        taxii_collection = \(bind: peer.taxiiCollection), taxii_username = \(bind: peer.taxiiUsername), taxii_secret = \(bind: peer.taxiiSecret)
                    WHERE id = \(bind: peer.id.uuidString) RETURNING id
                    """
                ).all()
                guard !updated.isEmpty else { throw StoreError.notFound("peer \(peer.id)") }
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "name", value: peer.name)
        }
    }

    public func peer(id: UUID) async throws -> Peer? {
        try await self.withDatabase { db in
            try await db.raw("SELECT \(unsafeRaw: Self.peerColumns) FROM peers WHERE id = \(bind: id.uuidString)").first().map(Self.decodePeer)
        }
    }

    public func peers() async throws -> [Peer] {
        try await self.withDatabase { db in
            try await db.raw("SELECT \(unsafeRaw: Self.peerColumns) FROM peers ORDER BY name_key").all().map(Self.decodePeer)
        }
    }

    public func insertShare(_ share: Share, timeline: TimelineEntry) async throws {
        try await self.withTransaction { db in
            try await db.raw(
                """
                INSERT INTO shares (id, incident_id, peer_id, tlp, summary, content, actor, at)
                VALUES (\(bind: share.id.uuidString), \(bind: share.incidentID.uuidString), \(bind: share.peerID.uuidString), \(bind: share.tlp.rawValue),
                    \(bind: share.summary), \(bind: share.content), \(bind: share.actor), \(bind: Millis(share.at)))
                """
            ).run()
            try await Self.appendTimeline([timeline], db: db)
        }
    }

    public func shares(incidentID: UUID) async throws -> [Share] {
        try await self.withDatabase { db in
            try await db.raw(
                "SELECT id, incident_id, peer_id, tlp, summary, content, actor, at FROM shares WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY at"
            ).all().map { row in
                let tlpText = try row.decode(column: "tlp", as: String.self)
                guard let tlp = TLP(label: tlpText) else { throw StoreError.corrupt("share tlp '\(tlpText)'") }
                return Share(
                    id: try Self.uuid(row, "id"), incidentID: try Self.uuid(row, "incident_id"), peerID: try Self.uuid(row, "peer_id"), tlp: tlp,
                    summary: try row.decode(column: "summary", as: String.self), content: try row.decode(column: "content", as: String.self),
                    actor: try row.decode(column: "actor", as: String.self),
                    at: try Millis.date(row, "at"))
            }
        }
    }

    static func decodePeer(_ row: any SQLRow) throws -> Peer {
        let tlpText = try row.decode(column: "tlp_ceiling", as: String.self)
        guard let tlp = TLP(label: tlpText) else { throw StoreError.corrupt("peer tlp '\(tlpText)'") }
        return Peer(
            id: try Self.uuid(row, "id"), name: try row.decode(column: "name", as: String.self), country: try row.decode(column: "country", as: String.self),
            contact: try row.decode(column: "contact", as: String.self), tlpCeiling: tlp, taxiiURL: try row.decode(column: "taxii_url", as: String?.self),
            taxiiCollection: try row.decode(column: "taxii_collection", as: String?.self),
            taxiiUsername: try row.decode(column: "taxii_username", as: String?.self), taxiiSecret: try row.decode(column: "taxii_secret", as: String?.self),
            createdAt: try Millis.date(row, "created_at"))
    }
}

extension SQLStore {
    public func moveEvents(_ eventIDs: [Int64]?, from: UUID, to: UUID, timeline: [TimelineEntry]) async throws -> Int {
        try await self.withTransaction { db in
            let found = try await db.raw(
                "SELECT id FROM incidents WHERE id IN (\(bind: from.uuidString), \(bind: to.uuidString))"
            ).all()
            guard found.count == 2 else { throw StoreError.notFound("incident") }
            var moved = 0
            if let eventIDs {
                for chunk in Array(Set(eventIDs)).sorted().chunked(500) {
                    moved += try await db.raw(
                        """
                        UPDATE incident_events SET incident_id = \(bind: to.uuidString)
                        WHERE incident_id = \(bind: from.uuidString) AND event_id IN (\(SQLList(chunk.map { SQLBind($0) })))
                        RETURNING event_id
                        """
                    ).all().count
                }
            } else {
                moved = try await db.raw(
                    "UPDATE incident_events SET incident_id = \(bind: to.uuidString) WHERE incident_id = \(bind: from.uuidString) RETURNING event_id"
                ).all().count
            }
            try await db.raw("UPDATE incidents SET event_count = event_count - \(bind: moved) WHERE id = \(bind: from.uuidString)").run()
            try await db.raw("UPDATE incidents SET event_count = event_count + \(bind: moved) WHERE id = \(bind: to.uuidString)").run()
            try await Self.appendTimeline(timeline, db: db)
            return moved
        }
    }
}

extension SQLStore {
    public func openIncidents(groupKeys: [String]) async throws -> [String: Incident] {
        var found: [String: Incident] = [:]
        for chunk in Array(Set(groupKeys)).sorted().chunked(500) {
            let rows = try await self.withDatabase { db in
                try await db.raw(
                    """
                    SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents
                    WHERE group_key IN (\(SQLList(chunk.map { SQLBind($0) }))) AND status NOT IN ('resolved', 'closed') ORDER BY number
                    """
                ).all().map(Self.decodeIncident)
            }
            for incident in rows { if let key = incident.groupKey, found[key] == nil { found[key] = incident } }
        }
        return found
    }

    public func applyGrouping(newIncidents: [Incident], links: [UUID: [Int64]], timeline: [TimelineEntry]) async throws -> [UUID: Int] {
        try await self.withTransaction { db in
            var next = try await db.raw("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM incidents").first()?.decode(column: "n", as: Int.self) ?? 1
            for incident in newIncidents {
                try await db.raw(
                    """
                    INSERT INTO incidents (\(unsafeRaw: Self.incidentColumnList))
                    VALUES (\(bind: incident.id.uuidString), \(bind: next), \(bind: incident.title), \(bind: incident.taxonomy), \(bind: incident.type),
                        \(bind: incident.severity.rawValue), \(bind: incident.tlp.rawValue), \(bind: incident.pap.rawValue),
                        \(bind: Self.idList(incident.organisations)), \(bind: incident.assignee), \(bind: incident.status.rawValue),
                        \(bind: Millis(incident.createdAt)), \(bind: Millis(incident.updatedAt)), \(bind: Millis(incident.triageDue)),
                        \(bind: Millis(incident.resolveDue)), NULL, NULL, NULL, \(bind: incident.groupKey), 0)
                    """
                ).run()
                next += 1
            }
            try await Self.appendTimeline(timeline, db: db)
            var added: [UUID: Int] = [:]
            for (id, events) in links.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
                var count = 0
                for chunk in Array(Set(events)).sorted().chunked(500) {
                    let rows = chunk.map { SQLGroupExpression(SQLList([SQLBind($0), SQLBind(id.uuidString)])) as any SQLExpression }
                    count += try await db.raw(
                        "INSERT INTO incident_events (event_id, incident_id) VALUES \(SQLList(rows)) ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
                    ).all().count
                }
                if count > 0 {
                    try await db.raw("UPDATE incidents SET event_count = event_count + \(bind: count) WHERE id = \(bind: id.uuidString)").run()
                }
                added[id] = count
            }
            return added
        }
    }
}

extension SQLStore {
    public func linkIncidents(_ a: UUID, _ b: UUID, timeline: [TimelineEntry]) async throws -> Bool {
        let pair = [a.uuidString, b.uuidString].sorted()
        do {
            return try await self.withTransaction { db in
                let added = try await db.raw(
                    "INSERT INTO incident_links (a, b) VALUES (\(bind: pair[0]), \(bind: pair[1])) ON CONFLICT (a, b) DO NOTHING RETURNING a"
                ).all()
                guard !added.isEmpty else { return false }
                try await Self.appendTimeline(timeline, db: db)
                return true
            }
        } catch where Self.isForeignKeyViolation(error) {
            throw StoreError.notFound("incident")
        }
    }

    public func linkedIncidents(_ id: UUID) async throws -> [Incident] {
        try await self.withDatabase { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents WHERE id IN (
                    SELECT b FROM incident_links WHERE a = \(bind: id.uuidString) UNION SELECT a FROM incident_links WHERE b = \(bind: id.uuidString))
                ORDER BY number
                """
            ).all().map(Self.decodeIncident)
        }
    }
}
