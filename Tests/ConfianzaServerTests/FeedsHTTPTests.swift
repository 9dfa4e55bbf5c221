import ConfianzaCore
import ConfianzaFeeds
import ConfianzaNetwork
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct FeedsHTTPTests {
    static let report = """
        "timestamp","severity","ip","protocol","port","asn","geo"
        "2024-05-01 00:00:01","medium","198.51.100.1","udp",53,64500,"UY"
        "2024-05-01 00:00:02","medium","198.51.100.2","udp",53,64500,"UY"
        "2024-05-01 00:00:01","medium","198.51.100.1","udp",53,64500,"UY"
        "2024-05-01 00:00:03","medium","not-an-ip","udp",53,64500,"UY"

        """

    static func ingest(_ dependencies: ServerDependencies) async throws -> IngestSummary {
        let org = try await dependencies.constituency.createOrganisation(
            OrganisationDraft(name: "Hospital", sector: "health", country: "UY", kind: "public"))
        _ = try await dependencies.constituency.addAsset(organisationID: org.id, kind: "prefix", value: "198.51.100.0/24")
        let pipeline = IngestPipeline(store: dependencies.store, constituency: dependencies.constituency, mapping: try ShadowserverMapping.bundled())
        return try await pipeline.ingest(
            fileName: "2024-05-01-scan_dns-uy.csv", format: .shadowserver(reportType: nil), source: "test",
            open: { MemoryChunks(Array(Self.report.utf8)) })
    }

    @Test(arguments: TestBackend.available)
    func runsQuarantineAndEventsAreShown(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let summary = try await Self.ingest(dependencies)
            let browser = Browser(client)
            try await browser.login("vera")
            let runs = try await browser.get("/feeds")
            #expect(runs.text.contains("2024-05-01-scan_dns-uy.csv"))
            #expect(runs.text.contains("<td>4</td><td>2</td><td>1</td><td>1</td>"))
            let run = try await browser.get("/feeds/runs/\(summary.run.uuidString)")
            #expect(run.text.contains("4 = 2 + 1 + 1 — Every line is accounted for."))
            #expect(run.text.contains("not-an-ip"))
            let events = try await browser.get("/events?ip=198.51.100.1")
            #expect(events.text.contains("Hospital"))
            #expect(events.text.contains("<td>2</td>"), "seen twice")
            let id = try #require(try await dependencies.store.events(matching: EventQuery(network: try IPPrefix("198.51.100.1"))).first?.id)
            let page = try await browser.get("/events/\(id)")
            #expect(page.text.contains("prefix 198.51.100.0/24"))
            #expect(page.text.contains("dns-open-resolver"))
            #expect(try await browser.get("/events?severity=urgent").status == .badRequest)
            #expect(try await browser.get("/events/999999").status == .notFound)
            #expect(try await browser.get("/feeds/runs/nope").status == .notFound)

            let token = try await makeToken(dependencies, for: "vera")
            let api = try await client.execute(uri: "/api/v1/events?type=vulnerable-system", method: .get, headers: bearer(token))
            let list = try api.jsonArray()
            #expect(list.count == 2)
            #expect((list.first?["fields"] as? [String: Any])?["feed.name"] as? String == "DNS-Open-Resolvers")
            let detail = try await client.execute(uri: "/api/v1/ingest-runs/\(summary.run.uuidString)", method: .get, headers: bearer(token))
            #expect((try detail.json()["counts"] as? [String: Any])?["quarantined"] as? Int == 1)
            #expect((try detail.json()["quarantine"] as? [[String: Any]])?.first?["line"] as? Int == 5)
            #expect(try await client.execute(uri: "/api/v1/events?limit=0", method: .get, headers: bearer(token)).status == .badRequest)

            // The other filters, and each refusing what it cannot read, naming the parameter.
            func count(_ query: String) async throws -> Int {
                try await client.execute(uri: "/api/v1/events?\(query)", method: .get, headers: bearer(token)).jsonArray().count
            }
            #expect(try await count("ip=198.51.100.0/24&asn=AS64500&taxonomy=vulnerable&from=2024-05-01&to=2024-05-01") == 2)
            #expect(try await count("ip=198.51.100.0/24&to=2024-04-30") == 0)
            #expect(try await count("ip=2001:db8::/32") == 0)
            #expect(try await count("taxonomy=Malicious%20Code") == 0, "aliases are read")
            for (query, field) in [
                ("ip=198.51.100.300", "ip"), ("ip=198.51.100.1/24", "ip"), ("asn=ASX", "asn"), ("asn=0", "asn"), ("taxonomy=nope", "taxonomy"),
                ("from=yesterday", "from"), ("to=2024-13-01", "to"), ("from=2024-05-02&to=2024-05-01", "from"),
            ] {
                let response = try await client.execute(uri: "/api/v1/events?\(query)", method: .get, headers: bearer(token))
                #expect(response.status == .badRequest, "\(query)")
                #expect(String(buffer: response.body).contains("\"\(field)\""), "\(query): \(String(buffer: response.body))")
            }
            let filtered = try await browser.get("/events?ip=198.51.100.0/24&from=2024-05-01&taxonomy=vulnerable")
            #expect(filtered.text.contains("value=\"198.51.100.0/24\""), "the form keeps what was asked")
            #expect(filtered.text.contains("<option value=\"vulnerable\" selected>"))
        }
    }
}

