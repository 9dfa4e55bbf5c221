import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Testing

@testable import ConfianzaStore

/// Risk registers on every backend: a custom 4×4 matrix, a first cycle built on it, a second started
/// as a copy, two risks changed, the comparison; overdue reviews; shared SME results.
@Suite struct RiskStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)
    static let catalogues = try! RiskCatalogues.bundled()

    /// A custom 4×4 with its own labels, colours and boundaries (1–2, 3–6, 7–11, 12–16).
    static let customMatrix = """
        {"id": "ministry-4x4", "title": {"en": "Ministry 4×4", "es": "Ministerio 4×4", "fr": "Ministère 4×4"},
         "likelihood": [{"id": "rare", "title": "Rare"}, {"id": "seldom", "title": "Seldom"}, {"id": "often", "title": "Often"}, {"id": "constant", "title": "Constant"}],
         "impact": [{"id": "minor", "title": "Minor"}, {"id": "moderate", "title": "Moderate"}, {"id": "serious", "title": "Serious"}, {"id": "severe", "title": "Severe"}],
         "levels": [{"id": "green", "title": "Low", "colour": "#2e7d32", "min": 1, "max": 2},
                    {"id": "amber", "title": "Medium", "colour": "gold", "min": 3, "max": 6},
                    {"id": "red", "title": "High", "colour": "#c62828", "min": 7, "max": 11},
                    {"id": "black", "title": "Critical", "colour": "#000", "min": 12, "max": 16}]}
        """

    static func scenario(_ title: String, current: (String, String), threat: String? = "ransomware") -> RiskScenario {
        RiskScenario(
            title: title, asset: "Payroll server", threatID: threat, inherent: .init(likelihood: "constant", impact: "severe"),
            current: .init(likelihood: current.0, impact: current.1), residual: .init(likelihood: "rare", impact: "minor"), treatment: .reduce,
            controls: ["PR.DS-11", "RC.RP-01"], owner: "IT lead", due: Self.t0.addingTimeInterval(86_400 * 60))
    }

    @Test(arguments: TestBackend.available)
    func aRegisterOnACustomMatrixGoesThroughTwoCycles(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let clock = TestClock(start: Self.t0)
            let service = RiskService(store: store, catalogues: Self.catalogues, now: { clock.now })
            let ministry = Organisation(name: "Ministerio de Salud", sector: .government, country: "UY", kind: .public, notes: "", tlpCeiling: .amber, createdAt: Self.t0)
            try await store.insertOrganisation(ministry)

            let matrix = try await service.addMatrix(Self.customMatrix, file: "ministry.json", by: "ana", address: "test")
            #expect(matrix.size == 4 && matrix.level(likelihood: 3, impact: 4)?.id == "black" && matrix.levels[1].colour == "#ffd700")
            await #expect(throws: RiskError.matrixExists("ministry-4x4")) { _ = try await service.addMatrix(Self.customMatrix, file: "again.json", by: "ana", address: nil) }
            await #expect(throws: RiskError.matrixExists("4x4")) {
                _ = try await service.addMatrix(Self.customMatrix.replacingOccurrences(of: "ministry-4x4", with: "4x4"), file: "x.json", by: "ana", address: nil)
            }
            await #expect(throws: RiskError.self) {
                _ = try await service.addMatrix(Self.customMatrix.replacingOccurrences(of: "\"min\": 3", with: "\"min\": 4"), file: "gap.json", by: "ana", address: nil)
            }
            #expect(try await service.matrices().map(\.matrix.id) == ["3x3", "4x4", "5x5", "ministry-4x4"])
            await #expect(throws: RiskError.unknownMatrix("9x9")) {
                _ = try await service.startCycle(organisationID: ministry.id, matrixID: "9x9", nextReview: nil, by: "ana", address: nil)
            }
            await #expect(throws: RiskError.unknownOrganisation(UUID(uuidString: "00000000-0000-0000-0000-000000000001")!.uuidString)) {
                _ = try await service.startCycle(
                    organisationID: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, matrixID: "4x4", nextReview: nil, by: "ana", address: nil)
            }

            // First cycle: three scenarios, one refused for a step the matrix does not have.
            let first = try await service.startCycle(
                organisationID: ministry.id, matrixID: "ministry-4x4", nextReview: Self.t0.addingTimeInterval(86_400 * 30), by: "ana", address: "test")
            let ransomware = Self.scenario("Ransomware on payroll", current: ("often", "severe"))
            let phishing = Self.scenario("Phishing of staff", current: ("often", "moderate"), threat: "phishing")
            let outage = Self.scenario("Data centre outage", current: ("seldom", "serious"), threat: nil)
            for scenario in [ransomware, phishing, outage] { try await service.saveScenario(scenario, cycleID: first.cycle.id, by: "ana", address: nil) }
            var wrong = Self.scenario("Wrong", current: ("likely", "severe"))
            wrong.controls = ["PR.DS-03"]
            do {
                try await service.saveScenario(wrong, cycleID: first.cycle.id, by: "ana", address: nil)
                Issue.record("a scenario with a step of another matrix was kept")
            } catch let RiskError.invalid(problems) {
                #expect(problems.map(\.field) == ["current.likelihood", "controls"])
            }
            let kept = try #require(try await store.cycle(id: first.cycle.id))
            #expect(kept.cycle.scenarios.map(\.title) == ["Ransomware on payroll", "Phishing of staff", "Data centre outage"])
            #expect(kept.cycle.scenarios[0] == ransomware && kept.matrix.id == "ministry-4x4")
            #expect(RiskService.levelCounts(kept, rating: \.current) == [0, 2, 0, 1])
            #expect(RiskService.levelCounts(kept, rating: \.inherent) == [0, 0, 0, 3])
            #expect(try await service.comparison(first.cycle.id) == nil)

            // Second cycle, a month later: a copy with the same keys; two risks change, one closes, one is new.
            clock.advance(86_400 * 31)
            #expect(try await store.overdueCycles(at: clock.now, limit: 10).map(\.id) == [first.cycle.id])
            let second = try await service.startCycle(
                organisationID: ministry.id, matrixID: "3x3", nextReview: clock.now.addingTimeInterval(86_400 * 90), by: "ana", address: nil)
            #expect(second.matrix.id == "ministry-4x4", "a new cycle keeps the last cycle's matrix")
            #expect(second.cycle.scenarios.map(\.key) == kept.cycle.scenarios.map(\.key))
            #expect(Set(second.cycle.scenarios.map(\.id)).isDisjoint(with: kept.cycle.scenarios.map(\.id)))
            #expect(try await store.overdueCycles(at: clock.now, limit: 10).isEmpty, "only the latest cycle counts")
            var better = second.cycle.scenarios[0]
            better.current = .init(likelihood: "seldom", impact: "moderate")
            var worse = second.cycle.scenarios[1]
            worse.current = .init(likelihood: "constant", impact: "serious")
            try await service.saveScenario(better, cycleID: second.cycle.id, by: "ana", address: nil)
            try await service.saveScenario(worse, cycleID: second.cycle.id, by: "ana", address: nil)
            try await service.deleteScenario(id: second.cycle.scenarios[2].id, cycleID: second.cycle.id, by: "ana", address: nil)
            try await service.saveScenario(Self.scenario("Website defacement", current: ("rare", "moderate"), threat: "web-attack"), cycleID: second.cycle.id, by: "ana", address: nil)
            await #expect(throws: RiskError.notFound) {
                try await service.saveScenario(better, cycleID: first.cycle.id, by: "ana", address: nil)  // another cycle's scenario id
            }
            let compared = try #require(try await service.comparison(second.cycle.id))
            #expect(compared.previous.cycle.id == first.cycle.id)
            let changes = Dictionary(uniqueKeysWithValues: compared.comparison.rows.map { ($0.title, $0.change) })
            #expect(changes == ["Ransomware on payroll": .improved, "Phishing of staff": .worsened, "Data centre outage": .closed, "Website defacement": .new])
            #expect(compared.comparison.rows.first { $0.title == "Ransomware on payroll" }.map { [$0.before?.level, $0.after?.level] } == ["black", "amber"])
            let trend = try await service.trend(organisationID: ministry.id)
            #expect(trend.map(\.levels) == [[0, 2, 0, 1], [1, 1, 0, 1]])
            #expect(try await store.cycleHeaders(organisationID: nil).map(\.scenarios) == [3, 3])
            #expect(try await store.cycleHeaders(organisationID: nil).first?.organisationName == "Ministerio de Salud")

            try await service.setNextReview(clock.now.addingTimeInterval(-60), cycleID: second.cycle.id, by: "ana", address: nil)
            #expect(try await store.overdueCycles(at: clock.now, limit: 10).map(\.id) == [second.cycle.id])
            await #expect(throws: RiskError.notFound) { try await service.setNextReview(nil, cycleID: UUID(), by: "ana", address: nil) }
            let audit = try await store.auditEntries(limit: 50, before: nil).map(\.event.action)
            #expect(audit.contains(.riskMatrixAdded) && audit.contains(.riskCycleStarted) && audit.contains(.riskScenarioDeleted))
        }
    }

    @Test(arguments: TestBackend.available)
    func sharedSMEResultsKeepTheDayAndNoNameUnlessGiven(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let service = RiskService(store: store, catalogues: Self.catalogues, now: { Self.t0 })
            let q = Self.catalogues.sme
            var answers = try SMEAnswers.start(size: "small", sector: "retail", in: q)
            for question in q.steps(for: answers.profile).flatMap(\.questions) { answers.answers[question.id] = "mostly" }
            let anonymous = try await service.shareSME(answers, business: "  ")
            let named = try await service.shareSME(answers, business: "Almacén Rivera")
            let kept = try await store.smeResults(limit: 10)
            #expect(kept.count == 2)
            let first = try #require(kept.first { $0.id == anonymous.id })
            #expect(first.business == nil && first.sector == "retail" && first.size == "small" && first.percent == 66)
            #expect(first.functions == ["GV": 66, "ID": 66, "PR": 66, "DE": 66, "RS": 66, "RC": 66])
            #expect(first.sharedOn.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) == 0)
            #expect(try SMEResumeCode.decode(first.answers, in: q) == answers)
            #expect(kept.first { $0.id == named.id }?.business == "Almacén Rivera")
        }
    }
}
