import ConfianzaCore
import Foundation
import Testing

@testable import ConfianzaFeeds

/// Each knowledge collection as a CSV table: written and read back the same; a fault named by line and column.
@Suite struct KnowledgeCSVTests {
    static let base = KnowledgeBase(
        initiatives: [
            Initiative(
                title: "=Formula-looking, \"quoted\" title", summary: "Línea uno\nLínea dos", countries: ["UY", "AR"], region: "americas",
                organisations: [Involvement(name: "OAS", role: .funder), Involvement(name: "CERTuy", role: .implementer)], pillars: [.technical, .cooperation],
                themes: ["CSIRT"], status: .completed, startDate: CalendarDay.parse("2023-01-01"), endDate: CalendarDay.parse("2024-06-30"),
                links: ["https://example.org/a"], tlp: .clear)
        ],
        caseStudies: [CaseStudy(title: "A CIRT", country: "KE", institutionType: .regulator, services: ["alerts", "training"], body: "# Title\n\n**bold**", tlp: .green)],
        agreements: [
            Agreement(
                title: "Network", type: .multilateral, parties: [.country("BR"), .country("CL"), .organisation("EU"), .organisation("OAS Secretariat")],
                scope: [.incidentResponse, .research], status: .inForce, signedDate: CalendarDay.parse("2020-02-29"), tlp: .clear)
        ])

    @Test func everyTableIsReadBackTheSame() throws {
        for kind in KnowledgeKind.allCases {
            let csv = KnowledgeCSV.write(kind, Self.base)
            let read = try KnowledgeCSV.read(Array(csv.utf8))
            switch kind {
            case .initiative: #expect(read.initiatives == Self.base.initiatives && read.agreements.isEmpty)
            case .caseStudy: #expect(read.caseStudies == Self.base.caseStudies)
            case .agreement: #expect(read.agreements == Self.base.agreements, "\(csv)")
            }
        }
        #expect(KnowledgeCSV.write(.initiative, Self.base).contains("\"'=Formula-looking, \"\"quoted\"\" title\""))
    }

    @Test(arguments: [
        ("title,countries\nGood,UY\nBad,UY; XX\n", 3, "countries"),
        ("title,parties\nMoU,UY\n", 2, "parties"),
        ("title,parties,status\nMoU,UY; AR,maybe\n", 2, "status"),
        ("title,institutionType,country\nCase,army,UY\n", 2, "institutionType"),
        ("title,startDate,endDate\nX,2024-01-01,2023-01-01\n", 2, "endDate"),
        ("title,colour\nX,red\n", 1, "colour"),
        ("title,countries\nX\n", 2, nil),
    ] as [(String, Int, String?)])
    func aFaultIsNamedByLineAndColumn(csv: String, line: Int, column: String?) {
        do {
            _ = try KnowledgeCSV.read(Array(csv.utf8))
            Issue.record("accepted \(csv)")
        } catch {
            #expect(error.line == line && error.column == column, "\(error)")
        }
    }

    @Test func emptyTruncatedAndBrokenTablesAreRefused() {
        for bad in ["", "title\n", "title,countries\n\"unclosed,UY\n", String(repeating: "x", count: 100)] {
            #expect(throws: KnowledgeCSV.ReadError.self) { _ = try KnowledgeCSV.read(Array(bad.utf8)) }
        }
        let csv = KnowledgeCSV.write(.agreement, Self.base)
        for cut in 0..<csv.utf8.count {
            _ = try? KnowledgeCSV.read(Array(csv.utf8.prefix(cut)))
        }
    }
}
