import ConfianzaCore
import ConfianzaFeeds
import Foundation
import PropertyBased
import Testing

@Suite struct IntelMQTests {
    static let observed = Date(timeIntervalSince1970: 1_714_543_331)

    static func parse(_ text: String) -> (events: [(Int, Event)], rejected: [Rejection]) {
        var parser = IntelMQParser(observedAt: Self.observed)
        var events: [(Int, Event)] = []
        var rejected: [Rejection] = []
        let collect: (ParsedRecord) -> Void = { record in
            switch record {
            case .event(let event, let line): events.append((line, event))
            case .rejected(let rejection): rejected.append(rejection)
            }
        }
        parser.feed(Array(text.utf8), collect)
        parser.finish(collect)
        return (events, rejected)
    }

    /// The reference's example IntelMQ event reads and writes back unchanged.
    @Test func theReferenceEventRoundTrips() throws {
        let line = #"{"classification.identifier":"dns-open-resolver","classification.taxonomy":"vulnerable","classification.type":"vulnerable-system","extra.dns_version":"dnsmasq-2.66","extra.min_amplification":4.619,"feed.name":"DNS-Open-Resolvers","feed.provider":"Shadowserver","protocol.application":"dns","protocol.transport":"udp","raw":"InRpbWVzdGFtcCIs","source.asn":64500,"source.geolocation.cc":"AT","source.ip":"198.51.100.179","source.port":53,"time.observation":"2024-05-01T06:02:11+00:00","time.source":"2024-05-01T00:14:34+00:00"}"#
        let (events, rejected) = Self.parse(line + "\n")
        #expect(rejected.isEmpty, "\(rejected)")
        #expect(events.first?.1.json() == line)
    }

    /// Found by the IntelMQ fuzzer (FUZZING.md, intelmq, finding 1): a time whose year has dozens of digits
    /// got through Foundation's ISO 8601 reader as a date far outside 1–9999, and writing it crashed the
    /// process. Such a time is refused with its line and field; years 1 to 9999 still read and write.
    @Test func aTimeOutsideYearsOneTo9999IsRefusedNotACrash() throws {
        let found = try #require(Data(base64Encoded: "eyJjcmEubmVzdGVkIjp7InAwIn0KCnsiZXh0cmEubmVzb3J0Ijo1MywidGltZS5vYnNlcnZhdGlvbiI6IjIwMjQ1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1LTAyLTAxVDA2OjAyOjExKzAwOjAwIiwidGltZS5zb3VyY2UiOiIyMDI0LTA1LTAxVDAwOjE0OjM0KzAwZjo0MzM6MDAifQoKYW1wbIAuY29tL2E/Yng="))
        var parser = IntelMQParser(observedAt: Self.observed)
        var rejected: [Rejection] = []
        let collect: (ParsedRecord) -> Void = { if case .rejected(let rejection) = $0 { rejected.append(rejection) } }
        parser.feed(Array(found), collect)
        parser.finish(collect)
        #expect(rejected.map(\.line) == [1, 3, 5])
        let (_, refused) = Self.parse(#"{"source.ip":"192.0.2.1","time.source":"+123456-05-01T00:14:34Z"}"#)
        #expect(refused.first?.reason.contains("time.source") == true)
        for text in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-05-01T00:14:34.250Z"] {
            let date = try #require(EventTime.parse(text))
            #expect(EventTime.format(date).hasPrefix(String(text.prefix(19))))
        }
        #expect(EventTime.format(Date(timeIntervalSince1970: -70_000_000_000)).hasPrefix("-0249"), "writing never traps, whatever the date")
    }

    @Test func badLinesAreRejectedWithTheirLineAndTheRestIsRead() {
        let text = """
            {"source.ip":"192.0.2.1","classification.type":"phishing","raw":"eA=="}

            not json
            {"source.ip":"192.0.2.300"}
            {"source.address":"192.0.2.3"}
            {"source.port":"http"}
            {"extra.nested":{"b":[1,true,null],"a":"x"},"source.ip":"::ffff:192.0.2.5","classification.taxonomy":"Malicious Code"}
            ["an","array"]
            """
        let (events, rejected) = Self.parse(text)
        #expect(events.map(\.0) == [1, 7])
        #expect(events.first?.1["classification.taxonomy"] == .string("fraud"), "the taxonomy follows from the type")
        let last = events.last?.1
        #expect(last?["source.ip"] == .string("192.0.2.5"), "IPv4-mapped addresses are IPv4")
        #expect(last?["classification.taxonomy"] == .string("malicious-code"), "legacy aliases are read")
        #expect(last?["extra.nested"] == .json(#"{"a":"x","b":[1,true,null]}"#))
        #expect(rejected.map(\.line) == [3, 4, 5, 6, 8])
        #expect(rejected.map(\.reason) == [
            "not a JSON object: unexpected character at character 0", "source.ip '192.0.2.300': not an IP address",
            "source.address: not a known field (IntelMQ harmonization keys or extra.*)", "source.port 'http': not a port (0 to 65535)",
            "not a JSON object",
        ])
    }

    static let types = Array(Taxonomy.taxonomyOfType.keys.sorted())

    static let event = zip(
        Gen.uint32(), Gen.int(in: 0...65535), Gen.uint32(in: 1...UInt32.max), Gen.int(in: 0...(Self.types.count - 1)),
        Gen.int(in: 0...2_000_000_000), Gen.int(in: -1_000_000...1_000_000), Gen.bool, Gen.letterOrNumber.string(of: 0...12)
    ).map { spec -> Event in
        let (address, port, asn, type, time, number, flag, word) = spec
        var event = Event()
        try? event.set("source.ip", .string(IPAddressText.v4(address)))
        try? event.set("source.port", .integer(Int64(port)))
        try? event.set("source.asn", .integer(Int64(asn)))
        try? event.set("classification.type", .string(Self.types[type]))
        try? event.set("classification.taxonomy", .string(Taxonomy.taxonomyOfType[Self.types[type]] ?? "other"))
        try? event.set("time.source", .string(EventTime.format(Date(timeIntervalSince1970: TimeInterval(time)))))
        try? event.set("time.observation", .string("2024-05-01T06:02:11+00:00"))
        try? event.set("feed.name", .string("Feed \(word)"))
        try? event.set("raw", .string(Data("line \(word)".utf8).base64EncodedString()))
        try? event.set("extra.count", .integer(Int64(number)))
        try? event.set("extra.flag", .boolean(flag))
        try? event.set("extra.ratio", .float(Double(number) / 8))
        if !word.isEmpty { try? event.set("extra.note", .string("quote \" backslash \\ tab \t \(word) ñ")) }
        try? event.set("extra.nested", .json(#"{"items":[\#(number),"\#(word)"],"ok":\#(flag)}"#))
        return event
    }

    /// IntelMQ JSON out, then in again, gives the same event, field for field.
    @Test func anyEventRoundTripsThroughIntelMQJSON() async {
        await propertyCheck(count: 300, input: Self.event) { event in
            let line = event.json()
            let (events, rejected) = Self.parse(line + "\n")
            #expect(rejected.isEmpty, "\(rejected)")
            #expect(events.first?.1 == event, "\(line)")
            #expect(events.first?.1.json() == line)
        }
    }
}

/// Dotted-quad text for a random IPv4 address.
enum IPAddressText {
    static func v4(_ value: UInt32) -> String { "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)" }
}
