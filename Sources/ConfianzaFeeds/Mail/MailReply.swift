import ConfianzaCore
import Foundation

/// A reply to a notice, read from an e-mail: who wrote, the subject (which names the incident), and
/// the text a person wrote (the first text/plain part; quoted lines kept).
public struct MailReply: Sendable, Equatable {
    public var from: String
    public var subject: String
    public var date: Date?
    public var text: String

    public init(from: String, subject: String, date: Date?, text: String) {
        self.from = from
        self.subject = subject
        self.date = date
        self.text = text
    }

    /// Reads one message. Refuses bytes that are not a message, or a message without text.
    public static func read(_ bytes: [UInt8]) throws(FeedError) -> MailReply {
        let message = MIMEPart(bytes[...], line: 1)
        guard !message.headers.isEmpty, let subject = message.header("Subject") else {
            throw .unknownFormat("not an e-mail message: it has no Subject header")
        }
        let text: String
        do {
            let part = try message.allParts().first { $0.isLeaf && $0.contentType.type == "text/plain" && $0.fileName == nil }
            text = try part?.text() ?? ""
        } catch { throw .unknownFormat("line \(error.line): \(error.reason)") }
        return MailReply(
            from: message.header("From") ?? "", subject: Self.decodedHeader(subject), date: message.header("Date").flatMap(MailDate.parse),
            text: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The incident number in a subject tagged `[TAG #42]` (the tag compared without case).
    public func incidentNumber(tag: String) -> Int? {
        let subject = self.subject.lowercased()
        let marker = "[\(tag.lowercased()) #"
        guard let start = subject.range(of: marker) else { return nil }
        let digits = subject[start.upperBound...].prefix { $0.isNumber }
        guard !digits.isEmpty, subject[start.upperBound...].dropFirst(digits.count).first == "]" else { return nil }
        return Int(digits)
    }

    /// RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?utf-8?Q?…?=`) in a header.
    static func decodedHeader(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "=?") {
            out += rest[..<start.lowerBound]
            let word = rest[start.upperBound...]
            let pieces = word.split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
            guard pieces.count == 4, pieces[3].hasPrefix("=") else {
                out += "=?"
                rest = word
                continue
            }
            let encoding = pieces[1].uppercased()
            let payload = pieces[2]
            var bytes: [UInt8]?
            if encoding == "B" {
                bytes = Data(base64Encoded: String(payload)).map { Array($0) }
            } else if encoding == "Q" {
                bytes = MIMEPart.quotedPrintable(Array(payload.replacingOccurrences(of: "_", with: " ").utf8)[...])
            }
            let charset = pieces[0].lowercased()
            if let bytes {
                out += charset.contains("8859") || charset.contains("1252")
                    ? String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })) : String(decoding: bytes, as: UTF8.self)
            }
            rest = pieces[3].dropFirst()
            // Whitespace between two encoded words is not part of the text.
            if rest.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("=?") { rest = rest.drop(while: { $0 == " " || $0 == "\t" }) }
        }
        return out + rest
    }
}
