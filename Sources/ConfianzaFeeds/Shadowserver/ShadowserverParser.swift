import ConfianzaCore
import Foundation

/// Streams a Shadowserver CSV report into events, in constant memory.
///
/// The first record is the header. Mapped columns become harmonised fields; the others are kept as
/// `extra.<column>`. A row with a missing or invalid required value, or with a field count unlike the
/// header's, is rejected with its raw text; an unknown report type rejects every row.
public struct ShadowserverParser {
    public let reportType: String
    private let report: ShadowserverMapping.Report?
    private let provider: String
    private let tlp: String
    private let feedName: String?
    private let observedAt: String
    private var reader: CSVReader
    private var columns: [String]?
    /// Per column: the key it maps to, and whether it is required.
    private var plan: [(key: String, required: Bool)] = []
    private var headerProblem: String?
    public private(set) var header: String?
    /// Values every event of the report gets, checked once here instead of on every row.
    private let constants: [(key: String, value: EventValue)]
    private let defaults: [(key: String, value: EventValue)]

    /// - Parameters:
    ///   - reportType: the report's type (from ``ShadowserverMapping/reportType(fileName:)`` or given).
    ///   - feedName: overrides the report's feed name.
    public init(mapping: ShadowserverMapping, reportType: String, feedName: String? = nil, observedAt: Date, delimiter: UInt8 = UInt8(ascii: ",")) {
        self.reader = CSVReader(delimiter: delimiter, keepRaw: true)
        self.reportType = mapping.canonical(reportType)
        self.report = mapping.reports[self.reportType]
        self.provider = mapping.provider
        self.tlp = mapping.tlp
        self.feedName = feedName
        self.observedAt = EventTime.format(observedAt)
        func checked(_ pairs: [(String, String)]) -> [(key: String, value: EventValue)] {
            pairs.compactMap { key, text in
                var probe = Event()
                try? probe.set(key, text: text)
                return probe[key].map { (key, $0) }
            }
        }
        let report = mapping.reports[mapping.canonical(reportType)]
        self.constants = checked(
            (report?.constant.sorted { $0.key < $1.key } ?? [])
                + [("feed.name", feedName ?? report?.feed ?? ""), ("feed.provider", mapping.provider), ("time.observation", self.observedAt)])
        self.defaults = checked([("severity", report?.severity ?? "info"), ("tlp", mapping.tlp)])
        if self.report == nil {
            self.headerProblem =
                "unknown \(mapping.provider) report type '\(reportType)': the whole file is quarantined; add the type to its mapping and re-process"
        }
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (ParsedRecord) -> Void) {
        var outputs: [CSVReader.Output] = []
        self.reader.feed(bytes) { outputs.append($0) }
        for output in outputs { self.handle(output, emit) }
    }

    public mutating func finish(_ emit: (ParsedRecord) -> Void) {
        var outputs: [CSVReader.Output] = []
        self.reader.finish { outputs.append($0) }
        for output in outputs { self.handle(output, emit) }
    }

    private mutating func handle(_ output: CSVReader.Output, _ emit: (ParsedRecord) -> Void) {
        switch output {
        case .failure(let error):
            emit(.rejected(Rejection(line: error.line, raw: Self.text(error.raw), reason: error.explanation)))
        case .success(let record):
            guard let columns = self.columns else {
                self.readHeader(record)
                return
            }
            let raw = Self.text(record.raw)
            if let problem = self.headerProblem {
                emit(.rejected(Rejection(line: record.line, raw: raw, reason: problem)))
                return
            }
            guard record.fields.count == columns.count else {
                emit(.rejected(Rejection(line: record.line, raw: raw, reason: "expected \(columns.count) fields as in the header, found \(record.fields.count)")))
                return
            }
            do {
                emit(.event(try self.event(record, raw: raw), line: record.line))
            } catch {
                emit(.rejected(Rejection(line: record.line, raw: raw, reason: error.reason)))
            }
        }
    }

    private mutating func readHeader(_ record: CSVRecord) {
        self.header = Self.text(record.raw)
        let columns = record.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        self.columns = columns
        guard let report = self.report else { return }
        if let missing = report.required.keys.sorted().first(where: { !columns.contains($0) }) {
            self.headerProblem = "the header of this \(report.name) report has no '\(missing)' column"
            return
        }
        self.plan = columns.map { column in
            if let key = report.required[column] { return (key, true) }
            if let key = report.optional[column] { return (key, false) }
            return ("extra." + Self.extraName(column), false)
        }
    }

    struct RowError: Error { var reason: String }

    private func event(_ record: CSVRecord, raw: String) throws(RowError) -> Event {
        guard let report = self.report else { throw RowError(reason: self.headerProblem ?? "unknown report") }
        var event = Event(capacity: record.fields.count + 12)
        for (index, value) in record.fields.enumerated() {
            let (key, required) = self.plan[index]
            if value.utf8.allSatisfy({ $0 == 32 || $0 == 9 }) {
                if required { throw RowError(reason: "column \(self.columns?[index] ?? key): is empty") }
                continue
            }
            do {
                try event.set(key, text: value)
            } catch {
                let column = self.columns?[index] ?? key
                if required { throw RowError(reason: "column \(column): \(error.description)") }
                // IntelMQ keeps what it cannot convert, under its column's name.
                try? event.set("extra." + Self.extraName(column), text: value)
            }
        }
        for key in report.required.values where event[key] == nil {
            throw RowError(reason: "\(key) is missing")
        }
        for (key, value) in self.constants where key.hasPrefix("feed.") || key == "time.observation" || event[key] == nil {
            event.set(trusted: key, value)
        }
        for (key, value) in self.defaults where event[key] == nil { event.set(trusted: key, value) }
        let classification = Taxonomy.classify(
            taxonomy: event["classification.taxonomy"]?.description, type: event["classification.type"]?.description)
        event.set(trusted: "classification.taxonomy", .string(classification.taxonomy))
        event.set(trusted: "classification.type", .string(classification.type))
        event.set(trusted: "raw", .string(Data(raw.utf8).base64EncodedString()))
        return event
    }

    /// `Source IP` → `source_ip`: lower-case letters, digits and '_'.
    static func extraName(_ column: String) -> String {
        let mapped = column.lowercased().unicodeScalars.map { scalar -> Character in
            (("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_") ? Character(scalar) : "_"
        }
        let name = String(mapped)
        return name.isEmpty ? "column" : name
    }

    static func text(_ raw: [UInt8]) -> String { String(decoding: raw, as: UTF8.self) }
}
