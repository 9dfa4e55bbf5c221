import Crypto
import Foundation

/// Why a self-assessment step or code was refused, in words a business owner can act on.
public enum SMEError: ExplainedError, Equatable {
    /// The code is not one this site made (mistyped, cut short).
    case code
    /// The code was made for an earlier version of the questionnaire.
    case staleCode
    /// An answer that is not one of the question's choices.
    case choice(question: String, value: String)
    /// A size band or sector that is not in the questionnaire.
    case profile(field: String, value: String)

    public var description: String {
        switch self {
        case .code: "this code is not a self-assessment code: check it letter by letter"
        case .staleCode: "this code was made for an earlier version of the questionnaire; please start again"
        case .choice(let question, let value): "\"\(value)\" is not one of the choices of question \(question)"
        case .profile(let field, let value): "\"\(value)\" is not a \(field) of the questionnaire"
        }
    }

    public var phrase: Phrase? {
        switch self {
        case .code: Phrase("sme.error.code")
        case .staleCode: Phrase("sme.error.stale")
        case .choice(let question, let value): Phrase("sme.error.choice", ["question": question, "value": value])
        case .profile(let field, let value): Phrase("sme.error.profile.\(field)", ["value": value])
        }
    }
}

/// A business's answers so far: its profile and a choice per question answered.
public struct SMEAnswers: Sendable, Equatable {
    public var profile: SMEProfile
    public var answers: [String: String]

    public init(profile: SMEProfile, answers: [String: String] = [:]) {
        self.profile = profile
        self.answers = answers
    }

    /// A profile checked against the questionnaire.
    public static func start(size: String, sector: String, in questionnaire: SMEQuestionnaire) throws(SMEError) -> SMEAnswers {
        guard questionnaire.sizes.contains(where: { $0.id == size }) else { throw .profile(field: "size", value: size) }
        guard questionnaire.sectors.contains(where: { $0.id == sector }) else { throw .profile(field: "sector", value: sector) }
        return SMEAnswers(profile: SMEProfile(size: size, sector: sector))
    }

    /// Records answers (question → choice); every one is checked first and none is kept if one is wrong.
    /// Returns the refusals by question (empty when all were kept).
    public mutating func record(_ given: [String: String], in questionnaire: SMEQuestionnaire) -> [String: SMEError] {
        var refused: [String: SMEError] = [:]
        for (questionID, choiceID) in given {
            guard let question = questionnaire.question(questionID), question.applies(to: self.profile) else {
                refused[questionID] = .choice(question: questionID, value: choiceID)
                continue
            }
            if questionnaire.choice(choiceID) == nil { refused[questionID] = .choice(question: question.id, value: choiceID) }
        }
        if refused.isEmpty { self.answers.merge(given) { _, new in new } }
        return refused
    }

    /// The index of the first step with a question unanswered, or `nil` when every question is answered.
    public func firstOpenStep(in questionnaire: SMEQuestionnaire) -> Int? {
        questionnaire.steps(for: self.profile).firstIndex { step in step.questions.contains { self.answers[$0.id] == nil } }
    }
}

/// What the answers say: a share of points and a tier per CSF function, and the action plan.
public struct SMEResult: Sendable, Equatable {
    public struct FunctionMaturity: Sendable, Equatable {
        public var function: String
        /// Points as a whole percentage of the points possible (rounded down); unanswered questions count 0.
        public var percent: Int
        public var tier: SMEQuestionnaire.Tier?
        public var asked: Int
    }

    /// One action: a question not fully met, with how much it weighs in the plan.
    public struct Action: Sendable, Equatable {
        public var question: SMEQuestionnaire.Question
        public var choice: String?
        /// impact × points missing × (2 where the business's sector is emphasised) × 6 ÷ effort: whole, so the order is exact.
        public var priority: Int
        public var emphasised: Bool
    }

    public var functions: [FunctionMaturity]
    public var percent: Int
    public var tier: SMEQuestionnaire.Tier?
    public var actions: [Action]

    /// The maturity per function and the plan: actions by priority (highest first); ties keep the questionnaire's order.
    public static func evaluate(_ answers: SMEAnswers, in questionnaire: SMEQuestionnaire) -> SMEResult {
        let maximum = questionnaire.maxPoints
        var functions: [FunctionMaturity] = []
        var totalPoints = 0
        var totalPossible = 0
        var actions: [(order: Int, action: Action)] = []
        var order = 0
        for step in questionnaire.steps(for: answers.profile) {
            var points = 0
            for question in step.questions {
                let choice = answers.answers[question.id].flatMap(questionnaire.choice)
                let got = choice?.points ?? 0
                points += got
                if got < maximum {
                    let emphasised = question.emphasis.contains(answers.profile.sector)
                    let priority = question.impact.value * (maximum - got) * (emphasised ? 2 : 1) * 6 / question.effort.value
                    actions.append((order, Action(question: question, choice: choice?.id, priority: priority, emphasised: emphasised)))
                }
                order += 1
            }
            let possible = maximum * step.questions.count
            let percent = possible == 0 ? 0 : points * 100 / possible
            functions.append(FunctionMaturity(function: step.function, percent: percent, tier: questionnaire.tier(percent: percent), asked: step.questions.count))
            totalPoints += points
            totalPossible += possible
        }
        let percent = totalPossible == 0 ? 0 : totalPoints * 100 / totalPossible
        let plan = actions.sorted { $0.action.priority != $1.action.priority ? $0.action.priority > $1.action.priority : $0.order < $1.order }.map(\.action)
        return SMEResult(functions: functions, percent: percent, tier: questionnaire.tier(percent: percent), actions: plan)
    }
}

