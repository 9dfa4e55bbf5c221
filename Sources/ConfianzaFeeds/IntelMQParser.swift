import ConfianzaCore
import Foundation

/// A feed parser: bytes in, in chunks; events or rejections out.
public protocol FeedParser {
    mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (ParsedRecord) -> Void)
    mutating func finish(_ emit: (ParsedRecord) -> Void)
    /// The input's header record as read (CSV formats), needed to read a quarantined row again.
    var header: String? { get }
}

extension FeedParser {
    public var header: String? { nil }
}

extension ShadowserverParser: FeedParser {}

/// IntelMQ events as JSON lines (one flat JSON object per line, harmonization keys), as IntelMQ's file
/// output writes them and its JSON parser reads them. Every field is checked; `extra.*` keeps any JSON.
/// Blank lines are skipped; a line that is not a JSON object, or has an unknown key or a bad value,
/// is rejected with its line number.
public struct IntelMQParser: FeedParser {
    private var pending: [UInt8] = []
    private var line = 0
    private let maxLineBytes: Int
    private let observedAt: String
    private let feedName: String?
    private var skipping = false

    public init(feedName: String? = nil, observedAt: Date, maxLineBytes: Int = 1 << 20) {
        self.feedName = feedName
        self.observedAt = EventTime.format(observedAt)
        self.maxLineBytes = maxLineBytes
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (ParsedRecord) -> Void) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                self.line += 1
                if self.skipping {
                    self.skipping = false
                } else {
                    self.handle(self.pending, emit)
                }
                self.pending.removeAll(keepingCapacity: true)
                continue
            }
            guard !self.skipping else { continue }
            self.pending.append(byte)
            if self.pending.count > self.maxLineBytes {
                emit(.rejected(Rejection(line: self.line + 1, raw: String(decoding: self.pending, as: UTF8.self), reason: "the line is longer than \(self.maxLineBytes) bytes")))
                self.pending.removeAll(keepingCapacity: true)
                self.skipping = true
            }
        }
    }

    public mutating func finish(_ emit: (ParsedRecord) -> Void) {
        if !self.pending.isEmpty, !self.skipping {
            self.line += 1
            self.handle(self.pending, emit)
        }
        self.pending.removeAll()
    }

    private func handle(_ raw: [UInt8], _ emit: (ParsedRecord) -> Void) {
        var bytes = raw
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        if self.line == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard bytes.contains(where: { $0 != 32 && $0 != 9 }) else { return }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            emit(.rejected(Rejection(line: self.line, raw: String(decoding: bytes, as: UTF8.self), reason: "not valid UTF-8")))
            return
        }
        do {
            emit(.event(try Self.event(from: text, feedName: self.feedName, observedAt: self.observedAt), line: self.line))
        } catch {
            emit(.rejected(Rejection(line: self.line, raw: text, reason: error.reason)))
        }
    }

    struct LineError: Error { var reason: String }

    /// One IntelMQ JSON object as an event. `raw` is kept as given, when present.
    static func event(from text: String, feedName: String?, observedAt: String) throws(LineError) -> Event {
        let object: [String: JSONValue]
        do {
            guard case .object(let fields) = try JSONReader.parse(text) else { throw LineError(reason: "not a JSON object") }
            object = fields
        } catch let error as JSONReader.Failure {
            throw LineError(reason: "not a JSON object: \(error.description)")
        } catch {
            throw LineError(reason: "not a JSON object")
        }
        var event = Event()
        for key in object.keys.sorted() {
            guard let value = object[key] else { continue }
            guard Harmonization.isKnown(key) else { throw LineError(reason: "\(key): not a known field (IntelMQ harmonization keys or extra.*)") }
            do {
                switch value {
                case .null: continue
                case .string(let string): try event.set(key, .string(string))
                case .integer(let number): try event.set(key, .integer(number))
                case .double(let number): try event.set(key, .float(number))
                case .bool(let flag): try event.set(key, .boolean(flag))
                case .array, .object: try event.set(key, value.eventValue)
                }
            } catch {
                throw LineError(reason: error.description)
            }
        }
        if let feedName { try? event.set("feed.name", text: feedName) }
        if event["time.observation"] == nil { try? event.set("time.observation", text: observedAt) }
        let classification = Taxonomy.classify(
            taxonomy: event["classification.taxonomy"]?.description, type: event["classification.type"]?.description)
        try? event.set("classification.taxonomy", text: classification.taxonomy)
        try? event.set("classification.type", text: classification.type)
        if event["raw"] == nil { try? event.set("raw", text: Data(text.utf8).base64EncodedString()) }
        return event
    }
}
