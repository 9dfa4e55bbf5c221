import ConfianzaCore
import Foundation

/// Writes incidents and their events as a STIX 2.1 bundle: our CIRT and the constituents as
/// identities; each event's source as a cyber-observable (deterministic id) seen in observed-data, an
/// indicator with a STIX pattern, and a sighting of it at the constituent; the incident as an incident
/// object and a report grouping everything; every object marked with its TLP 2.0 marking definition.
public struct STIXExporter: Sendable {
    /// Our team, as the `created_by_ref` of everything we write.
    public let producer: String

    public init(producer: String) {
        self.producer = producer
    }

    public var producerID: String { STIXID.ours("identity", "producer:\(self.producer)") }

    public struct Input: Sendable {
        public var incident: Incident
        public var events: [StoredEvent]
        public var organisations: [Organisation]

        public init(incident: Incident, events: [StoredEvent], organisations: [Organisation]) {
            self.incident = incident
            self.events = events
            self.organisations = organisations
        }
    }

    /// One bundle for the incidents given. Objects above `ceiling` (the receiver's TLP ceiling) are
    /// left out, and so is an incident marked above it.
    public func bundle(_ inputs: [Input], ceiling: TLP = .red, now: Date) -> JSONValue {
        var objects: [String: JSONValue] = [:]
        var markings: Set<TLP> = []
        let created = STIXTime.string(now)
        objects[self.producerID] = .object([
            "type": .string("identity"), "spec_version": .string("2.1"), "id": .string(self.producerID), "created": .string("2024-01-01T00:00:00.000Z"),
            "modified": .string("2024-01-01T00:00:00.000Z"), "name": .string(self.producer), "identity_class": .string("organization"),
            "sectors": .array([.string("government-national")]),
        ])
        for input in inputs where input.incident.tlp <= ceiling {
            let incident = input.incident
            markings.insert(incident.tlp)
            let marking: JSONValue = .array([.string(STIXMarking.id(incident.tlp))])
            func common(_ type: String, _ id: String, at date: Date) -> [String: JSONValue] {
                [
                    "type": .string(type), "spec_version": .string("2.1"), "id": .string(id), "created": .string(STIXTime.string(date)),
                    "modified": .string(STIXTime.string(incident.updatedAt > date ? incident.updatedAt : date)), "created_by_ref": .string(self.producerID),
                    "object_marking_refs": marking,
                ]
            }
            var refs: [String] = []
            var organisationIDs: [UUID: String] = [:]
            for organisation in input.organisations where incident.organisations.contains(organisation.id) {
                let id = STIXID.ours("identity", "organisation:\(organisation.id.uuidString)")
                organisationIDs[organisation.id] = id
                var identity = common("identity", id, at: incident.createdAt)
                identity["name"] = .string(organisation.name)
                identity["identity_class"] = .string("organization")
                identity["modified"] = identity["created"]
                objects[id] = .object(identity)
                refs.append(id)
            }
            let incidentID = STIXID.ours("incident", incident.id.uuidString)
            var incidentObject = common("incident", incidentID, at: incident.createdAt)
            incidentObject["name"] = .string(incident.title)
            incidentObject["description"] = .string(
                "\(incident.taxonomy)/\(incident.type), severity \(incident.severity.rawValue), status \(incident.status.rawValue), \(incident.eventCount) events")
            objects[incidentID] = .object(incidentObject)
            refs.append(incidentID)
            for stored in input.events {
                guard let (scoType, value) = Self.observable(stored.event) else { continue }
                let tlp = stored.event["tlp"].flatMap { TLP(label: $0.description) } ?? incident.tlp
                guard tlp <= ceiling else { continue }
                markings.insert(tlp)
                let eventMarking: JSONValue = .array([.string(STIXMarking.id(tlp))])
                let scoID = STIXID.observable(scoType, value: value)
                objects[scoID] = .object(["type": .string(scoType), "spec_version": .string("2.1"), "id": .string(scoID), "value": .string(value)])
                let observedID = STIXID.ours("observed-data", "event:\(stored.id)")
                var observed = common("observed-data", observedID, at: stored.firstSeen)
                observed["first_observed"] = .string(STIXTime.string(stored.firstSeen))
                observed["last_observed"] = .string(STIXTime.string(max(stored.firstSeen, stored.lastSeen)))
                observed["number_observed"] = .integer(Int64(max(1, stored.count)))
                observed["object_refs"] = .array([.string(scoID)])
                observed["object_marking_refs"] = eventMarking
                objects[observedID] = .object(observed)
                let type = stored.event["classification.type"]?.description ?? incident.type
                let indicatorID = STIXID.ours("indicator", "\(scoID)|\(type)")
                var indicator = common("indicator", indicatorID, at: stored.firstSeen)
                indicator["name"] = .string("\(type): \(value)")
                indicator["description"] = .string("Seen by \(stored.event["feed.name"]?.description ?? "a feed") (\(stored.count) times)")
                indicator["pattern"] = .string("[\(scoType):value = '\(Self.patternEscaped(value))']")
                indicator["pattern_type"] = .string("stix")
                indicator["valid_from"] = .string(STIXTime.string(stored.firstSeen))
                indicator["indicator_types"] = .array([.string(Self.indicatorType(type))])
                indicator["object_marking_refs"] = eventMarking
                objects[indicatorID] = .object(indicator)
                let sightingID = STIXID.ours("sighting", "event:\(stored.id)")
                var sighting = common("sighting", sightingID, at: stored.firstSeen)
                sighting["sighting_of_ref"] = .string(indicatorID)
                sighting["observed_data_refs"] = .array([.string(observedID)])
                sighting["count"] = .integer(Int64(max(1, stored.count)))
                sighting["first_seen"] = .string(STIXTime.string(stored.firstSeen))
                sighting["last_seen"] = .string(STIXTime.string(max(stored.firstSeen, stored.lastSeen)))
                let where_ = stored.organisations.compactMap { organisationIDs[$0] }
                if !where_.isEmpty { sighting["where_sighted_refs"] = .array(where_.map { .string($0) }) }
                sighting["object_marking_refs"] = eventMarking
                objects[sightingID] = .object(sighting)
                let relationshipID = STIXID.ours("relationship", "\(indicatorID)|\(incidentID)")
                var relationship = common("relationship", relationshipID, at: stored.firstSeen)
                relationship["relationship_type"] = .string("related-to")
                relationship["source_ref"] = .string(indicatorID)
                relationship["target_ref"] = .string(incidentID)
                objects[relationshipID] = .object(relationship)
                refs += [scoID, observedID, indicatorID, sightingID, relationshipID]
            }
            let reportID = STIXID.ours("report", incident.id.uuidString)
            var report = common("report", reportID, at: incident.createdAt)
            report["name"] = .string("#\(incident.number) \(incident.title)")
            report["published"] = .string(created)
            report["report_types"] = .array([.string("incident")])
            report["object_refs"] = .array(refs.map { .string($0) })
            objects[reportID] = .object(report)
        }
        for tlp in markings { objects[STIXMarking.id(tlp)] = STIXMarking.definition(tlp) }
        let ordered = objects.keys.sorted().compactMap { objects[$0] }
        return .object([
            "type": .string("bundle"), "id": .string("bundle--\(UUID().uuidString.lowercased())"), "objects": .array(ordered),
        ])
    }

    /// The observable an event is about: its source address, else its domain, else its URL.
    static func observable(_ event: Event) -> (String, String)? {
        if let ip = event["source.ip"]?.description { return (ip.contains(":") ? "ipv6-addr" : "ipv4-addr", ip) }
        if let fqdn = event["source.fqdn"]?.description { return ("domain-name", fqdn) }
        if let url = event["source.url"]?.description { return ("url", url) }
        return nil
    }

    /// A value inside single quotes of a STIX pattern: backslash and quote escaped.
    static func patternEscaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
    }

    /// STIX's indicator-type vocabulary for an RSIT type.
    static func indicatorType(_ type: String) -> String {
        switch type {
        case "infected-system", "c2-server", "malware-distribution", "malware-configuration": "malicious-activity"
        case "phishing", "masquerade", "scanner", "brute-force", "exploit", "ids-alert", "ddos", "dos", "spam": "malicious-activity"
        case "system-compromise", "application-compromise", "privileged-account-compromise", "unprivileged-account-compromise": "compromised"
        case "vulnerable-system", "weak-crypto", "ddos-amplifier", "potentially-unwanted-accessible", "information-disclosure": "unknown"
        default: "anomalous-activity"
        }
    }
}