/// A code from which a business resumes its self-assessment, on any computer, without the site keeping
/// anything: the profile and every answer packed into bits (three per question), a byte naming the
/// questionnaire's version, and a CRC-10, written in Crockford's base 32 in groups of four.
public enum SMEResumeCode {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// A byte that changes when the questions or choices change, so an old code is refused, not misread.
    static func fingerprint(_ questionnaire: SMEQuestionnaire) -> Int {
        let text = ([questionnaire.id] + questionnaire.sizes.map(\.id) + ["|"] + questionnaire.sectors.map(\.id) + ["|"] + questionnaire.choices.map(\.id)
            + ["|"] + questionnaire.questions.map(\.id)).joined(separator: ",")
        return Int(SHA256.hash(data: Data(text.utf8)).first { _ in true } ?? 0)
    }

    /// CRC-10 (x¹⁰+x⁹+x⁵+x⁴+x+1) of the bits: it catches every burst of up to ten bits, so every mistyped
    /// or swapped pair of characters.
    static func check(_ bits: [Bool]) -> Int {
        var crc = 0
        for bit in bits {
            let top = (crc >> 9) & 1 == 1
            crc = (crc << 1) & 0x3FF
            if top != bit { crc ^= 0x233 }
        }
        return crc
    }

    static func append(_ value: Int, width: Int, to bits: inout [Bool]) {
        for shift in stride(from: width - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
    }

    public static func encode(_ answers: SMEAnswers, in questionnaire: SMEQuestionnaire) -> String {
        var bits: [Bool] = []
        Self.append(Self.fingerprint(questionnaire), width: 8, to: &bits)
        Self.append(questionnaire.sizes.firstIndex { $0.id == answers.profile.size } ?? 0, width: 5, to: &bits)
        Self.append(questionnaire.sectors.firstIndex { $0.id == answers.profile.sector } ?? 0, width: 5, to: &bits)
        for question in questionnaire.questions {
            let index = answers.answers[question.id].flatMap { id in questionnaire.choices.firstIndex { $0.id == id } }
            Self.append(index.map { $0 + 1 } ?? 0, width: 3, to: &bits)
        }
        Self.append(Self.check(bits), width: 10, to: &bits)
        while bits.count % 5 != 0 { bits.append(false) }
        var characters: [Character] = []
        for start in stride(from: 0, to: bits.count, by: 5) {
            characters.append(Self.alphabet[bits[start..<start + 5].reduce(0) { $0 << 1 | ($1 ? 1 : 0) }])
        }
        return stride(from: 0, to: characters.count, by: 4).map { String(characters[$0..<min($0 + 4, characters.count)]) }.joined(separator: "-")
    }

    public static func decode(_ code: String, in questionnaire: SMEQuestionnaire) throws(SMEError) -> SMEAnswers {
        var bits: [Bool] = []
        for character in code.uppercased() where !"- +\t\n\r".contains(character) {
            let normal: Character =
                switch character {
                case "O": "0"
                case "I", "L": "1"
                default: character
                }
            guard let value = Self.alphabet.firstIndex(of: normal) else { throw .code }
            Self.append(value, width: 5, to: &bits)
        }
        func read(_ start: Int, _ width: Int) -> Int { bits[start..<start + width].reduce(0) { $0 << 1 | ($1 ? 1 : 0) } }
        // The code's own layout first (what it holds, then its check, then under five bits of padding), so a
        // whole code of another questionnaire version is told apart from a mistyped one.
        let padding = (0..<5).first { pad in
            let length = bits.count - pad - 10
            return length >= 18 && (length - 18) % 3 == 0 && !bits[(bits.count - pad)...].contains(true)
        }
        guard let padding else { throw .code }
        let length = bits.count - padding - 10
        guard read(length, 10) == Self.check(Array(bits[0..<length])) else { throw .code }
        guard read(0, 8) == Self.fingerprint(questionnaire) else { throw .staleCode }
        guard length == 8 + 5 + 5 + 3 * questionnaire.questions.count else { throw .code }
        let size = read(8, 5)
        let sector = read(13, 5)
        guard size < questionnaire.sizes.count, sector < questionnaire.sectors.count else { throw .code }
        var answers = SMEAnswers(profile: SMEProfile(size: questionnaire.sizes[size].id, sector: questionnaire.sectors[sector].id))
        for (index, question) in questionnaire.questions.enumerated() {
            let value = read(18 + 3 * index, 3)
            guard value <= questionnaire.choices.count else { throw .code }
            if value > 0, question.applies(to: answers.profile) { answers.answers[question.id] = questionnaire.choices[value - 1].id }
        }
        return answers
    }
}
