/// One record of a CSV file, with the physical line it starts on (1-based).
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]
    /// The record's bytes as read, without its line end (only when the reader keeps them).
    public var raw: [UInt8]

    public init(line: Int, fields: [String], raw: [UInt8] = []) {
        self.line = line
        self.fields = fields
        self.raw = raw
    }

    /// Records are equal when their line and fields are.
    public static func == (lhs: CSVRecord, rhs: CSVRecord) -> Bool { lhs.line == rhs.line && lhs.fields == rhs.fields }
}

/// Why a record could not be read. The reader skips to the next line and goes on, so one bad row
/// costs one row.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case invalidUTF8(field: Int)
        case textAfterClosingQuote(field: Int)
        case quoteInUnquotedField(field: Int)
        case unterminatedQuote(field: Int)
        case recordTooLong(limit: Int)
    }

    public var line: Int
    public var reason: Reason
    /// The bad record's bytes as read, up to its line end (only when the reader keeps them; at most the
    /// reader's record limit).
    public var raw: [UInt8]

    public init(line: Int, reason: Reason, raw: [UInt8] = []) {
        self.line = line
        self.reason = reason
        self.raw = raw
    }

    public static func == (lhs: CSVError, rhs: CSVError) -> Bool { lhs.line == rhs.line && lhs.reason == rhs.reason }

    /// What is wrong, without the line: `field 2: not valid UTF-8`.
    public var explanation: String {
        switch self.reason {
        case .invalidUTF8(let field): "field \(field): not valid UTF-8"
        case .textAfterClosingQuote(let field): "field \(field): text after the closing quote"
        case .quoteInUnquotedField(let field): "field \(field): a quote inside an unquoted field"
        case .unterminatedQuote(let field): "field \(field): the quoted field never ends"
        case .recordTooLong(let limit): "the record is longer than \(limit) bytes"
        }
    }

    public var description: String { "line \(self.line), \(self.explanation)" }
}

/// A streaming RFC 4180 CSV reader: bytes go in as they arrive, in chunks of any size; records and
/// errors come out. Memory is bounded by the longest record allowed, never by the file.
///
/// It accepts LF, CRLF and lone CR line ends, a UTF-8 byte-order mark, quoted fields spanning lines,
/// and doubled quotes inside quotes. Empty lines are skipped. Fields (1-based in errors) are numbered
/// as a spreadsheet would.
public struct CSVReader: Sendable {
    public typealias Output = Result<CSVRecord, CSVError>

    private enum State: Sendable {
        case fieldStart, unquoted, quoted, quoteInQuoted, skippingBadLine, comment
    }

    public let delimiter: UInt8
    public let maxRecordBytes: Int
    /// Whether records and errors carry their raw bytes (for quarantine and `raw`).
    public let keepRaw: Bool
    /// Reads stray quotes as Python's `csv` module does by default (IntelMQ reads Shadowserver's files so):
    /// a quote inside an unquoted field is a character, and text after a closing quote goes on the field.
    public let lenient: Bool
    /// Skips blanks at the start of a field, so `a, "b"` reads `b` (Python's `skipinitialspace`; ThreatFox's CSV).
    public let skipInitialSpace: Bool
    /// Lines starting with this byte (after blanks) are comments, skipped whole before any quote is read,
    /// so that a stray quote in a comment cannot swallow the lines after it (`#` and `;` in public lists).
    public let comment: UInt8?

    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var recordBytes = 0
    private var line = 1
    private var recordLine = 1
    private var previousWasCR = false
    private var atStart = true
    private var bomBytesSeen = 0
    private var raw: [UInt8] = []
    /// An error found mid-record, reported when its line ends so that it carries the whole raw line.
    private var pendingError: CSVError.Reason?

    public init(
        delimiter: UInt8 = UInt8(ascii: ","), maxRecordBytes: Int = 1 << 20, keepRaw: Bool = false, lenient: Bool = false, skipInitialSpace: Bool = false,
        comment: UInt8? = nil
    ) {
        self.lenient = lenient
        self.comment = comment
        self.skipInitialSpace = skipInitialSpace
        self.delimiter = delimiter
        self.maxRecordBytes = maxRecordBytes
        self.keepRaw = keepRaw
    }

