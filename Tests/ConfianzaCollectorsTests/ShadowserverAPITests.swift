import ConfianzaCollectors
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaTestSupport
import Crypto
import Foundation
import Testing

/// Shadowserver's Reports API cannot be reached from CI: these tests run the collector against a small
/// local server that follows the documented requests (`POST reports/list` signed in `HMAC2`, downloads
/// by id) and checks each signature as Shadowserver does.
@Suite struct ShadowserverAPITests {
    static let key = "test-key"
    static let secret = "test-secret"
    static let report = """
        "timestamp","ip","port","asn","geo"
        "2024-05-01 00:00:01","192.0.2.1",53,64500,"UY"

        """

    static func server(reports: @escaping @Sendable () -> String, failDownload: Bool = false) async throws -> TestHTTPServer {
        try await TestHTTPServer { request in
            if request.uri == "/api2/reports/list" {
                let expected = HMAC<SHA256>.authenticationCode(for: Data(request.body), using: SymmetricKey(data: Data(Self.secret.utf8)))
                    .map { String(format: "%02x", $0) }.joined()
                guard request.method == "POST", request.header("HMAC2") == expected else {
                    return .init(headers: [("Content-Type", "application/json")], body: #"{"error": "Authentication failure."}"#)
                }
                guard case .object(let body)? = try? JSONReader.parse(String(decoding: request.body, as: UTF8.self)),
                    body["apikey"] == .string(Self.key), case .string(let date)? = body["date"], date.contains(":")
                else { return .init(status: 400, body: #"{"error": "bad request"}"#) }
                return .init(headers: [("Content-Type", "application/json")], body: reports())
            }
            if request.uri.hasPrefix("/dl/") {
                if failDownload && request.uri.hasSuffix("b") { return .init(status: 503) }
                return .init(headers: [("Content-Type", "text/csv")], body: Self.report.replacingOccurrences(of: "192.0.2.1", with: request.uri.hasSuffix("a") ? "192.0.2.1" : "192.0.2.2"))
            }
            return .init(status: 404)
        }
    }

    static func source(_ server: TestHTTPServer, secret: String = Self.secret) -> FeedSource {
        FeedSource(
            name: "Shadowserver", kind: .shadowserver, location: server.base + "/api2/", format: "shadowserver", username: Self.key, hasSecret: true,
            options: ["download": server.base + "/dl/"], createdAt: Date())
    }

    @Test(arguments: TestBackend.available)
    func reportsAreListedSignedDownloadedAndNotFetchedTwice(backend: TestBackend) async throws {
        let server = try await Self.server {
            #"[{"id": "a", "report": "uruguay", "type": "scan_dns", "file": "2024-05-01-scan_dns-uruguay-geo.csv"}, {"id": "b", "report": "uruguay", "type": "scan_dns", "file": "2024-05-02-scan_dns-uruguay-geo.csv"}]"#
        }
        defer { Task { await server.stop() } }
        try await TestDatabase.withStore(backend) { store in
            let collector = try URLCollectorTests.collector(store)
            let source = Self.source(server)
            try await store.insertFeedSource(source, secret: Self.secret)
            let first = try await collector.run(try #require(try await store.feedSource(id: source.id)))
            #expect(first.outcome == .delivered, "\(first.detail ?? "")")
            #expect(first.runs.count == 2)
            let runs = try await store.ingestRuns(limit: 10)
            #expect(Set(runs.map(\.format)) == ["shadowserver:scan_dns"])
            #expect(Set(runs.map(\.feed)) == ["DNS-Open-Resolvers"])
            #expect(try await store.eventCount() == 2)
            let again = try await collector.run(try #require(try await store.feedSource(id: source.id)))
            #expect(again.outcome == .unchanged)
            #expect(server.requests.filter { $0.uri.hasPrefix("/dl/") }.count == 2, "reports already fetched are not downloaded again")
            await collector.http.shutdown()
        }
    }

    @Test func aWrongSecretOrAListThatIsNotOneFailsClearly() async throws {
        let server = try await Self.server { "Service unavailable, try later" }
        defer { Task { await server.stop() } }
        try await TestDatabase.withStore(.sqlite) { store in
            let collector = try URLCollectorTests.collector(store)
            let wrong = Self.source(server)
            try await store.insertFeedSource(wrong, secret: "not-the-secret")
            let refused = try await collector.run(try #require(try await store.feedSource(id: wrong.id)))
            #expect(refused.outcome == .failed)
            #expect(refused.detail == "Shadowserver's API refused the request: Authentication failure.")
            var other = Self.source(server)
            other.id = UUID()
            other.name = "other"
            try await store.insertFeedSource(other, secret: Self.secret)
            let html = try await collector.run(try #require(try await store.feedSource(id: other.id)))
            #expect(html.outcome == .failed)
            #expect(html.detail?.hasPrefix("Shadowserver's report list is not JSON") == true, "\(html.detail ?? "")")
            #expect(try await store.ingestRuns(limit: 10).isEmpty)
            await collector.http.shutdown()
        }
    }

    @Test func aFailedDownloadIsTriedAgainNextRun() async throws {
        let server = try await Self.server(
            reports: {
                #"[{"id": "a", "file": "2024-05-01-scan_dns-uruguay-geo.csv"}, {"id": "b", "file": "2024-05-02-scan_dns-uruguay-geo.csv"}]"#
            }, failDownload: true)
        defer { Task { await server.stop() } }
        try await TestDatabase.withStore(.sqlite) { store in
            let collector = try URLCollectorTests.collector(store)
            let source = Self.source(server)
            try await store.insertFeedSource(source, secret: Self.secret)
            let first = try await collector.run(try #require(try await store.feedSource(id: source.id)))
            #expect(first.outcome == .delivered)
            #expect(first.detail?.hasPrefix("1 of 2 reports not fetched (tried again next run): 2024-05-02-scan_dns-uruguay-geo.csv") == true, "\(first.detail ?? "")")
            #expect(try await store.feedSource(id: source.id)?.state.cursor == "a")
            _ = try await collector.run(try #require(try await store.feedSource(id: source.id)))
            #expect(server.requests.filter { $0.uri == "/dl/b" }.count == 2)
            #expect(server.requests.filter { $0.uri == "/dl/a" }.count == 1)
            await collector.http.shutdown()
        }
    }

    @Test func listsAreReadStrictly() {
        #expect(throws: CollectorError.api("Shadowserver's report list, entry 1: it has no id or file")) {
            _ = try ShadowserverAPICollector.parseListForTesting(#"[{"id": "a"}]"#)
        }
        #expect(throws: CollectorError.api("Shadowserver's report list, entry 1: the id '../etc' is not an id")) {
            _ = try ShadowserverAPICollector.parseListForTesting(#"[{"id": "../etc", "file": "x.csv"}]"#)
        }
        #expect(throws: CollectorError.api("Shadowserver's report list is not a list")) { _ = try ShadowserverAPICollector.parseListForTesting("42") }
        #expect((try? ShadowserverAPICollector.parseListForTesting(#"[{"id": "a", "file": "/tmp/../2024-05-01-x.csv"}]"#)) == ["2024-05-01-x.csv"])
        #expect(
            ShadowserverAPICollector.signature(body: Data(#"{"apikey":"k"}"#.utf8), secret: "s")
                == HMAC<SHA256>.authenticationCode(for: Data(#"{"apikey":"k"}"#.utf8), using: SymmetricKey(data: Data("s".utf8))).map { String(format: "%02x", $0) }.joined())
    }
}
