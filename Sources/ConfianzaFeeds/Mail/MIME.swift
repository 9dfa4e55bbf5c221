import Foundation

/// One MIME entity (RFC 2045/2046/5322): a message or one part of a multipart body. Headers are kept
/// unfolded, in order; the body is kept as sent (decode it with ``decodedBody()``). Lines count from
/// the start of the file, so a problem can be pointed at.
struct MIMEPart: Sendable {
    struct Header: Sendable {
        var name: String
        var value: String
        var line: Int
    }

    var headers: [Header]
    var body: ArraySlice<UInt8>
    /// Line (in the file) of the first header.
    var line: Int
    /// Line (in the file) of the body's first line.
    var bodyLine: Int
    /// Whether this part has no parts of its own (set by ``allParts()``).
    var isLeaf = true

    /// How deep parts may nest and how many a message may have: a message built to nest thousands deep
    /// or to hold a million parts is refused, not followed.
    static let maxDepth = 16
    static let maxParts = 500

    /// Reads headers up to the first empty line, then the body. Lenient as mail readers are: a line
    /// that is neither a header nor a continuation ends the headers.
    init(_ bytes: ArraySlice<UInt8>, line: Int) {
        self.line = line
        var headers: [Header] = []
        var index = bytes.startIndex
        var current = line
        while index < bytes.endIndex {
            let end = bytes[index...].firstIndex(of: 10) ?? bytes.endIndex
            var text = bytes[index..<end]
            if text.last == 13 { text = text.dropLast() }
            if text.isEmpty {
                index = min(end + 1, bytes.endIndex)
                current += 1
                break
            }
            if let first = text.first, first == 32 || first == 9, !headers.isEmpty {
                headers[headers.count - 1].value += " " + Self.string(text).trimmingCharacters(in: .whitespaces)
            } else if let colon = text.firstIndex(of: UInt8(ascii: ":")), colon > text.startIndex,
                text[text.startIndex..<colon].allSatisfy({ $0 > 32 && $0 < 127 })
            {
                let name = Self.string(text[text.startIndex..<colon])
                let value = Self.string(text[(colon + 1)...]).trimmingCharacters(in: .whitespaces)
                headers.append(Header(name: name, value: value, line: current))
            } else {
                break  // no empty line before the body: the body starts here
            }
            index = min(end + 1, bytes.endIndex)
            current += 1
        }
        self.headers = headers
        self.body = bytes[index...]
        self.bodyLine = current
    }

