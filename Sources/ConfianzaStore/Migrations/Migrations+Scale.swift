extension Migrations {
    /// Indexes for a national-size queue and dashboard (issue 19): the incident queue's two orders are
    /// expressions (open incidents first, newest first; or by the due date that applies), so each gets an
    /// index on exactly that expression, and the dashboard's percentiles walk an index on the duration
    /// instead of sorting every incident. Released: never edit, add a new step.
    static let scale = Migration(
        version: 20, name: "scale: indexes for the incident queue's orders and the dashboard's durations",
        common: [
            "CREATE INDEX incidents_queue_newest ON incidents ((\(SQLStoreOrders.newestKey)), created_at DESC, number DESC)",
            "CREATE INDEX incidents_queue_due ON incidents ((\(SQLStoreOrders.dueKey)), number)",
            "CREATE INDEX incidents_acknowledged ON incidents ((triaged_at - created_at)) WHERE triaged_at IS NOT NULL",
            "CREATE INDEX incidents_resolved ON incidents ((resolved_at - created_at)) WHERE resolved_at IS NOT NULL",
        ])

    /// The queue's overdue count and the breaches, each a range of an index (issue 19).
    static let incidentCountIndexes = Migration(
        version: 21, name: "scale: indexes for the overdue count and the breaches",
        common: [
            "CREATE INDEX incidents_triage_due ON incidents (status, triage_due)",
            "CREATE INDEX incidents_resolve_due ON incidents (status, resolve_due)",
            "CREATE INDEX incidents_triaged_late ON incidents (triaged_at) WHERE triaged_at > triage_due",
            "CREATE INDEX incidents_resolved_late ON incidents (resolved_at) WHERE resolved_at > resolve_due",
        ])
}

/// The incident queue's order expressions, written once: the index and the query must say them the same way.
enum SQLStoreOrders {
    static let newestKey = "CASE WHEN status IN ('resolved', 'closed') THEN 1 ELSE 0 END"
    static let dueKey = "CASE WHEN status = 'new' THEN triage_due ELSE resolve_due END"
}

extension Migrations {
    /// The dashboard's counts by type, by month and by sector, kept by the database as incidents,
    /// their organisations and the organisations' sectors change (issue 19): a national dashboard
    /// read them from every incident (and every incident's organisations) on each view, a third of a
    /// second at 100,000 incidents. Triggers keep them whichever path writes (the app, an import, a
    /// second process), so they are exact without anyone remembering to; `incident_sector_links`
    /// holds, per incident and sector, how many of its organisations are in that sector (`*`: in any),
    /// so that an incident counts once per sector however many of its organisations share it.
    /// On PostgreSQL every change to the counts takes one transaction-scoped advisory lock first, so
    /// two transactions never take the count rows in opposite orders (a deadlock). And the queue
    /// filtered by one type gets an index in the queue's order.
    static let incidentTallies = Migration(
        version: 22, name: "scale: the dashboard's counts by type, month and sector kept by triggers; the type filter's index",
        sqliteFirst: IncidentTallySQL.sqlite,
        postgresFirst: IncidentTallySQL.postgres,
        common: [
            "INSERT INTO incident_tallies (dimension, name, n) SELECT 'type', type, COUNT(*) FROM incidents GROUP BY type",
            """
            INSERT INTO incident_sector_links (incident_id, sector, links)
            SELECT io.incident_id, o.sector, COUNT(*) FROM incident_organisations io JOIN organisations o ON o.id = io.organisation_id
            GROUP BY io.incident_id, o.sector
            """,
            """
            INSERT INTO incident_sector_links (incident_id, sector, links)
            SELECT io.incident_id, '*', COUNT(*) FROM incident_organisations io JOIN organisations o ON o.id = io.organisation_id
            GROUP BY io.incident_id
            """,
            "INSERT INTO incident_tallies (dimension, name, n) SELECT 'sector', sector, COUNT(*) FROM incident_sector_links GROUP BY sector",
            // The queue filtered by type, in the queue's order: a walk of this index instead of a sort.
            "CREATE INDEX incidents_type_newest ON incidents (type, (\(SQLStoreOrders.newestKey)), created_at DESC, number DESC)",
        ],
        commonFirst: [
            "CREATE TABLE incident_tallies (dimension TEXT NOT NULL, name TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (dimension, name))",
            "CREATE TABLE incident_sector_links (incident_id TEXT NOT NULL, sector TEXT NOT NULL, links BIGINT NOT NULL, PRIMARY KEY (incident_id, sector))",
        ])
}

