import ConfianzaCore
import Foundation

/// Each collection of the knowledge base as a CSV table, with the JSON file's fields as columns
/// (camelCase). List cells hold their entries separated by `;`; an organisation of an initiative is
/// `Name|role`; a party is a country code, or an organisation (`org:Name`, or any entry longer than
/// two letters). Reading turns each row into the file's entry and checks it the same way, so a fault
/// is named by line and column.
public enum KnowledgeCSV {
    public static let columns: [KnowledgeKind: [String]] = [
        .initiative: ["id", "title", "summary", "description", "level", "countries", "region", "organisations", "pillars", "themes", "status", "startDate", "endDate", "links", "tlp"],
        .caseStudy: ["id", "title", "country", "institutionType", "mandate", "legalBasis", "governance", "funding", "staffing", "services", "lessonsLearned", "body", "links", "tlp"],
        .agreement: ["id", "title", "summary", "type", "parties", "scope", "status", "signedDate", "startDate", "expiryDate", "link", "tlp"],
    ]
    static let listColumns: Set<String> = ["countries", "organisations", "pillars", "themes", "links", "services", "parties", "scope"]

    static func key(_ kind: KnowledgeKind) -> String { kind == .initiative ? "initiatives" : kind == .caseStudy ? "caseStudies" : "agreements" }

    // MARK: writing

    public static func write(_ kind: KnowledgeKind, _ base: KnowledgeBase) -> String {
        guard case .object(let file) = KnowledgeFile.json(base), case .array(let entries)? = file[Self.key(kind)], let columns = Self.columns[kind] else { return "" }
        var lines = [columns.joined(separator: ",")]
        for entry in entries {
            guard case .object(let fields) = entry else { continue }
            lines.append(columns.map { Self.quote(SpreadsheetCell.guarded(Self.cell($0, fields[$0]))) }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func cell(_ column: String, _ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: return text
        case .array(let items)?:
            return items.map { item -> String in
                switch item {
                case .string(let text): return text
                case .object(let o):
                    if case .string(let name)? = o["organisation"] { return "org:" + name }
                    if case .string(let name)? = o["name"] { return name + (o["role"].flatMap { if case .string(let r) = $0 { "|" + r } else { nil } } ?? "") }
                    return ""
                default: return ""
                }
            }.joined(separator: "; ")
        default: return ""
        }
    }

    static func quote(_ text: String) -> String {
        text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    // MARK: reading

    public struct ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int?
        public var column: String?
        public var reason: String
        public var description: String { [self.line.map { "line \($0)" }, self.column.map { "column \($0)" }, self.reason].compactMap { $0 }.joined(separator: ", ") }
    }

    /// Reads one table; its kind is told by its columns (`parties`: agreements; `institutionType`: case studies; else initiatives).
    public static func read(_ bytes: [UInt8]) throws(ReadError) -> KnowledgeBase {
        var records: [CSVRecord] = []
        var firstError: CSVError?
        var reader = CSVReader()
        reader.feed(bytes) { output in
            switch output {
            case .success(let record): if firstError == nil { records.append(record) }
            case .failure(let error): if firstError == nil { firstError = error }
            }
        }
        reader.finish { output in
            if case .failure(let error) = output, firstError == nil { firstError = error }
            if case .success(let record) = output, firstError == nil { records.append(record) }
        }
        if let firstError { throw ReadError(line: firstError.line, column: nil, reason: firstError.explanation) }
        guard let header = records.first else { throw ReadError(line: nil, column: nil, reason: "the file is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let kind: KnowledgeKind = columns.contains("parties") ? .agreement : columns.contains("institutionType") ? .caseStudy : .initiative
        let known = Self.columns[kind] ?? []
        if let unknown = columns.first(where: { !known.contains($0) }) {
            throw ReadError(line: header.line, column: unknown.isEmpty ? "(empty)" : unknown, reason: "unknown column (known: \(known.joined(separator: ", ")))")
        }
        if let repeated = columns.first(where: { c in columns.filter { $0 == c }.count > 1 }) { throw ReadError(line: header.line, column: repeated, reason: "appears twice") }
        var entries: [JSONValue] = []
        var lines: [Int] = []
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                throw ReadError(line: record.line, column: nil, reason: "expected \(columns.count) fields as in the header, found \(record.fields.count)")
            }
            var fields: [String: JSONValue] = [:]
            for (column, raw) in zip(columns, record.fields) {
                let value = SpreadsheetCell.unguarded(raw).trimmingCharacters(in: .whitespaces)
                guard !value.isEmpty else { continue }
                if Self.listColumns.contains(column) {
                    let items = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    fields[column] = .array(items.map { item in
                        switch column {
                        case "organisations":
                            let parts = item.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                            return .object(["name": .string(parts.first ?? ""), "role": parts.count > 1 ? .string(parts[1]) : .null])
                        case "parties":
                            if item.lowercased().hasPrefix("org:") { return .object(["organisation": .string(String(item.dropFirst(4)).trimmingCharacters(in: .whitespaces))]) }
                            return item.count == 2 ? .string(item) : .object(["organisation": .string(item)])
                        default: return .string(item)
                        }
                    })
                } else {
                    fields[column] = .string(value)
                }
            }
            entries.append(.object(fields))
            lines.append(record.line)
        }
        guard !entries.isEmpty else { throw ReadError(line: header.line, column: nil, reason: "the file has a header and no rows") }
        let text = JSONValue.object([Self.key(kind): .array(entries)]).text
        do { return try KnowledgeFile.read(text, file: "csv") } catch {
            // $.agreements[3].parties[1] → line of row 3, column parties.
            let path = error.path ?? ""
            let prefix = "$.\(Self.key(kind))["
            var line: Int?
            var column: String?
            if path.hasPrefix(prefix), let close = path.firstIndex(of: "]"), let index = Int(path[path.index(path.startIndex, offsetBy: prefix.count)..<close]) {
                line = lines.indices.contains(index) ? lines[index] : nil
                column = path[path.index(after: close)...].drop { $0 == "." }.prefix { $0 != "[" && $0 != "." }.description
            }
            let reason: String
            switch error {
            case .invalid(_, _, let refusal): reason = refusal.english
            case .notJSON(_, _, let why): reason = why
            }
            throw ReadError(line: line, column: column, reason: reason)
        }
    }
}
