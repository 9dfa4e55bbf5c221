import ConfianzaCore
import ConfianzaSTIX
import Foundation
import Testing

@Suite struct STIXTests {
    /// The ids stix2 (python) gives: the same observable has the same id in every tool.
    @Test func observableIDsAreTheStandardsUUIDv5() {
        #expect(STIXID.observable("ipv4-addr", value: "198.51.100.7") == "ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db")
        #expect(STIXID.uuid5(namespace: UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8")!, name: "python.org").uuidString.lowercased()
            == "886313e1-3b8a-5372-9b90-0c9aee199e5d", "RFC 4122's DNS example")
        #expect(STIXID.ours("incident", "x") == STIXID.ours("incident", "x"))
    }

    static func sample(tlp: TLP = .amber) -> STIXExporter.Input {
        let organisation = Organisation(id: UUID(uuidString: "00000000-0000-0000-0000-0000000000a1")!, name: "Hospital", sector: .health, country: "UY", kind: .public, createdAt: Date(timeIntervalSince1970: 0))
        var event = Event()
        try? event.set("source.ip", text: "198.51.100.7")
        try? event.set("classification.type", text: "infected-system")
        try? event.set("feed.name", text: "Sinkhole")
        try? event.set("tlp", text: tlp.rawValue)
        let seen = Date(timeIntervalSince1970: 1_714_522_474.5)
        let stored = StoredEvent(id: 7, event: event, count: 3, firstSeen: seen, lastSeen: seen.addingTimeInterval(60), organisations: [organisation.id], rule: nil, runID: UUID())
        let incident = Incident(
            id: UUID(uuidString: "00000000-0000-0000-0000-0000000000b2")!, number: 4, title: "Infected host", taxonomy: "malicious-code", type: "infected-system", severity: .high, tlp: tlp, organisations: [organisation.id],
            createdAt: seen, triageDue: seen, resolveDue: seen, eventCount: 1)
        return .init(incident: incident, events: [stored], organisations: [organisation])
    }

    @Test func aBundleHoldsTheIncidentItsEvidenceAndItsMarkings() throws {
        let bundle = STIXExporter(producer: "CERTuy").bundle([Self.sample()], now: Date(timeIntervalSince1970: 1_800_000_000))
        guard case .object(let fields) = bundle, case .array(let objects) = fields["objects"] else { Issue.record("not a bundle"); return }
        let types = objects.compactMap { object -> String? in if case .object(let o) = object, case .string(let t) = o["type"] { t } else { nil } }
        #expect(Set(types) == ["identity", "incident", "ipv4-addr", "observed-data", "indicator", "sighting", "relationship", "report", "marking-definition"])
        let text = bundle.text
        #expect(text.contains(#""pattern":"[ipv4-addr:value = '198.51.100.7']""#))
        #expect(text.contains(#""first_observed":"2024-05-01T00:14:34.500Z""#))
        #expect(text.contains(#""tlp_2_0":"amber""#))
        #expect(text.contains("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"))
        #expect(!text.contains("\"spec_version\":\"2.1\",\"type\":\"bundle\""), "a 2.1 bundle has no spec_version")
        let again = STIXExporter(producer: "CERTuy").bundle([Self.sample()], now: Date(timeIntervalSince1970: 1_800_000_000)).text
        #expect(again.replacingOccurrences(of: #"bundle--[0-9a-f-]+"#, with: "", options: .regularExpression)
            == text.replacingOccurrences(of: #"bundle--[0-9a-f-]+"#, with: "", options: .regularExpression), "exports are stable")
    }

    @Test func nothingAboveTheReceiversCeilingIsWritten() {
        let red = STIXExporter(producer: "CERTuy").bundle([Self.sample(tlp: .red)], ceiling: .amber, now: Date())
        let text = red.text
        #expect(!text.contains("198.51.100.7") && !text.contains("Infected host") && !text.contains("tlp_2_0"))
    }

    @Test func patternsEscapeQuotes() {
        var event = Event()
        try? event.set("source.url", text: "http://x.example/a'b\\c")
        #expect(STIXExporter(producer: "x").bundle(
            [.init(incident: Self.sample().incident, events: [StoredEvent(id: 1, event: event, count: 1, firstSeen: Date(), lastSeen: Date(), organisations: [], rule: nil, runID: UUID())], organisations: [])],
            now: Date()).text.contains(#"[url:value = 'http://x.example/a\\'b\\\\c']"#))
    }
}

@Suite struct STIXImportTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func bundle(_ objects: [String]) -> String { #"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":["# + objects.joined(separator: ",") + "]}" }

