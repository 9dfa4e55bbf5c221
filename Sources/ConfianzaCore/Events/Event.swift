import ConfianzaNetwork
import Crypto
import Foundation

/// A value of an event field, after validation.
public enum EventValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// A JSON object or array, as compact JSON text (only `extra.*` fields hold these).
    case json(String)

    public var description: String {
        switch self {
        case .string(let text): text
        case .integer(let number): String(number)
        case .float(let number): String(number)
        case .boolean(let flag): flag ? "true" : "false"
        case .json(let text): text
        }
    }

    var json: Any {
        switch self {
        case .string(let text): text
        case .integer(let number): number
        case .float(let number): number
        case .boolean(let flag): flag
        case .json(let text): text
        }
    }
}

/// One security event, with IntelMQ "harmonization" keys (`source.ip`, `classification.type`,
/// `feed.name`, `time.source`, `extra.*`, …), each value checked and normalised by ``Harmonization``.
public struct Event: Sendable, Equatable {
    /// The fields, kept sorted by key (keys are ASCII, so this is code-point order): writing JSON and
    /// the de-duplication key need no sorting, and a lookup is a binary search over a few dozen keys.
    private var entries: [Entry] = []

    struct Entry: Sendable, Equatable {
        var key: String
        var value: EventValue
    }

    public init() {}

    /// An event with room for `capacity` fields (feeds with many columns fill it without regrowing).
    public init(capacity: Int) { self.entries.reserveCapacity(capacity) }

    /// Every field, by key.
    public var fields: [String: EventValue] { Dictionary(uniqueKeysWithValues: self.entries.map { ($0.key, $0.value) }) }

    /// The keys, sorted.
    public var keys: [String] { self.entries.map(\.key) }

    public subscript(_ key: String) -> EventValue? {
        let (found, index) = self.position(of: key)
        return found ? self.entries[index].value : nil
    }

    private func position(of key: String) -> (found: Bool, index: Int) {
        var low = 0
        var high = self.entries.count
        while low < high {
            let middle = (low + high) / 2
            let other = self.entries[middle].key
            if other == key { return (true, middle) }
            if other < key { low = middle + 1 } else { high = middle }
        }
        return (false, low)
    }

    private mutating func put(_ key: String, _ value: EventValue) {
        let (found, index) = self.position(of: key)
        if found { self.entries[index].value = value } else { self.entries.insert(Entry(key: key, value: value), at: index) }
    }

    /// Sets a value its caller has already checked with ``Harmonization`` (a constant of a mapping, a
    /// value made by this program), without checking it again.
    public mutating func set(trusted key: String, _ value: EventValue) { self.put(key, value) }

    /// Sets a field from text, checked and normalised for its key; empty text leaves it unset.
    public mutating func set(_ key: String, text: String) throws(EventFieldError) {
        let trimmed = text.trimmedSpaces
        guard !trimmed.isEmpty else { return }
        if let value = try Harmonization.value(for: key, text: trimmed) { self.put(key, value) }
    }

    /// Sets an already-typed value. `extra.*` keeps the value's own type (numbers, booleans, nested
    /// JSON), as IntelMQ does; other keys are checked and normalised as text.
    public mutating func set(_ key: String, _ value: EventValue) throws(EventFieldError) {
        if Harmonization.isExtra(key) {
            if case .string(let text) = value, text.isEmpty { return }
            self.put(key, value)
            return
        }
        if case .json = value { throw EventFieldError(key: key, value: value.description, reason: "only extra.* fields may hold JSON objects or arrays") }
        try self.set(key, text: value.description)
    }

    public mutating func remove(_ key: String) {
        let (found, index) = self.position(of: key)
        if found { self.entries.remove(at: index) }
    }

    /// Fields set while reading back stored events: already checked when they were stored.
    mutating func restore(_ key: String, _ value: EventValue) { self.put(key, value) }

    /// The de-duplication key: the first 128 bits of SHA-256 over every field (sorted) except those given.
    public func deduplicationKey(excluding excluded: Set<String> = ["raw", "time.observation"]) -> DeduplicationKey {
        var hasher = SHA256()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        for entry in self.entries where !excluded.contains(entry.key) {
            bytes.append(contentsOf: entry.key.utf8)
            bytes.append(0xC0)
            switch entry.value {
            case .string(let text): bytes.append(contentsOf: text.utf8)
            case let value: bytes.append(contentsOf: value.description.utf8)
            }
            bytes.append(0xC1)
        }
        hasher.update(data: bytes)
        return DeduplicationKey(digest: Array(hasher.finalize()))
    }

