import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Testing

@Suite struct GenericCSVTests {
    static func mappingFile(_ json: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mapping-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        return url
    }

    static let good = """
        {"feed": "Partner blocklist", "provider": "Partner CERT", "delimiter": ";", "tlp": "green",
         "columns": {"IP": "source.ip", "seen": "time.source", "port": "source.port"},
         "required": ["ip", "seen"], "constant": {"classification.type": "blacklist"}, "severity": "low"}
        """

    @Test func aUserMappingReadsItsCSV() throws {
        let url = try Self.mappingFile(Self.good)
        defer { try? FileManager.default.removeItem(at: url) }
        let custom = try GenericCSVMapping.load(url)
        var parser = ShadowserverParser(
            mapping: custom.mapping, reportType: "csv", observedAt: Date(timeIntervalSince1970: 0), delimiter: custom.delimiter)
        var events: [Event] = []
        var rejected: [Rejection] = []
        let text = "ip;seen;port;why\n192.0.2.1;2024-05-01 10:00:00;25;spam trap\n;2024-05-01 10:00:01;25;no ip\n192.0.2.3;2024-05-01 10:00:02;smtp;bad port\n"
        parser.feed(Array(text.utf8)) { record in
            switch record {
            case .event(let event, _): events.append(event)
            case .rejected(let rejection): rejected.append(rejection)
            }
        }
        parser.finish { _ in }
        #expect(events.count == 2)
        #expect(rejected.map(\.line) == [3])
        #expect(rejected.first?.reason == "column ip: is empty")
        let first = try #require(events.first)
        #expect(first["feed.name"] == .string("Partner blocklist"))
        #expect(first["feed.provider"] == .string("Partner CERT"))
        #expect(first["classification.taxonomy"] == .string("other"))
        #expect(first["classification.type"] == .string("blacklist"))
        #expect(first["tlp"] == .string("TLP:GREEN"))
        #expect(first["severity"] == .string("low"))
        #expect(first["extra.why"] == .string("spam trap"))
        #expect(events.last?["extra.port"] == .string("smtp"), "an invalid optional value is kept under extra")
    }

    @Test(arguments: [
        (#"{"feed": "X", "columns": {"ip": "source.ipaddr"}}"#, "column ip: 'source.ipaddr' is not a harmonization key"),
        (#"{"feed": "X", "columns": {"ip": "source.ip"}, "required": ["address"]}"#, "required column 'address' is not in columns"),
        (#"{"feed": "X", "columns": {}, "delimiter": ";;"}"#, "delimiter must be one character, not a quote or a line break"),
        (#"{"feed": "X", "columns": {}, "tlp": "purple"}"#, "tlp 'purple' is not a TLP 2.0 label"),
        (#"{"feed": "X", "columns": {}, "constant": {"classification.type": "bad thing"}}"#, "classification.type 'bad thing': not an RSIT classification type"),
        (#"{"columns": {}}"#, "is not a mapping"),
        (#"{"feed": " ", "columns": {}}"#, "feed is empty"),
    ])
    func badMappingsAreRefusedWithTheirReason(json: String, reason: String) throws {
        let url = try Self.mappingFile(json)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try GenericCSVMapping.load(url)
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix(url.lastPathComponent + ": " + reason), "\(error)")
        }
    }
}