@Suite struct ReprocessHTTPTests {
    /// An analyst re-processes a run's quarantine from its page and through the API; a viewer may not.
    @Test func analystsReprocessFromThePageAndTheAPI() async throws {
        try await TestApp.run { client, dependencies in
            let summary = try await FeedsHTTPTests.ingest(dependencies)
            let viewer = Browser(client)
            try await viewer.login("vera")
            let seen = try await viewer.get("/feeds/runs/\(summary.run.uuidString)")
            #expect(!seen.text.contains("id=\"reprocess\""), "viewers get no button")
            #expect(try await viewer.post("/feeds/runs/\(summary.run.uuidString)/reprocess", []).status == .forbidden)

            let analyst = Browser(client)
            try await analyst.login("ana")
            let page = try await analyst.get("/feeds/runs/\(summary.run.uuidString)")
            #expect(page.text.contains("id=\"reprocess\""))
            let done = try await analyst.post("/feeds/runs/\(summary.run.uuidString)/reprocess", [])
            #expect(done.status == .seeOther)
            let after = try await analyst.get(try #require(done.headers[.location]))
            #expect(after.text.contains("Re-processed: 0 lines now read, 1 still quarantined."))
            #expect(after.text.contains("4 = 2 + 1 + 1"))

            let token = try await makeToken(dependencies, for: "ana")
            let api = try await client.execute(
                uri: "/api/v1/ingest-runs/\(summary.run.uuidString)/reprocess", method: .post, headers: bearer(token))
            #expect(api.status == .ok)
            #expect(try api.json()["stillQuarantined"] as? Int == 1)
            let bad = try await client.execute(
                uri: "/api/v1/ingest-runs/\(summary.run.uuidString)/reprocess?format=csv:x.json", method: .post, headers: bearer(token))
            #expect(bad.status == .badRequest)
            let missing = try await client.execute(uri: "/api/v1/ingest-runs/\(UUID().uuidString)/reprocess", method: .post, headers: bearer(token))
            #expect(missing.status == .notFound)
            let audit = try await dependencies.store.auditEntries(limit: 50, before: nil)
            #expect(audit.filter { $0.event.action == .quarantineReprocessed }.count == 2)
        }
    }
}

@Suite struct IngestUploadTests {
    @Test(arguments: TestBackend.available)
    func anUploadIsIngestedInTheBackgroundAndItsRunCanBePolled(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let analyst = try await makeToken(dependencies, for: "ana")
            var headers = bearer(analyst)
            headers[.contentType] = "text/csv"
            let uri = "/api/v1/ingest?name=2024-05-01-scan_dns-uy.csv"
            let accepted = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: FeedsHTTPTests.report))
            #expect(accepted.status == .accepted)
            let poll = try #require(try accepted.json()["poll"] as? String)
            #expect(accepted.headers[.location] == poll)
            var counts: [String: Any] = [:]
            for _ in 0..<100 {
                let run = try await client.execute(uri: poll, method: .get, headers: bearer(analyst))
                if try run.json()["finishedAt"] != nil {
                    counts = try run.json()["counts"] as? [String: Any] ?? [:]
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(counts["read"] as? Int == 4)
            #expect(counts["stored"] as? Int == 2)
            #expect(counts["quarantined"] as? Int == 1)

            let again = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: FeedsHTTPTests.report))
            #expect(again.status == .ok)
            #expect(try again.json()["status"] as? String == "finished")