extension Migrations {
    /// Each day's latest sighting (`last_seen_max`, ms), so that the newest events are read from the few
    /// days that can hold them instead of from every day (issue 19). NULL: not known yet, so that day is
    /// always read; ``SQLStore/boundEventDays()`` works it out after migrating, and each batch raises it.
    static let eventDayBounds = Migration(
        version: 23, name: "scale: each day's latest sighting of an event",
        common: ["ALTER TABLE event_partitions ADD COLUMN last_seen_max BIGINT"])
}

extension Migrations {
    /// PostgreSQL reads an expression index without the table only when the columns of the expression
    /// are in the index too: the dashboard's two duration indexes carry them, so its percentiles are a
    /// walk of the index (8 ms at 100,000 incidents) instead of a scan and sort of the table (48 ms).
    /// SQLite reads its expression indexes alone already.
    static let durationIndexColumns = Migration(
        version: 24, name: "scale: the duration indexes carry their columns (PostgreSQL)", common: [],
        postgres: [
            "DROP INDEX incidents_acknowledged",
            "CREATE INDEX incidents_acknowledged ON incidents ((triaged_at - created_at)) INCLUDE (triaged_at, created_at) WHERE triaged_at IS NOT NULL",
            "DROP INDEX incidents_resolved",
            "CREATE INDEX incidents_resolved ON incidents ((resolved_at - created_at)) INCLUDE (resolved_at, created_at) WHERE resolved_at IS NOT NULL",
        ])
}

/// The statements of migration 22, one dialect each. Released with it: never edit, add a new step.
enum IncidentTallySQL {
    static func sqliteMonth(_ column: String) -> String { "strftime('%Y-%m', \(column) / 1000, 'unixepoch')" }
    static func postgresMonth(_ column: String) -> String { "to_char(to_timestamp(\(column) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')" }

    /// The sector of the organisation `id` names and `*`, or nothing when it is not (or no longer) known.
    static func sectorsOf(_ id: String) -> String {
        "SELECT o.sector AS sector FROM organisations o WHERE o.id = \(id) UNION ALL SELECT '*' FROM organisations o WHERE o.id = \(id)"
    }

    /// One link (incident, organisation) counted in: the sectors the incident had no organisation in
    /// yet gain one incident.
    static func linkAdded(incident: String, organisation: String) -> [String] {
        [
            """
            INSERT INTO incident_tallies (dimension, name, n)
            SELECT 'sector', s.sector, 1 FROM (\(sectorsOf(organisation))) s
            WHERE NOT EXISTS (SELECT 1 FROM incident_sector_links l WHERE l.incident_id = \(incident) AND l.sector = s.sector)
            ON CONFLICT (dimension, name) DO UPDATE SET n = incident_tallies.n + excluded.n
            """,
            """
            INSERT INTO incident_sector_links (incident_id, sector, links)
            SELECT \(incident), s.sector, 1 FROM (\(sectorsOf(organisation))) s WHERE true
            ON CONFLICT (incident_id, sector) DO UPDATE SET links = incident_sector_links.links + 1
            """,
        ]
    }

    /// One link counted out: the sectors where it was the incident's last organisation lose one incident.
    static func linkRemoved(incident: String, organisation: String) -> [String] {
        [
            """
            UPDATE incident_tallies SET n = n - 1 WHERE dimension = 'sector' AND name IN (
                SELECT l.sector FROM incident_sector_links l
                WHERE l.incident_id = \(incident) AND l.links = 1 AND l.sector IN (\(sectorsOf(organisation))))
            """,
            """
            UPDATE incident_sector_links SET links = links - 1
            WHERE incident_id = \(incident) AND sector IN (\(sectorsOf(organisation)))
            """,
            "DELETE FROM incident_sector_links WHERE incident_id = \(incident) AND links = 0",
        ]
    }

