import Foundation

/// One answer to one question.
public enum Answer: Sendable, Hashable {
    case yes, no, partial
    /// The ids of the ticked elements, in the question's order.
    case elements([String])

    /// As stored and exchanged: `"yes"`, `"no"`, `"partial"` or an array of element ids.
    public var json: JSONValue {
        switch self {
        case .yes: .string("yes")
        case .no: .string("no")
        case .partial: .string("partial")
        case .elements(let ids): .array(ids.map(JSONValue.string))
        }
    }

    /// Checks a value given for `question`; `nil` (no answer) for JSON `null`.
    public static func check(_ value: JSONValue, for question: AssessmentFramework.Question, partialAllowed: Bool) -> Result<Answer?, Refusal> {
        switch (question.type, value) {
        case (_, .null): return .success(nil)
        case (.yesno, .string("yes")), (.yesnopartial, .string("yes")): return .success(.yes)
        case (.yesno, .string("no")), (.yesnopartial, .string("no")): return .success(.no)
        case (.yesnopartial, .string("partial")): return .success(.partial)
        case (.yesno, _):
            return .failure(Refusal("assessment.error.answer_yesno", english: "question \"\(question.id)\" is answered \"yes\" or \"no\"", ["id": question.id]))
        case (.yesnopartial, _):
            return .failure(
                Refusal("assessment.error.answer_partial", english: "question \"\(question.id)\" is answered \"yes\", \"no\" or \"partial\"", ["id": question.id]))
        case (.elements, .array(let items)):
            var ticked: Set<String> = []
            for item in items {
                guard case .string(let id) = item else {
                    return .failure(
                        Refusal("assessment.error.answer_elements", english: "question \"\(question.id)\" is answered with a list of its element ids", ["id": question.id]))
                }
                guard question.elements.contains(where: { $0.id == id }) else {
                    return .failure(
                        Refusal(
                            "assessment.error.unknown_element", english: "question \"\(question.id)\" has no element \"\(id)\"",
                            ["id": question.id, "element": id]))
                }
                guard ticked.insert(id).inserted else {
                    return .failure(
                        Refusal(
                            "assessment.error.element_twice", english: "element \"\(id)\" is ticked twice", ["id": question.id, "element": id]))
                }
            }
            return .success(.elements(question.elements.map(\.id).filter(ticked.contains)))
        case (.elements, _):
            return .failure(
                Refusal("assessment.error.answer_elements", english: "question \"\(question.id)\" is answered with a list of its element ids", ["id": question.id]))
        }
    }
}

/// A country's answers to a framework: from a file, or from an assessment's saved answers.
public struct AnswerSheet: Sendable, Equatable {
    public var country: String?
    public var answers: [String: Answer]
    /// Public evidence links per question (they count where the framework's evidence rule says so).
    public var publicLinks: [String: [String]]

    public init(country: String? = nil, answers: [String: Answer], publicLinks: [String: [String]] = [:]) {
        self.country = country
        self.answers = answers
        self.publicLinks = publicLinks
    }
}

/// A score, explained: what each answer brought to its indicator, pillar and the total.
public struct ScoreCard: Sendable, Equatable {
    public struct QuestionScore: Sendable, Equatable {
        public var id: String
        public var answer: Answer?
        /// 0…1: 1 for yes, 0 for no, the framework's partial value, or the ticked elements' share.
        public var value: Exact
        /// The question's weight over its indicator's weights.
        public var share: Exact
        /// What it brings to the total, in points.
        public var points: Exact
        /// Whether the answer counted nothing for lack of a public evidence link (evidence rule `public-link`).
        public var withheld: Bool
    }

    public struct IndicatorScore: Sendable, Equatable {
        public var id: String
        /// 0…1: the weighted mean of its questions.
        public var value: Exact
        /// The indicator's weight over its pillar's weights.
        public var share: Exact
        /// What it brings to its pillar, in points.
        public var points: Exact
        /// What its questions' weights add up to (when not one, each was divided by it).
        public var weightSum: Exact
        public var questions: [QuestionScore]
    }

    public struct PillarScore: Sendable, Equatable {
        public var id: String
        public var max: Exact
        public var score: Exact
        public var weightSum: Exact
        public var indicators: [IndicatorScore]

        /// The share of its maximum the pillar reached (0 where its maximum is 0).
        public var ratio: Exact { self.max.isZero ? .zero : self.score / self.max }
    }

    public var total: Exact
    public var maximum: Exact
    public var tier: AssessmentFramework.Tier?
    public var pillars: [PillarScore]

    /// Whether every figure was computed exactly (no weight so fine that a fraction overflowed).
    public var isExact: Bool {
        self.total.isExact && self.pillars.allSatisfy { $0.score.isExact && $0.indicators.allSatisfy { $0.value.isExact } }
    }

    public var indicators: [IndicatorScore] { self.pillars.flatMap(\.indicators) }

    /// Pillars at or above the country's own overall level (areas of relative strength), and those below
    /// it (areas of potential growth), as the GCI profiles put it.
    public var strengths: [String] {
        let level = self.maximum.isZero ? Exact.zero : self.total / self.maximum
        return self.pillars.filter { !$0.max.isZero && !($0.ratio < level) }.map(\.id)
    }

