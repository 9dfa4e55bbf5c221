import ConfianzaCore
import ConfianzaFeeds
import ConfianzaNetwork
import ConfianzaTestSupport
import Foundation
import SQLKit
import Testing

@testable import ConfianzaStore

/// Events kept by day (of their de-duplication window) on every backend: the edges of a day, a window
/// that spans midnight, whole days leaving with their evidence kept, and a database from before days.
@Suite struct EventPartitionTests {
    static func pipeline(_ store: any Store, windowSeconds: Int64) async throws -> IngestPipeline {
        let constituency = ConstituencyService(store: store)
        let hospital = try await constituency.createOrganisation(OrganisationDraft(name: "Hospital", sector: "health", country: "UY", kind: "public"))
        _ = try await constituency.addAsset(organisationID: hospital.id, kind: "prefix", value: "198.51.100.0/24")
        return IngestPipeline(store: store, constituency: constituency, mapping: try ShadowserverMapping.bundled(), windowSeconds: windowSeconds)
    }

    /// Events of 2024-05-01: `hospital` of the hospital's (grouped into an incident: evidence) and
    /// `others` of nobody's; with the day's time, and a "now" (2024-11-30) past the 180-day policy.
    static func oldDay(_ store: any Store, hospital: Int, others: Int) async throws -> (IngestPipeline, String, Date) {
        let (pipeline, orgs) = try await IncidentTests.setUp(store)
        let old = "2024-05-01T10:00:00+00:00"
        let lines = (0..<hospital).map { IncidentTests.line("198.51.100.\($0 + 1)", "infected-system", old) }
            + (0..<others).map { IncidentTests.line("203.0.113.\($0 + 1)", "scanner", old) }
        let run = try await IncidentTests.ingest(pipeline, lines, name: "old.jsonl")
        let now = Date(timeIntervalSince1970: 1_733_000_000)
        _ = try await IncidentService(store: store, now: { now }).group(runID: run.run, organisationNames: [orgs[0]: "Hospital"])
        return (pipeline, old, now)
    }

    static let lastMillisecond = "2024-05-01T23:59:59.999+00:00"
    static let midnight = "2024-05-02T00:00:00+00:00"