    /// Every link of organisation `id` counted in under `sector` (the organisation appeared, or moved there).
    static func organisationAttached(id: String, sector: String) -> [String] {
        let sectors = "SELECT \(sector) AS sector UNION ALL SELECT '*'"
        return [
            """
            INSERT INTO incident_tallies (dimension, name, n)
            SELECT 'sector', s.sector, COUNT(*) FROM incident_organisations io JOIN (\(sectors)) s ON true
            WHERE io.organisation_id = \(id)
                AND NOT EXISTS (SELECT 1 FROM incident_sector_links l WHERE l.incident_id = io.incident_id AND l.sector = s.sector)
            GROUP BY s.sector
            ON CONFLICT (dimension, name) DO UPDATE SET n = incident_tallies.n + excluded.n
            """,
            """
            INSERT INTO incident_sector_links (incident_id, sector, links)
            SELECT io.incident_id, s.sector, 1 FROM incident_organisations io JOIN (\(sectors)) s ON true
            WHERE io.organisation_id = \(id)
            ON CONFLICT (incident_id, sector) DO UPDATE SET links = incident_sector_links.links + 1
            """,
        ]
    }

    /// Every link of organisation `id` counted out of `sector` (the organisation went, or moved away).
    static func organisationDetached(id: String, sector: String) -> [String] {
        let incidents = "SELECT io.incident_id FROM incident_organisations io WHERE io.organisation_id = \(id)"
        return [
            """
            UPDATE incident_tallies SET n = n - (
                SELECT COUNT(*) FROM incident_sector_links l
                WHERE l.sector = incident_tallies.name AND l.links = 1 AND l.incident_id IN (\(incidents)))
            WHERE dimension = 'sector' AND name IN (\(sector), '*')
            """,
            "UPDATE incident_sector_links SET links = links - 1 WHERE sector IN (\(sector), '*') AND incident_id IN (\(incidents))",
            "DELETE FROM incident_sector_links WHERE links = 0 AND sector IN (\(sector), '*') AND incident_id IN (\(incidents))",
        ]
    }

    static func incidentAdded(month: (String) -> String) -> String {
        """
        INSERT INTO incident_tallies (dimension, name, n) VALUES ('type', NEW.type, 1), ('month', \(month("NEW.created_at")), 1)
        ON CONFLICT (dimension, name) DO UPDATE SET n = incident_tallies.n + 1
        """
    }

    static func incidentRemoved(month: (String) -> String) -> String {
        """
        UPDATE incident_tallies SET n = n - 1
        WHERE (dimension = 'type' AND name = OLD.type) OR (dimension = 'month' AND name = \(month("OLD.created_at")))
        """
    }

    private static func body(_ statements: [String]) -> String {
        statements.map { $0 + ";" }.joined(separator: "\n")
    }

    static func monthsCounted(_ month: (String) -> String) -> String {
        "INSERT INTO incident_tallies (dimension, name, n) SELECT 'month', \(month("created_at")), COUNT(*) FROM incidents GROUP BY \(month("created_at"))"
    }

    static let sqlite: [String] = [
        monthsCounted(sqliteMonth),
        "CREATE TRIGGER incidents_tally_insert AFTER INSERT ON incidents BEGIN \(body([incidentAdded(month: sqliteMonth)])) END",
        "CREATE TRIGGER incidents_tally_delete AFTER DELETE ON incidents BEGIN \(body([incidentRemoved(month: sqliteMonth)])) END",
        """
        CREATE TRIGGER incidents_tally_update AFTER UPDATE OF type, created_at ON incidents
        WHEN OLD.type <> NEW.type OR OLD.created_at <> NEW.created_at
        BEGIN \(body([incidentRemoved(month: sqliteMonth), incidentAdded(month: sqliteMonth)])) END
        """,
        """
        CREATE TRIGGER incident_organisations_tally_insert AFTER INSERT ON incident_organisations
        BEGIN \(body(linkAdded(incident: "NEW.incident_id", organisation: "NEW.organisation_id"))) END
        """,
        """
        CREATE TRIGGER incident_organisations_tally_delete AFTER DELETE ON incident_organisations
        BEGIN \(body(linkRemoved(incident: "OLD.incident_id", organisation: "OLD.organisation_id"))) END
        """,
        """
        CREATE TRIGGER incident_organisations_tally_update AFTER UPDATE OF incident_id, organisation_id ON incident_organisations
        WHEN OLD.incident_id <> NEW.incident_id OR OLD.organisation_id <> NEW.organisation_id
        BEGIN \(body(linkRemoved(incident: "OLD.incident_id", organisation: "OLD.organisation_id")
            + linkAdded(incident: "NEW.incident_id", organisation: "NEW.organisation_id"))) END
        """,
        """
        CREATE TRIGGER organisations_tally_insert AFTER INSERT ON organisations
        BEGIN \(body(organisationAttached(id: "NEW.id", sector: "NEW.sector"))) END
        """,
        """
        CREATE TRIGGER organisations_tally_delete AFTER DELETE ON organisations
        BEGIN \(body(organisationDetached(id: "OLD.id", sector: "OLD.sector"))) END
        """,
        """
        CREATE TRIGGER organisations_tally_update AFTER UPDATE OF id, sector ON organisations
        WHEN OLD.sector <> NEW.sector OR OLD.id <> NEW.id
        BEGIN \(body(organisationDetached(id: "OLD.id", sector: "OLD.sector") + organisationAttached(id: "NEW.id", sector: "NEW.sector"))) END
        """,
    ]

