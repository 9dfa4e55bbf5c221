import ConfianzaCore
import Foundation
import SQLKit

extension SQLStore {
    static let incidentColumnList = """
        id, number, title, taxonomy, type, severity, tlp, pap, assignee, status, created_at, updated_at, triage_due, \
        resolve_due, triaged_at, resolved_at, closed_at, group_key, event_count
        """

    public func insertIncident(_ incident: Incident, events: [Int64], timeline: [TimelineEntry]) async throws -> Incident {
        // The number is the next free one; two writers racing for it on PostgreSQL meet the unique index, and the loser tries again.
        for attempt in 1...5 {
            do {
                return try await self.withTransaction { db in
                    if !self.isSQLite { try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.groupingLock))").run() }
                    let next = try await db.raw("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM incidents").first()?.decode(column: "n", as: Int.self) ?? 1
                    var stored = incident
                    stored.number = next
                    stored.eventCount = 0
                    try await db.raw(
                        """
                        INSERT INTO incidents (\(unsafeRaw: Self.incidentColumnList))
                        VALUES (\(bind: stored.id.uuidString), \(bind: next), \(bind: stored.title), \(bind: stored.taxonomy), \(bind: stored.type),
                            \(bind: stored.severity.rawValue), \(bind: stored.tlp.rawValue), \(bind: stored.pap.rawValue),
                            \(bind: stored.assignee), \(bind: stored.status.rawValue),
                            \(bind: Millis(stored.createdAt)), \(bind: Millis(stored.updatedAt)), \(bind: Millis(stored.triageDue)),
                            \(bind: Millis(stored.resolveDue)), \(bind: stored.triagedAt.map(Millis.init)), \(bind: stored.resolvedAt.map(Millis.init)),
                            \(bind: stored.closedAt.map(Millis.init)), \(bind: stored.groupKey), 0)
                        """
                    ).run()
                    try await Self.writeOrganisations(of: stored, db: db)
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

    /// Replaces an incident's organisations, keeping their order.
    static func writeOrganisations(of incident: Incident, replacing: Bool = false, db: any SQLDatabase) async throws {
        if replacing { try await db.raw("DELETE FROM incident_organisations WHERE incident_id = \(bind: incident.id.uuidString)").run() }
        var seen = Set<UUID>()
        let rows = incident.organisations.filter { seen.insert($0).inserted }.enumerated().map { position, organisation in
            SQLGroupExpression(SQLList([SQLBind(incident.id.uuidString), SQLBind(organisation.uuidString), SQLBind(position)])) as any SQLExpression
        }
        guard !rows.isEmpty else { return }
        try await db.raw("INSERT INTO incident_organisations (incident_id, organisation_id, position) VALUES \(SQLList(rows))").run()
    }

    /// Incidents from rows of ``incidentColumnList``, with their organisations (one more query for all).
    static func incidents(_ rows: [any SQLRow], db: any SQLDatabase) async throws -> [Incident] {
        var incidents = try rows.map(Self.decodeIncident)
        guard !incidents.isEmpty else { return [] }
        var organisations: [UUID: [UUID]] = [:]
        for chunk in incidents.map(\.id.uuidString).chunked(500) {
            let found = try await db.raw(
                """
                SELECT incident_id, organisation_id FROM incident_organisations
                WHERE incident_id IN (\(SQLList(chunk.map { SQLBind($0) }))) ORDER BY incident_id, position
                """
            ).all()
            for row in found { organisations[try Self.uuid(row, "incident_id"), default: []].append(try Self.uuid(row, "organisation_id")) }
        }
        for index in incidents.indices { incidents[index].organisations = organisations[incidents[index].id] ?? [] }
        return incidents
    }

    static func appendTimeline(_ entries: [TimelineEntry], db: any SQLDatabase) async throws {
        for entry in entries {
            try await db.raw(
                """
                INSERT INTO incident_timeline (incident_id, at, actor, kind, detail, phrase_key, phrase_arguments)
                VALUES (\(bind: entry.incidentID.uuidString), \(bind: Millis(entry.at)), \(bind: entry.actor), \(bind: entry.kind.rawValue), \(bind: entry.detail),
                    \(bind: entry.phrase?.key), \(bind: entry.phrase?.argumentsJSON))
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
        try await self.withReading { db in
            try await Self.incidents(
                try await db.raw("SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents WHERE id = \(bind: id.uuidString)").all(), db: db
            ).first
        }
    }

    public func incident(number: Int) async throws -> Incident? {
        try await self.withReading { db in
            try await Self.incidents(
                try await db.raw("SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents WHERE number = \(bind: number)").all(), db: db
            ).first
        }
    }

    public func incidents(matching query: IncidentQuery) async throws -> [Incident] {
        var conditions: [SQLQueryString] = []
        if let statuses = query.statuses {
            conditions.append(statuses.isEmpty ? "1 = 0" : "status IN (\(SQLList(statuses.map { SQLBind($0.rawValue) })))")
        }
        if let severity = query.severity { conditions.append("severity = \(bind: severity.rawValue)") }
        if let assignee = query.assignee { conditions.append("assignee = \(bind: assignee)") }
        if let organisation = query.organisation {
            conditions.append(
                "id IN (SELECT incident_id FROM incident_organisations WHERE organisation_id = \(bind: organisation.uuidString))")
        }
        if let type = query.type { conditions.append("type = \(bind: type)") }
        // Only open incidents: said in the order's own terms too, so the database reads the queue's index
        // from its start instead of sorting every open incident.
        if query.order == .newest, let statuses = query.statuses, !statuses.isEmpty, statuses.allSatisfy({ $0 != .resolved && $0 != .closed }) {
            conditions.append("\(unsafeRaw: SQLStoreOrders.newestKey) = 0")
        }
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents"
        for (index, condition) in conditions.enumerated() { sql = sql + (index == 0 ? " WHERE " : " AND ") + condition }
        switch query.order {
        // The same expressions as the indexes of migration 20, so the database reads the queue in index order.
        case .newest: sql = sql + " ORDER BY \(unsafeRaw: SQLStoreOrders.newestKey), created_at DESC, number DESC"
        case .due: sql = sql + " ORDER BY \(unsafeRaw: SQLStoreOrders.dueKey), number"
        }
        sql = sql + " LIMIT \(bind: max(0, min(query.limit, 10_000))) OFFSET \(bind: max(0, query.offset))"
        let finalSQL = sql
        return try await self.withDatabase { db in try await Self.incidents(try await db.raw(finalSQL).all(), db: db) }
    }

    public func updateIncident(_ incident: Incident, timeline: [TimelineEntry]) async throws {
        try await self.withTransaction { db in
            let updated = try await db.raw(
                """
                UPDATE incidents SET title = \(bind: incident.title), taxonomy = \(bind: incident.taxonomy), type = \(bind: incident.type),
                    severity = \(bind: incident.severity.rawValue), tlp = \(bind: incident.tlp.rawValue), pap = \(bind: incident.pap.rawValue),
                    assignee = \(bind: incident.assignee),
                    status = \(bind: incident.status.rawValue), updated_at = \(bind: Millis(incident.updatedAt)),
                    triage_due = \(bind: Millis(incident.triageDue)), resolve_due = \(bind: Millis(incident.resolveDue)),
                    triaged_at = \(bind: incident.triagedAt.map(Millis.init)), resolved_at = \(bind: incident.resolvedAt.map(Millis.init)),
                    closed_at = \(bind: incident.closedAt.map(Millis.init)), group_key = \(bind: incident.groupKey)
                WHERE id = \(bind: incident.id.uuidString)
                RETURNING id
                """
            ).all()
            guard !updated.isEmpty else { throw StoreError.notFound("incident \(incident.id)") }
            try await Self.writeOrganisations(of: incident, replacing: true, db: db)
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
        // The incident's event ids first (by their index), then those events by id: a join through
        // SQLite's view over every day's table would read them all.
        try await self.withReading { db in
            // An incident of a hundred thousand events shows those last stored (the largest ids), newest first.
            let ids = try await db.raw(
                """
                SELECT event_id FROM incident_events WHERE incident_id = \(bind: incidentID.uuidString)
                ORDER BY event_id DESC LIMIT \(bind: max(0, limit) * 10)
                """
            ).all().map { try $0.decode(column: "event_id", as: Int64.self) }
            var events: [StoredEvent] = []
            for chunk in ids.chunked(500) {
                events += try await db.raw(
                    "SELECT \(unsafeRaw: Self.eventColumnList) FROM events WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))"
                ).all().map(Self.decodeEvent)
            }
            return Array(events.sorted { (Millis($0.lastSeen).value, $0.id) > (Millis($1.lastSeen).value, $1.id) }.prefix(max(0, limit)))
        }
    }

    public func timeline(incidentID: UUID) async throws -> [TimelineEntry] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT seq, incident_id, at, actor, kind, detail, phrase_key, phrase_arguments FROM incident_timeline
                WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY seq
                """
            ).all().map { row in
                let kindText = try row.decode(column: "kind", as: String.self)
                guard let kind = TimelineEntry.Kind(rawValue: kindText) else { throw StoreError.corrupt("timeline kind '\(kindText)'") }
                return TimelineEntry(
                    sequence: try row.decode(column: "seq", as: Int64.self), incidentID: try Self.uuid(row, "incident_id"),
                    at: try Millis.date(row, "at"), actor: try row.decode(column: "actor", as: String.self), kind: kind,
                    detail: try row.decode(column: "detail", as: String.self),
                    phrase: Phrase(
                        key: try row.decode(column: "phrase_key", as: String?.self), argumentsJSON: try row.decode(column: "phrase_arguments", as: String?.self)))
            }
        }
    }

    public func tasks(incidentID: UUID) async throws -> [IncidentTask] {
        try await self.withReading { db in
            try await db.raw(
                "SELECT id, incident_id, title, assignee, done, created_at FROM incident_tasks WHERE incident_id = \(bind: incidentID.uuidString) ORDER BY created_at, title"
            ).all().map(Self.decodeTask)
        }
    }

    public func task(id: UUID) async throws -> IncidentTask? {
        try await self.withReading { db in
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
        try await self.withReading { db in
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
