import Foundation

/// A feed's runs of the year, summed: files or fetches read, lines, events kept, duplicates, quarantined.
public struct ReportFeedRuns: Sendable, Equatable {
    public var feed: String
    public var format: String
    public var runs: Int
    public var lines: Int
    public var stored: Int
    public var duplicates: Int
    public var quarantined: Int

    public init(feed: String, format: String, runs: Int, lines: Int, stored: Int, duplicates: Int, quarantined: Int) {
        self.feed = feed
        self.format = format
        self.runs = runs
        self.lines = lines
        self.stored = stored
        self.duplicates = duplicates
        self.quarantined = quarantined
    }
}

/// Information shared in a year: STIX objects this CIRT published in its collections, incidents it shared
/// with a peer, STIX objects a peer sent; by peer (when there is one) and marking.
public struct ReportSharing: Sendable, Equatable {
    public enum Flow: String, Sendable, CaseIterable {
        case published, sent, received
    }

    public var flow: Flow
    public var peer: String?
    public var tlp: TLP
    public var count: Int

    public init(flow: Flow, peer: String?, tlp: TLP, count: Int) {
        self.flow = flow
        self.peer = peer
        self.tlp = tlp
        self.count = count
    }
}

/// One national assessment's latest score at the end of the year and at the end of the year before.
public struct ReportAssessment: Sendable, Equatable {
    public var framework: AssessmentFramework
    public var current: ScoreRecord?
    public var previous: ScoreRecord?

    public init(framework: AssessmentFramework, current: ScoreRecord?, previous: ScoreRecord?) {
        self.framework = framework
        self.current = current
        self.previous = previous
    }
}

extension AnnualReportBuilder {
    static func feeds(_ inputs: AnnualReportInputs) -> ReportSection {
        let runs = inputs.feedRuns
        func sum(_ field: KeyPath<ReportFeedRuns, Int>) -> Int { runs.reduce(0) { $0 + $1[keyPath: field] } }
        let columns = ["report.column.runs", "report.column.lines", "report.column.stored", "report.column.duplicates", "report.column.quarantined"]
        func row(_ key: String, _ label: ReportLabel, _ group: [ReportFeedRuns]) -> ReportRow {
            let fields: [KeyPath<ReportFeedRuns, Int>] = [\.runs, \.lines, \.stored, \.duplicates, \.quarantined]
            return ReportRow(key: key, label: label, values: fields.map { field in .count(group.reduce(0) { $0 + $1[keyPath: field] }) })
        }
        let byFormat = Dictionary(grouping: runs, by: \.format).sorted { $0.key < $1.key }
        let byFeed = Dictionary(grouping: runs, by: \.feed).sorted { $0.key < $1.key }
        let events = inputs.eventsByClassification.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return ReportSection(
            id: "feeds", title: "report.section.feeds",
            figures: [
                ReportFigure(id: "events", label: "report.figure.events", value: .count(inputs.eventsByClassification.values.reduce(0, +)), link: "/events"),
                ReportFigure(id: "runs", label: "report.figure.feed_runs", value: .count(sum(\.runs)), link: "/feeds"),
                ReportFigure(id: "lines", label: "report.figure.feed_lines", value: .count(sum(\.lines)), link: "/feeds"),
                ReportFigure(id: "stored", label: "report.figure.feed_stored", value: .count(sum(\.stored)), link: "/feeds"),
                ReportFigure(id: "quarantined", label: "report.figure.feed_quarantined", value: .count(sum(\.quarantined)), link: "/feeds"),
            ],
            tables: [
                ReportTable(
                    id: "events_by_classification", title: "report.table.events_by_classification", columns: ["report.column.events"],
                    rows: events.map { ReportRow(key: $0.key, label: .literal($0.key), values: [.count($0.value)]) }, link: "/events"),
                ReportTable(
                    id: "by_format", title: "report.table.feeds_by_format", columns: columns,
                    rows: byFormat.map { row($0.key, .literal($0.key), $0.value) }, link: "/feeds"),
                // Feed names are chosen by the site and may name a provider or a constituent: internal only.
                ReportTable(
                    id: "by_feed", title: "report.table.feeds_by_feed", columns: columns, rows: byFeed.map { row($0.key, .literal($0.key), $0.value) },
                    link: "/feeds", namesEntities: true),
            ])
    }

