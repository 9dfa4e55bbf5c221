import ConfianzaCore
import Foundation
import Logging
import SQLKit
import Synchronization

extension SQLStore: RetentionStore {
    /// Rows per slice: each slice is one short transaction, so ingests and pages go on meanwhile.
    static let retentionSlice = 5000

    public func applyRetention(eventsBefore: Date?, quarantineBefore: Date?, mailBefore: Date?, dryRun: Bool) async throws -> RetentionCounts {
        var counts = RetentionCounts()
        // Events an incident or an indicator sighting holds are its evidence: they stay.
        let held = """
            (EXISTS (SELECT 1 FROM incident_events ie WHERE ie.event_id = e.id)
                OR EXISTS (SELECT 1 FROM indicator_sightings s WHERE s.event_id = e.id))
            """
        if let before = eventsBefore {
            let cutoff = Millis(before)
            // Row by row, what a release before days stored and the evidence kept from days gone.
            for table in ["events_legacy", "events_kept"] {
                counts.eventsKept += try await self.count(
                    "SELECT COUNT(*) AS n FROM \(ident: table) e WHERE e.last_seen < \(bind: cutoff) AND \(unsafeRaw: held)")
                if dryRun {
                    counts.events += try await self.count(
                        "SELECT COUNT(*) AS n FROM \(ident: table) e WHERE e.last_seen < \(bind: cutoff) AND NOT \(unsafeRaw: held)")
                } else {
                    counts.events += try await self.sliced(
                        """
                        DELETE FROM \(ident: table) WHERE id IN (
                            SELECT e.id FROM \(ident: table) e WHERE e.last_seen < \(bind: cutoff) AND NOT \(unsafeRaw: held)
                            LIMIT \(bind: Self.retentionSlice))
                        RETURNING id
                        """)
                }
            }
            // Then whole days: a day's table goes when the newest sighting in it is older than the
            // cutoff, its evidence moved to events_kept (counted once: after that table was read).
            for (day, name, keptRows) in try await self.eventDays() {
                guard let whole = try await self.retireDay(day, name: name, keptRows: keptRows, cutoff: cutoff, held: held, dryRun: dryRun)
                else { continue }
                counts.events += whole.gone
                counts.eventsKept += whole.kept
            }
        }
        if let before = quarantineBefore {
            let cutoff = Millis(before)
            if dryRun {
                counts.quarantine = try await self.count(
                    "SELECT COUNT(*) AS n FROM quarantine q JOIN ingest_runs r ON r.id = q.run_id WHERE r.started_at < \(bind: cutoff)")
            } else {
                counts.quarantine = try await self.sliced(
                    """
                    DELETE FROM quarantine WHERE id IN (
                        SELECT q.id FROM quarantine q JOIN ingest_runs r ON r.id = q.run_id WHERE r.started_at < \(bind: cutoff)
                        LIMIT \(bind: Self.retentionSlice))
                    RETURNING id
                    """)
            }
        }
        if let before = mailBefore {
            let cutoff = Millis(before)
            let sent = "state = 'sent' AND sent_at < \(cutoff.value) AND (body <> '' OR attachment <> '')"
            if dryRun {
                counts.mailBodies = try await self.count("SELECT COUNT(*) AS n FROM outbox WHERE \(unsafeRaw: sent)")
            } else {
                counts.mailBodies = try await self.sliced(
                    """
                    UPDATE outbox SET body = '', attachment = ''
                    WHERE id IN (SELECT id FROM outbox WHERE \(unsafeRaw: sent) LIMIT \(bind: Self.retentionSlice))
                    RETURNING id
                    """)
            }
        }
        return counts
    }

    /// Every day table, oldest first.
    func eventDays() async throws -> [(Int64, String, Int64?)] {
        try await self.withReading { db in
            try await db.raw("SELECT day, name, kept_rows FROM event_partitions ORDER BY day").all().map { row in
                (try row.decode(column: "day", as: Int64.self), try row.decode(column: "name", as: String.self),
                 try row.decode(column: "kept_rows", as: Int64?.self))
            }
        }
    }

