import ConfianzaCore
import ConfianzaFeeds
import Foundation
import NIOCore
import NIOSSL

/// Reads an IMAP mailbox of reports: each message's report attachments (Shadowserver's CSV reports) are
/// ingested as files of their own, by their names; a message without any is read as an abuse report
/// (ARF, X-ARF, XARF). A message ingested is moved to the done folder (`options["done"]`, default
/// `Confianza/Done`), so nothing is read twice; one that is not a report, or too large, stays where it
/// is, flagged `$ConfianzaLeft`, and is named in the fetch's detail: nothing is deleted or lost.
public struct MailboxCollector: Sendable {
    public static let leftKeyword = "$ConfianzaLeft"
    public static let defaultDoneFolder = "Confianza/Done"
    let caFile: String?

    public init(caFile: String?) { self.caFile = caFile }

    func tlsContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = self.caFile { configuration.additionalTrustRoots = [.file(caFile)] }
        return try NIOSSLContext(configuration: configuration)
    }

    func collect(_ source: FeedSource, secret: String?, into collector: FeedCollector) async throws -> FeedCollector.Collected {
        let location = try IMAPLocation(source.location)
        guard let user = source.username, let password = secret else {
            throw CollectorError.mailbox("the mailbox needs a user name and a password")
        }
        let done = source.options["done"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultDoneFolder
        let client = try await IMAPClient.connect(
            location, tls: try self.tlsContext(), maxLiteral: source.maxBytes, timeout: .seconds(Int64(max(30, source.timeoutSeconds))))
        var collected = FeedCollector.Collected(outcome: .unchanged)
        var left: [String] = []
        do {
            try await client.login(user: user, password: password)
            try await client.ensureFolder(done)
            try await client.select(location.folder)
            let deadline = Date().addingTimeInterval(TimeInterval(source.timeoutSeconds))
            for uid in try await client.uids(without: Self.leftKeyword) {
                guard Date() < deadline else { break }  // the rest waits for the next run
                if let size = try await client.size(uid: uid), size > source.maxBytes {
                    try await client.flag(uid: uid, keyword: Self.leftKeyword)
                    left.append("message \(uid): \(size) bytes, over the feed's limit of \(source.maxBytes)")
                    continue
                }
                guard let message = try await client.message(uid: uid) else { continue }
                collected.bytes += Int64(message.count)
                let outcome = try await self.ingest(message, uid: uid, source: source, into: collector)
                collected.runs += outcome.runs
                if let reason = outcome.left {
                    try await client.flag(uid: uid, keyword: Self.leftKeyword)
                    left.append("message \(uid): \(reason)")
                } else {
                    try await client.move(uid: uid, to: done)
                    collected.outcome = .delivered
                }
            }
            await client.logout()
        } catch {
            await client.logout()
            throw error
        }
        if !left.isEmpty {
            collected.detail = "left in the mailbox, flagged \(Self.leftKeyword): " + left.joined(separator: "; ")
        }
        return collected
    }

    /// Ingests one message; `left` says why it stays in the mailbox (nothing in it read as a report).
    func ingest(_ message: [UInt8], uid: UInt32, source: FeedSource, into collector: FeedCollector) async throws -> (runs: [UUID], left: String?) {
        let directory = collector.workDirectory.appendingPathComponent("mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var runs: [UUID] = []
        var understood = 0
        switch MailAttachments.reportFiles(in: message) {
        case .failure(let error):
            return ([], "not readable as mail: \(error.reason)")
        case .success(let files) where !files.isEmpty:
            for (index, file) in files.enumerated() {
                let path = directory.appendingPathComponent("\(index)-\(file.fileName)").path
                guard FileManager.default.createFile(atPath: path, contents: Data(file.bytes)) else { throw CollectorError.ingest("cannot write \(path)") }
                var auto = source
                auto.format = "auto"
                let summary = try await collector.ingest(file: path, fileName: file.fileName, source: auto, feed: nil)
                runs.append(summary.run)
                understood += summary.counts.stored + summary.counts.duplicates + (summary.alreadyIngested ? 1 : 0)
            }
        case .success:
            let path = directory.appendingPathComponent("message-\(uid).eml").path
            guard FileManager.default.createFile(atPath: path, contents: Data(message)) else { throw CollectorError.ingest("cannot write \(path)") }
            var mail = source
            mail.format = "mail"
            let summary = try await collector.ingest(file: path, fileName: "\(source.name)-\(uid).eml", source: mail, feed: nil)
            runs.append(summary.run)
            understood += summary.counts.stored + summary.counts.duplicates + (summary.alreadyIngested ? 1 : 0)
        }
        return (runs, understood == 0 ? "not a report (nothing in it read; its lines are in the runs' quarantine)" : nil)
    }
}