    static func rows(in table: String, _ store: SQLStore) async throws -> Int {
        try await store.withReading { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self) ?? -1
        }
    }

    @Test(arguments: TestBackend.available)
    func theLastMillisecondOfADayAndMidnightLandInTheirOwnDays(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { any in
            let store = try #require(any as? SQLStore)
            let pipeline = try await Self.pipeline(store, windowSeconds: 86400)
            let lines = [
                IncidentTests.line("198.51.100.7", "scanner", Self.lastMillisecond), IncidentTests.line("198.51.100.7", "scanner", Self.midnight),
            ]
            let first = try await IncidentTests.ingest(pipeline, lines, name: "a.jsonl")
            #expect(first.counts == IngestCounts(read: 2, stored: 2, duplicates: 0, quarantined: 0), "two windows: two events")
            #expect(try await store.eventDays().map(\.1) == ["events_d20240501", "events_d20240502"])
            #expect(try await Self.rows(in: "events_d20240501", store) == 1)
            #expect(try await Self.rows(in: "events_d20240502", store) == 1)

            // The same events again, in another file: each raises its own day's count.
            let again = try await IncidentTests.ingest(pipeline, lines.reversed(), name: "b.jsonl")
            #expect(again.counts == IngestCounts(read: 2, stored: 0, duplicates: 2, quarantined: 0))
            let events = try await store.events(matching: EventQuery(limit: 10))
            #expect(events.map(\.count) == [2, 2])
            #expect(events.map { Millis($0.lastSeen).value } == [1_714_608_000_000, 1_714_607_999_999], "newest first, across the two days")
            #expect(Set(events.map(\.id)).count == 2)
            // Filters read across days as over one table.
            let day2 = Date(timeIntervalSince1970: 1_714_608_000)
            #expect(try await store.events(matching: EventQuery(since: day2, limit: 10)).count == 1)
            #expect(try await store.events(matching: EventQuery(until: day2, limit: 10)).count == 1)
            #expect(try await store.events(matching: EventQuery(network: try IPPrefix("198.51.100.7"), limit: 10)).count == 2)
            for event in events { #expect(try await store.event(id: event.id)?.id == event.id) }
        }
    }

    /// An event with no time of its own is seen when it is read: the same one read at 23:59:59.999 and
    /// again at midnight is one event in a window that spans both days, and two in day-long windows.
    @Test(arguments: TestBackend.available)
    func oneWindowAcrossMidnightIsOneEvent(backend: TestBackend) async throws {
        for (windowSeconds, expected) in [(Int64(2 * 86400), 1), (86400, 2)] {
            try await TestDatabase.withStore(backend) { any in
                let store = try #require(any as? SQLStore)
                let clock = TestClock(start: Date(timeIntervalSince1970: 1_714_607_999.999))
                let constituency = ConstituencyService(store: store)
                let pipeline = IngestPipeline(
                    store: store, constituency: constituency, mapping: try ShadowserverMapping.bundled(), windowSeconds: windowSeconds,
                    now: { clock.now })
                let line = #"{"source.ip":"198.51.100.7","classification.type":"scanner","feed.name":"F"}"#
                let first = try await IncidentTests.ingest(pipeline, [line], name: "a.jsonl")
                clock.advance(0.001)
                // (Another line with it, or the file would be the same file, read once.)
                let other = #"{"source.ip":"198.51.100.8","classification.type":"scanner","feed.name":"F"}"#
                let second = try await IncidentTests.ingest(pipeline, [line, other], name: "b.jsonl")
                #expect(first.counts.stored == 1)
                #expect(second.counts.stored == expected)
                #expect(second.counts.duplicates == 2 - expected)
                let events = try await store.events(matching: EventQuery(network: try IPPrefix("198.51.100.7"), limit: 10))
                #expect(events.count == expected)
                #expect(events.map(\.count).reduce(0, +) == 2)
                if expected == 1 {
                    // Two-day windows start on even days since 1970: 2024-05-01 00:00 to 2024-05-03 00:00 is one.
                    #expect(events.first.map { Millis($0.firstSeen).value } == 1_714_607_999_999)
                    #expect(events.first.map { Millis($0.lastSeen).value } == 1_714_608_000_000)
                    #expect(try await store.eventDays().map(\.1) == ["events_d20240501"], "both in the window's first day")
                } else {
                    #expect(try await store.eventDays().map(\.1) == ["events_d20240501", "events_d20240502"])
                }
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aDayLeavesWholeAndItsEvidenceStaysReadableAndCounted(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { any in
            let store = try #require(any as? SQLStore)
            let (pipeline, old, now) = try await Self.oldDay(store, hospital: 1, others: 2)
            let incident = try #require(try await store.incidents(matching: IncidentQuery()).first)
            #expect(try await store.eventDays().map(\.1) == ["events_d20240501"])

            let counts = try await store.applyRetention(eventsBefore: now.addingTimeInterval(-180 * 86400), quarantineBefore: nil, mailBefore: nil, dryRun: false)
            #expect(counts.events == 2)
            #expect(counts.eventsKept == 1)
            #expect(try await store.eventDays().isEmpty, "the day's table is gone")
            #expect(try await Self.rows(in: "events_kept", store) == 1)
            let evidence = try await store.incidentEvents(incidentID: incident.id, limit: 10)
            #expect(evidence.map { $0.event["source.ip"] } == [.string("198.51.100.1")])

            // A late report repeating the kept event counts it there; a new one of that day is stored and read.
            let late = try await IncidentTests.ingest(pipeline, [
                IncidentTests.line("198.51.100.1", "infected-system", old), IncidentTests.line("203.0.113.9", "scanner", old),
            ], name: "late.jsonl")
            #expect(late.counts == IngestCounts(read: 2, stored: 1, duplicates: 1, quarantined: 0))
            #expect(try await store.incidentEvents(incidentID: incident.id, limit: 10).first?.count == 2)
            #expect(try await store.eventCount() == 2)
        }
    }

    /// A day that is mostly evidence keeps its table: only the others' events leave, row by row, and
    /// the next runs count it without reading it again, until a late event arrives in it.
    @Test(arguments: TestBackend.available)
    func aDayOfMostlyEvidenceKeepsItsTable(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { any in
            let store = try #require(any as? SQLStore)
            let (pipeline, old, now) = try await Self.oldDay(store, hospital: 2, others: 1)
            let cutoff = now.addingTimeInterval(-180 * 86400)
            func retain() async throws -> RetentionCounts {
                try await store.applyRetention(eventsBefore: cutoff, quarantineBefore: nil, mailBefore: nil, dryRun: false)
            }
            let dry = try await store.applyRetention(eventsBefore: cutoff, quarantineBefore: nil, mailBefore: nil, dryRun: true)
            let first = try await retain()
            #expect(first == dry)
            #expect((first.events, first.eventsKept) == (1, 2))
            #expect(try await store.eventDays().map { ($0.1, $0.2) }.first.map { "\($0.0) \($0.1.map(String.init) ?? "-")" } == "events_d20240501 2")
            #expect(try await Self.rows(in: "events_d20240501", store) == 2)
            #expect(try await Self.rows(in: "events_kept", store) == 0)
            let again = try await retain()
            #expect((again.events, again.eventsKept) == (0, 2))
            _ = try await IncidentTests.ingest(pipeline, [IncidentTests.line("203.0.113.9", "scanner", old)], name: "late.jsonl")
            let late = try await retain()
            #expect((late.events, late.eventsKept) == (1, 2), "the late event leaves too")
            #expect(try await store.eventCount() == 2)
        }
    }

    /// A database written before days: its events stay readable where they were, keep their ids and
    /// incidents, and new events take ids after them.
    @Test(arguments: TestBackend.available)
    func eventsFromBeforeDaysStayWithTheirIds(backend: TestBackend) async throws {
        try await TestDatabase.withEmptyLocation(backend) { location in
            let store = try await SQLStore.open(location, logger: TestDatabase.logger)
            try await store.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { store in
                _ = try await store.migrate(upTo: 14)
                try await store.withDatabase { db in
                    for (index, window) in [Int64(1_714_521_600), 1_714_608_000].enumerated() {
                        try await db.raw(
                            """
                            INSERT INTO events (dedup_key, window_start, run_id, feed, first_seen, last_seen, count, taxonomy, type, organisations, data)
                            VALUES (\(bind: Data(repeating: UInt8(index), count: 16)), \(bind: window), \(bind: UUID().uuidString), 'F', \(bind: window * 1000),
                                \(bind: window * 1000), 1, 'other', 'scanner', '', '{}')
                            """
                        ).run()
                    }
                }
                #expect(try await store.migrate(upTo: 15) == [15])
                _ = try await store.migrate()  // the later steps too, as a server's start does: this code reads the latest layout
                #expect(try await store.eventCount() == 2)
                let old = try await store.events(matching: EventQuery(limit: 10)).map(\.id).sorted()
                #expect(old == [1, 2])
                #expect(try await Self.rows(in: "events_legacy", store) == 2)

                let pipeline = try await Self.pipeline(store, windowSeconds: 86400)
                _ = try await IncidentTests.ingest(pipeline, [
                    IncidentTests.line("198.51.100.7", "scanner", "2024-05-02T12:00:00+00:00"),
                    IncidentTests.line("198.51.100.8", "scanner", "2024-05-03T12:00:00+00:00"),
                ], name: "new.jsonl")
                #expect(try await Self.rows(in: "events_legacy", store) == 3, "2024-05-02 is a day the legacy table already had")
                #expect(try await store.eventDays().map(\.1) == ["events_d20240503"])
                let ids = try await store.events(matching: EventQuery(limit: 10)).map(\.id).sorted()
                #expect(ids.count == 4)
                #expect(ids.filter { $0 > 2 }.count == 2, "new ids follow the old ones")
            }
        }
    }

    @Test func dayNamesAreCalendarDates() {
        #expect(EventPartitioning.tableName(day: 0) == "events_d19700101")
        #expect(EventPartitioning.tableName(day: 19_844) == "events_d20240501")
        #expect(EventPartitioning.tableName(day: -1) == "events_d19691231")
        #expect(EventPartitioning.tableName(day: 11_016) == "events_d20000229")
        #expect(EventPartitioning.day(ofWindow: -1) == -1)
        #expect(EventPartitioning.day(ofWindow: 86_399) == 0)
        #expect(EventPartitioning.day(ofWindow: 86_400) == 1)
    }
}

/// Values that mean something to a store's own formats (tabs, line ends and backslashes to PostgreSQL's
/// COPY, quotes to SQL, any byte in `raw`) come back exactly as they went in, on every backend.
@Suite struct AwkwardValueTests {
    @Test(arguments: TestBackend.available)
    func awkwardTextAndBytesComeBackAsTheyWent(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let pipeline = try await EventPartitionTests.pipeline(store, windowSeconds: 86400)
            let text = "tab\there\nnew line\r\\N back\\slash \\x00 'single' \"double\" ñ 😀 \u{7F}"
            let raw = Data([0, 9, 10, 13, 92, 78, 39, 34, 255, 128, 0])
            var line = #"{"source.ip":"198.51.100.9","classification.type":"scanner","time.source":"2024-05-01T10:00:00+00:00","feed.name":"F\tG","#
            line += #""event_description.text":"# + String(decoding: try JSONEncoder().encode(text), as: UTF8.self) + ","
            line += #""raw":""# + raw.base64EncodedString() + #""}"#
            let summary = try await IncidentTests.ingest(pipeline, [line], name: "awkward.jsonl")
            #expect(summary.counts == IngestCounts(read: 1, stored: 1, duplicates: 0, quarantined: 0))
            let stored = try #require(try await store.events(matching: EventQuery(limit: 10)).first)
            #expect(stored.event["event_description.text"] == .string(text))
            #expect(stored.event["feed.name"] == .string("F\tG"))
            #expect(stored.event["raw"] == .string(raw.base64EncodedString()))
            #expect(try await store.events(matching: EventQuery(feed: "F\tG", limit: 10)).count == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func aNulCharacterIsQuarantinedNamingTheField(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let pipeline = try await EventPartitionTests.pipeline(store, windowSeconds: 86400)
            let good = #"{"source.ip":"198.51.100.9","classification.type":"scanner","time.source":"2024-05-01T10:00:00+00:00"}"#
            let bad = #"{"source.ip":"198.51.100.10","classification.type":"scanner","event_description.text":"a\u0000b"}"#
            let summary = try await IncidentTests.ingest(pipeline, [good, bad], name: "nul.jsonl")
            #expect(summary.counts == IngestCounts(read: 2, stored: 1, duplicates: 0, quarantined: 1))
            let reason = try #require(try await store.quarantined(runID: summary.run, limit: 10).first?.reason)
            #expect(reason.contains("event_description.text"))
            #expect(reason.contains("NUL"))
            #expect(reason.contains("a\u{FFFD}b"), "the value as it was, its NUL shown as U+FFFD")
        }
    }
}
