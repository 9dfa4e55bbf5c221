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
    /// The report's fields whose column the header has: the field, its column's position, whether required.
    private var plan: [(field: ShadowserverMapping.Field, index: Int, required: Bool)] = []
    /// Each column's first position.
    private var position: [String: Int] = [:]
    private let severity: @Sendable (ShadowserverMapping.Report, String) -> String
    private var headerProblem: String?
    public private(set) var header: String?
    /// Values every event of the report gets, checked once here instead of on every row.
    private let constants: [(key: String, value: EventValue)]

    /// - Parameters:
    ///   - reportType: the report's type (from ``ShadowserverMapping/reportType(fileName:)`` or given).
    ///   - feedName: overrides the report's feed name.
    /// Lines starting with it (after blanks) are comments, skipped (public feeds' `#` and `;` headers).
    private let comment: String?

    /// - Parameters:
    ///   - columns: the column names of a file without a header row (then every record is data).
    ///   - comment: the prefix of comment lines, skipped.
    public init(
        mapping: ShadowserverMapping, reportType: String, feedName: String? = nil, observedAt: Date, delimiter: UInt8 = UInt8(ascii: ","),
        columns: [String]? = nil, comment: String? = nil, skipInitialSpace: Bool = false
    ) {
        self.reader = CSVReader(
            delimiter: delimiter, keepRaw: true, lenient: true, skipInitialSpace: skipInitialSpace,
            comment: comment.flatMap { $0.utf8.count == 1 ? $0.utf8.first : nil })
        self.comment = comment
        self.reportType = mapping.canonical(reportType)
        self.report = mapping.reports[self.reportType]
        self.provider = mapping.provider
        self.tlp = TLP(label: mapping.tlp)?.rawValue ?? mapping.tlp
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
                + [("feed.name", feedName ?? report?.feed ?? ""), ("feed.provider", mapping.provider), ("time.observation", self.observedAt)]
                + (report?.documentation.map { [("feed.documentation", $0)] } ?? []))
        self.severity = { [mapping] report, taxonomy in mapping.severity(report: report, taxonomy: taxonomy) }
        if let columns {
            self.readHeader(CSVRecord(line: 0, fields: columns, raw: Array(columns.joined(separator: ",").utf8)))
            self.header = nil  // the file has none: its records read alone
        }
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
            if let comment = self.comment, record.fields.first?.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix(comment) == true { return }
            guard let columns = self.columns else {
                self.readHeader(record)
                return
            }
            let raw = Self.text(record.raw)
            if let problem = self.headerProblem {
                emit(.rejected(Rejection(line: record.line, raw: raw, reason: problem)))
                return
            }
            // A row shorter than the header (trailing empty cells left out, as in many real reports) reads
            // with those cells empty; a longer one has values no column names, and is quarantined.
            var record = record
            if record.fields.count < columns.count {
                record.fields += [String](repeating: "", count: columns.count - record.fields.count)
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
        var position: [String: Int] = [:]
        for (index, column) in columns.enumerated() where position[column] == nil { position[column] = index }
        self.position = position
        // The time and what the event is about (address, network, name, URL) are the columns a report
        // cannot do without; other required columns an older file lacks (a port) leave their field empty.
        if let missing = report.required.first(where: { Self.essential.contains($0.key) && position[$0.column] == nil }) {
            self.headerProblem = "the header of this \(report.name) report has no '\(missing.column)' column"
            return
        }
        self.plan = report.required.compactMap { field in position[field.column].map { (field, $0, true) } }
            + report.optional.compactMap { field in position[field.column].map { (field, $0, false) } }
    }

    struct RowError: Error { var reason: String }

    /// Required fields a row cannot do without.
    static let essential: Set<String> = ["time.source", "source.ip", "source.network", "source.fqdn", "source.url"]

    /// A cell without the blanks around it (`1.10.16.0/20 ; SBL256894` has them).
    static func trimmed(_ value: String) -> String {
        guard let first = value.utf8.first, let last = value.utf8.last, first == 32 || first == 9 || last == 32 || last == 9 else { return value }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
    }

    private static func blank(_ value: String) -> Bool { value.utf8.allSatisfy { $0 == 32 || $0 == 9 } }

    private func event(_ record: CSVRecord, raw: String) throws(RowError) -> Event {
        guard let report = self.report, let columns = self.columns else { throw RowError(reason: self.headerProblem ?? "unknown report") }
        let cells = record.fields
        var event = Event(capacity: cells.count + 12)
        var used = [Bool](repeating: false, count: cells.count)
        let position = self.position
        let cell: (String) -> String? = { column in position[column].map { cells[$0] } }
        for (field, index, required) in self.plan {
            let value = Self.trimmed(cells[index])
            if Self.blank(value) {
                if required && Self.essential.contains(field.key) { throw RowError(reason: "column \(field.column): is empty") }
                used[index] = true
                continue
            }
            let result: ShadowserverConversion.Result = field.conversion?.apply(value, cell: cell) ?? .value(.string(value))
            switch result {
            case .nothing:
                used[index] = true
            case .invalid(let reason):
                if required { throw RowError(reason: "column \(field.column): '\(value.prefix(200))' is \(reason)") }
            case .value(let converted):
                let key = field.key == "extra." ? "extra." + Self.extraName(field.column) : field.key
                do {
                    try event.set(key, converted)
                    used[index] = true
                } catch {
                    // IntelMQ keeps what it cannot convert, under its column's name.
                    if required { throw RowError(reason: "column \(field.column): \(error.description)") }
                }
            }
        }
        for (index, value) in cells.enumerated() where !used[index] && !Self.blank(value) {
            let key = "extra." + Self.extraName(columns[index])
            if event[key] == nil { event.set(trusted: key, .string(Self.trimmed(value))) }
        }
        // Constant fields are what the report is, over what a row says (as IntelMQ updates them).
        for (key, value) in self.constants { event.set(trusted: key, value) }
        let classification = Taxonomy.classify(
            taxonomy: event["classification.taxonomy"]?.description, type: event["classification.type"]?.description)
        event.set(trusted: "classification.taxonomy", .string(classification.taxonomy))
        event.set(trusted: "classification.type", .string(classification.type))
        if event["severity"] == nil {
            event.set(trusted: "severity", .string(self.severity(report, classification.taxonomy)))
        }
        if event["tlp"] == nil { event.set(trusted: "tlp", .string(self.tlp)) }
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
