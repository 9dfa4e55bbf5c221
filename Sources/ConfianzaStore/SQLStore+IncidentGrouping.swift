import ConfianzaCore
import Foundation
import SQLKit

/// Moving events between incidents, grouping a run's events, and related incidents.
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
            let rows = try await self.withReading { db in
                let rows = try await db.raw(
                    """
                    SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents
                    WHERE group_key IN (\(SQLList(chunk.map { SQLBind($0) }))) AND status NOT IN ('resolved', 'closed') ORDER BY number
                    """
                ).all()
                return try await Self.incidents(rows, db: db)
            }
            for incident in rows { if let key = incident.groupKey, found[key] == nil { found[key] = incident } }
        }
        return found
    }

    /// The advisory lock under which incidents are opened by grouping on PostgreSQL: several ingest
    /// processes group at once, and each must see the incidents the others opened and number its own after them.
    static let groupingLock: Int64 = 0x436F_6E66_0000_0001

    public func applyGrouping(newIncidents given: [Incident], links givenLinks: [UUID: [Int64]], timeline given_: [TimelineEntry]) async throws -> [UUID: Int] {
        try await self.withTransaction { db in
            if !self.isSQLite { try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.groupingLock))").run() }
            var newIncidents = given
            var links = givenLinks
            var timeline = given_
            // Another process may have opened an incident for one of these groups since they were looked
            // up: its events join that one instead of opening a second.
            let keys = given.compactMap(\.groupKey)
            if !keys.isEmpty {
                var open: [String: UUID] = [:]
                for chunk in Array(Set(keys)).sorted().chunked(500) {
                    let rows = try await db.raw(
                        """
                        SELECT id, group_key FROM incidents
                        WHERE group_key IN (\(SQLList(chunk.map { SQLBind($0) }))) AND status NOT IN ('resolved', 'closed') ORDER BY number
                        """
                    ).all()
                    for row in rows {
                        let key = try row.decode(column: "group_key", as: String.self)
                        if open[key] == nil { open[key] = try Self.uuid(row, "id") }
                    }
                }
                for incident in given {
                    guard let key = incident.groupKey, let existing = open[key] else { continue }
                    let events = links.removeValue(forKey: incident.id) ?? []
                    links[existing, default: []] += events
                    newIncidents.removeAll { $0.id == incident.id }
                    let created = timeline.first { $0.incidentID == incident.id }
                    timeline.removeAll { $0.incidentID == incident.id }
                    timeline.append(
                        TimelineEntry(
                            incidentID: existing, at: created?.at ?? incident.createdAt, actor: created?.actor ?? "system", kind: .events,
                            detail: "events joined by the grouping rule: \(events.count)",
                            phrase: Phrase("timeline.grouped", ["count": String(events.count)])))
                }
            }
            var next = try await db.raw("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM incidents").first()?.decode(column: "n", as: Int.self) ?? 1
            for incident in newIncidents {
                try await db.raw(
                    """
                    INSERT INTO incidents (\(unsafeRaw: Self.incidentColumnList))
                    VALUES (\(bind: incident.id.uuidString), \(bind: next), \(bind: incident.title), \(bind: incident.taxonomy), \(bind: incident.type),
                        \(bind: incident.severity.rawValue), \(bind: incident.tlp.rawValue), \(bind: incident.pap.rawValue),
                        \(bind: incident.assignee), \(bind: incident.status.rawValue),
                        \(bind: Millis(incident.createdAt)), \(bind: Millis(incident.updatedAt)), \(bind: Millis(incident.triageDue)),
                        \(bind: Millis(incident.resolveDue)), NULL, NULL, NULL, \(bind: incident.groupKey), 0)
                    """
                ).run()
                try await Self.writeOrganisations(of: incident, db: db)
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
        try await self.withReading { db in
            let rows = try await db.raw(
                """
                SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents WHERE id IN (
                    SELECT b FROM incident_links WHERE a = \(bind: id.uuidString) UNION SELECT a FROM incident_links WHERE b = \(bind: id.uuidString))
                ORDER BY number
                """
            ).all()
            return try await Self.incidents(rows, db: db)
        }
    }
}
