import ConfianzaCore
import Foundation

/// Turns the objects of a TAXII envelope (or a bundle) into records the TAXII server stores, each with
/// its marking worked out, or a reason it was refused. One bad object never spoils the others.
///
/// The marking of an object is the most restrictive TLP among its `object_marking_refs` (TLP 2.0,
/// TLP 1.0, OpenCTI's and in-envelope definitions). An object without one takes the most restrictive
/// marking of the objects that refer to it in the same envelope (so an address seen in a TLP:RED
/// observation is TLP:RED too), and otherwise `defaultTLP` (the collection's). Marking definitions
/// themselves are TLP:CLEAR: they are public.
public enum STIXObjects {
    public struct Refused: Error, Sendable, Equatable {
        /// The object's id, or `objects[i]` when it has none.
        public var id: String
        public var version: String?
        public var reason: String
    }

    public static let observableTypes: Set<String> = [
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr",
        "mutex", "network-traffic", "process", "software", "url", "user-account", "windows-registry-key", "x509-certificate",
    ]

    /// References that say who wrote or how an object is marked, not what it is about: they do not
    /// carry a marking to the object referred to.
    static let neutralReferences: Set<String> = ["created_by_ref", "object_marking_refs"]

    public static func records(
        _ objects: [JSONValue], defaultTLP: TLP, source: UUID?, now: Date
    ) -> [Result<STIXObjectRecord, Refused>] {
        let markings = STIXImporter.markings(in: objects)
        // First pass: each object's own marking.
        var own: [Result<(fields: [String: JSONValue], record: STIXObjectRecord, marked: Bool), Refused>] = []
        for (index, object) in objects.enumerated() {
            own.append(Self.read(object, index: index, markings: markings, defaultTLP: defaultTLP, source: source, now: now))
        }
        // Second pass: unmarked objects take the strictest marking of those that refer to them.
        var strictestReferrer: [String: TLP] = [:]
        for case .success(let item) in own {
            for target in Self.references(in: item.fields) {
                strictestReferrer[target] = max(strictestReferrer[target] ?? item.record.tlp, item.record.tlp)
            }
        }
        return own.map { result in
            result.map { item in
                var record = item.record
                if !item.marked, let referrer = strictestReferrer[record.id], referrer > record.tlp { record.tlp = referrer }
                return record
            }
        }
    }

