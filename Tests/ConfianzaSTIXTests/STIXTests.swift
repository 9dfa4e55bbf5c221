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
