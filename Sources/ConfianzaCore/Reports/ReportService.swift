import Foundation

/// Why a report was not made, said in the reader's language on pages (`phrase`) and in English on the
/// command line.
public enum ReportError: ExplainedError, Equatable {
    case year(String)
    case edition(String)
    case asOf(String)
    case threshold(String)
    case format(String)
    case notPublished(Int)

    public var description: String {
        switch self {
        case .year(let value): "the year must be a year such as 2026, from 1970 to 9999, not \"\(value)\""
        case .edition(let value): "the edition is CLEAR (public) or AMBER (internal), not \"\(value)\""
        case .asOf(let value): "the date the figures are as of is a day, YYYY-MM-DD, not \"\(value)\""
        case .threshold(let value): "the threshold is a whole number from 1 to 100, not \"\(value)\""
        case .format(let value): "the format is html, md, json or pdf, not \"\(value)\""
        case .notPublished(let year): "no report for \(year) has been published"
        }
    }

    public var phrase: Phrase? {
        switch self {
        case .year(let value): Phrase("report.error.year", ["value": value])
        case .edition(let value): Phrase("report.error.edition", ["value": value])
        case .asOf(let value): Phrase("report.error.as_of", ["value": value])
        case .threshold(let value): Phrase("report.error.threshold", ["value": value])
        case .format(let value): Phrase("report.error.format", ["value": value])
        case .notPublished(let year): Phrase("report.error.not_published", ["year": String(year)])
        }
    }
}

/// What one asks a report of: the year, the edition, the date it states, the threshold of the public edition.
public struct ReportRequest: Sendable, Equatable {
    public var year: Int
    public var edition: TLP
    public var asOf: Date
    public var threshold: Int

    public init(year: Int, edition: TLP = .clear, asOf: Date, threshold: Int = AnnualReport.defaultThreshold) {
        self.year = year
        self.edition = edition
        self.asOf = asOf
        self.threshold = threshold
    }

    /// Reads a request from text (a form, the command line); empty values take their defaults (this
    /// year, TLP:CLEAR, today, 5).
    public static func parse(year: String?, edition: String?, asOf: String?, threshold: String?, today: Date) throws(ReportError) -> ReportRequest {
        let day = CalendarDay.parse(CalendarDay.format(today)) ?? today
        func given(_ text: String?) -> String? {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        let thisYear = Int(CalendarDay.format(today).prefix(4)) ?? 1970
        var request = ReportRequest(year: thisYear, asOf: day)
        if let text = given(year) {
            guard let value = Int(text), (1970...9999).contains(value) else { throw .year(String(text.prefix(20))) }
            request.year = value
        }
        if let text = given(edition) {
            guard let tlp = TLP(label: text), tlp == .clear || tlp == .amber else { throw .edition(String(text.prefix(20))) }
            request.edition = tlp
        }
        if let text = given(asOf) {
            guard let date = CalendarDay.parse(text) else { throw .asOf(String(text.prefix(20))) }
            request.asOf = date
        }
        if let text = given(threshold) {
            guard let value = Int(text), (1...100).contains(value) else { throw .threshold(String(text.prefix(20))) }
            request.threshold = value
        }
        return request
    }
}

/// Makes the annual report from the store, and publishes its public edition (audited).
public struct ReportService: Sendable {
    public typealias Storage = any ReportStore & AuditStore

    public let store: Storage
    /// The SME questionnaire, for its sector titles.
    let sme: SMEQuestionnaire?
    let now: @Sendable () -> Date

    public init(store: Storage, sme: SMEQuestionnaire?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.sme = sme
        self.now = now
    }

    /// The report asked for: the public edition reads records marked TLP:CLEAR only where records carry
    /// their own marking, then hides small counts.
    public func report(_ request: ReportRequest) async throws -> AnnualReport {
        let clear = request.edition == .clear
        let inputs = try await self.store.annualReportInputs(year: request.year, clearOnly: clear, sme: self.sme)
        let report = AnnualReportBuilder.build(year: request.year, asOf: request.asOf, inputs: inputs, edition: .amber)
        return clear ? report.published(threshold: request.threshold) : report
    }

    /// Publishes the public edition of the request's year (replacing any published before).
    public func publish(_ request: ReportRequest, by actor: String, address: String?) async throws -> AnnualReport {
        var clear = request
        clear.edition = .clear
        let report = try await self.report(clear)
        try await self.store.publishReport(report, at: self.now(), by: actor)
        try await self.store.appendAudit(
            AuditEvent(at: self.now(), actor: actor, action: .reportPublished, target: String(request.year), address: address,
                       detail: "as of \(CalendarDay.format(request.asOf)), threshold \(request.threshold)"))
        return report
    }

    public func unpublish(year: Int, by actor: String, address: String?) async throws {
        guard try await self.store.unpublishReport(year: year) else { throw ReportError.notPublished(year) }
        try await self.store.appendAudit(AuditEvent(at: self.now(), actor: actor, action: .reportUnpublished, target: String(year), address: address))
    }
}

extension AuditAction {
    public static let reportPublished = AuditAction(rawValue: "report.published")
    public static let reportUnpublished = AuditAction(rawValue: "report.unpublished")
}