    /// One day's table, if the newest sighting in it is older than `cutoff`: how many of its events go
    /// and how many stay as evidence; `nil` when the day stays. A day that is mostly others' events goes
    /// whole, its evidence moved to `events_kept`; a day that is mostly evidence (every event of the
    /// constituency joins an incident) keeps its table, the rest taken away row by row, and is marked so
    /// (`kept_rows`), so that later runs only count it, unless late events arrived in it since.
    private func retireDay(
        _ day: Int64, name: String, keptRows: Int64?, cutoff: Millis, held: String, dryRun: Bool
    ) async throws -> (gone: Int, kept: Int)? {
        let columns = EventPartitioning.columns
        if let keptRows {
            let rows = try await self.count("SELECT COUNT(*) AS n FROM \(ident: name)")
            if rows == keptRows { return (0, rows) }
        }
        func tally(_ db: any SQLDatabase) async throws -> (gone: Int, kept: Int)? {
            let row = try await db.raw(
                """
                SELECT MAX(last_seen) AS latest, COUNT(*) AS total,
                    (SELECT COUNT(*) FROM \(ident: name) e WHERE \(unsafeRaw: held)) AS kept
                FROM \(ident: name)
                """
            ).first()
            if let latest = try row?.decode(column: "latest", as: Int64?.self), latest >= cutoff.value { return nil }
            let total = try row?.decode(column: "total", as: Int.self) ?? 0
            let kept = try row?.decode(column: "kept", as: Int.self) ?? 0
            return (total - kept, kept)
        }
        if dryRun { return try await self.withReading { db in try await tally(db) } }
        guard let first = try await self.withReading({ db in try await tally(db) }) else { return nil }
        if first.kept > first.gone {
            let gone = try await self.sliced(
                """
                DELETE FROM \(ident: name) WHERE id IN (
                    SELECT e.id FROM \(ident: name) e WHERE e.last_seen < \(bind: cutoff) AND NOT \(unsafeRaw: held)
                    LIMIT \(bind: Self.retentionSlice))
                RETURNING id
                """)
            let rows = try await self.count("SELECT COUNT(*) AS n FROM \(ident: name)")
            try await self.withTransaction { db in
                try await db.raw("UPDATE event_partitions SET kept_rows = \(bind: rows) WHERE day = \(bind: day)").run()
            }
            self.logger.info("retention: day table kept for its evidence", metadata: ["table": "\(name)", "evidence": "\(rows)"])
            return (gone, rows)
        }
        let result = try await self.againOnConflict {
            try await self.withTransaction { db -> (gone: Int, kept: Int)? in
                if self.isSQLite {
                    guard let counts = try await tally(db) else { return nil }
                    try await db.raw(
                        "INSERT INTO events_kept (\(unsafeRaw: columns)) SELECT \(unsafeRaw: columns) FROM \(ident: name) e WHERE \(unsafeRaw: held)"
                    ).run()
                    try await db.raw("DELETE FROM event_partitions WHERE day = \(bind: day)").run()
                    try await self.rebuildSQLiteEventsView(db)
                    try await db.raw("DROP TABLE \(ident: name)").run()
                    return counts
                }
                // Batches under way finish first; none starts until the day is gone.
                try await db.raw("LOCK TABLE events IN ACCESS EXCLUSIVE MODE").run()
                guard let counts = try await tally(db) else { return nil }
                try await db.raw(
                    "CREATE TEMP TABLE retention_held ON COMMIT DROP AS SELECT \(unsafeRaw: columns) FROM \(ident: name) e WHERE \(unsafeRaw: held)"
                ).run()
                try await db.raw("DROP TABLE \(ident: name)").run()
                try await db.raw("DELETE FROM event_partitions WHERE day = \(bind: day)").run()
                // No partition holds that day now: the rows go to the default one, events_kept.
                try await db.raw("INSERT INTO events (\(unsafeRaw: columns)) SELECT \(unsafeRaw: columns) FROM retention_held").run()
                return counts
            }
        }
        if result != nil {
            _ = self.eventLayout.withLock { $0.postgresDays.remove(day) }
            self.logger.info("retention: day table dropped", metadata: ["table": "\(name)"])
        }
        return result
    }

    private func count(_ query: SQLQueryString) async throws -> Int {
        try await self.withReading { db in
            try await db.raw(query).first().map { try $0.decode(column: "n", as: Int.self) } ?? 0
        }
    }

    /// Runs a statement that takes one slice and returns a row per row taken, until a slice is empty.
    private func sliced(_ query: SQLQueryString) async throws -> Int {
        var total = 0
        while true {
            let taken = try await self.withTransaction { db in try await db.raw(query).all().count }
            total += taken
            if taken < Self.retentionSlice { return total }
        }
    }

    public func recordRetentionRun(_ run: RetentionRun) async throws {
        try await self.withDatabase { db in
            try await db.raw(
                """
                INSERT INTO retention_runs (id, at, dry_run, policy, events, events_kept, quarantine, mail_bodies, seconds, actor)
                VALUES (\(bind: run.id.uuidString), \(bind: Millis(run.at)), \(bind: run.dryRun), \(bind: run.policy), \(bind: run.counts.events),
                    \(bind: run.counts.eventsKept), \(bind: run.counts.quarantine), \(bind: run.counts.mailBodies), \(bind: run.seconds),
                    \(bind: run.actor))
                """
            ).run()
        }
    }

    public func retentionRuns(limit: Int) async throws -> [RetentionRun] {
        try await self.withReading { db in
            try await db.raw("SELECT * FROM retention_runs ORDER BY at DESC LIMIT \(bind: max(0, limit))").all().map { row in
                RetentionRun(
                    id: try Self.uuid(row, "id"), at: try Millis.date(row, "at"), dryRun: try row.decode(column: "dry_run", as: Bool.self),
                    policy: try row.decode(column: "policy", as: String.self),
                    counts: RetentionCounts(
                        events: try row.decode(column: "events", as: Int.self), quarantine: try row.decode(column: "quarantine", as: Int.self),
                        mailBodies: try row.decode(column: "mail_bodies", as: Int.self), eventsKept: try row.decode(column: "events_kept", as: Int.self)),
                    seconds: try row.decode(column: "seconds", as: Double.self), actor: try row.decode(column: "actor", as: String?.self))
            }
        }
    }
}
