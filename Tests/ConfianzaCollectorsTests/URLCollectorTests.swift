import ConfianzaCollectors
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaTestSupport
import Foundation
import Testing

/// The URL collector against a real HTTP server on loopback: conditional requests, redirects, loops,
/// limits, time-outs, HTML answers and TLS with a test CA; failures recorded, nothing half-ingested.
@Suite struct URLCollectorTests {
    static let report = """
        "timestamp","ip","port","asn","geo"
        "2024-05-01 00:00:01","192.0.2.1",53,64500,"UY"
        "2024-05-01 00:00:02","192.0.2.2",53,64500,"UY"

        """

    static func collector(_ store: any Store, caFile: String? = nil) throws -> FeedCollector {
        let pipeline = IngestPipeline(store: store, constituency: ConstituencyService(store: store), mapping: try ShadowserverMapping.bundled())
        return FeedCollector(store: store, pipeline: pipeline, http: try HTTPFetcher(caFile: caFile), caFile: caFile)
    }

    static func feed(_ store: any Store, _ url: String, name: String = "Test feed", timeout: Int = 30, maxBytes: Int = 1 << 20) async throws -> FeedSource {
        let source = FeedSource(name: name, kind: .http, location: url, maxBytes: maxBytes, timeoutSeconds: timeout, createdAt: Date())
        try await store.insertFeedSource(source, secret: nil)
        return source
    }

    @Test(arguments: TestBackend.available)
    func aFeedIsFetchedThenAskedConditionally(backend: TestBackend) async throws {
        let server = try await TestHTTPServer { request in
            if request.header("If-None-Match") == "\"v1\"" { return .init(status: 304) }
            return .init(headers: [("ETag", "\"v1\""), ("Last-Modified", "Thu, 30 Apr 2026 10:00:00 GMT"), ("Content-Type", "text/csv")], body: Self.report)
        }
        defer { Task { await server.stop() } }
        try await TestDatabase.withStore(backend) { store in
            let collector = try Self.collector(store)
            let source = try await Self.feed(store, server.base + "/reports/2024-05-01-scan_dns-uy.csv")
            let first = try await collector.run(source)
            #expect(first.outcome == .delivered, "\(first.detail ?? "")")
            #expect(first.runs.count == 1)
            #expect(try await store.eventCount() == 2)
            let run = try #require(try await store.ingestRun(id: first.runs[0]))
            #expect(run.feed == "Test feed" && run.format == "shadowserver:scan_dns" && run.source == "collector")
            let stored = try #require(try await store.feedSource(id: source.id))
            #expect(stored.state.etag == "\"v1\"")
            #expect(stored.state.lastDeliveryAt != nil && stored.state.lastError == nil)
            #expect(stored.state.nextRunAt.map { $0.timeIntervalSinceNow > 80000 } == true, "next run a day later")

            let second = try await collector.run(stored)
            #expect(second.outcome == .unchanged)
            #expect(server.requests.last?.header("If-None-Match") == "\"v1\"")
            #expect(server.requests.last?.header("If-Modified-Since") == "Thu, 30 Apr 2026 10:00:00 GMT")
            #expect(try await store.feedFetches(feedID: source.id, limit: 10).map(\.outcome) == [.unchanged, .delivered])
            await collector.http.shutdown()
        }
    }

