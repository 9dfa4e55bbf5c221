import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Testing

@testable import ConfianzaStore

/// What the annual report reads from the store, on every backend: only the year's records, counted by
/// the database; records marked above TLP:CLEAR left out of the public edition's assessments; published
/// editions kept as they were, read back equal, replaced, removed.
@Suite struct ReportStoreTests {
    static func day(_ text: String, _ hours: Double = 0) -> Date { CalendarDay.parse(text)!.addingTimeInterval(hours * 3600) }

    @Test(arguments: TestBackend.available)
    func theYearsFiguresComeFromEveryModule(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let constituency = ConstituencyService(store: store)
            let bank = try await constituency.createOrganisation(OrganisationDraft(name: "Banco Secreto", sector: "finance", country: "UY", kind: "private"))
            func incident(_ created: Date, _ type: String, _ organisations: [UUID]) -> Incident {
                Incident(
                    title: type, taxonomy: Taxonomy.taxonomyOfType[type] ?? "other", type: type, severity: .medium, tlp: .amber, organisations: organisations,
                    createdAt: created, triageDue: created.addingTimeInterval(4 * 3600), resolveDue: created.addingTimeInterval(48 * 3600))
            }
            for made in [
                incident(Self.day("2026-01-05"), "phishing", [bank.id]), incident(Self.day("2026-07-01"), "phishing", []),
                incident(Self.day("2026-12-31", 23), "infected-system", [bank.id]), incident(Self.day("2025-12-31", 23), "phishing", [bank.id]),
            ] { _ = try await store.insertIncident(made, events: [], timeline: []) }
            for (start, feed, counts) in [
                (Self.day("2026-03-01"), "DROP", IngestCounts(read: 10, stored: 8, duplicates: 1, quarantined: 1)),
                (Self.day("2026-04-01"), "DROP", IngestCounts(read: 5, stored: 5, duplicates: 0, quarantined: 0)),
                (Self.day("2025-04-01"), "DROP", IngestCounts(read: 99, stored: 99, duplicates: 0, quarantined: 0)),
            ] {
                try await store.insertIngestRun(
                    IngestRun(fileName: "drop", fileHash: UUID().uuidString, format: "intelmq", feed: feed, startedAt: start, counts: counts, source: "test"))
            }
            let peer = try await IncidentService(store: store).savePeer(PeerDraft(name: "CERT.xx", country: "AR", contact: "cert@cert.xx", tlpCeiling: "TLP:AMBER"))
            let shared = try await store.insertIncident(incident(Self.day("2026-02-01"), "phishing", []), events: [], timeline: [])
            for (at, tlp) in [(Self.day("2026-02-02"), TLP.green), (Self.day("2026-02-03"), .amber), (Self.day("2025-02-03"), .amber)] {
                try await store.insertShare(
                    Share(incidentID: shared.id, peerID: peer.id, tlp: tlp, summary: "s", actor: "ana", at: at),
                    timeline: TimelineEntry(incidentID: shared.id, at: at, actor: "ana", kind: .share, detail: "shared", phrase: Phrase("timeline.shared", [:])))
            }
            func object(_ n: Int, _ tlp: TLP, from source: UUID?) -> STIXObjectRecord {
                let id = "indicator--00000000-0000-4000-8000-\(String(format: "%012d", n))"
                return STIXObjectRecord(
                    id: id, type: "indicator", specVersion: "2.1", version: 1, versionText: "2026-01-01T00:00:00.000Z", tlp: tlp, sourcePeer: source,
                    json: "{\"id\":\"\(id)\",\"type\":\"indicator\"}")
            }
            // date_added only grows, so last year's object is added first.
            _ = try await store.addSTIXObjects([object(5, .green, from: peer.id)], now: Self.day("2025-06-01"))
            _ = try await store.addSTIXObjects([object(1, .clear, from: nil), object(2, .clear, from: nil), object(3, .amber, from: nil)], now: Self.day("2026-05-01"))
            _ = try await store.addSTIXObjects([object(4, .green, from: peer.id)], now: Self.day("2026-06-01"))
            for (sector, on) in [("retail", "2026-01-01"), ("retail", "2026-06-01"), ("health", "2026-12-31"), ("health", "2025-12-31")] {
                try await store.insertSMEResult(
                    SharedSMEResult(sharedOn: Self.day(on), questionnaireVersion: "1", size: "micro", sector: sector, answers: "X", percent: 50, functions: [:], business: nil))
            }
            let file = try #require(AssessmentService.bundledFrameworkFiles().first { $0.name == "five-pillars.json" })
            let framework = try FrameworkFile.framework(file.text, file: file.name)
            _ = try await store.saveFramework(framework, at: Self.day("2025-01-01"), by: "test")
            let legal = framework.pillars[0].id
            for (country, tlp, scores) in [
                ("UY", TLP.clear, [(Self.day("2025-05-01"), 6.0), (Self.day("2026-05-01"), 10.0)]), ("AR", .clear, [(Self.day("2026-03-01"), 14.0)]),
                ("PY", .amber, [(Self.day("2026-03-01"), 2.0)]), ("BR", .clear, [(Self.day("2027-01-02"), 20.0)]),
            ] {
                let assessment = Assessment(frameworkID: framework.id, edition: framework.edition, country: country, state: .validated, tlp: tlp, createdAt: Self.day("2025-01-01"))
                try await store.insertAssessment(
                    assessment, timeline: AssessmentTimelineEntry(assessmentID: assessment.id, at: assessment.createdAt, actor: "t", phrase: Phrase("x", [:])))
                try await store.appendScores(scores.enumerated().map { index, score in
                    ScoreRecord(assessmentID: assessment.id, revision: index + 1, total: score.1, tier: "tier-4", pillars: [legal: score.1], computedAt: score.0, reason: "validated")
                })
            }

            let amber = try await store.annualReportInputs(year: 2026, clearOnly: false)
            #expect(amber.incidents.count == 4 && Set(amber.incidents.map(\.type)) == ["phishing", "infected-system"], "three of 2026 and the shared one")
            #expect(amber.sectors == [bank.id: .finance])
            #expect(amber.feedRuns == [ReportFeedRuns(feed: "DROP", format: "intelmq", runs: 2, lines: 15, stored: 13, duplicates: 1, quarantined: 1)])
            let sharing = amber.sharing.map { "\($0.flow.rawValue) \($0.peer ?? "-") \($0.tlp.rawValue) \($0.count)" }.sorted()
            #expect(sharing == ["published - TLP:AMBER 1", "published - TLP:CLEAR 2", "received CERT.xx TLP:GREEN 1", "sent CERT.xx TLP:AMBER 1", "sent CERT.xx TLP:GREEN 1"])
            #expect(amber.smeBySector == ["retail": 2, "health": 1])
            // UY: 10 now, 6 a year before; AR 14 now; PY (AMBER) 2; BR's score comes after the year.
            let scored = amber.assessments.compactMap { $0.current?.pillars[legal] }.sorted()
            #expect(scored == [2, 10, 14] && amber.assessments.compactMap { $0.previous?.pillars[legal] } == [6])
            let clear = try await store.annualReportInputs(year: 2026, clearOnly: true)
            #expect(clear.assessments.compactMap { $0.current?.pillars[legal] }.sorted() == [10, 14], "the AMBER assessment stays out of the public edition")

            let report = AnnualReportBuilder.build(year: 2026, asOf: Self.day("2027-01-15"), inputs: amber)
            let figures = Dictionary(uniqueKeysWithValues: report.sections.flatMap { s in s.figures.map { ("\(s.id).\($0.id)", $0.value) } })
            #expect(figures["incidents.incidents"] == .count(4) && figures["feeds.runs"] == .count(2) && figures["sharing.sent"] == .count(2))
            #expect(figures["sharing.published"] == .count(3) && figures["sharing.received"] == .count(1) && figures["risk.sme_results"] == .count(3))

            // Published editions: the public one only, read back equal, replaced, removed.
            let published = report.published()
            await #expect(throws: StoreError.self) { try await store.publishReport(report, at: Self.day("2027-01-16"), by: "ana") }
            try await store.publishReport(published, at: Self.day("2027-01-16"), by: "ana")
            #expect(try await store.publishedReport(year: 2026) == published)
            var later = published
            later.asOf = Self.day("2027-02-01")
            try await store.publishReport(later, at: Self.day("2027-02-02"), by: "luis")
            #expect(try await store.publishedReports().map { "\($0.year) \($0.publishedBy) \(CalendarDay.format($0.asOf))" } == ["2026 luis 2027-02-01"])
            #expect(try await store.publishedReport(year: 2025) == nil)
            let removed = try await store.unpublishReport(year: 2026)
            let again = try await store.unpublishReport(year: 2026)
            #expect(removed && !again)
            #expect(try await store.publishedReports().isEmpty)
        }
    }
}