    /// The event as one IntelMQ JSON object (flat keys, sorted by code point). Written by hand: the
    /// Foundation serializer sorts with locale-aware comparison, which made it most of ingestion's cost.
    public func json() -> String { self.json(excluding: []) }

    /// The JSON object without some keys (those a store keeps in columns of their own).
    public func json(excluding excluded: Set<String>) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(1024)
        var first = true
        for entry in self.entries where excluded.isEmpty || !excluded.contains(entry.key) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONText.appendString(entry.key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch entry.value {
            case .string(let text): JSONText.appendString(text, to: &out)
            case .integer(let number): out.append(contentsOf: String(number).utf8)
            case .float(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
            case .boolean(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
            case .json(let text): out.append(contentsOf: text.utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    var hasUppercaseASCII: Bool { self.utf8.contains { $0 >= 65 && $0 <= 90 } }

    /// Without leading and trailing spaces and tabs; cheap when there are none (the usual case).
    var trimmedSpaces: String {
        let bytes = self.utf8
        guard let first = bytes.first, let last = bytes.last else { return self }
        if first != 32 && first != 9 && last != 32 && last != 9 { return self }
        return String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension Event {
    /// Reads back an event this program stored (from ``json()``); values take their field's type.
    public static func stored(_ json: String) -> Event? {
        guard case .object(let object) = try? JSONReader.parse(json) else { return nil }
        var event = Event()
        for (key, value) in object {
            if Harmonization.isExtra(key) {
                event.restore(key, value.eventValue)
                continue
            }
            let text: String
            switch value {
            case .string(let string): text = string
            case .integer(let number): text = String(number)
            case .double(let number): text = String(number)
            case .bool(let flag): text = flag ? "true" : "false"
            default: text = value.text
            }
            switch Harmonization.fields[key] {
            case .port, .asn, .integer:
                if let number = Int64(text) { event.restore(key, .integer(number)) }
            case .float:
                if let number = Double(text) { event.restore(key, .float(number)) }
            case .boolean:
                event.restore(key, .boolean(text == "true" || text == "1"))
            default:
                event.restore(key, .string(text))
            }
        }
        return event
    }
}

/// A JSON value as read, told apart by JSON's own types (Foundation's reader blurs booleans and numbers).
public indirect enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null } else if let flag = try? container.decode(Bool.self) { self = .bool(flag) } else if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else if let number = try? container.decode(Double.self) { self = .double(number) } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([JSONValue].self) { self = .array(array) } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .integer(let number): try container.encode(number)
        case .double(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let items): try container.encode(items)
        case .object(let fields): try container.encode(fields)
        }
    }

    /// Compact JSON text, keys sorted.
    public var text: String {
        var out: [UInt8] = []
        self.write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
        case .string(let text): JSONText.appendString(text, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                fields[key]?.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The value as an event field's value.
    public var eventValue: EventValue {
        switch self {
        case .null: .string("")
        case .bool(let flag): .boolean(flag)
        case .integer(let number): .integer(number)
        case .double(let number): .float(number)
        case .string(let text): .string(text)
        case .array, .object: .json(self.text)
        }
    }
}

/// What makes two events the same for de-duplication: 128 bits of a SHA-256 digest (a collision
/// among 2^32 events has odds of about 2^-64), stored as 16 bytes.
public struct DeduplicationKey: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// From a digest's first 16 bytes (or stored bytes); `nil` when fewer.
    public init(digest: some Collection<UInt8>) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in digest.prefix(16).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    public init?(stored bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        self.init(digest: bytes)
    }

    /// 16 bytes, big-endian.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: self.high >> (56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: self.low >> (56 - 8 * $0)) }
    }

    public var description: String { Hex.string(self.bytes) }
}

/// JSON string escaping (RFC 8259): quotes, backslashes and control characters.
enum JSONText {
    static let hex = Array("0123456789abcdef".utf8)

    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Plain runs are copied whole; only the bytes that need it are escaped.
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == 34 || byte == 92 else { continue }
                if index > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index])) }
                start = index + 1
                switch byte {
                case 34: out.append(contentsOf: [92, 34])
                case 92: out.append(contentsOf: [92, 92])
                case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
                default: out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0x0F)]])
                }
            }
            if bytes.count > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Lower-case hexadecimal, without `String(format:)` (slow when it runs for every event).
enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(Self.digits[Int(byte >> 4)])
            out.append(Self.digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Why a field was refused.
public struct EventFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    public var key: String
    public var value: String
    public var reason: String

    public var description: String { "\(self.key) '\(self.value)': \(self.reason)" }
}

/// The types of the harmonised fields, as IntelMQ defines them, and how text becomes a checked value.
public enum Harmonization {
    public enum FieldType: Sendable {
        case ip, port, asn, fqdn, url, dateTime, countryCode, string, lowercase, integer, float, boolean, taxonomy, classificationType,
            tlp, severity, network, base64
    }

    static let fields: [String: FieldType] = {
        var fields: [String: FieldType] = [
            "classification.taxonomy": .taxonomy, "classification.type": .classificationType, "classification.identifier": .lowercase,
            "feed.name": .string, "feed.provider": .string, "feed.code": .string, "feed.url": .url, "feed.documentation": .string,
            "feed.accuracy": .float, "time.source": .dateTime, "time.observation": .dateTime, "protocol.transport": .lowercase,
            "protocol.application": .lowercase, "malware.name": .lowercase, "malware.version": .string, "malware.hash.md5": .lowercase,
            "malware.hash.sha1": .lowercase, "malware.hash.sha256": .lowercase, "severity": .severity, "tlp": .tlp, "comment": .string,
            "event_description.text": .string, "event_description.url": .url, "event_description.target": .string, "raw": .base64,
            "status": .string, "screenshot_url": .url, "product.vulnerabilities": .string, "rtir_id": .integer,
        ]
        for side in ["source", "destination"] {
            let sideFields: [String: FieldType] = [
                "ip": .ip, "port": .port, "asn": .asn, "as_name": .string, "network": .network, "fqdn": .fqdn, "reverse_dns": .fqdn,
                "domain_suffix": .fqdn, "url": .url, "urlpath": .string, "account": .string, "abuse_contact": .lowercase, "local_ip": .ip,
                "local_hostname": .string, "tor_node": .boolean, "registry": .string, "allocated": .dateTime,
                "geolocation.cc": .countryCode, "geolocation.country": .string, "geolocation.region": .string, "geolocation.state": .string,
                "geolocation.city": .string, "geolocation.latitude": .float, "geolocation.longitude": .float,
            ]
            for (key, type) in sideFields { fields["\(side).\(key)"] = type }
        }
        return fields
    }()

    /// Whether a key may appear in an event.
    public static func isKnown(_ key: String) -> Bool { Self.fields[key] != nil || Self.isExtra(key) }

