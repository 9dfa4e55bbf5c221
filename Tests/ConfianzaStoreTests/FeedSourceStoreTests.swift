import ConfianzaCore
import Foundation
import ConfianzaTestSupport
import Testing

/// Collected feeds on every backend: secrets write-only, one lease at a time, fetches recorded with the
/// state, schemas kept, deliveries counted by day.
@Suite struct FeedSourceStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    @Test(arguments: TestBackend.available)
    func feedsLeasesAndFetches(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let drop = FeedSource(
                name: "Spamhaus DROP", kind: .http, location: "https://feeds.example.net/drop.txt", format: "public:spamhaus-drop",
                everySeconds: 3600, state: FeedSourceState(nextRunAt: Self.t0), createdAt: Self.t0, createdBy: "ana")
            try await store.insertFeedSource(drop, secret: nil)
            let mailbox = FeedSource(
                name: "Abuse mailbox", kind: .imap, location: "imaps://mail.example.net/INBOX", format: "auto", username: "cert",
                options: ["done": "Confianza/Done"], state: FeedSourceState(nextRunAt: Self.t0.addingTimeInterval(600)), createdAt: Self.t0)
            try await store.insertFeedSource(mailbox, secret: "s3cret")
            await #expect(throws: StoreError.duplicate(field: "feed", value: "Spamhaus DROP")) {
                try await store.insertFeedSource(FeedSource(name: "Spamhaus DROP", kind: .http, location: "https://x.example", createdAt: Self.t0), secret: nil)
            }
            let listed = try await store.feedSources()
            #expect(listed.map(\.name) == ["Abuse mailbox", "Spamhaus DROP"])
            #expect(listed[0].hasSecret && !listed[1].hasSecret)
            #expect(listed[0].options == ["done": "Confianza/Done"])
            #expect(listed[1] == drop)
            #expect(try await store.feedSecret(id: mailbox.id) == "s3cret")
            #expect(try await store.feedSource(named: "Abuse mailbox")?.id == mailbox.id)

            #expect(try await store.dueFeedSources(at: Self.t0).map(\.name) == ["Spamhaus DROP"])
            #expect(try await store.dueFeedSources(at: Self.t0.addingTimeInterval(600)).map(\.name) == ["Spamhaus DROP", "Abuse mailbox"])

            // One lease at a time: a second server is refused until the first's lease runs out.
            #expect(try await store.leaseFeedSource(id: drop.id, owner: "a", at: Self.t0, until: Self.t0.addingTimeInterval(300)))
            #expect(try await store.leaseFeedSource(id: drop.id, owner: "b", at: Self.t0.addingTimeInterval(10), until: Self.t0.addingTimeInterval(310)) == false)
            #expect(try await store.leaseFeedSource(id: drop.id, owner: "a", at: Self.t0.addingTimeInterval(20), until: Self.t0.addingTimeInterval(320)))
            #expect(try await store.leaseFeedSource(id: drop.id, owner: "b", at: Self.t0.addingTimeInterval(321), until: Self.t0.addingTimeInterval(600)))

            let run = UUID()
            let state = FeedSourceState(
                etag: "\"abc\"", lastModified: "Wed, 21 Oct 2026 07:28:00 GMT", lastAttemptAt: Self.t0, lastSuccessAt: Self.t0, lastDeliveryAt: Self.t0,
                nextRunAt: Self.t0.addingTimeInterval(3600))
            try await store.finishFeedFetch(
                FeedFetch(feedID: drop.id, startedAt: Self.t0, finishedAt: Self.t0.addingTimeInterval(2), outcome: .delivered, runs: [run], bytes: 1234),
                state: state, owner: "b")
            let after = try #require(try await store.feedSource(id: drop.id))
            #expect(after.state == state)
            #expect(try await store.leaseFeedSource(id: drop.id, owner: "a", at: Self.t0.addingTimeInterval(400), until: Self.t0.addingTimeInterval(700)),
                    "the lease is given back with the fetch")
            let fetches = try await store.feedFetches(feedID: drop.id, limit: 10)
            #expect(fetches.count == 1 && fetches[0].runs == [run] && fetches[0].outcome == .delivered && fetches[0].bytes == 1234)

            let off = try await store.setFeedSource(id: mailbox.id, enabled: false, nextRunAt: nil)
            #expect(off?.enabled == false)
            #expect(try await store.dueFeedSources(at: Self.t0.addingTimeInterval(99999)).map(\.name) == ["Spamhaus DROP"])
            #expect(try await store.removeFeedSource(id: drop.id))
            #expect(try await store.removeFeedSource(id: drop.id) == false)
            #expect(try await store.feedFetches(feedID: drop.id, limit: 10).isEmpty)
            #expect(try await store.feedSources().map(\.name) == ["Abuse mailbox"])
        }
    }

    @Test(arguments: TestBackend.available)
    func schemasAndDeliveriesByDay(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            #expect(try await store.feedSchema(name: "shadowserver") == nil)
            let schema = StoredFeedSchema(
                name: "shadowserver", revision: "2030-01-01T00:00:00Z", content: Data(#"{"a": "é"}"#.utf8), loadedAt: Self.t0, loadedBy: "ana")
            try await store.saveFeedSchema(schema)
            try await store.saveFeedSchema(schema)
            #expect(try await store.feedSchema(name: "shadowserver") == schema)
            #expect(try await store.feedSchemaLoadedAt(name: "shadowserver") == Self.t0)

            let day = 86400.0
            for (offset, feed, counts) in [
                (0.0, "DROP", IngestCounts(read: 10, stored: 8, duplicates: 1, quarantined: 1)),
                (3600.0, "DROP", IngestCounts(read: 5, stored: 5, duplicates: 0, quarantined: 0)),
                (day, "DROP", IngestCounts(read: 2, stored: 0, duplicates: 2, quarantined: 0)),
                (day, "Sinkhole", IngestCounts(read: 4, stored: 4, duplicates: 0, quarantined: 0)),
                (-40 * day, "Old", IngestCounts(read: 1, stored: 1, duplicates: 0, quarantined: 0)),
            ] {
                try await store.insertIngestRun(
                    IngestRun(
                        fileName: "\(feed)-\(offset)", fileHash: UUID().uuidString, format: "intelmq", feed: feed, startedAt: Self.t0.addingTimeInterval(offset),
                        counts: counts, source: "test"))
            }
            let days = try await store.feedDays(since: Self.t0.addingTimeInterval(-30 * day))
            let first = FeedHealth.day(Self.t0)
            #expect(days == [
                FeedDay(feed: "DROP", day: first, runs: 2, read: 15, events: 14, quarantined: 1, lastStartedAt: Self.t0.addingTimeInterval(3600)),
                FeedDay(feed: "DROP", day: first + 1, runs: 1, read: 2, events: 2, quarantined: 0, lastStartedAt: Self.t0.addingTimeInterval(day)),
                FeedDay(feed: "Sinkhole", day: first + 1, runs: 1, read: 4, events: 4, quarantined: 0, lastStartedAt: Self.t0.addingTimeInterval(day)),
            ])
        }
    }
}