    /// Reads the next chunk, calling `emit` for each record or error completed in it.
    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (Output) -> Void) {
        for byte in bytes {
            if self.atStart, self.skipByteOrderMark(byte, emit) { continue }
            self.consume(byte, emit)
        }
    }

    /// Ends the input: emits the last record, or an error when a quoted field was left open.
    public mutating func finish(_ emit: (Output) -> Void) {
        if self.atStart, self.bomBytesSeen > 0 {
            // A partial byte-order mark followed by nothing: treat its bytes as data.
            let partial: [UInt8] = Array([0xEF, 0xBB, 0xBF].prefix(self.bomBytesSeen))
            self.atStart = false
            self.bomBytesSeen = 0
            for byte in partial { self.consume(byte, emit) }
        }
        switch self.state {
        case .quoted:
            emit(.failure(CSVError(line: self.recordLine, reason: .unterminatedQuote(field: self.fields.count + 1), raw: self.raw)))
        case .skippingBadLine:
            self.emitPendingError(emit)
        case .comment:
            break
        case .fieldStart:
            if !self.fields.isEmpty { self.endRecord(emit) }
        case .unquoted, .quoteInQuoted:
            self.endRecord(emit)
        }
        self.reset()
    }

    /// Every record and error of a whole input, for small inputs and tests.
    public static func read(_ bytes: some Sequence<UInt8>, delimiter: UInt8 = UInt8(ascii: ",")) -> [Output] {
        var reader = CSVReader(delimiter: delimiter)
        var outputs: [Output] = []
        reader.feed(bytes) { outputs.append($0) }
        reader.finish { outputs.append($0) }
        return outputs
    }

    // MARK: the state machine

    private mutating func skipByteOrderMark(_ byte: UInt8, _ emit: (Output) -> Void) -> Bool {
        let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
        if byte == mark[self.bomBytesSeen] {
            self.bomBytesSeen += 1
            if self.bomBytesSeen == 3 {
                self.atStart = false
                self.bomBytesSeen = 0
            }
            return true
        }
        // Not a mark after all: replay what was held back.
        let held = Array(mark.prefix(self.bomBytesSeen))
        self.atStart = false
        self.bomBytesSeen = 0
        for heldByte in held { self.consume(heldByte, emit) }
        return false
    }

    private mutating func consume(_ byte: UInt8, _ emit: (Output) -> Void) {
        self.atStart = false
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let quote = UInt8(ascii: "\"")
        if byte == lf, self.previousWasCR {
            // The LF of a CRLF: the CR already ended the line (or was kept inside a quoted field).
            self.previousWasCR = false
            if self.state == .quoted {
                self.keep(byte)
                self.append(byte, emit)
            }
            return
        }
        self.previousWasCR = byte == cr
        let isNewline = byte == lf || byte == cr
        if (!isNewline || self.state == .quoted) && self.state != .comment { self.keep(byte) }
        if self.state == .fieldStart, self.fields.isEmpty, !isNewline { self.recordLine = self.line }
        if self.state == .fieldStart || self.state == .unquoted, self.fields.isEmpty, byte == self.comment,
            self.field.allSatisfy({ $0 == 32 || $0 == 9 })
        {
            self.state = .comment
        }

        switch self.state {
        case .comment:
            if isNewline { self.startRecord() }
        case .skippingBadLine:
            if isNewline {
                self.emitPendingError(emit)
                self.startRecord()
            }
        case .fieldStart:
            if self.skipInitialSpace, byte == 32 || byte == 9, byte != self.delimiter {
                self.count(1, emit)
            } else if byte == quote {
                self.state = .quoted
                self.count(1, emit)
            } else if byte == self.delimiter {
                self.endField(emit)
            } else if isNewline {
                if !self.fields.isEmpty { self.endRecord(emit) }  // else an empty line: skipped
            } else {
                self.state = .unquoted
                self.append(byte, emit)
            }
        case .unquoted:
            if byte == self.delimiter {
                self.endField(emit)
            } else if isNewline {
                self.endRecord(emit)
            } else if byte == quote, !self.lenient {
                self.fail(.quoteInUnquotedField(field: self.fields.count + 1), emit)
            } else {
                self.append(byte, emit)
            }
        case .quoted:
            if byte == quote {
                self.state = .quoteInQuoted
                self.count(1, emit)
            } else {
                self.append(byte, emit)
            }
        case .quoteInQuoted:
            if byte == quote {
                self.state = .quoted
                self.append(byte, emit)
            } else if byte == self.delimiter {
                self.endField(emit)
            } else if isNewline {
                self.endRecord(emit)
            } else if self.lenient {
                self.state = .unquoted
                self.append(byte, emit)
            } else {
                self.fail(.textAfterClosingQuote(field: self.fields.count + 1), emit)
            }
        }
        if isNewline { self.line += 1 }
    }

    private mutating func append(_ byte: UInt8, _ emit: (Output) -> Void) {
        self.field.append(byte)
        self.count(1, emit)
    }

    private mutating func count(_ bytes: Int, _ emit: (Output) -> Void) {
        self.recordBytes += bytes
        if self.recordBytes > self.maxRecordBytes, self.state != .skippingBadLine {
            self.fail(.recordTooLong(limit: self.maxRecordBytes), emit)
        }
    }

    private mutating func endField(_ emit: (Output) -> Void) {
        guard let text = String(validating: self.field, as: UTF8.self) else {
            self.fail(.invalidUTF8(field: self.fields.count + 1), emit)
            return
        }
        self.fields.append(text)
        self.field.removeAll(keepingCapacity: true)
        self.state = .fieldStart
        self.count(1, emit)
    }

    /// Ends the record at a line end (or the end of input).
    private mutating func endRecord(_ emit: (Output) -> Void) {
        self.endField(emit)
        if self.state != .skippingBadLine {
            emit(.success(CSVRecord(line: self.recordLine, fields: self.fields, raw: self.raw)))
        } else {
            self.emitPendingError(emit)
        }
        // Either way the line is over: the next byte starts a new record.
        self.startRecord()
    }

    private mutating func keep(_ byte: UInt8) {
        if self.keepRaw, self.raw.count < self.maxRecordBytes { self.raw.append(byte) }
    }

    private mutating func emitPendingError(_ emit: (Output) -> Void) {
        guard let reason = self.pendingError else { return }
        emit(.failure(CSVError(line: self.recordLine, reason: reason, raw: self.raw)))
        self.pendingError = nil
    }

    /// Reports an error for the current record and skips the rest of its line.
    private mutating func fail(_ reason: CSVError.Reason, _ emit: (Output) -> Void) {
        self.pendingError = reason
        self.state = .skippingBadLine
        self.field.removeAll(keepingCapacity: true)
        self.fields.removeAll(keepingCapacity: true)
    }

    private mutating func startRecord() {
        self.state = .fieldStart
        self.raw.removeAll(keepingCapacity: true)
        self.pendingError = nil
        self.field.removeAll(keepingCapacity: true)
        self.fields.removeAll(keepingCapacity: true)
        self.recordBytes = 0
        self.recordLine = self.line
    }

    private mutating func reset() {
        self.startRecord()
        self.line = 1
        self.recordLine = 1
        self.previousWasCR = false
        self.atStart = true
        self.bomBytesSeen = 0
    }
}