    /// The key of the advisory lock every change to the counts takes first (PostgreSQL).
    static let lockKey = "7438292"

    private static func function(_ name: String, _ body: String) -> String {
        """
        CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $confianza$
        BEGIN
            PERFORM pg_advisory_xact_lock(\(lockKey));
        \(body)
            RETURN NULL;
        END
        $confianza$
        """
    }

    static let postgres: [String] = [
        monthsCounted(postgresMonth),
        function(
            "confianza_incidents_tally",
            """
            IF TG_OP IN ('UPDATE', 'DELETE') THEN \(body([incidentRemoved(month: postgresMonth)])) END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN \(body([incidentAdded(month: postgresMonth)])) END IF;
            """),
        function(
            "confianza_incident_organisations_tally",
            """
            IF TG_OP IN ('UPDATE', 'DELETE') THEN \(body(linkRemoved(incident: "OLD.incident_id", organisation: "OLD.organisation_id"))) END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN \(body(linkAdded(incident: "NEW.incident_id", organisation: "NEW.organisation_id"))) END IF;
            """),
        function(
            "confianza_organisations_tally",
            """
            IF TG_OP IN ('UPDATE', 'DELETE') THEN \(body(organisationDetached(id: "OLD.id", sector: "OLD.sector"))) END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN \(body(organisationAttached(id: "NEW.id", sector: "NEW.sector"))) END IF;
            """),
        "CREATE TRIGGER incidents_tally AFTER INSERT OR DELETE ON incidents FOR EACH ROW EXECUTE FUNCTION confianza_incidents_tally()",
        """
        CREATE TRIGGER incidents_tally_update AFTER UPDATE OF type, created_at ON incidents FOR EACH ROW
        WHEN (OLD.type IS DISTINCT FROM NEW.type OR OLD.created_at IS DISTINCT FROM NEW.created_at)
        EXECUTE FUNCTION confianza_incidents_tally()
        """,
        """
        CREATE TRIGGER incident_organisations_tally AFTER INSERT OR DELETE ON incident_organisations FOR EACH ROW
        EXECUTE FUNCTION confianza_incident_organisations_tally()
        """,
        """
        CREATE TRIGGER incident_organisations_tally_update AFTER UPDATE OF incident_id, organisation_id ON incident_organisations FOR EACH ROW
        WHEN (OLD.incident_id IS DISTINCT FROM NEW.incident_id OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id)
        EXECUTE FUNCTION confianza_incident_organisations_tally()
        """,
        "CREATE TRIGGER organisations_tally AFTER INSERT OR DELETE ON organisations FOR EACH ROW EXECUTE FUNCTION confianza_organisations_tally()",
        """
        CREATE TRIGGER organisations_tally_update AFTER UPDATE OF id, sector ON organisations FOR EACH ROW
        WHEN (OLD.sector IS DISTINCT FROM NEW.sector OR OLD.id IS DISTINCT FROM NEW.id)
        EXECUTE FUNCTION confianza_organisations_tally()
        """,
    ]
}
