import ConfianzaCore
import Foundation

/// Abuse reports by e-mail: one message (`.eml`), or many in an mbox file (messages starting at
/// `From ` lines). Each message is one record: one event (ARF, X-ARF 0.2 or XARF v4, told apart by
/// their parts) or one rejection naming the line and the reason. Memory holds one message at a time;
/// a message larger than `maxMessageBytes` is rejected, not read.
public struct MailReportParser: FeedParser {
    private let feedName: String?
    private let observedAt: String
    private let maxMessageBytes: Int
    private var line = 0
    private var partial: [UInt8] = []
    private var message: [UInt8] = []
    private var messageLine = 1
    private var messageTooLarge = false
    private var mbox: Bool?
    private var previousBlank = true

    public init(feedName: String? = nil, observedAt: Date, maxMessageBytes: Int = 32 << 20) {
        self.feedName = feedName
        self.observedAt = EventTime.format(observedAt)
        self.maxMessageBytes = maxMessageBytes
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (ParsedRecord) -> Void) {
        for byte in bytes {
            self.partial.append(byte)
            if byte == 10 {
                self.take(self.partial, emit)
                self.partial.removeAll(keepingCapacity: true)
            } else if self.partial.count > self.maxMessageBytes {
                // One endless line: keep counting the message as too large, without holding it.
                self.messageTooLarge = true
                self.partial.removeAll(keepingCapacity: true)
            }
        }
    }

    public mutating func finish(_ emit: (ParsedRecord) -> Void) {
        if !self.partial.isEmpty {
            self.take(self.partial, emit)
            self.partial.removeAll()
        }
        self.close(emit)
    }

    private mutating func take(_ rawLine: [UInt8], _ emit: (ParsedRecord) -> Void) {
        self.line += 1
        var content = rawLine[...]
        if self.line == 1, content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }
        let fromLine = content.starts(with: Array("From ".utf8))
        if self.mbox == nil {
            if content.allSatisfy({ $0 == 10 || $0 == 13 || $0 == 32 || $0 == 9 }) { return }  // leading blank lines
            self.mbox = fromLine
            if fromLine {
                self.messageLine = self.line + 1
                return
            }
            self.messageLine = self.line
        }
        let blank = content.allSatisfy { $0 == 10 || $0 == 13 }
        defer { self.previousBlank = blank }
        if self.mbox == true, fromLine, self.previousBlank {
            self.close(emit)
            self.messageLine = self.line + 1
            return
        }
        if self.mbox == true, content.first == UInt8(ascii: ">"), content.drop(while: { $0 == UInt8(ascii: ">") }).starts(with: Array("From ".utf8)) {
            content = content.dropFirst()  // mboxrd quoting
        }
        guard !self.messageTooLarge else { return }
        if self.message.count + content.count > self.maxMessageBytes {
            self.messageTooLarge = true
            self.message.removeAll()
            return
        }
        self.message.append(contentsOf: content)
    }

    private mutating func close(_ emit: (ParsedRecord) -> Void) {
        defer {
            self.message.removeAll(keepingCapacity: true)
            self.messageTooLarge = false
        }
        if self.messageTooLarge {
            emit(.rejected(Rejection(line: self.messageLine, raw: "", reason: "the message is larger than \(self.maxMessageBytes) bytes")))
            return
        }
        // Trailing blank lines (mbox separators) are not part of the message.
        var end = self.message.endIndex
        while end > 0, self.message[end - 1] == 10 || self.message[end - 1] == 13 { end -= 1 }
        guard end > 0 else {
            // A `From ` line with nothing after it: a cut-off mailbox, said rather than skipped.
            if self.mbox == true {
                emit(.rejected(Rejection(line: max(1, self.messageLine - 1), raw: "", reason: "the message is empty: nothing follows its From line")))
            }
            return
        }
        let bytes = self.message[..<end]
        do {
            let event = try AbuseReports.event(message: bytes, line: self.messageLine, feedName: self.feedName, observedAt: self.observedAt)
            emit(.event(event, line: self.messageLine))
        } catch {
            emit(.rejected(Rejection(line: error.line, raw: MIMEPart.string(bytes), reason: error.reason)))
        }
    }
}

/// XARF v4 reports as JSON files: one report (pretty-printed or not), an array of reports, or one
/// report per line. A file larger than `maxBytes` is rejected whole.
public struct XARFParser: FeedParser {
    private let feedName: String?
    private let observedAt: String
    private let maxBytes: Int
    private var bytes: [UInt8] = []
    private var tooLarge = false

    public init(feedName: String? = nil, observedAt: Date, maxBytes: Int = 64 << 20) {
        self.feedName = feedName
        self.observedAt = EventTime.format(observedAt)
        self.maxBytes = maxBytes
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (ParsedRecord) -> Void) {
        guard !self.tooLarge else { return }
        self.bytes.append(contentsOf: bytes)
        if self.bytes.count > self.maxBytes {
            self.tooLarge = true
            self.bytes = []
        }
    }

    public mutating func finish(_ emit: (ParsedRecord) -> Void) {
        defer { self.bytes = [] }
        if self.tooLarge {
            emit(.rejected(Rejection(line: 1, raw: "", reason: "the file is larger than \(self.maxBytes) bytes")))
            return
        }
        var content = self.bytes[...]
        if content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }
        guard content.contains(where: { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }) else { return }
        guard let text = String(validating: content, as: UTF8.self) else {
            emit(.rejected(Rejection(line: 1, raw: MIMEPart.string(content), reason: "the file is not valid UTF-8")))
            return
        }
        // One document (an object or an array of objects)…
        if let whole = try? JSONReader.parse(text) {
            let reports: [JSONValue] = if case .array(let items) = whole { items } else { [whole] }
            for (index, report) in reports.enumerated() {
                let line = reports.count == 1 ? 1 : index + 1
                self.emit(report, text: reports.count == 1 ? text : report.text, line: line, emit)
            }
            return
        }
        // …or one report per line.
        var number = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            do {
                self.emit(try JSONReader.parse(line), text: line, line: number, emit)
            } catch {
                emit(.rejected(Rejection(line: number, raw: line, reason: "not JSON: \(error.description)")))
            }
        }
    }

    private func emit(_ report: JSONValue, text: String, line: Int, _ emit: (ParsedRecord) -> Void) {
        guard case .object(let object) = report else {
            emit(.rejected(Rejection(line: line, raw: text, reason: "an XARF report is a JSON object")))
            return
        }
        do {
            let event = try AbuseReports.xarf4(object: object, line: line, feedName: self.feedName, observedAt: self.observedAt, raw: Array(text.utf8))
            emit(.event(event, line: line))
        } catch {
            emit(.rejected(Rejection(line: error.line, raw: text, reason: error.reason)))
        }
    }
}
