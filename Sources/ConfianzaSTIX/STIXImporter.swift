import ConfianzaCore
import ConfianzaNetwork
import Foundation

/// Why a STIX bundle was refused, with the place in it.
public struct STIXImportError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { self.path.isEmpty ? self.reason : "\(self.path): \(self.reason)" }
}

/// Reads the indicators of a STIX 2.1 bundle, all or nothing. TLP markings are read in every form
/// peers send: TLP 2.0 ids, TLP 1.0 ids (WHITE read as CLEAR), OpenCTI's own AMBER+STRICT, and
/// marking definitions in the bundle itself; the most restrictive one applies, and an indicator with
/// no marking is taken as TLP:AMBER.
public enum STIXImporter {
    static let knownMarkings: [String: TLP] = {
        var table: [String: TLP] = [:]
        for tlp in TLP.allCases { table[STIXMarking.id(tlp)] = tlp }
        table["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"] = .clear
        table["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"] = .green
        table["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"] = .amber
        table["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"] = .red
        table["marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"] = .amberStrict
        return table
    }()

    /// The marking ids understood: every known family, and the TLP definitions among `objects`.
    static func markings(in objects: [JSONValue]) -> [String: TLP] {
        var markings = Self.knownMarkings
        for object in objects {
            guard case .object(let fields) = object, case .string("marking-definition") = fields["type"], case .string(let id) = fields["id"] else { continue }
            if let tlp = Self.tlp(ofDefinition: fields) { markings[id] = markings[id] ?? tlp }
        }
        return markings
    }

    public static func indicators(from text: String, source: String, now: Date) throws(STIXImportError) -> (indicators: [Indicator], skipped: Int) {
        let root: JSONValue
        do { root = try JSONReader.parse(text) } catch { throw STIXImportError(path: "", reason: "not JSON: \(error.description)") }
        guard case .object(let bundle) = root, case .string("bundle") = bundle["type"] else {
            throw STIXImportError(path: "", reason: "not a STIX bundle (an object with \"type\": \"bundle\")")
        }
        guard case .array(let objects) = bundle["objects"] ?? .array([]) else { throw STIXImportError(path: "objects", reason: "is not a list") }
        // Markings defined in the bundle itself.
        let markings = Self.markings(in: objects)
        var indicators: [Indicator] = []
        var skipped = 0
        for (index, object) in objects.enumerated() {
            let path = "objects[\(index)]"
            guard case .object(let fields) = object else { throw STIXImportError(path: path, reason: "is not an object") }
            guard case .string(let type) = fields["type"] else { throw STIXImportError(path: path, reason: "has no type") }
            guard type == "indicator" else {
                skipped += 1
                continue
            }
            indicators.append(try Self.indicator(fields, path: path, markings: markings, source: source, now: now))
        }
        return (indicators, skipped)
    }

    /// The indicators among objects read one by one (a TAXII page): a bad indicator is refused with its
    /// reason and the others are kept.
    public static func indicators(in objects: [JSONValue], source: String, now: Date) -> (indicators: [Indicator], skipped: Int, refused: [STIXImportError]) {
        let markings = Self.markings(in: objects)
        var indicators: [Indicator] = []
        var skipped = 0
        var refused: [STIXImportError] = []
        for (index, object) in objects.enumerated() {
            guard case .object(let fields) = object, case .string("indicator") = fields["type"] else {
                skipped += 1
                continue
            }
            do { indicators.append(try Self.indicator(fields, path: "objects[\(index)]", markings: markings, source: source, now: now)) } catch {
                refused.append(error)
            }
        }
        return (indicators, skipped, refused)
    }

