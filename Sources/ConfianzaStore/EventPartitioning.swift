import ConfianzaCore

/// How events are laid out by day. A day is a UTC day of an event's de-duplication window start
/// (`window_start`, in seconds): the same event in the same window always lands in the same day's
/// table, so each table's unique index is the last word on duplicates, and a day's table can go whole.
enum EventPartitioning {
    static let daySeconds: Int64 = 86_400

    /// Every column of an event row, in table order.
    static let columns =
        "id, dedup_key, window_start, run_id, feed, time_source, first_seen, last_seen, count, taxonomy, type, identifier, "
        + "source_ip, source_key, source_asn, severity, tlp, organisations, rule, data, raw"

    /// The day (days since 1970-01-01, UTC) of a window start.
    static func day(ofWindow window: Int64) -> Int64 {
        window >= 0 ? window / Self.daySeconds : (window - Self.daySeconds + 1) / Self.daySeconds
    }

    /// `events_dYYYYMMDD` for a day: readable in a listing of tables, sorted as the days are.
    static func tableName(day: Int64) -> String {
        let (year, month, dayOfMonth) = EventTime.civil(days: day)
        func padded(_ number: Int64, _ width: Int) -> String {
            let digits = String(number.magnitude)
            return (number < 0 ? "m" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "events_d" + padded(year, 4) + padded(month, 2) + padded(dayOfMonth, 2)
    }

    /// An SQLite table of events (ids are given by the store, unique across every table).
    static func sqliteTable(_ name: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(name) (
            id INTEGER PRIMARY KEY,
            dedup_key BLOB NOT NULL, window_start BIGINT NOT NULL, run_id TEXT NOT NULL, feed TEXT NOT NULL,
            time_source BIGINT, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count BIGINT NOT NULL,
            taxonomy TEXT NOT NULL, type TEXT NOT NULL, identifier TEXT, source_ip TEXT, source_key BLOB, source_asn BIGINT, severity TEXT,
            tlp TEXT, organisations TEXT NOT NULL, rule TEXT, data TEXT NOT NULL, raw BLOB)
        """
    }

    /// The indexes every SQLite events table has (PostgreSQL's partitions take them from `events`).
    static func sqliteIndexes(_ name: String) -> [String] {
        [
            "CREATE UNIQUE INDEX IF NOT EXISTS \(name)_dedup ON \(name) (dedup_key, window_start)",
            "CREATE INDEX IF NOT EXISTS \(name)_time ON \(name) (time_source)",
            "CREATE INDEX IF NOT EXISTS \(name)_last_seen ON \(name) (last_seen)",
            "CREATE INDEX IF NOT EXISTS \(name)_source_key ON \(name) (source_key)",
            "CREATE INDEX IF NOT EXISTS \(name)_source_asn ON \(name) (source_asn, last_seen)",
            "CREATE INDEX IF NOT EXISTS \(name)_organisations ON \(name) (organisations, last_seen)",
            "CREATE INDEX IF NOT EXISTS \(name)_shared ON \(name) (last_seen) WHERE organisations LIKE '%,%'",
            "CREATE INDEX IF NOT EXISTS \(name)_run ON \(name) (run_id, id)",
        ]
    }

    /// The body of SQLite's `events` view: every table, one after the other. SQLite reads a query on
    /// it table by table, with each table's indexes, and merges ordered results without sorting them.
    /// One compound query may join at most 500 (SQLite's limit): beyond that (events kept more than
    /// a year and a third) the tables are joined in groups of 400 and the groups joined.
    static func sqliteView(_ tables: [String]) -> String {
        let terms = tables.map { "SELECT \(Self.columns) FROM \($0)" }
        guard terms.count > Self.sqliteCompoundLimit else { return terms.joined(separator: " UNION ALL ") }
        return terms.chunked(400).map { group in
            "SELECT \(Self.columns) FROM (\(group.joined(separator: " UNION ALL ")))"
        }.joined(separator: " UNION ALL ")
    }

    static let sqliteCompoundLimit = 490
}