    /// The first header of that name (case-insensitive).
    func header(_ name: String) -> String? {
        self.headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    func headers(_ name: String) -> [Header] {
        self.headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// `text/plain` when absent, as RFC 2045 says.
    var contentType: ContentType { ContentType(self.header("Content-Type") ?? "text/plain") }

    /// The file name from Content-Disposition or Content-Type, if any.
    var fileName: String? {
        self.header("Content-Disposition").flatMap { ContentType($0).parameters["filename"] } ?? self.contentType.parameters["name"]
    }

    /// The parts of a multipart body, in order, at most `limit` (one more tells that there are more). A
    /// missing closing delimiter ends the last part at the end of the body (as mail readers do).
    func parts(limit: Int = Self.maxParts + 1) -> [MIMEPart] {
        guard self.contentType.type.hasPrefix("multipart/"), let boundary = self.contentType.parameters["boundary"], !boundary.isEmpty else {
            return []
        }
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [MIMEPart] = []
        var start: ArraySlice<UInt8>.Index?
        var startLine = 0
        var lineNumber = self.bodyLine
        var index = self.body.startIndex
        while index < self.body.endIndex {
            let end = self.body[index...].firstIndex(of: 10) ?? self.body.endIndex
            var text = self.body[index..<end]
            if text.last == 13 { text = text.dropLast() }
            if text.starts(with: delimiter) {
                let rest = text.dropFirst(delimiter.count)
                let closing = rest.starts(with: [45, 45])
                if closing || rest.allSatisfy({ $0 == 32 || $0 == 9 }) {
                    if let partStart = start {
                        // The line break before a delimiter belongs to the delimiter.
                        var partEnd = index
                        if partEnd > partStart, self.body[partEnd - 1] == 10 { partEnd -= 1 }
                        if partEnd > partStart, self.body[partEnd - 1] == 13 { partEnd -= 1 }
                        parts.append(MIMEPart(self.body[partStart..<max(partStart, partEnd)], line: startLine))
                    }
                    if closing || parts.count >= limit { return parts }
                    start = min(end + 1, self.body.endIndex)
                    startLine = lineNumber + 1
                }
            }
            index = min(end + 1, self.body.endIndex)
            lineNumber += 1
        }
        if let partStart = start, partStart < self.body.endIndex {
            parts.append(MIMEPart(self.body[partStart...], line: startLine))
        }
        return parts
    }

    /// Every part, depth first (this entity included), descending into multiparts but not into
    /// attached messages. Refuses a message whose parts nest deeper than ``maxDepth`` or number more
    /// than ``maxParts``.
    func allParts() throws(MailError) -> [MIMEPart] {
        var found: [MIMEPart] = []
        try self.collect(into: &found, depth: 0)
        return found
    }

    private func collect(into found: inout [MIMEPart], depth: Int) throws(MailError) {
        guard depth <= Self.maxDepth else {
            throw MailError(line: self.line, reason: "the message's parts nest more than \(Self.maxDepth) deep")
        }
        let children = self.parts(limit: Self.maxParts + 1 - found.count)
        var part = self
        part.isLeaf = children.isEmpty
        found.append(part)
        guard found.count + children.count <= Self.maxParts else {
            throw MailError(line: self.line, reason: "the message has more than \(Self.maxParts) parts")
        }
        for child in children { try child.collect(into: &found, depth: depth + 1) }
    }

    /// The body with its Content-Transfer-Encoding undone.
    func decodedBody() throws(MailError) -> [UInt8] {
        switch (self.header("Content-Transfer-Encoding") ?? "7bit").lowercased() {
        case "base64":
            let compact = self.body.filter { !($0 == 10 || $0 == 13 || $0 == 32 || $0 == 9) }
            guard let data = Data(base64Encoded: Data(compact), options: .ignoreUnknownCharacters) else {
                throw MailError(line: self.bodyLine, reason: "the part's base64 body cannot be decoded")
            }
            return Array(data)
        case "quoted-printable": return Self.quotedPrintable(self.body)
        default: return Array(self.body)
        }
    }

    /// The decoded body as text, from its charset (UTF-8, US-ASCII, ISO-8859-1 and Windows-1252).
    func text() throws(MailError) -> String {
        let bytes = try self.decodedBody()
        let charset = self.contentType.parameters["charset"]?.lowercased() ?? "us-ascii"
        switch charset {
        case "iso-8859-1", "latin1", "iso8859-1", "windows-1252", "cp1252":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw MailError(line: self.bodyLine, reason: "the part is not valid UTF-8 (charset \(charset))")
            }
            return text
        }
    }

    static func quotedPrintable(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "=") {
                let next = bytes.index(after: index)
                if next < bytes.endIndex, bytes[next] == 10 {
                    index = bytes.index(after: next)
                    continue
                }
                if next + 1 < bytes.endIndex, bytes[next] == 13, bytes[next + 1] == 10 {
                    index = next + 2
                    continue
                }
                if next + 1 < bytes.endIndex, let high = Self.hexValue(bytes[next]), let low = Self.hexValue(bytes[next + 1]) {
                    out.append(high << 4 | low)
                    index = next + 2
                    continue
                }
            }
            out.append(byte)
            index = bytes.index(after: index)
        }
        return out
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(validating: bytes, as: UTF8.self) ?? String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}

/// `type/subtype; name=value; name="quoted value"` (also Content-Disposition), with RFC 2231's
/// `name*=charset''percent-encoded` values.
struct ContentType: Sendable {
    var type: String
    var parameters: [String: String]

    init(_ text: String) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quoted {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        self.type = pieces.first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            var name = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if name.hasSuffix("*") {
                name.removeLast()
                if let marks = value.range(of: "''") { value = String(value[marks.upperBound...]) }
                value = value.removingPercentEncoding ?? value
            }
            parameters[name] = value
        }
        self.parameters = parameters
    }
}

/// Why a message cannot be read as an abuse report.
struct MailError: Error, Sendable {
    var line: Int
    var reason: String
}

extension MIMEPart {
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
    }
}
