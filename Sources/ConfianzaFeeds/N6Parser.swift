import ConfianzaCore
import Foundation

/// CERT.pl's n6 events, as its REST API gives them: a JSON array (`.json`) or one object per line
/// (`.sjson`), read as a stream either way. Each object becomes one event per address it lists (as
/// IntelMQ's n6 parser does), or one event when it lists none.
///
/// Fields: `time` → `time.source` (required); `address[]` → `source.ip`, `source.asn`,
/// `source.geolocation.cc`, `source.reverse_dns`; `fqdn` (not `unknown`), `url`, `sport`, `dip`, `dport`,
/// `proto`, `md5`, `sha1`, `sha256`, `target` to their harmonization keys; `name` → `malware.name` for
/// bots and C2 servers; `category` → the RSIT classification (``categories``); `restriction` → TLP
/// (`public` CLEAR, `need-to-know` AMBER, `internal` RED); everything else under `extra.n6_*`. An object
/// without `time` or `category`, with an unknown category, or with an address that is not one is
/// rejected with the field and why; an optional value that is not valid is kept under `extra.`.
public struct N6Parser: FeedParser {
    /// n6 categories as RSIT taxonomy and type (with IntelMQ's identifiers).
    public static let categories: [String: (taxonomy: String, type: String)] = [
        "amplifier": ("vulnerable", "vulnerable-system"), "backdoor": ("intrusions", "system-compromise"),
        "bots": ("malicious-code", "infected-system"), "cnc": ("malicious-code", "c2-server"),
        "deface": ("intrusions", "application-compromise"), "dns-query": ("other", "other"), "dos-attacker": ("availability", "ddos"),
        "dos-victim": ("availability", "ddos"), "flow": ("other", "other"), "flow-anomaly": ("other", "other"),
        "fraud": ("fraud", "unauthorized-use-of-resources"), "leak": ("information-content-security", "data-leak"),
        "malurl": ("malicious-code", "malware-distribution"), "malware-action": ("malicious-code", "malware-configuration"),
        "other": ("other", "other"), "phish": ("fraud", "phishing"), "proxy": ("other", "proxy"),
        "sandbox-url": ("malicious-code", "malware-distribution"), "scam": ("fraud", "masquerade"),
        "scanning": ("information-gathering", "scanner"), "server-exploit": ("intrusion-attempts", "exploit"),
        "spam": ("abusive-content", "spam"), "spam-url": ("abusive-content", "spam"), "tor": ("other", "tor"),
        "vulnerable": ("vulnerable", "vulnerable-system"), "webinject": ("malicious-code", "malware-configuration"),
    ]

    static let restrictions: [String: String] = ["public": "TLP:CLEAR", "need-to-know": "TLP:AMBER", "internal": "TLP:RED"]

    /// Fields read into harmonization keys; the others go under `extra.n6_<name>`.
    static let direct: [String: String] = [
        "url": "source.url", "sport": "source.port", "dip": "destination.ip", "dport": "destination.port", "proto": "protocol.transport",
        "md5": "malware.hash.md5", "sha1": "malware.hash.sha1", "sha256": "malware.hash.sha256", "target": "event_description.target",
    ]

    private let feedName: String?
    private let observedAt: String
    private let maxObjectBytes: Int
    private var splitter: JSONStreamSplitter

    public init(feedName: String? = nil, observedAt: Date, maxObjectBytes: Int = 1 << 20) {
        self.feedName = feedName
        self.observedAt = EventTime.format(observedAt)
        self.maxObjectBytes = maxObjectBytes
        self.splitter = JSONStreamSplitter(maxObjectBytes: maxObjectBytes)
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (ParsedRecord) -> Void) {
        var pieces: [JSONStreamSplitter.Piece] = []
        self.splitter.feed(bytes) { pieces.append($0) }
        for piece in pieces { self.handle(piece, emit) }
    }

