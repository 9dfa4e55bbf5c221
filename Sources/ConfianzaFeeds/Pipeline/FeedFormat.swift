import ConfianzaCore
import Foundation

/// What kind of feed a file is.
public enum FeedFormat: Sendable, CustomStringConvertible {
    /// A Shadowserver report; the type from the file name when `nil`.
    case shadowserver(reportType: String?)
    /// IntelMQ events as JSON lines.
    case intelmq
    /// A CSV feed described by its user's mapping file.
    case csv(GenericCSVMapping)
    /// Abuse reports by e-mail (one message or an mbox): ARF, X-ARF 0.2 and XARF v4, told apart per message.
    case mail
    /// XARF v4 reports as JSON.
    case xarf
    /// CERT.pl n6 events (a JSON array, or one object per line).
    case n6

    /// Reads `shadowserver`, `shadowserver:scan_dns`, `intelmq`, `mail` (also `arf`, `x-arf`), `xarf` or
    /// `csv:MAPPING.json` (which it loads).
    public init(_ text: String) throws(FeedError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first?.lowercased() {
        case "shadowserver": self = .shadowserver(reportType: parts.count > 1 ? parts[1].lowercased() : nil)
        case "intelmq" where parts.count == 1: self = .intelmq
        case "mail" where parts.count == 1, "arf" where parts.count == 1, "x-arf" where parts.count == 1, "eml" where parts.count == 1: self = .mail
        case "xarf" where parts.count == 1: self = .xarf
        case "n6" where parts.count == 1: self = .n6
        case "csv" where parts.count == 2: self = .csv(try GenericCSVMapping.load(URL(fileURLWithPath: parts[1])))
        case "public" where parts.count == 2: self = .csv(try PublicFeeds.mapping(parts[1].lowercased()))
        default:
            throw .unknownFormat("unknown format '\(text)': use auto, shadowserver, shadowserver:REPORT_TYPE, intelmq, mail, xarf, n6, public:FEED or csv:MAPPING.json")
        }
    }

    /// The format a file most likely has, from its name and first bytes: e-mail (`.eml`, `.mbox`, or
    /// header lines), XARF v4 or IntelMQ JSON, else a Shadowserver report.
    public static func guess(fileName: String, head: [UInt8]) -> FeedFormat {
        let name = fileName.lowercased()
        if name.hasSuffix(".eml") || name.hasSuffix(".mbox") || name.hasSuffix(".msg") { return .mail }
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        bytes = bytes.drop { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
        if bytes.first == UInt8(ascii: "{") || bytes.first == UInt8(ascii: "[") {
            let text = String(decoding: bytes.prefix(65536), as: UTF8.self)
            if text.contains("\"xarf_version\"") { return .xarf }
            // n6 objects name their category and restriction; IntelMQ's do not have these keys.
            if text.contains("\"restriction\"") && text.contains("\"category\"") { return .n6 }
            return .intelmq
        }
        if name.hasSuffix(".json") || name.hasSuffix(".jsonl") { return .intelmq }
        // An e-mail starts with header lines ("Name: value", or mbox's "From ").
        let firstLine = bytes.prefix { $0 != 10 }
        if firstLine.starts(with: Array("From ".utf8)) { return .mail }
        if let colon = firstLine.firstIndex(of: UInt8(ascii: ":")), colon > firstLine.startIndex,
            firstLine[firstLine.startIndex..<colon].allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }),
            !name.hasSuffix(".csv")
        {
            return .mail
        }
        return .shadowserver(reportType: nil)
    }

    /// ``guess(fileName:head:)`` on a file's first 64 KiB.
    public static func guess(path: String) -> FeedFormat {
        let head = FileHandle(forReadingAtPath: path).flatMap { handle in
            defer { try? handle.close() }
            return try? handle.read(upToCount: 65536)
        }
        return Self.guess(fileName: (path as NSString).lastPathComponent, head: head.map { Array($0) } ?? [])
    }

    public var description: String {
        switch self {
        case .shadowserver(let type?): "shadowserver:\(type)"
        case .shadowserver(nil): "shadowserver"
        case .intelmq: "intelmq"
        case .csv(let mapping): mapping.publicName.map { "public:\($0)" } ?? "csv:\(mapping.feed)"
        case .mail: "mail"
        case .xarf: "xarf"
        case .n6: "n6"
        }
    }
}

/// What re-processing a run's quarantine did.
public struct ReprocessSummary: Sendable, Equatable, Codable {
    public var run: UUID
    /// Quarantined records read again.
    public var examined: Int
    /// Records that now read: stored as events or counted on events already stored.
    public var resolved: Int
    public var stillQuarantined: Int
    /// The run's counts afterwards (they still reconcile).
    public var counts: IngestCounts
}

/// Why an ingest request cannot go ahead.
public enum IngestError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownRun(UUID)
    case runNotFinished(String)
    case needsFormat(String)
    /// Another process is reading the file now (its lease holds until the date).
    case busy(file: String, owner: String, until: Date?)
    /// Readers stopped in the middle of the file this many times (perhaps the file stops them).
    case stoppedRepeatedly(file: String, times: Int)

    public var description: String {
        switch self {
        case .busy(let file, let owner, let until):
            "\(file) is being read by another process (\(IngestLease.describe(owner)))"
                + (until.map { ", whose lease runs until \(EventTime.format($0))" } ?? "")
                + ": it goes on there, or here once that process has stopped"
        case .stoppedRepeatedly(let file, let times):
            "reading \(file) stopped in the middle \(times) times (the process was stopped or crashed while reading it): "
                + "look at it before ingesting it again"
        case .unknownRun(let id): "no ingest run \(id)"
        case .runNotFinished(let file): "the run of \(file) has not finished: ingest the file again to finish it first"
        case .needsFormat(let reason): reason
        }
    }
}

extension FeedFormat {
    /// Whether each record is one line (so a quarantined record is read back as a line).
    var isLineBased: Bool {
        if case .intelmq = self { true } else if case .csv(let custom) = self { custom.names != nil } else { false }
    }
}

/// The outcome of ingesting one file.
public struct IngestSummary: Sendable, Equatable, Codable {
    public var run: UUID
    public var file: String
    public var format: String
    public var feed: String
    public var counts: IngestCounts
    /// The file had been ingested before: nothing was changed.
    public var alreadyIngested: Bool
    /// The run was interrupted before and went on from this line (0 when it started afresh).
    public var resumedAfterLine: Int
}
