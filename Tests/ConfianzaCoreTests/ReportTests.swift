import ConfianzaCore
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
        #expect(html.contains("<p class=\"marking\" id=\"marking\">TLP:CLEAR</p>") && html.contains("<footer class=\"print\">TLP:CLEAR</footer>"))
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
            riskCycles: [(UUID(), [1, 2, 0]), (bank, [3, 1, 1]), (bank, [4, 0, 0])])
        let report = AnnualReportBuilder.build(year: 2026, asOf: Self.at("2027-01-15"), inputs: inputs)
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
        // Risk: two organisations, three cycles; residual levels from each one's latest cycle: [1,2,0] + [4,0,0].
        let risk = report.sections[1]
        #expect(risk.figures.map(\.value) == [.count(2), .count(3), .count(0)])
        #expect(risk.tables[0].rows.map { $0.values[0] } == [.count(5), .count(2), .count(0)])
        #expect(report.sections[2].figures.map(\.value) == [.count(7), .count(0), .count(2)])
        // The public edition: every incident count here is below 5 except the total.
        let clear = report.published()
        #expect(clear.sections[0].figures.first?.value == .count(5))
        #expect(clear.sections[0].tables[0].rows.allSatisfy { $0.values == [.hidden] } && clear.sections[0].tables[0].totals == [.count(5)])
        #expect(clear.sections[0].figures.first { $0.id == "ack_median" }?.value == .hidden, "a median over four cases")
    }
}
