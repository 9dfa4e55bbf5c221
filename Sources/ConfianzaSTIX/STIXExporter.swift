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
        objects[self.producerID] = self.producerIdentity
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
                let tlp = stored.event["tlp"].flatMap { TLP(label: $0.description) } ?? incident.tlp
                guard tlp <= ceiling, let evidence = self.evidence(
                    stored, tlp: tlp, fallbackType: incident.type, organisationIDs: organisationIDs, modifiedAtLeast: incident.updatedAt, into: &objects)
                else { continue }
                markings.insert(tlp)
                let relationshipID = STIXID.ours("relationship", "\(evidence.indicator)|\(incidentID)")
                var relationship = common("relationship", relationshipID, at: stored.firstSeen)
                relationship["relationship_type"] = .string("related-to")
                relationship["source_ref"] = .string(evidence.indicator)
                relationship["target_ref"] = .string(incidentID)
                objects[relationshipID] = .object(relationship)
                refs += evidence.all + [relationshipID]
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

    /// Events found by a search (not an incident's): each with its observable, observation, indicator
    /// and sighting at the constituents, marked with the event's TLP (TLP:AMBER when it has none); the
    /// constituents' identities take the strictest marking of the events that name them. Nothing above
    /// `ceiling` is written.
    public func bundle(events: [StoredEvent], organisations: [Organisation], ceiling: TLP = .red, now: Date) -> JSONValue {
        var objects: [String: JSONValue] = [self.producerID: self.producerIdentity]
        var markings: Set<TLP> = []
        let names = Dictionary(organisations.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let organisationIDs = Dictionary(
            organisations.map { ($0.id, STIXID.ours("identity", "organisation:\($0.id.uuidString)")) }, uniquingKeysWith: { a, _ in a })
        var identityTLP: [UUID: TLP] = [:]
        for stored in events {
            let tlp = stored.event["tlp"].flatMap { TLP(label: $0.description) } ?? .amber
            guard tlp <= ceiling, self.evidence(stored, tlp: tlp, fallbackType: "undetermined", organisationIDs: organisationIDs, modifiedAtLeast: nil, into: &objects) != nil
            else { continue }
            markings.insert(tlp)
            for organisation in stored.organisations where names[organisation] != nil { identityTLP[organisation] = max(identityTLP[organisation] ?? tlp, tlp) }
        }
        for (organisation, tlp) in identityTLP {
            guard let id = organisationIDs[organisation], let name = names[organisation] else { continue }
            objects[id] = .object([
                "type": .string("identity"), "spec_version": .string("2.1"), "id": .string(id), "created": .string("2024-01-01T00:00:00.000Z"),
                "modified": .string("2024-01-01T00:00:00.000Z"), "name": .string(name), "identity_class": .string("organization"),
                "created_by_ref": .string(self.producerID), "object_marking_refs": .array([.string(STIXMarking.id(tlp))]),
            ])
        }
        for tlp in markings { objects[STIXMarking.id(tlp)] = STIXMarking.definition(tlp) }
        return .object([
            "type": .string("bundle"), "id": .string("bundle--\(UUID().uuidString.lowercased())"),
            "objects": .array(objects.keys.sorted().compactMap { objects[$0] }),
        ])
    }

    var producerIdentity: JSONValue {
        .object([
            "type": .string("identity"), "spec_version": .string("2.1"), "id": .string(self.producerID), "created": .string("2024-01-01T00:00:00.000Z"),
            "modified": .string("2024-01-01T00:00:00.000Z"), "name": .string(self.producer), "identity_class": .string("organization"),
            "sectors": .array([.string("government-national")]),
        ])
    }

    /// One event as STIX: the observable (standard id), the observation, an indicator with its pattern,
    /// and a sighting of it at the constituents. Returns the ids written, or `nil` for an event with no
    /// observable.
    private func evidence(
        _ stored: StoredEvent, tlp: TLP, fallbackType: String, organisationIDs: [UUID: String], modifiedAtLeast: Date?, into objects: inout [String: JSONValue]
    ) -> (indicator: String, all: [String])? {
        guard let (scoType, value) = Self.observable(stored.event) else { return nil }
        let marking: JSONValue = .array([.string(STIXMarking.id(tlp))])
        func common(_ type: String, _ id: String) -> [String: JSONValue] {
            let date = stored.firstSeen
            let modified = modifiedAtLeast.map { $0 > date ? $0 : date } ?? date
            return [
                "type": .string(type), "spec_version": .string("2.1"), "id": .string(id), "created": .string(STIXTime.string(date)),
                "modified": .string(STIXTime.string(modified)), "created_by_ref": .string(self.producerID), "object_marking_refs": marking,
            ]
        }
        let scoID = STIXID.observable(scoType, value: value)
        objects[scoID] = .object(["type": .string(scoType), "spec_version": .string("2.1"), "id": .string(scoID), "value": .string(value)])
        let observedID = STIXID.ours("observed-data", "event:\(stored.id)")
        var observed = common("observed-data", observedID)
        observed["first_observed"] = .string(STIXTime.string(stored.firstSeen))
        observed["last_observed"] = .string(STIXTime.string(max(stored.firstSeen, stored.lastSeen)))
        observed["number_observed"] = .integer(Int64(max(1, stored.count)))
        observed["object_refs"] = .array([.string(scoID)])
        objects[observedID] = .object(observed)
        let type = stored.event["classification.type"]?.description ?? fallbackType
        let indicatorID = STIXID.ours("indicator", "\(scoID)|\(type)")
        var indicator = common("indicator", indicatorID)
        indicator["name"] = .string("\(type): \(value)")
        indicator["description"] = .string("Seen by \(stored.event["feed.name"]?.description ?? "a feed") (\(stored.count) times)")
        indicator["pattern"] = .string("[\(scoType):value = '\(Self.patternEscaped(value))']")
        indicator["pattern_type"] = .string("stix")
        indicator["valid_from"] = .string(STIXTime.string(stored.firstSeen))
        indicator["indicator_types"] = .array([.string(Self.indicatorType(type))])
        objects[indicatorID] = .object(indicator)
        let sightingID = STIXID.ours("sighting", "event:\(stored.id)")
        var sighting = common("sighting", sightingID)
        sighting["sighting_of_ref"] = .string(indicatorID)
        sighting["observed_data_refs"] = .array([.string(observedID)])
        sighting["count"] = .integer(Int64(max(1, stored.count)))
        sighting["first_seen"] = .string(STIXTime.string(stored.firstSeen))
        sighting["last_seen"] = .string(STIXTime.string(max(stored.firstSeen, stored.lastSeen)))
        let where_ = stored.organisations.compactMap { organisationIDs[$0] }
        if !where_.isEmpty { sighting["where_sighted_refs"] = .array(where_.map { .string($0) }) }
        objects[sightingID] = .object(sighting)
        return (indicatorID, [scoID, observedID, indicatorID, sightingID])
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