    static func sharing(_ inputs: AnnualReportInputs) -> ReportSection {
        let flows = ReportSharing.Flow.allCases
        func total(_ flow: ReportSharing.Flow) -> Int { inputs.sharing.filter { $0.flow == flow }.reduce(0) { $0 + $1.count } }
        let byTLP = TLP.allCases.map { tlp in
            ReportRow(
                key: tlp.rawValue, label: .literal(tlp.rawValue),
                values: flows.map { flow in .count(inputs.sharing.filter { $0.flow == flow && $0.tlp == tlp }.reduce(0) { $0 + $1.count }) })
        }
        let peers = Set(inputs.sharing.compactMap(\.peer)).sorted()
        let byPeer = peers.map { peer in
            ReportRow(
                key: peer, label: .literal(peer),
                values: [ReportSharing.Flow.sent, .received].map { flow in
                    .count(inputs.sharing.filter { $0.flow == flow && $0.peer == peer }.reduce(0) { $0 + $1.count })
                })
        }
        return ReportSection(
            id: "sharing", title: "report.section.sharing",
            figures: flows.map { ReportFigure(id: $0.rawValue, label: "report.figure.shared.\($0.rawValue)", value: .count(total($0)), link: "/sharing") },
            tables: [
                ReportTable(id: "by_tlp", title: "report.table.shared_by_tlp", columns: flows.map { "report.column.shared.\($0.rawValue)" }, rows: byTLP, link: "/sharing"),
                ReportTable(
                    id: "by_peer", title: "report.table.shared_by_peer", columns: ["report.column.shared.sent", "report.column.shared.received"], rows: byPeer,
                    link: "/sharing", namesEntities: true),
            ])
    }

    /// Per framework: assessments with a score, countries per tier, and the pillar averages now, a year
    /// before, and their change over the countries scored both times.
    static func assessments(_ inputs: AnnualReportInputs) -> ReportSection {
        let frameworks = Dictionary(grouping: inputs.assessments, by: \.framework.id).sorted { $0.key < $1.key }
        var figures: [ReportFigure] = []
        var tables: [ReportTable] = []
        for (id, group) in frameworks {
            guard let framework = group.last?.framework else { continue }
            let caption: ReportLabel? = frameworks.count > 1 ? .localized(framework.title.texts) : nil
            let suffix = frameworks.count > 1 ? "_\(id)" : ""
            let scored = group.compactMap(\.current)
            figures.append(
                ReportFigure(id: "scored\(suffix)", label: "report.figure.assessments_scored", caption: caption, value: .count(scored.count), link: "/assessment"))
            var tierRows = framework.tiers.map { tier in
                ReportRow(key: tier.id, label: .localized(tier.title.texts), values: [.count(scored.filter { $0.tier == tier.id }.count)])
            }
            let untiered = scored.filter { score in !framework.tiers.contains { $0.id == score.tier } }.count
            if untiered > 0 { tierRows.append(ReportRow(key: "none", label: .key("report.tier.none"), values: [.count(untiered)])) }
            var tiers = ReportTable(id: "tiers\(suffix)", title: "report.table.tiers", columns: ["report.column.countries"], rows: tierRows, link: "/assessment")
            tiers.caption = caption
            tables.append(tiers)
            let pillarRows = framework.pillars.map { pillar -> ReportRow in
                let now = group.compactMap { $0.current?.pillars[pillar.id] }
                let before = group.compactMap { $0.previous?.pillars[pillar.id] }
                let changes = group.compactMap { a -> Double? in
                    guard let x = a.current?.pillars[pillar.id], let y = a.previous?.pillars[pillar.id] else { return nil }
                    return x - y
                }
                func mean(_ values: [Double]) -> ReportValue {
                    .measure(values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count), unit: "points", base: values.count)
                }
                return ReportRow(key: pillar.id, label: .localized(pillar.title.texts), values: [mean(now), mean(before), mean(changes)])
            }
            var pillars = ReportTable(
                id: "pillars\(suffix)", title: "report.table.pillar_averages",
                columns: ["report.column.average_now", "report.column.average_before", "report.column.change"], rows: pillarRows, hasTotal: false,
                link: "/assessment")
            pillars.caption = caption
            tables.append(pillars)
        }
        return ReportSection(id: "assessments", title: "report.section.assessments", figures: figures, tables: tables)
    }
}
