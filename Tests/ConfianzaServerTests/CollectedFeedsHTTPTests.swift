import ConfianzaCore
import ConfianzaFeeds
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The collected feeds' pages and API: who may do what, refusals in the reader's language, secrets
/// never shown, a silent daily feed flagged on the health page, in the API and in /metrics.
@Suite struct CollectedFeedsHTTPTests {
    static let day = 86400.0

    /// A daily feed that stopped three days ago, and one still delivering.
    static func history(_ store: any Store, now: Date = Date()) async throws {
        for (feed, ago) in [("Quiet feed", [3, 4, 5, 6, 7]), ("Busy feed", [0, 1, 2])] {
            for back in ago {
                try await store.insertIngestRun(
                    IngestRun(
                        fileName: "\(feed)-\(back).csv", fileHash: UUID().uuidString, format: "intelmq", feed: feed,
                        startedAt: now.addingTimeInterval(-Double(back) * Self.day - 60), finishedAt: now,
                        counts: IngestCounts(read: 10, stored: 9, duplicates: 0, quarantined: 1), source: "test"))
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func adminsAddFeedsOthersReadThem(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let admin = Browser(client)
            try await admin.login("root")
            let page = try await admin.get("/feeds/sources")
            #expect(page.status == .ok)
            #expect(page.text.contains("id=\"add-feed-form\""))
            #expect(page.text.contains("public:spamhaus-drop") || PublicFeeds.all.isEmpty)

            let refused = try await admin.post(
                "/feeds/sources", [("name", "Drop"), ("kind", "http"), ("location", "https://feeds.example.net/drop.txt"), ("every", "10s")])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("how often — 30m, 6h, 1d or 7d"), "the refusal in words, with the form kept")
            #expect(refused.text.contains("value=\"https://feeds.example.net/drop.txt\""))

            let added = try await admin.post(
                "/feeds/sources",
                [("name", "Mailbox"), ("kind", "imap"), ("location", "imaps://mail.example.net/INBOX"), ("username", "cert"),
                 ("secret", "hunter2-very-secret"), ("every", "1h")])
            #expect(added.status == .seeOther)
            let location = try #require(added.location)
            #expect(location.hasPrefix("/feeds/sources/") && location.hasSuffix("?added=1"))
            let detail = try await admin.get(location)
            #expect(detail.text.contains("Mailbox") && detail.text.contains("imaps://mail.example.net/INBOX"))
            #expect(!detail.text.contains("hunter2-very-secret"), "a secret is never shown")
            let duplicate = try await admin.post(
                "/feeds/sources", [("name", "Mailbox"), ("kind", "imap"), ("location", "imaps://mail.example.net/INBOX"), ("username", "u"), ("secret", "p")])
            #expect(duplicate.status == .conflict)
            #expect(try await dependencies.store.feedSecret(id: try #require(try await dependencies.store.feedSource(named: "Mailbox")).id) == "hunter2-very-secret")

            let viewer = Browser(client)
            try await viewer.login("vera")
            let read = try await viewer.get("/feeds/sources")
            #expect(read.text.contains("Mailbox"))
            #expect(!read.text.contains("id=\"add-feed-form\""))
            #expect(!read.text.contains("hunter2-very-secret"))
            let forbidden = try await viewer.post("/feeds/sources", [("name", "X"), ("kind", "http"), ("location", "https://x.example/f")])
            #expect(forbidden.status == .forbidden)
            let id = try #require(try await dependencies.store.feedSource(named: "Mailbox")).id.uuidString
            #expect(try await viewer.post("/feeds/sources/\(id)/remove", []).status == .forbidden)
            #expect(try await viewer.get("/feeds/sources/not-a-uuid").status == .badRequest)
            #expect(try await viewer.get("/feeds/sources/\(UUID().uuidString)").status == .notFound)

            // No collector on this server: "fetch now" says so instead of pretending.
            let analyst = Browser(client)
            try await analyst.login("ana")
            _ = try await analyst.get("/feeds/sources")
            #expect(try await analyst.post("/feeds/sources/\(id)/fetch", []).status == .conflict)

            #expect(try await admin.post("/feeds/sources/\(id)/disable", []).status == .seeOther)
            #expect(try await dependencies.store.feedSource(named: "Mailbox")?.enabled == false)
            #expect(try await admin.post("/feeds/sources/\(id)/remove", []).status == .seeOther)
            #expect(try await dependencies.store.feedSources().isEmpty)
            let audit = try await dependencies.store.auditEntries(limit: 50, before: nil).map(\.event.action)
            #expect(audit.contains(.feedAdded) && audit.contains(.feedDisabled) && audit.contains(.feedRemoved))
        }
    }

    @Test func refusalsAreInTheReadersLanguage() async throws {
        try await TestApp.run { client, _ in
            let admin = Browser(client)
            try await admin.login("root")
            _ = try await admin.get("/feeds/sources")
            let spanish = try await admin.post(
                "/feeds/sources", [("name", "Drop"), ("kind", "http"), ("location", "ftp://x.example/f")], headers: [.acceptLanguage: "es"])
            #expect(spanish.status == .unprocessableContent)
            #expect(spanish.text.contains("la dirección debe ser una URL http:// o https://"), "\(spanish.text.prefix(300))")
            let french = try await admin.get("/feeds/health", headers: [.acceptLanguage: "fr"])
            #expect(french.text.contains("Santé des flux"))
        }
    }

    @Test(arguments: TestBackend.available)
    func aSilentDailyFeedIsFlaggedEverywhere(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            try await Self.history(dependencies.store)
            let viewer = Browser(client)
            try await viewer.login("vera")
            let page = try await viewer.get("/feeds/health")
            #expect(page.status == .ok)
            #expect(page.text.contains("<tr data-feed=\"Quiet feed\" class=\"silent\">"), "\(page.text)")
            #expect(page.text.contains("<tr data-feed=\"Busy feed\">"))
            #expect(page.text.contains("silent for more than two days"))
            #expect(page.text.contains("<svg id=\"health-"), "events per day as inline SVG")
            #expect(page.text.contains("10.0 %"))

            let token = try await makeToken(dependencies, for: "vera")
            let api = try await client.execute(uri: "/api/v1/feed-health", method: .get, headers: bearer(token))
            let feeds = try api.jsonArray()
            let quiet = try #require(feeds.first { $0["feed"] as? String == "Quiet feed" })
            #expect(quiet["silent"] as? Bool == true)
            #expect((quiet["eventsPerDay"] as? [Int])?.count == 30)
            #expect(feeds.first { $0["feed"] as? String == "Busy feed" }?["silent"] as? Bool == false)

            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.text.contains("confianza_feed_silent{feed=\"Quiet feed\"} 1"), "\(metrics.text)")
            #expect(metrics.text.contains("confianza_feeds_silent 1"))
        }
    }

    @Test func theAPIRefusesBadInputAndNeverShowsSecrets() async throws {
        try await TestApp.run { client, dependencies in
            let admin = try await makeToken(dependencies, for: "root")
            let viewer = try await makeToken(dependencies, for: "vera")
            func post(_ body: String, _ token: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/feed-sources", method: .post, headers: bearer(token, json: true), body: ByteBuffer(string: body))
            }
            #expect(try await post(#"{"name": "A", "kind": "http", "location": "https://x.example/f"}"#, viewer).status == .forbidden)
            #expect(try await post(#"{"name": "A", "kind": "http", "location": "https://x.example/f", "colour": "red"}"#, admin).status == .badRequest)
            #expect(try await post(#"{"name": 5, "kind": "http"}"#, admin).status == .badRequest)
            #expect(try await post(#"{"name": "A", "kind": "http", "location": "https://x.exa"#, admin).status == .badRequest)
            #expect(try await post(#"{"name": "A", "kind": "http", "location": "https://x.example/f", "maxMegabytes": 99999}"#, admin).status == .badRequest)
            let created = try await post(
                #"{"name": "Token feed", "kind": "http", "location": "https://x.example/f?token=abc", "secret": "s3cr3t", "every": "6h"}"#, admin)
            #expect(created.status == .created)
            #expect(!created.text.contains("s3cr3t") && !created.text.contains("token=abc"), "\(created.text)")
            let listed = try await client.execute(uri: "/api/v1/feed-sources", method: .get, headers: bearer(viewer))
            let first = try #require(try listed.jsonArray().first)
            #expect(first["hasSecret"] as? Bool == true && first["everySeconds"] as? Int == 21600)
            let id = try #require(first["id"] as? String)
            #expect(try await client.execute(uri: "/api/v1/feed-sources/\(id)/fetch", method: .post, headers: bearer(viewer)).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/feed-sources/\(id)", method: .delete, headers: bearer(viewer)).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/feed-sources/\(id)", method: .delete, headers: bearer(admin)).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/feed-sources/\(id)", method: .delete, headers: bearer(admin)).status == .notFound)
        }
    }
}
