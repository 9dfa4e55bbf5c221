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

extension String {
    /// `trimmingCharacters(in: characters)` for a set of blanks (`.whitespaces`, `.whitespacesAndNewlines`),
    /// returning the text itself without a copy when it starts and ends with a visible ASCII character
    /// (almost every field of a data file), where Foundation would convert it on Linux each time.
    public func trimmed(_ characters: CharacterSet = .whitespacesAndNewlines) -> String {
        let bytes = self.utf8
        guard let first = bytes.first, let last = bytes.last else { return self }
        func visible(_ byte: UInt8) -> Bool { byte > 32 && byte < 127 }
        if visible(first) && visible(last) { return self }
        return self.trimmingCharacters(in: characters)
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