    static func indicator(_ fields: [String: JSONValue], path: String, markings: [String: TLP], source: String, now: Date) throws(STIXImportError) -> Indicator {
        // Once the id is known, errors name it.
        var place = path
        func string(_ key: String, required: Bool = true) throws(STIXImportError) -> String? {
            switch fields[key] {
            case .string(let text)?: return text
            case nil, .null?: if required { throw STIXImportError(path: "\(place).\(key)", reason: "is missing") } else { return nil }
            default: throw STIXImportError(path: "\(place).\(key)", reason: "is not a string")
            }
        }
        func time(_ key: String, required: Bool = true) throws(STIXImportError) -> Date? {
            guard let text = try string(key, required: required) else { return nil }
            guard let date = Self.timestamp(text) else { throw STIXImportError(path: "\(place).\(key)", reason: "'\(text)' is not a STIX timestamp (2024-05-01T00:00:00.000Z)") }
            return date
        }
        guard let id = try string("id"), id.hasPrefix("indicator--"), UUID(uuidString: String(id.dropFirst("indicator--".count))) != nil else {
            throw STIXImportError(path: "\(path).id", reason: "is not an indicator id (indicator--UUID)")
        }
        place = "\(path) (\(id))"
        if let version = try string("spec_version", required: false), version != "2.1" {
            throw STIXImportError(path: "\(place).spec_version", reason: "'\(version)': only STIX 2.1 is read")
        }
        // `created` must be a timestamp; `modified` (the version) defaults to it.
        _ = try time("created")
        let created = try string("created") ?? ""
        let modified = try string("modified", required: false) ?? created
        guard Self.timestamp(modified) != nil else { throw STIXImportError(path: "\(place).modified", reason: "is not a STIX timestamp") }
        guard let pattern = try string("pattern"), !pattern.isEmpty else { throw STIXImportError(path: "\(place).pattern", reason: "is empty") }
        guard let patternType = try string("pattern_type") else { throw STIXImportError(path: "\(place).pattern_type", reason: "is missing") }
        guard let validFrom = try time("valid_from") else { throw STIXImportError(path: "\(place).valid_from", reason: "is missing") }
        let validUntil = try time("valid_until", required: false)
        if let validUntil, validUntil <= validFrom { throw STIXImportError(path: "\(place).valid_until", reason: "is not after valid_from") }
        var revoked = false
        if let value = fields["revoked"] {
            guard case .bool(let flag) = value else { throw STIXImportError(path: "\(place).revoked", reason: "is not true or false") }
            revoked = flag
        }
        var tlp: TLP?
        if case .array(let refs)? = fields["object_marking_refs"] {
            for ref in refs {
                guard case .string(let markingID) = ref else { throw STIXImportError(path: "\(place).object_marking_refs", reason: "holds something that is not an id") }
                if let level = markings[markingID] { tlp = max(tlp ?? level, level) }
            }
        }
        return Indicator(
            id: id, version: modified, name: try string("name", required: false) ?? pattern, pattern: pattern, patternType: patternType,
            address: patternType == "stix" ? Self.address(in: pattern) : nil, validFrom: validFrom, validUntil: validUntil, revoked: revoked,
            tlp: tlp ?? .amber, source: source, importedAt: now,
            domain: patternType == "stix" ? Self.literal(of: "domain-name", in: pattern).map(Indicator.normalizedDomain) : nil,
            url: patternType == "stix" ? Self.literal(of: "url", in: pattern) : nil)
    }

    /// The value of a one-comparison pattern `[type:value = '…']` (STIX escapes `\'` and `\\` undone);
    /// `nil` for anything more complex, which is kept but not matched.
    static func literal(of type: String, in pattern: String) -> String? {
        let text = pattern.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
        let inner = text.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
        guard inner.hasPrefix("\(type):value") else { return nil }
        let rest = inner.dropFirst("\(type):value".count).trimmingCharacters(in: .whitespaces)
        guard rest.hasPrefix("="), !rest.hasPrefix("==") else { return nil }
        let quoted = rest.dropFirst().trimmingCharacters(in: .whitespaces)
        guard quoted.count >= 2, quoted.hasPrefix("'"), quoted.hasSuffix("'") else { return nil }
        var value = ""
        var escaped = false
        for character in quoted.dropFirst().dropLast() {
            if escaped {
                value.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "'" {
                return nil  // an unescaped quote: more than one literal
            } else {
                value.append(character)
            }
        }
        guard !escaped, !value.isEmpty, value.count <= 2048 else { return nil }
        return value
    }

    /// The address of `[ipv4-addr:value = '198.51.100.7']` (or ipv6-addr), in canonical form.
    static func address(in pattern: String) -> String? {
        for type in ["ipv4-addr", "ipv6-addr"] {
            if let literal = Self.literal(of: type, in: pattern), let address = try? IPAddress(literal) { return address.unmapped.description }
        }
        return nil
    }

    /// TLP of a marking definition: TLP 2.0 extension, TLP 1.0 `definition.tlp`, or a `TLP:…` name.
    static func tlp(ofDefinition fields: [String: JSONValue]) -> TLP? {
        if case .object(let extensions)? = fields["extensions"], case .object(let tlp2)? = extensions[STIXMarking.extensionID],
            case .string(let level)? = tlp2["tlp_2_0"]
        {
            return TLP(label: level)
        }
        if case .object(let definition)? = fields["definition"], case .string(let level)? = definition["tlp"] { return TLP(label: level) }
        if case .string(let name)? = fields["name"], name.uppercased().hasPrefix("TLP:") { return TLP(label: name) }
        return nil
    }

    /// `2024-05-01T00:00:00Z` with 0 to 9 fractional digits (to the microsecond).
    static func timestamp(_ text: String) -> Date? {
        guard text.hasSuffix("Z"), let micros = STIXObjects.micros(text) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(micros) / 1_000_000)
    }
}
