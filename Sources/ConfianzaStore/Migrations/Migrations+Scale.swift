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
