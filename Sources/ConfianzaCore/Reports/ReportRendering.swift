import Foundation

/// A report as JSON (for machines and `report diff`) and as Markdown, in the reader's language. The same
/// report gives the same bytes: keys sorted, numbers written one way, the one date the report states.
public struct ReportRenderer: Sendable {
    public let texts: TextCatalogue
    public let language: Language

    public init(texts: TextCatalogue, language: Language) {
        self.texts = texts
        self.language = language
    }

    func t(_ key: String, _ arguments: [String: String] = [:]) -> String { self.texts.text(key, self.language, arguments) }

    func label(_ label: ReportLabel) -> String {
        switch label {
        case .key(let key, let arguments): self.t(key, arguments)
        case .literal(let text): text
        case .localized(let titles): titles[self.language.rawValue] ?? titles["en"] ?? titles.keys.sorted().first.flatMap { titles[$0] } ?? ""
        }
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "—" }
        return String(format: "%.1f", value)
    }

    /// A value as a reader sees it.
    public func say(_ value: ReportValue, threshold: Int) -> String {
        switch value {
        case .count(let n): String(n)
        // Under an hour is said in minutes (the JSON keeps hours).
        case .measure(let v, "hours", _) where abs(v) < 1: self.t("report.unit.minutes", ["value": Self.number(v * 60)])
        case .measure(let v, let unit, _): self.t("report.unit.\(unit)", ["value": Self.number(v)])
        case .text(let text): text
        case .hidden: "< \(threshold)"
        }
    }

    // MARK: JSON

    public static func json(_ report: AnnualReport) -> JSONValue {
        func value(_ v: ReportValue) -> JSONValue {
            switch v {
            case .count(let n): .integer(Int64(n))
            case .measure(let x, let unit, let base): .object(["value": .string(Self.number(x)), "unit": .string(unit), "cases": .integer(Int64(base))])
            case .text(let text): .string(text)
            case .hidden: .string("< \(report.threshold)")
            }
        }
        return .object([
            "year": .integer(Int64(report.year)), "asOf": .string(EventTime.format(report.asOf)), "edition": .string(report.edition.rawValue),
            "threshold": .integer(Int64(report.threshold)),
            "sections": .object(Dictionary(uniqueKeysWithValues: report.sections.map { section in
                (section.id, JSONValue.object([
                    "figures": .object(Dictionary(uniqueKeysWithValues: section.figures.map { ($0.id, value($0.value)) })),
                    "tables": .object(Dictionary(uniqueKeysWithValues: section.tables.map { table in
                        var fields: [String: JSONValue] = [
                            "columns": .array(table.columns.map(JSONValue.string)),
                            "rows": .object(Dictionary(uniqueKeysWithValues: table.rows.map { ($0.key, JSONValue.array($0.values.map(value))) })),
                        ]
                        if table.hasTotal { fields["total"] = .array((table.totals ?? table.exactTotals).map(value)) }
                        return (table.id, JSONValue.object(fields))
                    })),
                ]))
            })),
        ])
    }

    /// JSON written one way: two-space indents, keys sorted, one value a line, so reports diff line by line.
    public static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .object(let fields):
            guard !fields.isEmpty else { return "{}" }
            return "{\n" + fields.keys.sorted().map { key in inner + JSONValue.string(key).text + ": " + Self.pretty(fields[key] ?? .null, indent: inner) }
                .joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            if items.allSatisfy({ if case .object = $0 { false } else if case .array = $0 { false } else { true } }) {
                return "[" + items.map(\.text).joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { inner + Self.pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        default:
            return value.text
        }
    }

    // MARK: Markdown

    public func markdown(_ report: AnnualReport) -> String {
        let marking = report.edition.rawValue
        var out = "**\(marking)**\n\n# \(self.t("report.title", ["year": String(report.year)]))\n\n"
        out += self.t("report.as_of", ["date": CalendarDay.format(report.asOf)]) + "\n\n"
        if report.edition == .clear {
            out += self.t("report.clear_note", ["threshold": String(report.threshold)]) + "\n\n"
        } else {
            out += self.t("report.internal_note", ["marking": marking]) + "\n\n"
        }
        for section in report.sections {
            out += "## \(self.t(section.title))\n\n"
            for figure in section.figures {
                out += "- \(self.title(figure)): **\(self.say(figure.value, threshold: report.threshold))**\n"
            }
            if !section.figures.isEmpty { out += "\n" }
            for table in section.tables {
                out += "### \(self.title(table))\n\n"
                let heads = [self.t("report.column.item")] + table.columns.map { self.t($0) }
                out += "| " + heads.map(Self.cell).joined(separator: " | ") + " |\n"
                out += "|" + heads.enumerated().map { $0.offset == 0 ? "---" : "---:" }.joined(separator: "|") + "|\n"
                for row in table.rows {
                    out += "| " + ([self.label(row.label)] + row.values.map { self.say($0, threshold: report.threshold) }).map(Self.cell).joined(separator: " | ") + " |\n"
                }
                if table.hasTotal {
                    let totals = (table.totals ?? table.exactTotals).map { self.say($0, threshold: report.threshold) }
                    out += "| **" + self.t("report.total") + "** | " + totals.map(Self.cell).joined(separator: " | ") + " |\n"
                }
                out += "\n"
            }
        }
        return out + "**\(marking)**\n"
    }

    /// A table's title, with its caption when it has one.
    func title(_ table: ReportTable) -> String {
        table.caption.map { "\(self.t(table.title)) — \(self.label($0))" } ?? self.t(table.title)
    }

    /// A figure's label, with its caption when it has one.
    func title(_ figure: ReportFigure) -> String {
        figure.caption.map { "\(self.t(figure.label)) — \(self.label($0))" } ?? self.t(figure.label)
    }

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

/// What changed between two reports' JSON: every figure, row and total, by its path.
public enum ReportDiff {
    public struct Change: Sendable, Equatable {
        public var path: String
        public var before: String?
        public var after: String?
    }

    public static func compare(_ before: JSONValue, _ after: JSONValue) -> [Change] {
        var a: [String: String] = [:]
        var b: [String: String] = [:]
        Self.flatten(before, "", into: &a)
        Self.flatten(after, "", into: &b)
        return Set(a.keys).union(b.keys).sorted().compactMap { path in
            a[path] == b[path] ? nil : Change(path: path, before: a[path], after: b[path])
        }
    }

    static func flatten(_ value: JSONValue, _ path: String, into out: inout [String: String]) {
        switch value {
        case .object(let fields):
            for (key, item) in fields { Self.flatten(item, path.isEmpty ? key : "\(path).\(key)", into: &out) }
        case .array(let items):
            if items.allSatisfy({ if case .object = $0 { false } else { true } }) {
                out[path] = value.text
            } else {
                for (index, item) in items.enumerated() { Self.flatten(item, "\(path)[\(index)]", into: &out) }
            }
        default:
            out[path] = value.text
        }
    }
}