    static func isExtra(_ key: String) -> Bool {
        guard key.hasPrefix("extra."), key.count > 6 else { return false }
        return key.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 46 || $0 == 45 }
    }

    /// The checked value for `key`, or `nil` when the value stands for "none" (ASN 0, a bare `-`).
    static func value(for key: String, text: String) throws(EventFieldError) -> EventValue? {
        func fail(_ reason: String) -> EventFieldError { EventFieldError(key: key, value: String(text.prefix(200)), reason: reason) }
        guard let type = Self.fields[key] else {
            if Self.isExtra(key) { return .string(text) }
            throw fail("not a known field (IntelMQ harmonization keys or extra.*)")
        }
        switch type {
        case .ip:
            guard let address = try? IPAddress(text) else { throw fail("not an IP address") }
            let plain = address.unmapped
            if case .v4(0) = plain { throw fail("0.0.0.0 is not an address") }
            // A dotted quad that reads is already in its canonical form (leading zeros are refused).
            if case .v4 = address { return .string(text) }
            return .string(plain.description)
        case .network:
            guard let prefix = try? IPPrefix(text) else { throw fail("not a network (address/length)") }
            return .string(prefix.description)
        case .port:
            guard let port = Int64(text), (0...65535).contains(port) else { throw fail("not a port (0 to 65535)") }
            return .integer(port)
        case .asn:
            var digits = text
            if let first = text.utf8.first, first == 65 || first == 97, digits.uppercased().hasPrefix("AS") { digits.removeFirst(2) }
            guard let asn = Int64(digits), asn >= 0, asn <= 4_294_967_295 else { throw fail("not an AS number") }
            return asn == 0 ? nil : .integer(asn)
        case .fqdn:
            var name = text.hasUppercaseASCII ? text.lowercased() : text
            if name.hasSuffix(".") { name.removeLast() }
            guard !name.isEmpty, !name.utf8.contains(where: { $0 == 58 || $0 == 32 || $0 == 47 }), name.utf8.count <= 253 else {
                throw fail("not a host name")
            }
            return .string(name)
        case .url:
            var url = text
            if url.lowercased().hasPrefix("hxxp") { url = "http" + url.dropFirst(4) }
            guard url.contains("://") || url.contains("."), !url.contains(" ") else { throw fail("not a URL") }
            return .string(url)
        case .dateTime:
            guard let date = EventTime.parse(text) else { throw fail("not a time (YYYY-MM-DD HH:MM:SS in UTC, or ISO 8601 with an offset)") }
            return .string(EventTime.format(date))
        case .countryCode:
            let code = text.utf8.count == 2 && text.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) ? text : text.uppercased()
            guard code.count == 2, code.unicodeScalars.allSatisfy({ $0.value >= 65 && $0.value <= 90 }) else {
                throw fail("not a two-letter country code")
            }
            return .string(code)
        case .string: return .string(text)
        case .lowercase: return .string(text.hasUppercaseASCII || !text.utf8.allSatisfy({ $0 < 128 }) ? text.lowercased() : text)
        case .integer:
            guard let number = Int64(text) else { throw fail("not a whole number") }
            return .integer(number)
        case .float:
            guard let number = Double(text), number.isFinite else { throw fail("not a number") }
            return .float(number)
        case .boolean:
            switch text.lowercased() {
            case "true", "1", "yes", "y": return .boolean(true)
            case "false", "0", "no", "n": return .boolean(false)
            default: throw fail("not true or false")
            }
        case .taxonomy:
            guard let taxonomy = Taxonomy.canonicalTaxonomy(text) else { throw fail("not an RSIT taxonomy") }
            return .string(taxonomy)
        case .classificationType:
            guard let type = Taxonomy.canonicalType(text) else { throw fail("not an RSIT classification type") }
            return .string(type)
        case .tlp:
            guard let tlp = TLP(label: text) else { throw fail("not a TLP 2.0 label") }
            return .string(tlp.rawValue)
        case .severity:
            guard let severity = Severity(rawValue: text) ?? Severity(rawValue: text.lowercased()) else { throw fail("not one of critical, high, medium, low, info") }
            return .string(severity.rawValue)
        case .base64:
            guard Data(base64Encoded: text) != nil else { throw fail("not base64") }
            return .string(text)
        }
    }
}

/// Event times: UTC, written as IntelMQ does (`2024-05-01T00:14:34+00:00`).
public enum EventTime {
    /// Reads `2024-05-01 00:14:34` (UTC), `2024-05-01T00:14:34Z`, `…+02:00`, with optional fractions.
    public static func parse(_ text: String) -> Date? {
        if let date = Self.parseFast(Array(text.utf8)) { return date }
        var value = text.trimmingCharacters(in: .whitespaces)
        if value.count == 10 { value += "T00:00:00Z" }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: value) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: value)
    }

    /// The forms feeds use most, read without a formatter: `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SSZ`
    /// and `…+HH:MM` / `…-HH:MM`.
    static func parseFast(_ b: [UInt8]) -> Date? {
        guard b.count == 19 || b.count == 20 || b.count == 25 else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let d = Int(b[index]) - 48
                guard d >= 0, d <= 9 else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard b[4] == 45, b[7] == 45, b[10] == 32 || b[10] == 84, b[13] == 58, b[16] == 58,
            let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10), let hour = digits(11..<13),
            let minute = digits(14..<16), let second = digits(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var offset = 0
        if b.count == 19 {
            guard b[10] == 32 || b[10] == 84 else { return nil }
        } else if b.count == 20 {
            guard b[19] == 90 else { return nil }
        } else {
            guard b[19] == 43 || b[19] == 45, b[22] == 58, let oh = digits(20..<22), let om = digits(23..<25), oh < 24, om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (b[19] == 43 ? 1 : -1)
        }
        // Days since 1970-01-01 from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        guard Self.daysInMonth(year, month) >= day else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + hour * 3600 + minute * 60 + second - offset))
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = year < 1000 ? String(repeating: "0", count: 4 - "\(year)".count) + "\(year)" : "\(year)"
        return "\(yearText)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))+00:00"
    }
}
