import Foundation

/// A figure of a report: a count (of events, incidents, organisations… — hidden below the threshold in a
/// public edition), a measure over a number of cases (a median time, a share — hidden when the cases
/// are too few to hide one), a text, or a value already hidden.
public enum ReportValue: Sendable, Equatable, Codable {
    case count(Int)
    /// `value` in `unit` (`hours`, `percent`, `points`), computed over `base` cases.
    case measure(Double, unit: String, base: Int)
    case text(String)
    case hidden

    var isCount: Bool {
        if case .count = self { return true }
        return false
    }

    var countValue: Int? {
        if case .count(let n) = self { return n }
        return nil
    }
}

/// A row label: a locale key (with arguments) said in the reader's language, or a value shown as it is.
public enum ReportLabel: Sendable, Equatable, Codable {
    case key(String, [String: String] = [:])
    case literal(String)
    /// A title given in each language by a data file (a framework's pillar, a questionnaire's sector).
    case localized([String: String])
}

public struct ReportRow: Sendable, Equatable, Codable {
    /// Stable across years, so two reports can be compared row by row.
    public var key: String
    public var label: ReportLabel
    public var values: [ReportValue]

    public init(key: String, label: ReportLabel, values: [ReportValue]) {
        self.key = key
        self.label = label
        self.values = values
    }
}

public struct ReportTable: Sendable, Equatable, Codable {
    public var id: String
    /// Locale keys.
    public var title: String
    public var columns: [String]
    /// Said after the title (which framework a table is about, when there are several).
    public var caption: ReportLabel?
    public var rows: [ReportRow]
    /// Whether a total row is shown (sums of the count columns).
    public var hasTotal: Bool
    /// The page the figures come from (HTML links to it).
    public var link: String?
    /// Rows that name someone (a peer, an organisation): left out of a public edition altogether.
    public var namesEntities: Bool
    /// The totals as shown (`nil` where a column is not counts); filled by ``AnnualReport/published(threshold:)``
    /// or computed from the rows.
    public var totals: [ReportValue]?

    public init(
        id: String, title: String, columns: [String], rows: [ReportRow], hasTotal: Bool = true, link: String? = nil, namesEntities: Bool = false
    ) {
        self.id = id
        self.title = title
        self.columns = columns
        self.rows = rows
        self.hasTotal = hasTotal
        self.link = link
        self.namesEntities = namesEntities
    }

    /// Exact totals of the count columns.
    public var exactTotals: [ReportValue] {
        (0..<self.columns.count).map { column in
            let values = self.rows.map { $0.values.indices.contains(column) ? $0.values[column] : .hidden }
            guard values.allSatisfy(\.isCount), !values.isEmpty else { return .text("") }
            return .count(values.compactMap(\.countValue).reduce(0, +))
        }
    }
}

public struct ReportFigure: Sendable, Equatable, Codable {
    public var id: String
    public var label: String
    /// Said after the label (which framework a figure is about, when there are several).
    public var caption: ReportLabel?
    public var value: ReportValue
    public var link: String?

    public init(id: String, label: String, caption: ReportLabel? = nil, value: ReportValue, link: String? = nil) {
        self.id = id
        self.label = label
        self.caption = caption
        self.value = value
        self.link = link
    }
}

public struct ReportSection: Sendable, Equatable, Codable {
    public var id: String
    public var title: String
    public var figures: [ReportFigure]
    public var tables: [ReportTable]

    public init(id: String, title: String, figures: [ReportFigure] = [], tables: [ReportTable] = []) {
        self.id = id
        self.title = title
        self.figures = figures
        self.tables = tables
    }
}

/// The annual report to Council: every module's figures for a year, as of a stated date.
public struct AnnualReport: Sendable, Equatable, Codable {
    public var year: Int
    /// The one generation date the report states (from `--as-of`), so that the same inputs give the same bytes.
    public var asOf: Date
    public var edition: TLP
    /// Counts below it are hidden in a TLP:CLEAR edition.
    public var threshold: Int
    public var sections: [ReportSection]

    public static let defaultThreshold = 5

