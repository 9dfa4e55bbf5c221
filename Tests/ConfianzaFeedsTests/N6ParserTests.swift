import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Testing

/// CERT.pl n6 events: its REST API's JSON array and its JSON-lines stream, read a byte at a time or
/// whole; one event per address; categories classified; broken objects rejected alone.
@Suite struct N6ParserTests {
    static func read(_ bytes: [UInt8], chunk: Int = 1 << 16) -> (events: [(Event, Int)], rejected: [Rejection]) {
        var parser = N6Parser(feedName: nil, observedAt: Date(timeIntervalSince1970: 1_714_557_600), maxObjectBytes: 4096)
        var events: [(Event, Int)] = []
        var rejected: [Rejection] = []
        let collect: (ParsedRecord) -> Void = { record in
            switch record {
            case .event(let event, let line): events.append((event, line))
            case .rejected(let rejection): rejected.append(rejection)
            }
        }
        var start = 0
        while start < bytes.count {
            parser.feed(bytes[start..<min(start + chunk, bytes.count)], collect)
            start += chunk
        }
        parser.finish(collect)
        return (events, rejected)
    }

    static func fixture() throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/n6-report-inside", withExtension: "json"))
        return Array(try Data(contentsOf: url))
    }

    @Test(arguments: [1, 7, 1 << 16])
    func anArrayReadsIntoOneEventPerAddress(chunk: Int) throws {
        let (events, rejected) = Self.read(try Self.fixture(), chunk: chunk)
        #expect(rejected.isEmpty, "\(rejected)")
        #expect(events.count == 5)
        #expect(events.map(\.1) == [2, 2, 3, 4, 5])
        let bot = events[0].0
        #expect(bot["source.ip"] == .string("192.0.2.10"))
        #expect(bot["source.asn"] == .integer(64496))
        #expect(bot["source.geolocation.cc"] == .string("PL"))
        #expect(bot["malware.name"] == .string("emotet"))
        #expect(bot["destination.port"] == .integer(8080))
        #expect(bot["protocol.transport"] == .string("tcp"))
        #expect(bot["classification.taxonomy"] == .string("malicious-code"))
        #expect(bot["classification.type"] == .string("infected-system"))
        #expect(bot["tlp"] == .string("TLP:AMBER"))
        #expect(bot["time.source"] == .string("2024-05-01T10:11:12+00:00"))
        #expect(bot["extra.n6_source"] == .string("abuse-ch.feodotracker"))
        #expect(bot["extra.n6_origin"] == .string("sinkhole"))
        #expect(events[1].0["source.ip"] == .string("198.51.100.11"))
        #expect(events[1].0["extra.n6_id"] == bot["extra.n6_id"])

        let phish = events[2].0
        #expect(phish["source.url"] == .string("https://bank-login.example.com/pl/"))
        #expect(phish["source.fqdn"] == .string("bank-login.example.com"))
        #expect(phish["source.asn"] == .integer(64500))
        #expect(phish["classification.type"] == .string("phishing"))
        #expect(phish["event_description.target"] == .string("Bank Example"))
        #expect(phish["tlp"] == .string("TLP:CLEAR"))

        let c2 = events[3].0
        #expect(c2["source.ip"] == nil)
        #expect(c2["source.fqdn"] == .string("c2.example.net"))
        #expect(c2["malware.name"] == .string("cobalt strike"))
        #expect(c2["malware.hash.sha256"] != nil)
        #expect(c2["tlp"] == .string("TLP:RED"))
        #expect(c2["classification.type"] == .string("c2-server"))

        #expect(events[4].0["source.ip"] == .string("2001:db8::5"))
        #expect(events[4].0["extra.n6_count"] == .string("57"))
    }

    @Test func jsonLinesReadTheSame() throws {
        let array = Self.read(try Self.fixture())
        let text = String(decoding: try Self.fixture(), as: UTF8.self)
            .split(separator: "\n").filter { $0.hasPrefix("{") }.map { $0.hasSuffix(",") ? String($0.dropLast()) : String($0) }.joined(separator: "\n")
        let lines = Self.read(Array(text.utf8))
        #expect(lines.rejected.isEmpty)
        #expect(lines.events.map { $0.0["source.ip"] } == array.events.map { $0.0["source.ip"] })
        #expect(lines.events.map(\.1) == [1, 1, 2, 3, 4])
    }

    @Test(arguments: [
        (#"{"category": "bots", "restriction": "public", "address": [{"ip": "192.0.2.1"}]}"#, "time: missing"),
        (#"{"time": "2024-05-01T10:00:00Z", "restriction": "public"}"#, "category: missing"),
        (#"{"category": "robots", "time": "2024-05-01T10:00:00Z"}"#, "category: 'robots' is not an n6 category"),
        (#"{"category": "bots", "time": "yesterday"}"#, "time: "),
        (#"{"category": "bots", "time": "2024-05-01T10:00:00Z", "restriction": "secret"}"#, "restriction: 'secret' is not public"),
        (#"{"category": "bots", "time": "2024-05-01T10:00:00Z", "address": [{"ip": "300.1.2.3"}]}"#, "address[0].ip: "),
        (#"{"category": "bots", "time": "2024-05-01T10:00:00Z", "address": [{"cc": "PL"}]}"#, "address[0]: not an object with an ip"),
        (#"{"category": "bots", "time": "2024-05-01T10:00:00Z", "address": "192.0.2.1"}"#, "address: not a list of addresses"),
        (#"{"category": "bots", "time": "2024-05-01T10:00:00Z",}"#, "not a JSON object"),
    ])
    func aBrokenObjectIsRejectedWithItsField(object: String, reason: String) {
        let good = #"{"category": "tor", "time": "2024-05-01T10:00:00Z", "address": [{"ip": "192.0.2.9"}]}"#
        let (events, rejected) = Self.read(Array("[\(good),\n\(object),\n\(good)]".utf8))
        #expect(events.count == 2, "the objects around it are read")
        #expect(rejected.count == 1)
        #expect(rejected.first?.line == 2)
        #expect(rejected.first?.reason.hasPrefix(reason) == true, "\(rejected)")
    }

    @Test func anInvalidOptionalValueIsKeptUnderExtra() {
        let object = #"{"category": "scanning", "time": "2024-05-01T10:00:00Z", "dport": 70000, "address": [{"ip": "192.0.2.1", "cc": "Poland", "asn": "x"}]}"#
        let (events, rejected) = Self.read(Array(object.utf8))
        #expect(rejected.isEmpty)
        let event = events.first?.0
        #expect(event?["destination.port"] == nil)
        #expect(event?["extra.n6_dport"] == .string("70000"))
        #expect(event?["extra.n6_cc"] == .string("Poland"))
        #expect(event?["extra.n6_asn"] == .string("x"))
    }

    @Test(arguments: [
        ("[{\"category\": \"tor\", \"time\": \"2024-05-01T10:00:00Z\"", "the input ends inside an object"),
        ("[{\"category\": \"tor\", \"time\": \"2024-05-01T10:00:00Z\"}", "the input ends before the array is closed"),
        ("category,time\ntor,2024\n", "not a JSON object"),
    ])
    func truncatedOrForeignInputIsReported(text: String, reason: String) {
        let (_, rejected) = Self.read(Array(text.utf8))
        #expect(rejected.contains { $0.reason.hasPrefix(reason) }, "\(rejected)")
    }

    @Test func anOversizeObjectIsRejectedAndTheNextOneRead() {
        let huge = "{\"category\": \"tor\", \"time\": \"2024-05-01T10:00:00Z\", \"pad\": \"" + String(repeating: "x", count: 5000) + "\"}"
        let good = #"{"category": "tor", "time": "2024-05-01T10:00:00Z", "address": [{"ip": "192.0.2.9"}]}"#
        let (events, rejected) = Self.read(Array("\(huge)\n\(good)\n".utf8))
        #expect(rejected.map(\.line) == [1])
        #expect(rejected.first?.reason.contains("longer than 4096 bytes") == true)
        #expect(events.count == 1)
    }

    @Test func theFormatIsGuessedFromTheFirstObject() throws {
        #expect(FeedFormat.guess(fileName: "inside.json", head: try Self.fixture()).description == "n6")
        #expect(FeedFormat.guess(fileName: "events.jsonl", head: Array(#"{"source.ip": "192.0.2.1"}"#.utf8)).description == "intelmq")
        #expect(try FeedFormat("n6").description == "n6")
    }

    @Test func everyCategoryIsAnRSITClassification() {
        for (category, classification) in N6Parser.categories {
            #expect(Taxonomy.canonicalTaxonomy(classification.taxonomy) == classification.taxonomy, "\(category)")
            #expect(Taxonomy.canonicalType(classification.type) == classification.type, "\(category)")
        }
    }
}
