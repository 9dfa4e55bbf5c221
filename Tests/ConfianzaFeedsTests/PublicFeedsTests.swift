import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Testing

/// Every bundled public feed reads, and reads a real-shaped sample of what its provider publishes
/// (`Fixtures/public/<name>.txt`: the provider's header and comment lines, with documentation
/// addresses) into the events `Fixtures/public/expected.json` names, with nothing rejected.
@Suite struct PublicFeedsTests {
    struct Expected: Decodable {
        var events: Int
        var first: [String: JSONValue]
    }

    enum JSONValue: Decodable {
        case string(String), number(Double), boolean(Bool)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .boolean(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else {
                self = .string(try container.decode(String.self))
            }
        }

        func matches(_ value: EventValue?) -> Bool {
            switch (self, value) {
            case (.string(let a), .string(let b)?): a == b
            case (.number(let a), .integer(let b)?): a == Double(b)
            case (.number(let a), .float(let b)?): a == b
            case (.boolean(let a), .boolean(let b)?): a == b
            default: false
            }
        }
    }

    static let directory = Bundle.module.url(forResource: "Fixtures/public", withExtension: nil)

    static func expected() throws -> [String: Expected] {
        let url = try #require(Self.directory?.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: url))
    }

    static func read(_ mapping: GenericCSVMapping, _ bytes: [UInt8]) -> (events: [Event], rejected: [Rejection]) {
        var parser = ShadowserverParser(
            mapping: mapping.mapping, reportType: "csv", feedName: nil, observedAt: Date(timeIntervalSince1970: 1_714_557_600),
            delimiter: mapping.delimiter, columns: mapping.names, comment: mapping.comment, skipInitialSpace: mapping.skipInitialSpace)
        var events: [Event] = []
        var rejected: [Rejection] = []
        let collect: (ParsedRecord) -> Void = { record in
            switch record {
            case .event(let event, _): events.append(event)
            case .rejected(let rejection): rejected.append(rejection)
            }
        }
        parser.feed(bytes, collect)
        parser.finish(collect)
        return (events, rejected)
    }

    @Test func atLeastTwentyPublicFeedsAreBundledAndEveryFileReads() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/ConfianzaFeeds/Resources/Feeds/public")
        let files = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 20)
        // A bundled file that did not read would be missing from the list the platform offers.
        #expect(Set(PublicFeeds.all.keys) == Set(files.map { String($0.dropLast(5)) }))
        for (name, feed) in PublicFeeds.all {
            #expect(feed.publicName == name)
            #expect(feed.url?.hasPrefix("https://") == true, "\(name) says where it is published")
            #expect(feed.mapping.tlp == TLP.clear.rawValue, "\(name): public lists are TLP:CLEAR")
            let report = try #require(feed.mapping.reports["csv"])
            #expect(report.constant["classification.type"] != nil, "\(name) is classified")
            #expect(report.documentation != nil, "\(name) links its documentation")
        }
    }

    @Test func everyPublicFeedHasASampleThatReadsWhole() throws {
        let expected = try Self.expected()
        #expect(Set(expected.keys) == Set(PublicFeeds.all.keys), "a sample and its expectation for every bundled feed")
        for (name, want) in expected.sorted(by: { $0.key < $1.key }) {
            let feed = try PublicFeeds.mapping(name)
            let sample = try #require(Self.directory?.appendingPathComponent("\(name).txt"))
            let (events, rejected) = Self.read(feed, Array(try Data(contentsOf: sample)))
            #expect(rejected.isEmpty, "\(name): \(rejected.map { "line \($0.line): \($0.reason)" })")
            #expect(events.count == want.events, "\(name)")
            let first = try #require(events.first, "\(name)")
            for (key, value) in want.first {
                #expect(value.matches(first[key]), "\(name): \(key) is \(String(describing: first[key]))")
            }
            #expect(first["feed.documentation"] != nil, "\(name)")
            #expect(first["classification.type"] != nil, "\(name)")
        }
    }

    @Test func aBrokenLineInAPublicListIsRejectedAloneWithItsReason() throws {
        let feed = try PublicFeeds.mapping("spamhaus-drop")
        let text = "; Spamhaus DROP List\n1.10.16.0/20 ; SBL256894\n1.10.16.0/33 ; SBL1\nunknown ; SBL2\n2.56.192.0/22 ; SBL459831\n"
        let (events, rejected) = Self.read(feed, Array(text.utf8))
        #expect(events.map { $0["source.network"]?.description } == ["1.10.16.0/20", "2.56.192.0/22"])
        #expect(rejected.map(\.line) == [3, 4])
        #expect(rejected.first?.reason.contains("network") == true, "\(rejected)")
    }

    @Test func anHTMLPageInsteadOfAListIsRejectedNotRead() throws {
        let feed = try PublicFeeds.mapping("blocklistde-ssh")
        let text = "<html>\n<body>Rate limit exceeded</body>\n</html>\n"
        let (events, rejected) = Self.read(feed, Array(text.utf8))
        #expect(events.isEmpty)
        #expect(rejected.count == 3)
    }

    @Test func anUnknownPublicFeedIsRefusedNamingTheKnownOnes() {
        do {
            _ = try PublicFeeds.mapping("spamhaus-drops")
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("spamhaus-drop"))
        }
    }

    @Test(arguments: [
        (#"{"feed": "X", "columns": {"ip": "source.ip"}, "names": ["ip", "ip"]}"#, "names must be distinct, non-empty column names"),
        (#"{"feed": "X", "columns": {"address": "source.ip"}, "names": ["ip"]}"#, "column 'address' is not one of names"),
        (#"{"feed": "X", "columns": {}, "comment": ""}"#, "comment must be 1 to 4 characters"),
        (#"{"feed": "X", "columns": {}, "documentation": "javascript:alert(1)"}"#, "documentation must be an http(s) URL"),
        (#"{"feed": "X", "columns": {}, "skipInitialSpace": "yes"}"#, "is not a mapping"),
        (#"{"feed": "X", "columns": {}, "delimiter": "\\t"}"#, nil),
        ("{\"feed\": \"X\", \"columns\": {", "is not a mapping"),
        ("", "is not a mapping"),
    ] as [(String, String?)])
    func mappingKeysForHeaderlessListsAreChecked(json: String, reason: String?) {
        do {
            let mapping = try GenericCSVMapping.read(Data(json.utf8), source: "feed.json")
            #expect(reason == nil, "accepted")
            #expect(mapping.delimiter == 9)
        } catch {
            #expect(reason.map { error.description.hasPrefix("feed.json: " + $0) } == true, "\(error)")
        }
    }
}