    public var growthAreas: [String] {
        let strong = Set(self.strengths)
        return self.pillars.filter { !$0.max.isZero && !strong.contains($0.id) }.map(\.id)
    }

    /// `{"total", "tier", "maximum", "pillars": {id: n}, "indicators": {id: n}, "questions": {id: n}}`, unrounded.
    public var json: JSONValue {
        var pillars: [String: JSONValue] = [:]
        var indicators: [String: JSONValue] = [:]
        var questions: [String: JSONValue] = [:]
        for pillar in self.pillars {
            pillars[pillar.id] = .double(pillar.score.double)
            for indicator in pillar.indicators {
                indicators[indicator.id] = .double(indicator.points.double)
                for question in indicator.questions { questions[question.id] = .double(question.points.double) }
            }
        }
        return .object([
            "total": .double(self.total.double), "maximum": .double(self.maximum.double), "tier": self.tier.map { .string($0.id) } ?? .null,
            "exact": .bool(self.isExact), "pillars": .object(pillars), "indicators": .object(indicators), "questions": .object(questions),
        ])
    }
}

/// The one scoring implementation, used by pages, API and command.
public enum Scoring {
    public static func score(_ sheet: AnswerSheet, with framework: AssessmentFramework) -> ScoreCard {
        var pillars: [ScoreCard.PillarScore] = []
        for pillar in framework.pillars {
            let indicatorWeights = pillar.indicators.reduce(Exact.zero) { $0 + $1.weight }
            var indicators: [ScoreCard.IndicatorScore] = []
            var pillarMean = Exact.zero
            for indicator in pillar.indicators {
                let indicatorShare = indicatorWeights.isZero ? .zero : indicator.weight / indicatorWeights
                let questionWeights = indicator.questions.reduce(Exact.zero) { $0 + $1.weight }
                var questions: [ScoreCard.QuestionScore] = []
                var indicatorValue = Exact.zero
                for question in indicator.questions {
                    let share = questionWeights.isZero ? .zero : question.weight / questionWeights
                    let answer = sheet.answers[question.id]
                    var value = Self.value(answer, of: question, partial: framework.partialValue)
                    var withheld = false
                    if framework.evidenceRule == .publicLink, !value.isZero,
                        !(sheet.publicLinks[question.id] ?? []).contains(where: EvidenceLink.isPublic)
                    {
                        value = .zero
                        withheld = true
                    }
                    indicatorValue = indicatorValue + share * value
                    questions.append(
                        .init(id: question.id, answer: answer, value: value, share: share, points: pillar.max * indicatorShare * share * value, withheld: withheld))
                }
                pillarMean = pillarMean + indicatorShare * indicatorValue
                indicators.append(
                    .init(
                        id: indicator.id, value: indicatorValue, share: indicatorShare, points: pillar.max * indicatorShare * indicatorValue,
                        weightSum: questionWeights, questions: questions))
            }
            pillars.append(.init(id: pillar.id, max: pillar.max, score: pillar.max * pillarMean, weightSum: indicatorWeights, indicators: indicators))
        }
        let total = pillars.reduce(Exact.zero) { $0 + $1.score }
        return ScoreCard(total: total, maximum: framework.maximum, tier: Self.tier(total, framework.tiers), pillars: pillars)
    }

    /// The first tier, highest `min` first, whose `min` the total reaches.
    public static func tier(_ total: Exact, _ tiers: [AssessmentFramework.Tier]) -> AssessmentFramework.Tier? {
        tiers.sorted { $1.min < $0.min }.first { !(total < $0.min) }
    }

    static func value(_ answer: Answer?, of question: AssessmentFramework.Question, partial: Exact) -> Exact {
        switch answer {
        case nil, .no?: return .zero
        case .yes?: return .one
        case .partial?: return question.type == .yesnopartial ? partial : .zero
        case .elements(let ticked)?:
            let all = question.elements.reduce(Exact.zero) { $0 + $1.weight }
            guard !all.isZero else { return .zero }
            let chosen = question.elements.filter { ticked.contains($0.id) }.reduce(Exact.zero) { $0 + $1.weight }
            return chosen / all
        }
    }
}

/// The ITU region of each ISO 3166 alpha-2 code (bundled data: `Resources/Assessment/countries.json`).
public enum Countries {
    struct Table: Decodable {
        var regions: [String]
        var countries: [String: String]
    }

    static let table: Table = {
        guard let url = Bundle.module.url(forResource: "countries", withExtension: "json", subdirectory: "Assessment"),
            let data = try? Data(contentsOf: url), let table = try? JSONDecoder().decode(Table.self, from: data)
        else { return Table(regions: [], countries: [:]) }
        return table
    }()

    /// The regions, in the order of the data file.
    public static var regions: [String] { Self.table.regions }

    /// Every assigned code (the constituency's list), sorted.
    public static var codes: [String] { Validation.countries.sorted() }

    public static func region(of code: String) -> String? { Self.table.countries[code] }

    /// The code in upper case when it is an assigned alpha-2 code (the constituency's check); `nil` otherwise.
    public static func normalise(_ code: String) -> String? { try? Validation.country(code) }
}
