import ConfianzaCore
import ConfianzaFeeds
import ConfianzaTestSupport
import Foundation
import SQLKit
import Testing

@testable import ConfianzaStore

/// The newest events are read from the days whose latest sighting can still reach the page (migration
/// 23): the same pages as a sort of every event, with feeds of one-day and thirty-day windows mixed (so
/// an old day holds events seen lately), with filters, offsets and a time limit; and still the same when
/// a day's bound is unknown or too high, and after the unknown ones are worked out.
@Suite struct EventDayBoundTests {
    static func day(_ index: Int, hour: Int) -> String {
        let date = Date(timeIntervalSince1970: 1_714_521_600 + Double(index) * 86400 + Double(hour) * 3600)
        return ISO8601DateFormatter().string(from: date)
    }

    static func expectSamePages(_ store: SQLStore, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let since = Date(timeIntervalSince1970: 1_714_521_600 + 20 * 86400)
        let cases: [(EventQuery, SQLQueryString)] = [
            (EventQuery(limit: 1), ""), (EventQuery(limit: 7), ""), (EventQuery(limit: 10, offset: 13), ""), (EventQuery(limit: 500), ""),
            (EventQuery(limit: 5, offset: 40), ""),
            (EventQuery(classificationType: "infected-system", limit: 9, offset: 2), "type = 'infected-system'"),
            (EventQuery(since: since, limit: 12), "last_seen >= \(bind: Millis(since))"),
        ]
        for (query, condition) in cases {
            let got = try await store.events(matching: query).map(\.id)
            let sql: SQLQueryString =
                "SELECT id FROM events" + (query.classificationType == nil && query.since == nil ? "" : " WHERE " + condition)
                + " ORDER BY last_seen DESC, id DESC LIMIT \(bind: query.limit) OFFSET \(bind: query.offset)"
            let expected = try await store.withReading { db in try await db.raw(sql).all().map { try $0.decode(column: "id", as: Int64.self) } }
            #expect(got == expected, "\(step): limit \(query.limit) offset \(query.offset)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: TestBackend.available)
    func pagesEqualASortOfEveryEvent(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { any in
            let store = try #require(any as? SQLStore)
            let daily = try await EventPartitionTests.pipeline(store, windowSeconds: 86400)
            let monthly = IngestPipeline(
                store: store, constituency: ConstituencyService(store: store), mapping: try ShadowserverMapping.bundled(), windowSeconds: 30 * 86400)
            for index in 0..<40 {
                // Daily: a new address each day. Thirty-day windows: five addresses seen again and again,
                // so their window's first day keeps being seen until the window ends.
                _ = try await IncidentTests.ingest(
                    daily, [IncidentTests.line("198.51.100.\(index % 50 + 1)", "scanner", Self.day(index, hour: 3))], name: "daily-\(index).jsonl")
                _ = try await IncidentTests.ingest(
                    monthly, [IncidentTests.line("203.0.113.\(index % 5 + 1)", "infected-system", Self.day(index, hour: 9))], name: "monthly-\(index).jsonl")
            }
            #expect(try await store.eventCount() > 45)
            try await Self.expectSamePages(store, "as ingested")

            try await store.withDatabase { db in
                let names = try await db.raw("SELECT name FROM event_partitions ORDER BY day").all().map { try $0.decode(column: "name", as: String.self) }
                #expect(names.count >= 40)
                try await db.raw("UPDATE event_partitions SET last_seen_max = NULL WHERE name IN (\(bind: names[0]), \(bind: names[15]), \(bind: names[39]))").run()
                try await db.raw("UPDATE event_partitions SET last_seen_max = \(bind: Int64.max) WHERE name = \(bind: names[3])").run()
            }
            try await Self.expectSamePages(store, "with days unknown and one too high")
            try await store.boundEventDays()
            let unknown = try await store.withReading { db in
                try await db.raw("SELECT COUNT(*) AS n FROM event_partitions WHERE last_seen_max IS NULL").first()?.decode(column: "n", as: Int.self)
            }
            #expect(unknown == 0)
            try await Self.expectSamePages(store, "after the unknown days are worked out")

            // A day's bound is its latest sighting exactly, for a day worked out and for one kept by batches.
            let (worked, kept) = try await store.withReading { db -> (Bool, Bool) in
                let rows = try await db.raw("SELECT name, last_seen_max FROM event_partitions").all()
                var exact: [Bool] = []
                for row in rows {
                    let name = try row.decode(column: "name", as: String.self)
                    let bound = try row.decode(column: "last_seen_max", as: Int64.self)
                    let latest = try await db.raw("SELECT MAX(last_seen) AS m FROM \(ident: name)").first()?.decode(column: "m", as: Int64?.self)
                    exact.append(bound == latest ?? EventDayBounds.empty || bound == Int64.max)
                }
                return (exact.allSatisfy { $0 }, rows.count >= 40)
            }
            #expect(worked && kept)
        }
    }
}