    public init(year: Int, asOf: Date, edition: TLP = .amber, threshold: Int = Self.defaultThreshold, sections: [ReportSection]) {
        self.year = year
        self.asOf = asOf
        self.edition = edition
        self.threshold = threshold
        self.sections = sections
    }

    /// The edition safe to publish (TLP:CLEAR): tables that name someone left out; every count below the
    /// threshold hidden (shown as "< threshold"), and in each column where exactly one cell would be hidden
    /// the next smallest is hidden too, so that no hidden count can be worked out from the total by
    /// subtraction; a measure over fewer cases than the threshold hidden; a total below the threshold hidden.
    public func published(threshold: Int = Self.defaultThreshold) -> AnnualReport {
        var copy = self
        copy.edition = .clear
        copy.threshold = threshold
        copy.sections = self.sections.map { section in
            var section = section
            section.figures = section.figures.map { figure in
                var figure = figure
                figure.value = Self.hide(figure.value, threshold: threshold)
                return figure
            }
            section.tables = section.tables.filter { !$0.namesEntities }.map { Self.suppress($0, threshold: threshold) }
            return section
        }
        return copy
    }

    static func hide(_ value: ReportValue, threshold: Int) -> ReportValue {
        switch value {
        case .count(let n) where n < threshold: .hidden
        case .measure(_, _, let base) where base < threshold: .hidden
        default: value
        }
    }

    /// Primary and secondary suppression, column by column.
    static func suppress(_ table: ReportTable, threshold: Int) -> ReportTable {
        var result = table
        let exact = table.exactTotals
        for column in 0..<table.columns.count {
            var hidden: [Int] = []
            for (index, row) in table.rows.enumerated() where row.values.indices.contains(column) {
                let value = row.values[column]
                let shown = Self.hide(value, threshold: threshold)
                if shown != value { hidden.append(index) }
                result.rows[index].values[column] = shown
            }
            // One hidden cell and a total: hide the next smallest count too (ties: the first row).
            if table.hasTotal, hidden.count == 1 {
                let candidates = table.rows.indices.filter { !hidden.contains($0) && table.rows[$0].values.indices.contains(column) }
                    .compactMap { index in table.rows[index].values[column].countValue.map { (index, $0) } }
                if let smallest = candidates.min(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
                    result.rows[smallest.0].values[column] = .hidden
                }
            }
        }
        result.totals = table.hasTotal ? exact.map { Self.hide($0, threshold: threshold) } : nil
        return result
    }
}

/// A public edition on the public pages: which year, as of when, and who published it when.
public struct PublishedReport: Sendable, Equatable {
    public var year: Int
    public var asOf: Date
    public var threshold: Int
    public var publishedAt: Date
    public var publishedBy: String

    public init(year: Int, asOf: Date, threshold: Int, publishedAt: Date, publishedBy: String) {
        self.year = year
        self.asOf = asOf
        self.threshold = threshold
        self.publishedAt = publishedAt
        self.publishedBy = publishedBy
    }
}

/// What the annual report reads from the store, and the public editions published on the public pages.
public protocol ReportStore: Sendable {
    /// Every module's figures for a calendar year (UTC); with `clearOnly`, records carrying their own marking
    /// (knowledge records, assessments) count only when TLP:CLEAR. `sme` gives the sector titles.
    func annualReportInputs(year: Int, clearOnly: Bool, sme: SMEQuestionnaire?) async throws -> AnnualReportInputs
    /// Publishes (or replaces) a year's public edition; anything but a TLP:CLEAR edition is refused.
    func publishReport(_ report: AnnualReport, at date: Date, by actor: String) async throws
    /// The published editions, newest year first.
    func publishedReports() async throws -> [PublishedReport]
    func publishedReport(year: Int) async throws -> AnnualReport?
    /// Whether there was one to remove.
    func unpublishReport(year: Int) async throws -> Bool
}

extension ReportStore {
    public func annualReportInputs(year: Int, clearOnly: Bool) async throws -> AnnualReportInputs {
        try await self.annualReportInputs(year: year, clearOnly: clearOnly, sme: nil)
    }
}
