import Foundation

/// Report files a message carries as attachments (Shadowserver's report mails attach their CSV reports),
/// decoded: what a mailbox collector ingests as files of their own, by their names.
public enum MailAttachments {
    /// File names read as reports: CSV (Shadowserver and other feeds), JSON and JSON lines.
    static let reportExtensions = [".csv", ".json", ".jsonl"]

    /// The message's report attachments, in order, or an explanation when the message cannot be read.
    public static func reportFiles(in message: [UInt8]) -> Result<[(fileName: String, bytes: [UInt8])], MailAttachmentError> {
        let root = MIMEPart(message[...], line: 1)
        let parts: [MIMEPart]
        do { parts = try root.allParts() } catch { return .failure(MailAttachmentError(reason: error.reason)) }
        var files: [(fileName: String, bytes: [UInt8])] = []
        for part in parts where part.isLeaf {
            guard let raw = part.fileName else { continue }
            let name = (raw as NSString).lastPathComponent
            guard !name.isEmpty, Self.reportExtensions.contains(where: { name.lowercased().hasSuffix($0) }) else { continue }
            do { files.append((name, try part.decodedBody())) } catch { return .failure(MailAttachmentError(reason: "attachment \(name): \(error.reason)")) }
        }
        return .success(files)
    }
}

public struct MailAttachmentError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { self.reason }
}
