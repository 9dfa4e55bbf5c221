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
