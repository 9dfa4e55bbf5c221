import ConfianzaCore
import Foundation
import Testing

/// Scenarios checked against their matrix, catalogue and threats; a new cycle as a copy of the last;
/// the comparison of two cycles (improved, worsened, unchanged, new, closed), on one matrix or across two.
@Suite struct RiskRegisterTests {
    static let organisation = UUID()

    static func scenario(_ title: String, _ likelihood: String, _ impact: String, key: UUID = UUID()) -> RiskScenario {
        let rating = RiskScenario.Rating(likelihood: likelihood, impact: impact)
        return RiskScenario(
            key: key, title: title, asset: "Billing server", threatID: "ransomware", inherent: .init(likelihood: "almost-certain", impact: "severe"),
            current: rating, residual: rating, treatment: .reduce, controls: ["PR.DS-11", "RC.RP-03"], owner: "it@example.org")
    }

    @Test func scenariosAreCheckedAgainstTheirMatrixCatalogueAndThreats() throws {
        let matrices = try RiskMatrix.bundled()
        let csf = try CSFCatalogue.bundled()
        let threats = try ThreatCatalogue.bundled(csf: csf)
        let five = try #require(matrices.first { $0.id == "5x5" })
        let good = Self.scenario("Ransomware stops billing", "likely", "major")
        #expect(good.problems(matrix: five, csf: csf, threats: threats).isEmpty)
        var bad = good
        bad.title = " "
        bad.current = .init(likelihood: "sometimes", impact: "major")
        bad.threatID = "dragons"
        bad.controls = ["PR.DS-05", "GV.OC-01"]
        let problems = bad.problems(matrix: five, csf: csf, threats: threats)
        #expect(problems.map(\.field) == ["title", "current.likelihood", "threat", "controls"])
        #expect(problems.map { $0.reason.key ?? "" } == ["risk.error.title", "risk.error.step", "risk.error.threat", "risk.error.control"])
        // A 3×3 matrix does not know the 5×5 steps.
        let three = try #require(matrices.first { $0.id == "3x3" })
        #expect(good.problems(matrix: three, csf: csf, threats: threats).count == 6)
    }

    @Test func aNewCycleStartsAsACopyAndTheComparisonSaysWhatChanged() throws {
        let five = try #require(try RiskMatrix.bundled().first { $0.id == "5x5" })
        let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        let first = RiskCycle(
            organisationID: Self.organisation, matrixID: "5x5", startedAt: start, nextReview: start.addingTimeInterval(180 * 86400),
            scenarios: [
                Self.scenario("Ransomware", "likely", "major"),  // 16 high
                Self.scenario("Phishing", "possible", "moderate"),  // 9 medium
                Self.scenario("Stolen laptop", "unlikely", "minor"),  // 4 low
                Self.scenario("Web defacement", "possible", "minor"),  // 6 medium
            ])
        #expect(first.isOverdue(at: start.addingTimeInterval(200 * 86400)) && !first.isOverdue(at: start))
        var second = first.next(startedAt: start.addingTimeInterval(180 * 86400), nextReview: nil)
        #expect(second.scenarios.map(\.key) == first.scenarios.map(\.key))
        #expect(Set(second.scenarios.map(\.id)).isDisjoint(with: first.scenarios.map(\.id)))
        #expect(CycleComparison.compare(first, on: five, with: second, on: five).rows.allSatisfy { $0.change == .unchanged })

        second.scenarios[0].current = .init(likelihood: "possible", impact: "major")  // 12: still high, lower score
        second.scenarios[1].current = .init(likelihood: "likely", impact: "major")  // 16: medium → high
        second.scenarios.remove(at: 2)  // closed
        second.scenarios.append(Self.scenario("Supplier breach", "possible", "severe"))  // new, 15 high
        let comparison = CycleComparison.compare(first, on: five, with: second, on: five)
        #expect(comparison.rows.map(\.change) == [.improved, .worsened, .unchanged, .new, .closed])
        #expect(comparison.rows[0].before?.score == 16 && comparison.rows[0].after?.score == 12 && comparison.rows[0].after?.level == "high")
        #expect(comparison.rows[1].before?.level == "medium" && comparison.rows[1].after?.level == "high")
        #expect(comparison.rows[3].before == nil && comparison.rows[3].after?.level == "high")
        #expect(comparison.rows[4].title == "Stolen laptop" && comparison.rows[4].after == nil)
        #expect(comparison.count(.improved) == 1 && comparison.count(.new) == 1 && comparison.count(.closed) == 1)
    }

    /// A register that moves to another matrix is compared by each level's rank in its own matrix.
    @Test func cyclesOnDifferentMatricesCompareByLevelRank() throws {
        let matrices = try RiskMatrix.bundled()
        let five = try #require(matrices.first { $0.id == "5x5" })
        let three = try #require(matrices.first { $0.id == "3x3" })
        let key = UUID()
        let before = RiskCycle(organisationID: Self.organisation, matrixID: "5x5", startedAt: Date(), scenarios: [Self.scenario("Ransomware", "likely", "major", key: key)])
        var scenario = Self.scenario("Ransomware", "medium", "medium", key: key)  // 4 on 3×3: medium (rank 1) against high (rank 2)
        scenario.inherent = .init(likelihood: "high", impact: "high")
        let after = RiskCycle(organisationID: Self.organisation, matrixID: "3x3", startedAt: Date(), scenarios: [scenario])
        #expect(CycleComparison.compare(before, on: five, with: after, on: three).rows.map(\.change) == [.improved])
    }
}