            let viewer = try await makeToken(dependencies, for: "vera")
            var viewerHeaders = bearer(viewer)
            viewerHeaders[.contentType] = "text/csv"
            #expect(try await client.execute(uri: uri, method: .post, headers: viewerHeaders, body: ByteBuffer(string: "x")).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/ingest", method: .post, headers: headers, body: ByteBuffer(string: "x")).status == .badRequest)
            #expect(try await client.execute(uri: "\(uri)&format=misp", method: .post, headers: headers, body: ByteBuffer(string: "x")).status == .badRequest)
            #expect(try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer()).status == .badRequest)
        }
    }

    /// A file another process is reading now (its run's lease holds) is answered 409, and nothing changes.
    @Test func aFileAnotherProcessIsReadingIsAConflict() async throws {
        try await TestApp.run { client, dependencies in
            let body = #"{"source.ip":"198.51.100.7","classification.type":"scanner"}"# + "\n"
            let hash = try IngestPipeline.fingerprint(MemoryChunks(Array(body.utf8)))
            try await dependencies.store.insertIngestRun(
                IngestRun(
                    fileName: "x.jsonl", fileHash: hash, format: "intelmq", feed: "IntelMQ", startedAt: Date(), source: "inbox",
                    leaseOwner: "elsewhere/42/abcd", leaseUntil: Date().addingTimeInterval(600)))
            var headers = bearer(try await makeToken(dependencies, for: "ana"))
            headers[.contentType] = "application/x-ndjson"
            let answer = try await client.execute(
                uri: "/api/v1/ingest?name=x.jsonl&format=intelmq", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(answer.status == .conflict)
            #expect(answer.headers[.contentType] == "application/problem+json")
            #expect((try answer.json()["detail"] as? String)?.contains("being read by another process (elsewhere, process 42)") == true)
            let run = try #require(try await dependencies.store.ingestRuns(limit: 5).first)
            #expect(run.leaseOwner == "elsewhere/42/abcd" && run.counts.read == 0)
            #expect(try await dependencies.store.eventCount() == 0)
        }
    }
}

@Suite struct EventExportTests {
    @Test func eventsExportAsIntelMQJSONLinesThatReadBackAndAsCSV() async throws {
        try await TestApp.run { client, dependencies in
            _ = try await FeedsHTTPTests.ingest(dependencies)
            let token = try await makeToken(dependencies, for: "vera")
            let lines = try await client.execute(uri: "/api/v1/events/export?format=jsonl", method: .get, headers: bearer(token))
            #expect(lines.headers[.contentType] == "application/x-ndjson")
            // What Confianza exports, its own IntelMQ reader takes back, field for field.
            var parser = IntelMQParser(observedAt: Date())
            var events: [Event] = []
            var rejected: [Rejection] = []
            parser.feed(Array(lines.body.readableBytesView)) { record in
                switch record {
                case .event(let event, _): events.append(event)
                case .rejected(let rejection): rejected.append(rejection)
                }
            }
            parser.finish { _ in }
            #expect(rejected.isEmpty)
            #expect(events.count == 2)
            #expect(events.contains { $0["extra.confianza_count"] == .integer(2) })
            let csv = try await client.execute(uri: "/api/v1/events/export?format=csv&ip=198.51.100.2", method: .get, headers: bearer(token))
            let rows = csv.text.split(separator: "\r\n")
            #expect(rows.count == 2)
            #expect(rows[1].hasPrefix("2024-05-01T00:00:02+00:00,DNS-Open-Resolvers,vulnerable,vulnerable-system,dns-open-resolver,198.51.100.2,53,64500,"))
            #expect(try await client.execute(uri: "/api/v1/events/export?format=xml", method: .get, headers: bearer(token)).status == .badRequest)

            // A value that a spreadsheet would run as a formula is exported as text.
            let line = #"{"source.ip":"203.0.113.66","classification.type":"infected-system","malware.name":"=1+2"}"# + "\n"
            _ = try await dependencies.ingest.ingest(fileName: "f.jsonl", format: .intelmq, source: "test", open: { MemoryChunks(Array(line.utf8)) })
            let formula = try await client.execute(uri: "/api/v1/events/export?format=csv&ip=203.0.113.66", method: .get, headers: bearer(token))
            #expect(formula.text.contains(",'=1+2,"))
        }
    }
}
