import ConfianzaCore
import ConfianzaLocales
import Foundation
import Testing

/// The annual report's core: the public edition's suppression worked by hand, the same bytes for the
/// same report, and the differences between two years.
@Suite struct ReportTests {
    static let asOf = Date(timeIntervalSince1970: 1_798_761_600)  // 2027-01-01

    static func report(phishing: Int = 40) -> AnnualReport {
        AnnualReport(
            year: 2026, asOf: Self.asOf,
            sections: [
                ReportSection(
                    id: "incidents", title: "report.section.incidents",
                    figures: [
                        ReportFigure(id: "incidents", label: "report.figure.incidents", value: .count(phishing + 3 + 12 + 2)),
                        ReportFigure(id: "median_ack", label: "report.figure.median_ack", value: .measure(2.25, unit: "hours", base: 4)),
                        ReportFigure(id: "median_resolve", label: "report.figure.median_resolve", value: .measure(30, unit: "hours", base: 57)),
                    ],
                    tables: [
                        ReportTable(
                            id: "by_classification", title: "report.table.classification", columns: ["report.column.incidents", "report.column.breaches"],
                            rows: [
                                ReportRow(key: "phishing", label: .literal("Phishing"), values: [.count(phishing), .count(6)]),
                                ReportRow(key: "malware", label: .literal("Malware"), values: [.count(3), .count(0)]),
                                ReportRow(key: "scanning", label: .literal("Scanning"), values: [.count(12), .count(7)]),
                                ReportRow(key: "ddos", label: .literal("DDoS"), values: [.count(2), .count(8)]),
                            ]),
                        ReportTable(
                            id: "by_peer", title: "report.table.peers", columns: ["report.column.objects"],
                            rows: [ReportRow(key: "cert-br", label: .literal("CERT.br"), values: [.count(120)])], namesEntities: true),
                    ]),
            ])
    }

    @Test func thePublicEditionHidesSmallCountsAndWhatWouldRevealThem() {
        let amber = Self.report()
        #expect(amber.sections[0].tables[0].exactTotals == [ReportValue.count(57), .count(21)])
        let clear = amber.published(threshold: 5)
        #expect(clear.edition == .clear && clear.sections[0].tables.map(\.id) == ["by_classification"], "the table naming peers is left out")
        let table = clear.sections[0].tables[0]
        // Incidents: malware 3 and DDoS 2 are hidden by themselves (two hidden, nothing more needed).
        #expect(table.rows.map { $0.values[0] } == [ReportValue.count(40), .hidden, .count(12), .hidden])
        // Breaches: malware 0 is hidden; alone it would be 21 − 6 − 7 − 8, so the next smallest (6) is hidden too.
        #expect(table.rows.map { $0.values[1] } == [ReportValue.hidden, .hidden, .count(7), .count(8)])
        #expect(table.totals == [ReportValue.count(57), .count(21)])
        // A median over four cases is hidden; over 57 it shows.
        #expect(clear.sections[0].figures.map(\.value) == [ReportValue.count(57), .hidden, .measure(30, unit: "hours", base: 57)])
        // A total below the threshold is hidden as well.
        let tiny = AnnualReport(year: 2026, asOf: Self.asOf, sections: [
            ReportSection(id: "s", title: "t", tables: [ReportTable(id: "t", title: "t", columns: ["c"], rows: [
                ReportRow(key: "a", label: .literal("A"), values: [.count(1)]), ReportRow(key: "b", label: .literal("B"), values: [.count(2)]),
            ])]),
        ]).published()
        #expect(tiny.sections[0].tables[0].totals == [ReportValue.hidden] && tiny.sections[0].tables[0].rows.allSatisfy { $0.values == [ReportValue.hidden] })
    }