    static func indicator(id: String = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", pattern: String = "[ipv4-addr:value = '198.51.100.7']",
                          markings: String = "", extra: String = "") -> String {
        #"{"type":"indicator","spec_version":"2.1","id":"\#(id)","created":"2024-01-01T00:00:00Z","modified":"2024-02-01T00:00:00.123456Z","name":"C2","pattern":"\#(pattern)","pattern_type":"stix","valid_from":"2024-01-01T00:00:00.5Z""# + markings + extra + "}"
    }

    /// Our own export reads back: an incident shared by one Confianza is imported by another.
    @Test func ourExportReadsBack() throws {
        let text = STIXExporter(producer: "CERTuy").bundle([STIXTests.sample(tlp: .green)], now: Self.now).text
        let (indicators, skipped) = try STIXImporter.indicators(from: text, source: "CERTuy", now: Self.now)
        #expect(indicators.count == 1 && skipped > 5)
        #expect(indicators.first?.address == "198.51.100.7" && indicators.first?.tlp == .green && indicators.first?.isActive(at: Self.now) == true)
    }

    @Test func markingsInEveryFormPeersSend() throws {
        let cases: [(String, TLP)] = [
            (#","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]"#, .green),  // TLP 1.0
            (#","object_marking_refs":["marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"]"#, .amberStrict),  // OpenCTI
            (#","object_marking_refs":["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9","marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]"#, .red),
            ("", .amber),  // none: taken as AMBER
        ]
        for (markings, tlp) in cases {
            let (indicators, _) = try STIXImporter.indicators(from: Self.bundle([Self.indicator(markings: markings)]), source: "x", now: Self.now)
            #expect(indicators.first?.tlp == tlp, "\(markings)")
        }
        let custom = #"{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--1c2e4b3c-7c3a-4b0e-9f3e-2f0e3c1d9a77","created":"2020-01-01T00:00:00Z","definition_type":"tlp","definition":{"tlp":"white"}}"#
        let withCustom = Self.bundle([custom, Self.indicator(markings: #","object_marking_refs":["marking-definition--1c2e4b3c-7c3a-4b0e-9f3e-2f0e3c1d9a77"]"#)])
        #expect(try STIXImporter.indicators(from: withCustom, source: "x", now: Self.now).indicators.first?.tlp == .clear)
    }

    @Test func onlySimpleAddressPatternsAreMatched() throws {
        let patterns: [(String, String?)] = [
            ("[ipv4-addr:value = '198.51.100.7']", "198.51.100.7"), ("[ipv6-addr:value='2001:DB8::1']", "2001:db8::1"),
            ("[ipv4-addr:value = '198.51.100.0/24']", nil), ("[domain-name:value = 'x.example']", nil),
            ("[ipv4-addr:value = '198.51.100.7'] OR [ipv4-addr:value = '198.51.100.8']", nil),
        ]
        for (pattern, address) in patterns {
            let (indicators, _) = try STIXImporter.indicators(from: Self.bundle([Self.indicator(pattern: pattern)]), source: "x", now: Self.now)
            #expect(indicators.first?.address == address, "\(pattern)")
        }
    }

    @Test func badBundlesAreRefusedWithThePlace() {
        let cases: [(String, String)] = [
            ("", "not JSON: unexpected end at character 0"),
            ("[]", #"not a STIX bundle (an object with "type": "bundle")"#),
            (#"{"type":"bundle","objects":{}}"#, "objects: is not a list"),
            (Self.bundle(["1"]), "objects[0]: is not an object"),
            (Self.bundle([Self.indicator(id: "indicator--nope")]), "objects[0].id: is not an indicator id (indicator--UUID)"),
            (Self.bundle([Self.indicator().replacingOccurrences(of: #","pattern_type":"stix""#, with: "")]),
             "objects[0] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f).pattern_type: is missing"),
            (Self.bundle([Self.indicator().replacingOccurrences(of: "2024-01-01T00:00:00.5Z", with: "yesterday")]),
             "objects[0] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f).valid_from: 'yesterday' is not a STIX timestamp (2024-05-01T00:00:00.000Z)"),
            (Self.bundle([Self.indicator(extra: #","valid_until":"2023-01-01T00:00:00Z""#)]),
             "objects[0] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f).valid_until: is not after valid_from"),
            (Self.bundle([Self.indicator(extra: #","revoked":"yes""#)]), "objects[0] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f).revoked: is not true or false"),
        ]
        for (text, message) in cases {
            #expect(throws: STIXImportError.self) { try STIXImporter.indicators(from: text, source: "x", now: Self.now) }
            do { _ = try STIXImporter.indicators(from: text, source: "x", now: Self.now) } catch { #expect(error.description == message, "\(text.prefix(80))") }
        }
    }
}
