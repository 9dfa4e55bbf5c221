import Foundation

/// A text a framework gives in several languages (`{"en": "…", "es": "…"}`), or one text for all.
public struct LocalizedText: Sendable, Hashable {
    public var texts: [String: String]

    public init(_ texts: [String: String]) { self.texts = texts }

    /// The text in `language`, else English, else the first language in code order.
    public func text(_ language: Language) -> String {
        self.texts[language.rawValue] ?? self.texts["en"] ?? self.texts.sorted(by: { $0.key < $1.key }).first?.value ?? ""
    }

    public static let empty = LocalizedText([:])
}

/// A framework of questions on the five pillars (or any pillars), with its weights and tiers: data,
/// loaded from JSON (see the README, "Assessment files"), never code.
public struct AssessmentFramework: Sendable, Equatable {
    public enum QuestionType: String, Sendable, CaseIterable {
        case yesno, yesnopartial, elements
    }

    /// Whether an answer must carry evidence.
    public enum EvidencePolicy: String, Sendable, CaseIterable {
        case required, optional, none
    }

    /// How evidence counts in the score. `none`: it does not (the GCI habit: evidence is checked when
    /// the assessment is reviewed). `public-link`: an answer scores only when it has a public evidence
    /// link (the NCSI habit: no public evidence, no point).
    public enum EvidenceRule: String, Sendable, CaseIterable {
        case none
        case publicLink = "public-link"
    }

    public struct Element: Sendable, Equatable {
        public var id: String
        public var weight: Exact
        public var title: LocalizedText
    }

    public struct Question: Sendable, Equatable {
        public var id: String
        public var weight: Exact
        public var type: QuestionType
        public var elements: [Element]
        public var evidence: EvidencePolicy
        public var text: LocalizedText
        public var explanation: LocalizedText
    }

    public struct Indicator: Sendable, Equatable {
        public var id: String
        public var weight: Exact
        public var title: LocalizedText
        public var questions: [Question]
    }

    public struct Pillar: Sendable, Equatable {
        public var id: String
        public var max: Exact
        public var title: LocalizedText
        public var indicators: [Indicator]
    }

    public struct Tier: Sendable, Equatable {
        public var id: String
        public var title: LocalizedText
        public var min: Exact
    }

    public var id: String
    public var edition: String
    public var title: LocalizedText
    public var description: LocalizedText
    public var partialValue: Exact
    public var evidenceRule: EvidenceRule
    public var pillars: [Pillar]
    /// Highest `min` first, as the file must list them.
    public var tiers: [Tier]
    /// The file's text, as loaded (kept, so that a revision can be shown and exported as it was).
    public var source: String

    /// The question with this id, with its pillar and indicator.
    public func locate(question id: String) -> (pillar: Pillar, indicator: Indicator, question: Question)? {
        for pillar in self.pillars {
            for indicator in pillar.indicators {
                if let question = indicator.questions.first(where: { $0.id == id }) { return (pillar, indicator, question) }
            }
        }
        return nil
    }

    public var questions: [Question] { self.pillars.flatMap { $0.indicators.flatMap(\.questions) } }

    /// The sum of the pillars' maxima: the highest total a country can reach.
    public var maximum: Exact { self.pillars.reduce(Exact.zero) { $0 + $1.max } }

    /// The weights that differ between two frameworks of the same id and edition (a new revision), as
    /// JSON paths: what changed in the methodology.
    public func methodologyDifferences(from other: AssessmentFramework) -> [String] {
        var changes: [String] = []
        if self.partialValue != other.partialValue { changes.append("partialValue") }
        if self.evidenceRule != other.evidenceRule { changes.append("evidenceRule") }
        let otherQuestions = Dictionary(other.questions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let otherIndicators = Dictionary(other.pillars.flatMap(\.indicators).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let otherPillars = Dictionary(other.pillars.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for pillar in self.pillars {
            guard let old = otherPillars[pillar.id] else {
                changes.append(pillar.id)
                continue
            }
            if old.max != pillar.max { changes.append("\(pillar.id).max") }
            for indicator in pillar.indicators {
                if otherIndicators[indicator.id]?.weight != indicator.weight { changes.append("\(indicator.id).weight") }
                for question in indicator.questions {
                    guard let oldQuestion = otherQuestions[question.id] else {
                        changes.append(question.id)
                        continue
                    }
                    if oldQuestion.weight != question.weight { changes.append("\(question.id).weight") }
                    if oldQuestion.type != question.type || oldQuestion.elements.map({ [$0.id, $0.weight.description] })
                        != question.elements.map({ [$0.id, $0.weight.description] })
                    {
                        changes.append("\(question.id).elements")
                    }
                }
            }
        }
        if Set(other.questions.map(\.id)) != Set(self.questions.map(\.id)) && !changes.contains(where: { !$0.contains(".") }) {
            changes.append("questions")
        }
        if self.tiers.map({ [$0.id, $0.min.description] }) != other.tiers.map({ [$0.id, $0.min.description] }) { changes.append("tiers") }
        return changes
    }
}

/// Why a framework or answers file was refused: a data file's refusal, said under `assessment.error.…`.
public typealias AssessmentFileError = DataFileError
