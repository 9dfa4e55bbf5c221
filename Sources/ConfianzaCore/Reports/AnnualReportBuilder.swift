import Foundation

/// What the annual report is made of, as plain values gathered from every module (the store reads
/// them with ``SQLStore/annualReportInputs``; tests give them by hand).
public struct AnnualReportInputs: Sendable {
    /// Incidents created during the year.
    public var incidents: [Incident]
    /// The sector of each organisation an incident names.
    public var sectors: [UUID: Sector]
    /// Events first seen during the year, by classification (taxonomy).
    public var eventsByClassification: [String: Int]
    /// Feed runs started during the year, summed by feed.
    public var feedRuns: [ReportFeedRuns]
    /// Information shared during the year, by flow, peer and marking.
    public var sharing: [ReportSharing]
    /// Each assessment's latest score at the end of the year and at the end of the year before.
    public var assessments: [ReportAssessment]
    /// Knowledge records added during the year, by kind.
    public var knowledgeAdded: [KnowledgeKind: Int]
    /// The agreements network (of the edition's records).
    public var network: AgreementNetwork?
    /// Shared SME self-assessments of the year by sector, and the questionnaire's sector titles.
    public var smeBySector: [String: Int]
    public var smeSectorTitles: [String: LocalizedText]
    /// Risk assessment cycles started up to the end of the year (earlier ones give last year's figures).
    public var riskCycles: [ReportRiskCycle]

    public init(
        incidents: [Incident] = [], sectors: [UUID: Sector] = [:], eventsByClassification: [String: Int] = [:], feedRuns: [ReportFeedRuns] = [],
        sharing: [ReportSharing] = [], assessments: [ReportAssessment] = [], knowledgeAdded: [KnowledgeKind: Int] = [:],
        network: AgreementNetwork? = nil, smeBySector: [String: Int] = [:], smeSectorTitles: [String: LocalizedText] = [:],
        riskCycles: [ReportRiskCycle] = []
    ) {
        self.incidents = incidents
        self.sectors = sectors
        self.eventsByClassification = eventsByClassification
        self.feedRuns = feedRuns
        self.sharing = sharing
        self.assessments = assessments
        self.knowledgeAdded = knowledgeAdded
        self.network = network
        self.smeBySector = smeBySector
        self.smeSectorTitles = smeSectorTitles
        self.riskCycles = riskCycles
    }
}

/// One risk assessment cycle: whose, when it started, and its risks per residual level (lowest level first).
public struct ReportRiskCycle: Sendable, Equatable {
    public var organisation: UUID
    public var startedAt: Date
    public var residualLevels: [Int]

    public init(organisation: UUID, startedAt: Date, residualLevels: [Int]) {
        self.organisation = organisation
        self.startedAt = startedAt
        self.residualLevels = residualLevels
    }
}