    @Test func theSameReportGivesTheSameBytesAndNoSmallCountInPublic() throws {
        let texts = try TextCatalogue(tables: [.english: [:]])
        let renderer = ReportRenderer(texts: texts, language: .english)
        let first = ReportRenderer.pretty(ReportRenderer.json(Self.report().published()))
        let second = ReportRenderer.pretty(ReportRenderer.json(Self.report().published()))
        #expect(first == second && renderer.markdown(Self.report().published()) == renderer.markdown(Self.report().published()))
        #expect(first.contains("\"< 5\"") && !first.contains("CERT.br"))
        let markdown = renderer.markdown(Self.report().published())
        #expect(markdown.hasPrefix("**TLP:CLEAR**") && markdown.hasSuffix("**TLP:CLEAR**\n"))
        for small in [" 0 ", " 2 ", " 3 ", " 6 "] { #expect(!markdown.contains("|\(small)|"), "\(small)") }
        #expect(try JSONReader.parse(first) == ReportRenderer.json(Self.report().published()))
        let html = renderer.html(Self.report().published(), site: "https://cirt.example")
        #expect(html == renderer.html(Self.report().published(), site: "https://cirt.example"))
        // The marking heads the page and every printed page's top and bottom, beside the page numbers.
        #expect(html.contains("<p class=\"marking\" id=\"marking\">TLP:CLEAR</p>") && html.contains("@bottom-left { content: \"TLP:CLEAR\""))
        #expect(html.contains("@bottom-right { content: \"report.page_of\";") || html.contains("counter(page)"))
        #expect(!html.contains("<script") && !html.contains("CERT.br") && html.contains("<table id=\"incidents-by_classification\""))
        for small in [">0<", ">2<", ">3<", ">6<"] { #expect(!html.contains("class=\"num\"\(small)"), "\(small)") }
    }

    @Test func theDifferenceBetweenTwoReportsListsEachChangedFigure() {
        let before = ReportRenderer.json(Self.report(phishing: 40))
        let after = ReportRenderer.json(Self.report(phishing: 45))
        let changes = ReportDiff.compare(before, after)
        #expect(changes.map(\.path) == [
            "sections.incidents.figures.incidents", "sections.incidents.tables.by_classification.rows.phishing",
            "sections.incidents.tables.by_classification.total",
        ])
        #expect(changes[0].before == "57" && changes[0].after == "62")
        #expect(ReportDiff.compare(before, before).isEmpty)
    }
}

/// The report's figures on a small dataset, each computed by hand.
@Suite struct AnnualReportBuilderTests {
    static func at(_ day: String, plus hours: Double = 0) -> Date { CalendarDay.parse(day)!.addingTimeInterval(hours * 3600) }

    @Test func everyFigureMatchesTheHandComputedValue() {
        let bank = UUID()
        let hospital = UUID()
        func incident(_ day: String, _ taxonomy: String, _ organisations: [UUID], triage: Double?, resolve: Double?) -> Incident {
            let created = Self.at(day)
            var incident = Incident(
                title: taxonomy, taxonomy: taxonomy, type: taxonomy, severity: .medium, tlp: .amber, organisations: organisations, createdAt: created,
                triageDue: created.addingTimeInterval(4 * 3600), resolveDue: created.addingTimeInterval(15 * 3600))
            incident.triagedAt = triage.map { created.addingTimeInterval($0 * 3600) }
            incident.resolvedAt = resolve.map { created.addingTimeInterval($0 * 3600) }
            return incident
        }
        let inputs = AnnualReportInputs(
            incidents: [
                incident("2026-01-10", "phishing", [bank], triage: 1, resolve: 10), incident("2026-01-20", "phishing", [bank], triage: 2, resolve: 20),
                incident("2026-03-05", "malware", [hospital], triage: 3, resolve: nil), incident("2026-03-06", "phishing", [bank, hospital], triage: 5, resolve: nil),
                incident("2026-12-31", "malware", [], triage: nil, resolve: nil),
            ], sectors: [bank: .finance, hospital: .health], knowledgeAdded: [.initiative: 7, .agreement: 2],
            smeBySector: ["retail": 4, "health": 2], smeSectorTitles: ["retail": LocalizedText(["en": "Shop", "es": "Tienda"])],
            riskCycles: [
                ReportRiskCycle(organisation: UUID(), startedAt: Self.at("2026-02-01"), residualLevels: [1, 2, 0]),
                ReportRiskCycle(organisation: bank, startedAt: Self.at("2025-06-01"), residualLevels: [3, 1, 1]),
                ReportRiskCycle(organisation: bank, startedAt: Self.at("2026-05-01"), residualLevels: [4, 0, 0]),
            ])
        let report = AnnualReportBuilder.build(year: 2026, asOf: Self.at("2027-01-15"), inputs: inputs)
        #expect(report.sections.map(\.id) == ["incidents", "feeds", "sharing", "assessments", "risk", "knowledge"])
        let incidents = report.sections[0]
        let figures = Dictionary(uniqueKeysWithValues: incidents.figures.map { ($0.id, $0.value) })
        #expect(figures["incidents"] == .count(5))
        // Acknowledged after 1, 2, 3, 5 h: median (nearest rank 2 of 4) 2 h, p90 (rank 4) 5 h. Resolved after 10 and 20 h.
        #expect(figures["ack_median"] == .measure(2, unit: "hours", base: 4) && figures["ack_p90"] == .measure(5, unit: "hours", base: 4))
        #expect(figures["resolve_median"] == .measure(10, unit: "hours", base: 2) && figures["resolve_p90"] == .measure(20, unit: "hours", base: 2))
        // Triage due after 4 h: the 5 h one and the never-triaged one are late; resolution due after 15 h: four are late.
        #expect(figures["triage_breaches"] == .count(2) && figures["resolve_breaches"] == .count(4))
        let tables = Dictionary(uniqueKeysWithValues: incidents.tables.map { ($0.id, $0) })
        #expect(tables["by_classification"]?.rows.map(\.key) == ["phishing", "malware"])
        #expect(tables["by_classification"]?.rows.map(\.values) == [[.count(3)], [.count(2)]])
        // An incident counts once in each of its sectors; one with no organisation under "none".
        #expect(tables["by_sector"]?.rows.map { "\($0.key)=\($0.values[0])" } == ["finance=count(3)", "health=count(2)", "none=count(1)"])
        #expect(tables["by_month"]?.rows.map { $0.values[0] } == [.count(2), .count(0), .count(2)] + Array(repeating: ReportValue.count(0), count: 8) + [.count(1)])
        // Risk: two organisations with a cycle in 2026 (the bank's 2025 one is last year's); residual levels
        // from each one's latest cycle: [1,2,0] + [4,0,0] now, the bank's [3,1,1] a year before.
        let risk = report.sections[4]
        #expect(risk.figures.map(\.value) == [.count(2), .count(2), .count(6)])
        #expect(risk.tables[0].rows.map(\.values) == [[.count(5), .count(3)], [.count(2), .count(1)], [.count(0), .count(1)]])
        #expect(risk.tables[1].rows.map(\.key) == ["health", "retail"] && risk.tables[1].rows[1].label == .localized(["en": "Shop", "es": "Tienda"]))
        #expect(report.sections[5].figures.map(\.value) == [.count(7), .count(0), .count(2)])
        // The public edition: every incident count here is below 5 except the total.
        let clear = report.published()
        #expect(clear.sections[0].figures.first?.value == .count(5))
        #expect(clear.sections[0].tables[0].rows.allSatisfy { $0.values == [.hidden] } && clear.sections[0].tables[0].totals == [.count(5)])
        #expect(clear.sections[0].figures.first { $0.id == "ack_median" }?.value == .hidden, "a median over four cases")
    }
}

