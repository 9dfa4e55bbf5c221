import ConfianzaCore
import Foundation

/// Risk registers and self-assessments as pages show them, in the reader's language.
struct RiskPresenter {
    let texts: TextCatalogue
    let language: Language
    let catalogues: RiskCatalogues

    func t(_ key: String, _ arguments: [String: String] = [:]) -> String { self.texts.text(key, self.language, arguments) }

    func text(_ value: LocalizedText, fallback: String) -> String {
        let shown = value.text(self.language)
        return shown.isEmpty ? fallback : shown
    }

    /// The level of a rating on a matrix, as a chip: its title, colour and the ink that reads on it.
    func level(_ rating: RiskScenario.Rating, on matrix: RiskMatrix) -> [String: Any] {
        guard let l = matrix.rank(likelihood: rating.likelihood), let i = matrix.rank(impact: rating.impact), let level = matrix.level(likelihood: l, impact: i) else {
            return ["title": "—", "colour": "#ffffff", "ink": "#000000", "id": "", "score": 0]
        }
        return [
            "title": self.text(level.title, fallback: level.id), "colour": level.colour, "ink": RiskCharts.ink(on: level.colour), "id": level.id,
            "score": l * i, "likelihood": self.step(rating.likelihood, in: matrix.likelihood), "impact": self.step(rating.impact, in: matrix.impact),
        ]
    }

    func step(_ id: String, in steps: [RiskMatrix.Step]) -> String {
        steps.first { $0.id == id }.map { self.text($0.title, fallback: id) } ?? id
    }

    func threat(_ id: String?) -> String {
        guard let id else { return "" }
        return self.catalogues.threats.threat(id).map { self.text($0.title, fallback: id) } ?? id
    }

    func matrixName(_ matrix: RiskMatrix) -> String { self.text(matrix.title, fallback: matrix.id) }

    func treatment(_ treatment: RiskScenario.Treatment) -> String { self.t("risk.treatment.\(treatment.rawValue)") }

    /// A scenario as a table row.
    func row(_ scenario: RiskScenario, cycle: StoredCycle) -> [String: Any] {
        [
            "id": scenario.id.uuidString, "title": scenario.title, "asset": scenario.asset, "threat": self.threat(scenario.threatID),
            "inherent": self.level(scenario.inherent, on: cycle.matrix), "current": self.level(scenario.current, on: cycle.matrix),
            "residual": self.level(scenario.residual, on: cycle.matrix), "treatment": self.treatment(scenario.treatment),
            "controls": scenario.controls.joined(separator: " "), "owner": scenario.owner, "due": scenario.due.map(Self.day) ?? "",
            "href": "/risk/cycles/\(cycle.cycle.id.uuidString)/scenarios/\(scenario.id.uuidString)",
        ]
    }

    /// The heat maps of a cycle: current and residual.
    func heatMaps(_ stored: StoredCycle) -> (current: String, residual: String) {
        let likelihood = self.t("risk.likelihood")
        let impact = self.t("risk.impact")
        return (
            RiskCharts.heatMap(
                id: "heatmap-current", title: self.t("risk.chart.heat_current"), matrix: stored.matrix, counts: RiskCharts.counts(stored, rating: \.current),
                language: self.language, likelihoodLabel: likelihood, impactLabel: impact),
            RiskCharts.heatMap(
                id: "heatmap-residual", title: self.t("risk.chart.heat_residual"), matrix: stored.matrix, counts: RiskCharts.counts(stored, rating: \.residual),
                language: self.language, likelihoodLabel: likelihood, impactLabel: impact)
        )
    }

    /// `YYYY-MM-DD` in UTC.
    static func day(_ date: Date) -> String { CalendarDay.format(date) }

    /// A `YYYY-MM-DD` date (UTC midnight), or `nil` for anything else.
    static func parseDay(_ text: String) -> Date? { CalendarDay.parse(text) }
}