    /// Each bad answer is a clear reason in the feed's state, no run, nothing stored, and a retry soon.
    @Test func badAnswersFailCleanly() async throws {
        let server = try await TestHTTPServer { request in
            switch request.uri {
            case "/loop-a": return .init(status: 302, headers: [("Location", "/loop-b")])
            case "/loop-b": return .init(status: 302, headers: [("Location", "/loop-a")])
            case "/moved": return .init(status: 301, headers: [("Location", "/reports/2024-05-01-scan_dns-uy.csv")])
            case "/reports/2024-05-01-scan_dns-uy.csv": return .init(body: Self.report)
            case "/login": return .init(headers: [("Content-Type", "text/html; charset=utf-8")], body: "<html><body>Sign in</body></html>")
            case "/html-as-text": return .init(headers: [("Content-Type", "text/plain")], body: "  <!DOCTYPE html><html><body>Error</body></html>")
            case "/huge": return .init(bytes: Array(repeating: UInt8(ascii: "x"), count: 3 << 20), chunked: true)
            case "/huge-declared": return .init(bytes: Array(repeating: UInt8(ascii: "x"), count: 2 << 20))
            case "/slow": return .init(body: Self.report, stall: .seconds(6))
            case "/gone": return .init(status: 404, body: "not here")
            default: return .init(status: 500)
            }
        }
        defer { Task { await server.stop() } }
        try await TestDatabase.withStore(.sqlite) { store in
            let collector = try Self.collector(store)
            func run(_ path: String, timeout: Int = 30) async throws -> (FeedFetch, FeedSource) {
                let source = try await Self.feed(store, server.base + path, name: path, timeout: timeout)
                let fetch = try await collector.run(source)
                return (fetch, try #require(try await store.feedSource(id: source.id)))
            }
            let cases: [(String, Int, String)] = [
                ("/loop-a", 30, "redirects in a loop"),
                ("/login", 30, "answered an HTML page, not a feed"),
                ("/html-as-text", 30, "answered an HTML page, not a feed"),
                ("/huge", 30, "larger than the feed's limit of 1048576 bytes"),
                ("/huge-declared", 30, "larger than the feed's limit of 1048576 bytes"),
                ("/slow", 2, "no complete answer within 2 s"),
                ("/gone", 30, "answered HTTP 404"),
            ]
            for (path, timeout, reason) in cases {
                let (fetch, after) = try await run(path, timeout: timeout)
                #expect(fetch.outcome == .failed, "\(path)")
                #expect(fetch.runs.isEmpty, "\(path)")
                #expect(fetch.detail?.contains(reason) == true, "\(path): \(fetch.detail ?? "")")
                #expect(after.state.lastError == fetch.detail)
                #expect(after.state.failures == 1)
                #expect(after.state.nextRunAt.map { $0.timeIntervalSinceNow < 200 } == true, "\(path): a failed fetch is retried within minutes")
            }
            #expect(try await store.eventCount() == 0)
            #expect(try await store.ingestRuns(limit: 10).isEmpty, "nothing half-ingested")
            let (moved, _) = try await run("/moved")
            #expect(moved.outcome == .delivered, "a redirect is followed: \(moved.detail ?? "")")
            #expect(try await store.eventCount() == 2)
            await collector.http.shutdown()
        }
    }

    @Test func tlsIsVerifiedAgainstTheSystemAndTheSiteCA() async throws {
        let server = try await TestHTTPServer(tls: true) { _ in .init(body: Self.report) }
        defer { Task { await server.stop() } }
        try await TestDatabase.withStore(.sqlite) { store in
            let untrusting = try Self.collector(store)
            let refused = try await untrusting.run(try await Self.feed(store, server.base + "/2024-05-01-scan_dns-uy.csv", name: "untrusted"))
            #expect(refused.outcome == .failed)
            #expect(refused.detail?.contains("TLS") == true || refused.detail?.contains("certificate") == true, "\(refused.detail ?? "")")
            await untrusting.http.shutdown()

            let trusting = try Self.collector(store, caFile: TestHTTPServer.fixture("test-ca.pem"))
            let fetched = try await trusting.run(try await Self.feed(store, server.base + "/2024-05-01-scan_dns-uy.csv", name: "trusted"))
            #expect(fetched.outcome == .delivered, "\(fetched.detail ?? "")")
            await trusting.http.shutdown()
        }
        #expect(throws: CollectorError.tls("cannot read the CA file /nonexistent.pem")) { try HTTPFetcher(caFile: "/nonexistent.pem") }
    }

    /// With several servers on one database, a feed leased by one is not fetched by another.
    @Test(arguments: TestBackend.available)
    func aLeasedFeedIsNotFetchedTwice(backend: TestBackend) async throws {
        let server = try await TestHTTPServer { _ in .init(body: Self.report) }
        defer { Task { await server.stop() } }
        try await TestDatabase.withStore(backend) { store in
            let one = try Self.collector(store)
            let two = try Self.collector(store)
            let source = try await Self.feed(store, server.base + "/2024-05-01-scan_dns-uy.csv")
            #expect(try await store.leaseFeedSource(id: source.id, owner: one.owner, at: Date(), until: Date().addingTimeInterval(600)))
            await #expect(throws: CollectorError.busy) { try await two.run(source) }
            #expect(server.requests.isEmpty)
            #expect(try await two.runDue().isEmpty, "a due feed leased elsewhere is skipped")
            let fetched = try await one.run(source)
            #expect(fetched.outcome == .delivered)
            #expect(server.requests.count == 1)
            await one.http.shutdown()
            await two.http.shutdown()
        }
    }

    @Test func draftsAreCheckedBeforeAnythingIsStored() throws {
        let now = Date()
        func refusal(_ draft: FeedSourceDraft) -> String? {
            do {
                _ = try FeedSourceService.validate(draft, publicFeed: PublicFeeds.address, createdBy: nil, now: now)
                return nil
            } catch { return error.field }
        }
        #expect(refusal(FeedSourceDraft(name: "", kind: "http", location: "https://x.example/f")) == "name")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "ftp", location: "https://x.example/f")) == "kind")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "http", location: "file:///etc/passwd")) == "location")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "http", location: "https://u:p@x.example/f")) == "location")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "imap", location: "https://x.example/f", username: "u", secret: "p")) == "location")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "imap", location: "imaps://mail.example")) == "username")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "http", location: "https://x.example/f", format: "public:nope")) == "format")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "http", location: "", format: "public:nope")) == "location", "no address to take")
        let list = try FeedSourceService.validate(
            FeedSourceDraft(name: "drop", kind: "http", location: "", format: "public:spamhaus-drop"), publicFeed: PublicFeeds.address,
            createdBy: nil, now: now)
        #expect(list.0.location == "https://www.spamhaus.org/drop/drop.txt", "a public list's own address")
        let own = try FeedSourceService.validate(
            FeedSourceDraft(name: "mirror", kind: "http", location: "https://mirror.example/drop.txt", format: "public:spamhaus-drop"),
            publicFeed: PublicFeeds.address, createdBy: nil, now: now)
        #expect(own.0.location == "https://mirror.example/drop.txt", "an address given wins")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "http", location: "https://x.example/f", every: "10s")) == "every")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "http", location: "https://x.example/f", maxMegabytes: "0")) == "max_megabytes")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "http", location: "https://x.example/f", timeoutSeconds: "abc")) == "timeout")
        #expect(refusal(FeedSourceDraft(name: "a", kind: "http", location: "https://x.example/f", every: "6h")) == nil)
        #expect(FeedSourceService.seconds("1d") == 86400 && FeedSourceService.seconds("30m") == 1800 && FeedSourceService.seconds("3600") == 3600)
        #expect(FeedSourceService.seconds("31d") == nil && FeedSourceService.seconds("") == nil && FeedSourceService.seconds("d") == nil)
    }
}