/// The sections built from feeds, sharing and assessments, each figure computed by hand.
@Suite struct AnnualReportSectionsTests {
    @Test func feedsSharingAndAssessmentsMatchTheHandComputedValues() throws {
        guard let file = AssessmentService.bundledFrameworkFiles().first(where: { $0.name == "five-pillars.json" }) else {
            Issue.record("five-pillars.json is not bundled")
            return
        }
        let framework = try FrameworkFile.framework(file.text, file: file.name)
        let legal = framework.pillars[0].id
        let technical = framework.pillars[1].id
        let day = AnnualReportBuilderTests.at
        func score(_ tier: String, _ pillars: [String: Double], _ date: String) -> ScoreRecord {
            ScoreRecord(assessmentID: UUID(), revision: 1, total: pillars.values.reduce(0, +), tier: tier, pillars: pillars, computedAt: day(date, 0), reason: "validated")
        }
        let inputs = AnnualReportInputs(
            eventsByClassification: ["scanner": 7, "malware": 3],
            feedRuns: [
                ReportFeedRuns(feed: "scan-a", format: "shadowserver:scan_http", runs: 2, lines: 100, stored: 90, duplicates: 8, quarantined: 2),
                ReportFeedRuns(feed: "scan-b", format: "shadowserver:scan_http", runs: 1, lines: 50, stored: 50, duplicates: 0, quarantined: 0),
                ReportFeedRuns(feed: "n6", format: "n6", runs: 3, lines: 30, stored: 20, duplicates: 4, quarantined: 6),
            ],
            sharing: [
                ReportSharing(flow: .published, peer: nil, tlp: .clear, count: 10), ReportSharing(flow: .published, peer: nil, tlp: .amber, count: 3),
                ReportSharing(flow: .sent, peer: "CERT.xx", tlp: .green, count: 2), ReportSharing(flow: .sent, peer: "CERT.yy", tlp: .amber, count: 1),
                ReportSharing(flow: .received, peer: "CERT.xx", tlp: .clear, count: 6),
            ],
            assessments: [
                ReportAssessment(
                    framework: framework, current: score("tier-3", [legal: 10, technical: 12], "2026-06-01"),
                    previous: score("tier-4", [legal: 6, technical: 10], "2025-06-01")),
                ReportAssessment(framework: framework, current: score("tier-3", [legal: 14, technical: 8], "2026-03-01"), previous: nil),
                ReportAssessment(framework: framework, current: score("tier-4", [legal: 6], "2026-09-01"), previous: score("tier-4", [legal: 8], "2025-01-01")),
            ])
        let report = AnnualReportBuilder.build(year: 2026, asOf: day("2027-01-15", 0), inputs: inputs)
        let sections = Dictionary(uniqueKeysWithValues: report.sections.map { ($0.id, $0) })
        func figures(_ id: String) -> [String: ReportValue] { Dictionary(uniqueKeysWithValues: (sections[id]?.figures ?? []).map { ($0.id, $0.value) }) }
        func table(_ section: String, _ id: String) -> ReportTable? { sections[section]?.tables.first { $0.id == id } }

        // Feeds: 10 events; runs 2+1+3, lines 100+50+30, kept 90+50+20, quarantined 2+0+6; two formats, three feeds.
        #expect(figures("feeds") == ["events": .count(10), "runs": .count(6), "lines": .count(180), "stored": .count(160), "quarantined": .count(8)])
        #expect(table("feeds", "events_by_classification")?.rows.map { "\($0.key)=\($0.values)" } == ["scanner=[ConfianzaCore.ReportValue.count(7)]", "malware=[ConfianzaCore.ReportValue.count(3)]"])
        #expect(table("feeds", "by_format")?.rows.map(\.key) == ["n6", "shadowserver:scan_http"])
        #expect(table("feeds", "by_format")?.rows.map(\.values) == [[.count(3), .count(30), .count(20), .count(4), .count(6)], [.count(3), .count(150), .count(140), .count(8), .count(2)]])
        #expect(table("feeds", "by_feed")?.namesEntities == true && table("feeds", "by_feed")?.rows.count == 3)

        // Sharing: published 10+3, sent 2+1, received 6; by marking in TLP order; by peer (internal only).
        #expect(figures("sharing") == ["published": .count(13), "sent": .count(3), "received": .count(6)])
        #expect(table("sharing", "by_tlp")?.rows.map(\.values) == [
            [.count(10), .count(0), .count(6)], [.count(0), .count(2), .count(0)], [.count(3), .count(1), .count(0)],
            [.count(0), .count(0), .count(0)], [.count(0), .count(0), .count(0)],
        ])
        #expect(table("sharing", "by_peer")?.rows.map(\.values) == [[.count(2), .count(6)], [.count(1), .count(0)]])
        #expect(table("sharing", "by_peer")?.namesEntities == true)

        // Assessments: three scored; tier 3 twice, tier 4 once. Legal: now (10+14+6)/3 = 10, before (6+8)/2 = 7,
        // change over the two scored both times (+4, −2) = 1. Technical: now (12+8)/2 = 10, before 10, change +2 over one.
        #expect(figures("assessments") == ["scored": .count(3)])
        #expect(table("assessments", "tiers")?.rows.map { "\($0.key)=\($0.values[0])" } == ["tier-1=count(0)", "tier-2=count(0)", "tier-3=count(2)", "tier-4=count(1)", "tier-5=count(0)"])
        let pillars = table("assessments", "pillars")
        #expect(pillars?.rows[0].values == [.measure(10, unit: "points", base: 3), .measure(7, unit: "points", base: 2), .measure(1, unit: "points", base: 2)])
        #expect(pillars?.rows[1].values == [.measure(10, unit: "points", base: 2), .measure(10, unit: "points", base: 1), .measure(2, unit: "points", base: 1)])
        #expect(pillars?.hasTotal == false && pillars?.rows[0].label == .localized(framework.pillars[0].title.texts))

        // The public edition: no table naming a feed or a peer; averages over fewer than five countries hidden.
        let clear = report.published()
        let kept = clear.sections.flatMap { $0.tables.map(\.id) }
        #expect(!kept.contains("by_feed") && !kept.contains("by_peer") && kept.contains("by_tlp"))
        #expect(clear.sections.first { $0.id == "assessments" }?.tables.first { $0.id == "pillars" }?.rows.allSatisfy { $0.values.allSatisfy { $0 == .hidden } } == true)

        // In every language: Spanish and French say the headings and units in their words; minutes under an hour.
        let texts = try LocaleFiles.load()
        for (language, heading) in [(Language.spanish, "Información compartida"), (.french, "Informations partagées"), (.english, "Information shared")] {
            let markdown = ReportRenderer(texts: texts, language: language).markdown(report)
            #expect(markdown.contains("## \(heading)"), "\(language)")
            #expect(!markdown.contains("report."), "no locale key left unsaid in \(language)")
        }
        let renderer = ReportRenderer(texts: texts, language: .english)
        #expect(renderer.say(.measure(0.25, unit: "hours", base: 9), threshold: 5) == "15.0 min" && renderer.say(.measure(2, unit: "hours", base: 9), threshold: 5) == "2.0 h")
    }
}
