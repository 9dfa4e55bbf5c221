import ConfianzaCore
import Foundation

/// Assessment figures and labels as pages show them, in the reader's language.
struct AssessmentPresenter {
    let texts: TextCatalogue
    let language: Language

    func t(_ key: String, _ arguments: [String: String] = [:]) -> String { self.texts.text(key, self.language, arguments) }

    func country(_ code: String) -> String {
        let key = "country.\(code)"
        let name = self.t(key)
        return name == key ? code : name
    }

    func region(_ code: String) -> String {
        Countries.region(of: code).map { self.t("region.\($0)") } ?? ""
    }

    func state(_ state: Assessment.State) -> String { self.t("assessment.state.\(state.rawValue)") }

    func tier(_ tier: AssessmentFramework.Tier?) -> String { tier.map { $0.title.text(self.language).isEmpty ? $0.id : $0.title.text(self.language) } ?? "—" }

    func title(_ text: LocalizedText, fallback: String) -> String {
        let shown = text.text(self.language)
        return shown.isEmpty ? fallback : shown
    }

    func frameworkName(_ framework: AssessmentFramework) -> String { "\(self.title(framework.title, fallback: framework.id)) \(framework.edition)" }

    func answer(_ answer: Answer?, _ question: AssessmentFramework.Question) -> String {
        switch answer {
        case nil: return self.t("assessment.answer.none")
        case .yes?: return self.t("assessment.answer.yes")
        case .no?: return self.t("assessment.answer.no")
        case .partial?: return self.t("assessment.answer.partial")
        case .elements(let ids)?:
            guard !ids.isEmpty else { return self.t("assessment.answer.no_elements") }
            return question.elements.filter { ids.contains($0.id) }.map { self.title($0.title, fallback: $0.id) }.joined(separator: "; ")
        }
    }

    /// Pillar bars and the radar of a score card.
    func charts(_ card: ScoreCard, _ framework: AssessmentFramework, id: String) -> (bars: String, radar: String) {
        let items = zip(card.pillars, framework.pillars).map { score, pillar in
            (label: self.title(pillar.title, fallback: pillar.id), value: "\(score.score.formatted()) / \(score.max.formatted())", share: score.ratio.double)
        }
        let bars = SVGChart.shares(id: "\(id)-bars", title: self.t("assessment.chart.bars"), items: items)
        let radar = SVGChart.radar(id: "\(id)-radar", title: self.t("assessment.chart.radar"), items: items.map { ($0.label, $0.share) })
        return (bars, radar)
    }

    /// The pillars' names of a list of ids.
    func pillarNames(_ ids: [String], _ framework: AssessmentFramework) -> String {
        ids.compactMap { id in framework.pillars.first { $0.id == id }.map { self.title($0.title, fallback: id) } }.joined(separator: ", ")
    }

    /// The rows of "explain this score": every answer and what it brought.
    func explanation(_ card: ScoreCard, _ framework: AssessmentFramework) -> [[String: Any]] {
        zip(card.pillars, framework.pillars).map { score, pillar in
            let normalised = score.weightSum != .one
            return [
                "id": pillar.id, "title": self.title(pillar.title, fallback: pillar.id), "score": score.score.formatted(), "max": score.max.formatted(),
                "normalised": normalised,
                "note": normalised ? self.t("assessment.explain.normalised_indicators", ["sum": score.weightSum.formatted(places: 4)]) : "",
                "indicators": zip(score.indicators, pillar.indicators).map { indicatorScore, indicator -> [String: Any] in
                    let qNormalised = indicatorScore.weightSum != .one
                    return [
                        "id": indicator.id, "title": self.title(indicator.title, fallback: indicator.id), "share": Self.percent(indicatorScore.share),
                        "value": Self.percent(indicatorScore.value), "points": indicatorScore.points.formatted(),
                        "note": qNormalised ? self.t("assessment.explain.normalised_questions", ["sum": indicatorScore.weightSum.formatted(places: 4)]) : "",
                        "hasNote": qNormalised,
                        "questions": zip(indicatorScore.questions, indicator.questions).map { q, question -> [String: Any] in
                            [
                                "id": question.id, "text": self.title(question.text, fallback: question.id), "answer": self.answer(q.answer, question),
                                "value": Self.percent(q.value), "share": Self.percent(q.share), "points": q.points.formatted(), "withheld": q.withheld,
                            ]
                        },
                    ]
                },
            ]
        }
    }

    static func percent(_ value: Exact) -> String { (value * Exact(100)).formatted() + " %" }
}