    public mutating func finish(_ emit: (ParsedRecord) -> Void) {
        var pieces: [JSONStreamSplitter.Piece] = []
        self.splitter.finish { pieces.append($0) }
        for piece in pieces { self.handle(piece, emit) }
    }

    private func handle(_ piece: JSONStreamSplitter.Piece, _ emit: (ParsedRecord) -> Void) {
        switch piece {
        case .failure(let line, let raw, let reason):
            emit(.rejected(Rejection(line: line, raw: raw, reason: reason)))
        case .object(let line, let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                emit(.rejected(Rejection(line: line, raw: String(decoding: bytes, as: UTF8.self), reason: "not valid UTF-8")))
                return
            }
            do {
                for event in try self.events(text) { emit(.event(event, line: line)) }
            } catch {
                emit(.rejected(Rejection(line: line, raw: text, reason: error.reason)))
            }
        }
    }

    struct ObjectError: Error { var reason: String }

    func events(_ text: String) throws(ObjectError) -> [Event] {
        let object: [String: JSONValue]
        do {
            guard case .object(let fields) = try JSONReader.parse(text) else { throw ObjectError(reason: "not a JSON object") }
            object = fields
        } catch let error as JSONReader.Failure {
            throw ObjectError(reason: "not a JSON object: \(error.description)")
        } catch {
            throw ObjectError(reason: "not a JSON object")
        }
        func string(_ key: String) -> String? {
            switch object[key] {
            case .string(let value)?: value
            case .integer(let value)?: String(value)
            case .double(let value)?: String(value)
            case .bool(let value)?: String(value)
            default: nil
            }
        }
        guard let category = string("category") else { throw ObjectError(reason: "category: missing") }
        guard let classification = Self.categories[category] else {
            throw ObjectError(reason: "category: '\(category)' is not an n6 category (\(Self.categories.keys.sorted().joined(separator: ", ")))")
        }
        guard let time = string("time") else { throw ObjectError(reason: "time: missing") }
        var event = Event()
        do { try event.set("time.source", text: time) } catch { throw ObjectError(reason: "time: \(error.description)") }
        try? event.set("classification.taxonomy", text: classification.taxonomy)
        try? event.set("classification.type", text: classification.type)
        try? event.set("classification.identifier", text: category)
        try? event.set("feed.provider", text: "CERT.pl n6")
        try? event.set("feed.name", text: self.feedName ?? "n6")
        try? event.set("time.observation", text: self.observedAt)
        try? event.set("raw", text: Data(text.utf8).base64EncodedString())
        if let restriction = string("restriction") {
            guard let tlp = Self.restrictions[restriction] else {
                throw ObjectError(reason: "restriction: '\(restriction)' is not public, need-to-know or internal")
            }
            try? event.set("tlp", text: tlp)
        }
        for key in object.keys.sorted() where !["category", "time", "restriction", "address"].contains(key) {
            guard let value = object[key], value != .null else { continue }
            let text = string(key)
            if let target = Self.direct[key], let text, (try? event.set(target, text: text)) != nil { continue }
            if key == "fqdn", let text, text != "unknown", (try? event.set("source.fqdn", text: text)) != nil { continue }
            if key == "name", ["bots", "cnc"].contains(category), let text, (try? event.set("malware.name", text: text.lowercased())) != nil {
                continue
            }
            let extra = "extra.n6_" + key.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            try? event.set(extra, text.map(EventValue.string) ?? value.eventValue)
        }
        guard case .array(let addresses)? = object["address"], !addresses.isEmpty else {
            if let address = object["address"], address != .null, address != .array([]) { throw ObjectError(reason: "address: not a list of addresses") }
            return [event]
        }
        var events: [Event] = []
        for (index, address) in addresses.enumerated() {
            guard case .object(let fields) = address, case .string(let ip)? = fields["ip"] else {
                throw ObjectError(reason: "address[\(index)]: not an object with an ip")
            }
            var one = event
            do { try one.set("source.ip", text: ip) } catch { throw ObjectError(reason: "address[\(index)].ip: \(error.description)") }
            if let asn = fields["asn"] {
                let text: String? = if case .integer(let n) = asn { String(n) } else if case .string(let s) = asn { s } else { nil }
                if let text, (try? one.set("source.asn", text: text)) == nil { try? one.set("extra.n6_asn", .string(text)) }
            }
            if case .string(let cc)? = fields["cc"], (try? one.set("source.geolocation.cc", text: cc)) == nil { try? one.set("extra.n6_cc", .string(cc)) }
            if case .string(let rdns)? = fields["rdns"] { try? one.set("source.reverse_dns", text: rdns) }
            events.append(one)
        }
        return events
    }
}

