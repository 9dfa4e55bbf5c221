import ConfianzaCore
import Foundation
import Testing

/// The SME self-assessment: the bundled questionnaire, questions adapted to size and sector, answers
/// outside the choices refused with nothing kept, resume codes that round-trip and refuse typos, and
/// the action plan's order computed by hand.
@Suite struct SMEAssessmentTests {
    static let csf = try! CSFCatalogue.bundled()
    static let questionnaire = try! SMEQuestionnaire.bundled(csf: Self.csf)

    static func text() throws -> String {
        let url = try #require(CSFCatalogue.bundledURL).deletingLastPathComponent().appendingPathComponent("sme-self-assessment.json")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func theBundledQuestionnaireHasThirtyQuestionsInEveryLanguageOnEveryFunction() throws {
        let q = Self.questionnaire
        #expect(q.questions.count == 30)
        #expect(Set(q.questions.map(\.function)) == Set(CSFCatalogue.functionOrder))
        for question in q.questions {
            for language in ["en", "es", "fr"] {
                for text in [question.text, question.why, question.action] { #expect(!(text.texts[language] ?? "").isEmpty, "\(question.id) \(language)") }
            }
            #expect(Self.csf.category(question.category) != nil)
        }
        for option in q.sizes + q.sectors { #expect(option.title.texts.count == 3) }
    }

    @Test func questionsAreAdaptedToSizeAndSector() throws {
        let q = Self.questionnaire
        let micro = q.steps(for: SMEProfile(size: "micro", sector: "other")).flatMap(\.questions).map(\.id)
        let medium = q.steps(for: SMEProfile(size: "medium", sector: "health")).flatMap(\.questions).map(\.id)
        let shop = q.steps(for: SMEProfile(size: "small", sector: "retail")).flatMap(\.questions).map(\.id)
        #expect(!micro.contains("gv-policy") && !micro.contains("pr-remote") && !micro.contains("pr-cards") && !micro.contains("pr-records"))
        #expect(medium.contains("id-lessons") && medium.contains("pr-records") && !medium.contains("pr-cards"))
        #expect(shop.contains("pr-cards") && !shop.contains("id-lessons"))
        #expect(micro.count == 24 && medium.count == 29 && shop.count == 28)
        #expect(q.steps(for: SMEProfile(size: "micro", sector: "other")).map(\.function) == ["GV", "ID", "PR", "DE", "RS", "RC"])
    }

    @Test func anAnswerOutsideTheChoicesIsRefusedAndNothingIsKept() throws {
        let q = Self.questionnaire
        #expect(throws: SMEError.profile(field: "size", value: "huge")) { _ = try SMEAnswers.start(size: "huge", sector: "retail", in: q) }
        #expect(throws: SMEError.profile(field: "sector", value: "mining")) { _ = try SMEAnswers.start(size: "micro", sector: "mining", in: q) }
        var answers = try SMEAnswers.start(size: "micro", sector: "other", in: q)
        let refused = answers.record(["gv-owner": "yes", "gv-risks": "maybe", "pr-cards": "yes", "nope": "no"], in: q)
        #expect(refused.keys.sorted() == ["gv-risks", "nope", "pr-cards"])
        #expect(refused["gv-risks"] == .choice(question: "gv-risks", value: "maybe"))
        #expect(answers.answers.isEmpty)
        #expect(answers.record(["gv-owner": "yes", "gv-risks": "no"], in: q).isEmpty)
        #expect(answers.answers == ["gv-owner": "yes", "gv-risks": "no"])
        #expect(answers.firstOpenStep(in: q) == 0)
    }

    @Test func resumeCodesRoundTripAndRefuseTyposAndOtherQuestionnaires() throws {
        let q = Self.questionnaire
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let size = q.sizes.randomElement(using: &generator)!.id
            let sector = q.sectors.randomElement(using: &generator)!.id
            var answers = try SMEAnswers.start(size: size, sector: sector, in: q)
            for question in q.questions where question.applies(to: answers.profile) && Bool.random(using: &generator) {
                answers.answers[question.id] = q.choices.randomElement(using: &generator)!.id
            }
            let code = SMEResumeCode.encode(answers, in: q)
            #expect(code.count <= 30 && code.allSatisfy { $0 == "-" || $0.isNumber || $0.isUppercase })
            #expect(try SMEResumeCode.decode(code, in: q) == answers)
            #expect(try SMEResumeCode.decode(code.lowercased().replacingOccurrences(of: "-", with: " "), in: q) == answers)
            // One character changed (a CRC-10 catches every such burst), or one dropped: refused, never read as other answers.
            var characters = Array(code.replacingOccurrences(of: "-", with: ""))
            let position = Int.random(in: 0..<characters.count, using: &generator)
            let original = characters[position]
            characters[position] = SMEResumeCodeAlphabet.all.first { $0 != original && !($0 == "0" && original == "0") }!
            #expect(throws: SMEError.code) { _ = try SMEResumeCode.decode(String(characters), in: q) }
            #expect(throws: SMEError.code) { _ = try SMEResumeCode.decode(String(code.dropLast()), in: q) }
        }
        for bad in ["", "hello", "UUUU-UUUU", String(repeating: "Z", count: 200), "é"] {
            #expect(throws: SMEError.code) { _ = try SMEResumeCode.decode(bad, in: q) }
        }
        // A code of another version of the questionnaire (a question added) is called stale.
        var other = q
        other.questions.append(q.questions[0])
        other.questions[other.questions.count - 1].id = "new-question"
        let answers = try SMEAnswers.start(size: "small", sector: "retail", in: other)
        #expect(throws: SMEError.staleCode) { _ = try SMEResumeCode.decode(SMEResumeCode.encode(answers, in: other), in: q) }
    }

    /// Priority = impact × points missing × (2 for an emphasised sector) × 6 ÷ effort; ties in questionnaire order.
    @Test func theActionPlanIsOrderedByPriorityComputedByHand() throws {
        let q = Self.questionnaire
        var answers = try SMEAnswers.start(size: "micro", sector: "retail", in: q)
        let asked = q.steps(for: answers.profile).flatMap(\.questions)
        for question in asked { answers.answers[question.id] = "yes" }
        answers.answers["gv-risks"] = "no"  // medium impact 2, low effort 1: 2 × 3 × 6 = 36
        answers.answers["pr-mfa"] = "partly"  // high 3, low 1, emphasised for retail: 3 × 2 × 2 × 6 = 72
        answers.answers["pr-backup"] = "unsure"  // high 3, medium effort 2: 3 × 3 × 6 / 2 = 27
        answers.answers["pr-cards"] = "mostly"  // high 3, medium 2, emphasised: 3 × 1 × 2 × 6 / 2 = 18
        answers.answers["rs-report"] = "no"  // medium 2, low 1: 36, after gv-risks (questionnaire order)
        answers.answers["de-alerts"] = "mostly"  // medium 2, low 1: 2 × 1 × 6 = 12
        let result = SMEResult.evaluate(answers, in: q)
        #expect(result.actions.map(\.question.id) == ["pr-mfa", "gv-risks", "rs-report", "pr-backup", "pr-cards", "de-alerts"])
        #expect(result.actions.map(\.priority) == [72, 36, 36, 27, 18, 12])
        #expect(result.actions.first?.emphasised == true && result.actions.first?.choice == "partly")
        // GV: 4 questions for a micro retailer (no written rules asked), one at 0 → 9 of 12 points = 75 % (tier 3, from 65).
        let govern = try #require(result.functions.first { $0.function == "GV" })
        #expect(govern.asked == 4 && govern.percent == 75 && govern.tier?.tier == 3)
        let recover = try #require(result.functions.first { $0.function == "RC" })
        #expect(recover.percent == 100 && recover.tier?.tier == 4)
        // Nothing answered: every function at 0, tier 1, every question an action.
        let empty = SMEResult.evaluate(try SMEAnswers.start(size: "micro", sector: "retail", in: q), in: q)
        #expect(empty.percent == 0 && empty.tier?.tier == 1 && empty.actions.count == asked.count)
    }

    @Test(arguments: [
        ("\"category\": \"GV.RR\"", "\"category\": \"GV.XX\"", "csf_unknown"),
        ("\"effort\": \"low\"", "\"effort\": \"tiny\"", "sme_weight"),
        ("\"sizes\": [\n    \"small\"", "\"sizes\": [\n    \"giant\"", "sme_unknown"),
        ("\"id\": \"gv-risks\"", "\"id\": \"gv-owner\"", "duplicate"),
        ("\"guide\": \"https://nvlpubs", "\"guide\": \"javascript:alert(1)//nvlpubs", "sme_link"),
        ("\"min\": 40", "\"min\": 0", "sme_tiers"),
    ])
    func aDamagedQuestionnaireIsRefusedAtItsPlace(find: String, replace: String, reason: String) throws {
        let text = try Self.text()
        #expect(text.contains(find), "\(find)")
        do {
            _ = try SMEQuestionnaire.load(text.replacingOccurrences(of: find, with: replace), file: "sme.json", csf: Self.csf)
            Issue.record("accepted \(replace)")
        } catch {
            guard case .invalid(_, let path, let refusal) = error else { Issue.record("\(error)"); return }
            #expect(refusal.key == "data.error.\(reason)", "\(path) \(refusal)")
            #expect(path.hasPrefix("$."))
        }
    }

    @Test func truncatedOrEmptyQuestionnairesAreRefusedWithoutACrash() throws {
        let text = try Self.text()
        for cut in stride(from: 0, to: text.utf8.count, by: 997) {
            let prefix = String(decoding: Array(text.utf8.prefix(cut)), as: UTF8.self)
            #expect(throws: DataFileError.self) { _ = try SMEQuestionnaire.load(prefix, file: "sme.json", csf: Self.csf) }
        }
    }
}

/// The code's characters, for the typo test.
enum SMEResumeCodeAlphabet {
    static let all = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
}