/// Builds the internal edition of the annual report from its inputs; ``AnnualReport/published(threshold:)``
/// makes the public one. Every figure is a plain computation over the inputs, so a small dataset can be
/// checked by hand.
public enum AnnualReportBuilder {
    /// The nearest-rank percentile of sorted values (`p` in 0…100).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    public static func build(year: Int, asOf: Date, inputs: AnnualReportInputs, edition: TLP = .amber) -> AnnualReport {
        let yearStart = CalendarDay.parse(String(format: "%04d-01-01", year)) ?? asOf
        var sections: [ReportSection] = [Self.incidents(inputs, asOf: asOf, year: year)]
        sections.append(Self.feeds(inputs))
        sections.append(Self.sharing(inputs))
        sections.append(Self.assessments(inputs))
        sections.append(Self.risk(inputs, yearStart: yearStart))
        sections.append(Self.knowledge(inputs))
        return AnnualReport(year: year, asOf: asOf, edition: edition, sections: sections)
    }

    static func incidents(_ inputs: AnnualReportInputs, asOf: Date, year: Int) -> ReportSection {
        let incidents = inputs.incidents
        let hours = { (from: Date, to: Date) in to.timeIntervalSince(from) / 3600 }
        let acknowledged = incidents.compactMap { i in i.triagedAt.map { hours(i.createdAt, $0) } }.sorted()
        let resolved = incidents.compactMap { i in i.resolvedAt.map { hours(i.createdAt, $0) } }.sorted()
        func late(_ done: Date?, _ due: Date) -> Bool { (done ?? asOf) > due }
        let triageBreaches = incidents.filter { late($0.triagedAt, $0.triageDue) }.count
        let resolveBreaches = incidents.filter { late($0.resolvedAt, $0.resolveDue) }.count
        func measure(_ values: [Double], _ p: Double) -> ReportValue {
            Self.percentile(values, p).map { .measure($0, unit: "hours", base: values.count) } ?? .measure(0, unit: "hours", base: 0)
        }
        var byType: [String: Int] = [:]
        var bySector: [String: Int] = [:]
        var byMonth = Array(repeating: 0, count: 12)
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC") ?? .current
        for incident in incidents {
            byType[incident.taxonomy, default: 0] += 1
            let sectors = Set(incident.organisations.compactMap { inputs.sectors[$0]?.rawValue })
            for sector in sectors.isEmpty ? ["none"] : sectors.sorted() { bySector[sector, default: 0] += 1 }
            let month = utc.component(.month, from: incident.createdAt)
            if utc.component(.year, from: incident.createdAt) == year { byMonth[month - 1] += 1 }
        }
        func rows(_ counts: [String: Int], key: String?) -> [ReportRow] {
            let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            return sorted.map { entry -> ReportRow in
                let label: ReportLabel = key.map { ReportLabel.key("\($0).\(entry.key)") } ?? .literal(entry.key)
                return ReportRow(key: entry.key, label: label, values: [.count(entry.value)])
            }
        }
        return ReportSection(
            id: "incidents", title: "report.section.incidents",
            figures: [
                ReportFigure(id: "incidents", label: "report.figure.incidents", value: .count(incidents.count), link: "/incidents"),
                ReportFigure(id: "ack_median", label: "report.figure.ack_median", value: measure(acknowledged, 50), link: "/incidents/dashboard"),
                ReportFigure(id: "ack_p90", label: "report.figure.ack_p90", value: measure(acknowledged, 90), link: "/incidents/dashboard"),
                ReportFigure(id: "resolve_median", label: "report.figure.resolve_median", value: measure(resolved, 50), link: "/incidents/dashboard"),
                ReportFigure(id: "resolve_p90", label: "report.figure.resolve_p90", value: measure(resolved, 90), link: "/incidents/dashboard"),
                ReportFigure(id: "triage_breaches", label: "report.figure.triage_breaches", value: .count(triageBreaches), link: "/incidents?order=due"),
                ReportFigure(id: "resolve_breaches", label: "report.figure.resolve_breaches", value: .count(resolveBreaches), link: "/incidents?order=due"),
            ],
            tables: [
                ReportTable(
                    id: "by_classification", title: "report.table.by_classification", columns: ["report.column.incidents"],
                    rows: rows(byType, key: nil), link: "/incidents"),
                ReportTable(id: "by_sector", title: "report.table.by_sector", columns: ["report.column.incidents"], rows: rows(bySector, key: "sector"), link: "/constituency"),
                ReportTable(
                    id: "by_month", title: "report.table.by_month", columns: ["report.column.incidents"],
                    rows: byMonth.enumerated().map { ReportRow(key: String(format: "%02d", $0.offset + 1), label: .key("report.month.\($0.offset + 1)"), values: [.count($0.element)]) },
                    link: "/incidents/dashboard"),
            ])
    }

    static func risk(_ inputs: AnnualReportInputs, yearStart: Date) -> ReportSection {
        let ofYear = inputs.riskCycles.filter { $0.startedAt >= yearStart }
        let organisations = Set(ofYear.map(\.organisation))
        // Risks per residual level, summed over each organisation's latest cycle: now, and a year before.
        func levels(_ cycles: [ReportRiskCycle]) -> [Int] {
            var latest: [UUID: ReportRiskCycle] = [:]
            for cycle in cycles where (latest[cycle.organisation]?.startedAt ?? .distantPast) <= cycle.startedAt { latest[cycle.organisation] = cycle }
            var sums: [Int] = []
            for cycle in latest.values {
                for (index, count) in cycle.residualLevels.enumerated() {
                    if sums.count <= index { sums.append(0) }
                    sums[index] += count
                }
            }
            return sums
        }
        let now = levels(inputs.riskCycles)
        let before = levels(inputs.riskCycles.filter { $0.startedAt < yearStart })
        return ReportSection(
            id: "risk", title: "report.section.risk",
            figures: [
                ReportFigure(id: "organisations_assessed", label: "report.figure.organisations_assessed", value: .count(organisations.count), link: "/risk"),
                ReportFigure(id: "cycles", label: "report.figure.cycles", value: .count(ofYear.count), link: "/risk"),
                ReportFigure(id: "sme_results", label: "report.figure.sme_results", value: .count(inputs.smeBySector.values.reduce(0, +)), link: "/risk/sme"),
            ],
            tables: [
                ReportTable(
                    id: "residual_levels", title: "report.table.residual_levels", columns: ["report.column.risks_now", "report.column.risks_before"],
                    rows: (0..<max(now.count, before.count)).map { index in
                        ReportRow(
                            key: "level\(index + 1)", label: .key("report.level", ["rank": String(index + 1)]),
                            values: [.count(index < now.count ? now[index] : 0), .count(index < before.count ? before[index] : 0)])
                    },
                    link: "/risk"),
                ReportTable(
                    id: "sme_by_sector", title: "report.table.sme_by_sector", columns: ["report.column.results"],
                    rows: inputs.smeBySector.sorted { $0.key < $1.key }.map { entry in
                        let label: ReportLabel = inputs.smeSectorTitles[entry.key].map { .localized($0.texts) } ?? .literal(entry.key)
                        return ReportRow(key: entry.key, label: label, values: [.count(entry.value)])
                    },
                    link: "/risk/sme"),
            ])
    }

    static func knowledge(_ inputs: AnnualReportInputs) -> ReportSection {
        var figures = KnowledgeKind.allCases.map { kind in
            ReportFigure(id: "added_\(kind.rawValue)", label: "report.figure.added.\(kind.rawValue)", value: .count(inputs.knowledgeAdded[kind] ?? 0), link: "/knowledge")
        }
        if let network = inputs.network {
            figures += [
                ReportFigure(id: "links", label: "report.figure.network_links", value: .count(network.links.count), link: "/knowledge/network"),
                ReportFigure(id: "isolated", label: "report.figure.network_isolated", value: .count(network.isolated().count), link: "/knowledge/network"),
                ReportFigure(id: "without_ir", label: "report.figure.network_without_ir", value: .count(network.withoutIncidentResponse().count), link: "/knowledge/network"),
            ]
        }
        return ReportSection(id: "knowledge", title: "report.section.knowledge", figures: figures)
    }
}