/// Splits a stream of JSON objects — a top-level array of them, or one per line — into one object's
/// bytes each, without reading the whole input: strings and nesting are followed byte by byte.
struct JSONStreamSplitter {
    enum Piece {
        case object(line: Int, bytes: [UInt8])
        case failure(line: Int, raw: String, reason: String)
    }

    let maxObjectBytes: Int
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var current: [UInt8] = []
    private var objectLine = 1
    private var line = 1
    private var skippingToLineEnd = false
    private var sawArray = false
    private var arrayClosed = false

    init(maxObjectBytes: Int) { self.maxObjectBytes = maxObjectBytes }

    mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (Piece) -> Void) {
        for byte in bytes { self.consume(byte, emit) }
    }

    mutating func finish(_ emit: (Piece) -> Void) {
        if self.depth > 0 && !self.skippingToLineEnd {
            emit(.failure(line: self.objectLine, raw: String(decoding: self.current.prefix(4096), as: UTF8.self), reason: "the input ends inside an object"))
        } else if self.sawArray && !self.arrayClosed {
            emit(.failure(line: self.line, raw: "", reason: "the input ends before the array is closed with ]"))
        }
        self.current = []
    }

    private mutating func consume(_ byte: UInt8, _ emit: (Piece) -> Void) {
        defer { if byte == 10 { self.line += 1 } }
        if self.skippingToLineEnd {
            if byte == 10 {
                self.skippingToLineEnd = false
                self.depth = 0
                self.inString = false
                self.escaped = false
            }
            return
        }
        if self.depth > 0 {
            self.current.append(byte)
            if self.current.count > self.maxObjectBytes {
                emit(.failure(line: self.objectLine, raw: String(decoding: self.current.prefix(4096), as: UTF8.self), reason: "an object longer than \(self.maxObjectBytes) bytes"))
                self.current = []
                self.skippingToLineEnd = true
                return
            }
            if self.inString {
                if self.escaped {
                    self.escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    self.escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    self.inString = false
                }
                return
            }
            switch byte {
            case UInt8(ascii: "\""): self.inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): self.depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                self.depth -= 1
                if self.depth == 0 {
                    emit(.object(line: self.objectLine, bytes: self.current))
                    self.current = []
                }
            default: break
            }
            return
        }
        // Between objects: blanks, line ends, a byte-order mark, the array's brackets and commas.
        switch byte {
        case 32, 9, 10, 13, 0xEF, 0xBB, 0xBF: return
        case UInt8(ascii: "[") where !self.sawArray:
            self.sawArray = true
        case UInt8(ascii: "]") where self.sawArray && !self.arrayClosed:
            self.arrayClosed = true
        case UInt8(ascii: ","): return
        case UInt8(ascii: "{"):
            self.depth = 1
            self.objectLine = self.line
            self.current = [byte]
        default:
            emit(.failure(line: self.line, raw: String(UnicodeScalar(byte)), reason: "not a JSON object (n6 gives a list of objects, or one per line)"))
            self.skippingToLineEnd = byte != 10
        }
    }
}