    private static func read(
        _ object: JSONValue, index: Int, markings: [String: TLP], defaultTLP: TLP, source: UUID?, now: Date
    ) -> Result<(fields: [String: JSONValue], record: STIXObjectRecord, marked: Bool), Refused> {
        guard case .object(let fields) = object else { return .failure(Refused(id: "objects[\(index)]", reason: "is not a JSON object")) }
        guard case .string(let id)? = fields["id"] else { return .failure(Refused(id: "objects[\(index)]", reason: "has no id")) }
        func refuse(_ reason: String, version: String? = nil) -> Result<(fields: [String: JSONValue], record: STIXObjectRecord, marked: Bool), Refused> {
            .failure(Refused(id: id, version: version, reason: reason))
        }
        guard case .string(let type)? = fields["type"], !type.isEmpty else { return refuse("has no type") }
        guard id.hasPrefix(type + "--"), UUID(uuidString: String(id.dropFirst(type.count + 2))) != nil else {
            return refuse("id '\(id.prefix(80))' is not \(type)--UUID")
        }
        guard type.count <= 250, type.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            return refuse("type '\(type.prefix(80))' is not a STIX type name")
        }
        let isObservable = Self.observableTypes.contains(type)
        var specVersion = "2.1"
        switch fields["spec_version"] {
        case .string(let text)?: specVersion = text
        case nil where isObservable: break
        case nil: return refuse("has no spec_version (this server holds STIX 2.1)")
        default: return refuse("spec_version is not a string")
        }
        guard specVersion == "2.1" else { return refuse("spec_version '\(specVersion.prefix(20))': this server holds STIX 2.1") }
        func timestamp(_ key: String) -> Result<(String, Int64)?, Refused> {
            switch fields[key] {
            case nil: return .success(nil)
            case .string(let text)?:
                guard let micros = STIXObjects.micros(text) else {
                    return .failure(Refused(id: id, reason: "\(key) '\(text.prefix(40))' is not a STIX timestamp (2024-05-01T00:00:00.000Z)"))
                }
                return .success((text, micros))
            default: return .failure(Refused(id: id, reason: "\(key) is not a string"))
            }
        }
        let created: (String, Int64)?
        let modified: (String, Int64)?
        switch (timestamp("created"), timestamp("modified")) {
        case (.failure(let refused), _), (_, .failure(let refused)): return .failure(refused)
        case (.success(let c), .success(let m)):
            created = c
            modified = m
        }
        if !isObservable, created == nil { return refuse("has no created timestamp") }
        if let created, let modified, modified.1 < created.1 { return refuse("modified is before created", version: modified.0) }
        // Cyber-observables have no version: they are one object whenever they come (version 0,
        // shown as their date_added).
        let version = modified ?? created ?? ("", 0)
        var tlp: TLP?
        switch fields["object_marking_refs"] {
        case nil: break
        case .array(let refs)?:
            for ref in refs {
                guard case .string(let markingID) = ref else { return refuse("object_marking_refs holds something that is not an id", version: version.0) }
                if let level = markings[markingID] { tlp = max(tlp ?? level, level) }
            }
        default: return refuse("object_marking_refs is not a list", version: version.0)
        }
        let marked = tlp != nil || type == "marking-definition"
        if type == "marking-definition" { tlp = .clear }
        let record = STIXObjectRecord(
            id: id, type: type, specVersion: specVersion, version: version.1, versionText: version.0, tlp: tlp ?? defaultTLP, sourcePeer: source,
            json: object.text)
        return .success((fields, record, marked))
    }

    /// Ids this object refers to (`*_ref`, `*_refs`, at any depth), except authorship and marking.
    static func references(in fields: [String: JSONValue]) -> [String] {
        var found: [String] = []
        func walk(_ value: JSONValue, key: String?) {
            switch value {
            case .string(let text) where key?.hasSuffix("_ref") == true: found.append(text)
            case .array(let items):
                for item in items {
                    if key?.hasSuffix("_refs") == true, case .string(let text) = item { found.append(text) } else { walk(item, key: nil) }
                }
            case .object(let inner):
                for (innerKey, innerValue) in inner where !Self.neutralReferences.contains(innerKey) { walk(innerValue, key: innerKey) }
            default: break
            }
        }
        for (key, value) in fields where !Self.neutralReferences.contains(key) { walk(value, key: key) }
        return found
    }

    /// The version to show: as written, or for cyber-observables the time it was added.
    public static func versionText(_ record: STIXObjectRecord) -> String {
        record.versionText.isEmpty ? Self.text(micros: record.dateAdded) : record.versionText
    }

    /// Microseconds since 1970 of a STIX timestamp (`Z`, 0 to 9 fractional digits; `+00:00` read too).
    public static func micros(_ text: String) -> Int64? {
        var body = Substring(text)
        if body.hasSuffix("+00:00") { body = body.dropLast(6) + "Z" }
        guard body.hasSuffix("Z"), body.count >= 20, let seconds = EventTime.parse(String(body.prefix(19)) + "Z") else { return nil }
        let fraction = body.dropFirst(19).dropLast()
        var micros = Int64(seconds.timeIntervalSince1970) * 1_000_000
        if fraction.isEmpty { return micros }
        guard fraction.hasPrefix("."), fraction.count >= 2, fraction.count <= 10, fraction.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return nil
        }
        let digits = Array(fraction.dropFirst().prefix(6))
        var value: Int64 = 0
        for digit in digits { value = value * 10 + Int64(digit.wholeNumberValue ?? 0) }
        for _ in digits.count..<6 { value *= 10 }
        micros += value
        return micros
    }

    /// `2016-11-03T12:30:59.001000Z`: the form TAXII dates take (microseconds, UTC).
    public static func text(micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let base = EventTime.format(Date(timeIntervalSince1970: TimeInterval(seconds)))  // 2016-11-03T12:30:59+00:00
        let digits = String(fraction)
        return String(base.dropLast(6)) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }
}
