import ConfianzaCore
import Foundation
import Testing

/// The scoring of the assessment files, against values computed by hand, and every refusal with its place.
@Suite struct AssessmentScoringTests {
    /// Two pillars: "law" (max 20) with indicators weighted 3 and 1 (not summing to one: normalised),
    /// "tech" (max 10) with one indicator of an elements question and a partial one.
    static let framework = """
        {"id": "t", "edition": 2025, "title": {"en": "Test", "es": "Prueba"}, "partialValue": 0.25,
         "pillars": [
          {"id": "law", "max": 20, "title": "Law", "indicators": [
            {"id": "law.a", "weight": 3, "questions": [
              {"id": "q1", "weight": 1, "type": "yesno", "evidence": "required", "text": "Q1?"},
              {"id": "q2", "weight": 1, "type": "yesno", "text": "Q2?"},
              {"id": "q3", "weight": 1, "type": "yesno", "text": "Q3?"}]},
            {"id": "law.b", "weight": 1, "questions": [{"id": "q4", "type": "yesnopartial", "text": "Q4?"}]}]},
          {"id": "tech", "max": 10, "indicators": [
            {"id": "tech.a", "questions": [
              {"id": "q5", "weight": 0.6, "type": "elements", "text": "Q5?", "elements": [
                {"id": "e1", "weight": 2}, {"id": "e2", "weight": 1}, {"id": "e3", "weight": 1}]},
              {"id": "q6", "weight": 0.4, "type": "yesnopartial", "text": "Q6?"}]}]}],
         "tiers": [{"id": "high", "min": 20}, {"id": "mid", "min": 10.5}, {"id": "low", "min": 0}],
         "someFutureKey": true}
        """

    static func parse() throws -> AssessmentFramework { try FrameworkFile.framework(Self.framework) }

    @Test func scoresMatchTheHandComputedValues() throws {
        let framework = try Self.parse()
        let sheet = try FrameworkFile.answers(
            #"{"framework": "t", "edition": "2025", "country": "uy", "answers": {"q1": "yes", "q2": "yes", "q3": "no", "q4": "partial", "q5": ["e1", "e3"], "q6": "partial"}}"#,
            framework: framework)
        #expect(sheet.country == "UY")
        let card = Scoring.score(sheet, with: framework)
        // law.a = 2/3, law.b = 1/4; law = 20 × (3/4 × 2/3 + 1/4 × 1/4) = 20 × (1/2 + 1/16) = 11.25
        #expect(card.pillars[0].score == Exact(decimal: "11.25"))
        // tech.a = 0.6 × 3/4 + 0.4 × 1/4 = 0.55; tech = 5.5
        #expect(card.pillars[1].score == Exact(decimal: "5.5"))
        #expect(card.total == Exact(decimal: "16.75"))
        #expect(card.tier?.id == "mid")
        #expect(card.isExact)
        // Each answer's points add up to the total.
        let points = card.indicators.flatMap(\.questions).reduce(Exact.zero) { $0 + $1.points }
        #expect(points == card.total)
        #expect(card.pillars[0].weightSum == Exact(4))
        // law reached 56.25 % of its maximum, tech 55 %, the whole 55.8 %.
        #expect(card.strengths == ["law"] && card.growthAreas == ["tech"])
        if case .object(let json) = card.json {
            #expect(json["total"] == .double(16.75))
            #expect(json["tier"] == .string("mid"))
        } else {
            Issue.record("the JSON score is an object")
        }
    }

    @Test func thirdsStayExactAndTiersAreReachedAtTheirMinimum() throws {
        let framework = try Self.parse()
        // law.a = 1/3 exactly: three thirds make one, and 20 is tier "high" on the dot.
        let all = Scoring.score(
            AnswerSheet(answers: ["q1": .yes, "q2": .yes, "q3": .yes, "q4": .yes, "q5": .elements(["e1", "e2", "e3"]), "q6": .no]), with: framework)
        #expect(all.pillars[0].score == Exact(20))
        #expect(all.total == Exact(decimal: "26"))
        #expect(all.tier?.id == "high")
        let none = Scoring.score(AnswerSheet(answers: [:]), with: framework)
        #expect(none.total == .zero && none.tier?.id == "low")
        #expect(Exact(1) / Exact(3) * Exact(3) == Exact.one)
        #expect((Exact(2) / Exact(3)).formatted() == "0.67")
        #expect(Exact(decimal: "15.345")?.formatted() == "15.35")
    }

    @Test func theEvidenceRuleCountsOnlyAnswersWithAPublicLink() throws {
        let text = Self.framework.replacingOccurrences(of: "\"partialValue\": 0.25,", with: "\"partialValue\": 0.25, \"evidenceRule\": \"public-link\",")
        let framework = try FrameworkFile.framework(text)
        let sheet = try FrameworkFile.answers(
            #"{"answers": {"q1": "yes", "q2": "yes"}, "evidence": {"q1": ["https://example.gov/law.pdf"]}}"#, framework: framework)
        let card = Scoring.score(sheet, with: framework)
        let questions = card.indicators.flatMap(\.questions)
        #expect(questions.first { $0.id == "q1" }?.value == .one)
        #expect(questions.first { $0.id == "q2" }?.withheld == true)
        #expect(card.total == Exact(5))
    }

    @Test func theBundledFrameworksAreValidAndFollowTheGCILayout() throws {
        let files = AssessmentService.bundledFrameworkFiles()
        #expect(files.count == 2)
        let five = try FrameworkFile.framework(try #require(files.first { $0.name == "five-pillars.json" }).text)
        #expect(five.pillars.map(\.id) == ["legal", "technical", "organizational", "capacity-development", "cooperation"])
        #expect(five.pillars.reduce(0) { $0 + $1.indicators.count } == 20)
        #expect(five.maximum == Exact(100))
        #expect(five.tiers.map(\.min) == [Exact(95), Exact(85), Exact(55), Exact(20), Exact(0)])
        for question in five.questions {
            for language in ["en", "es", "fr"] { #expect(!(question.text.texts[language] ?? "").isEmpty, "\(question.id) in \(language)") }
        }
        let full = AnswerSheet(answers: Dictionary(uniqueKeysWithValues: five.questions.map { q in
            (q.id, q.type == .elements ? Answer.elements(q.elements.map(\.id)) : Answer.yes)
        }))
        #expect(Scoring.score(full, with: five).total == Exact(100))
        let evidence = try FrameworkFile.framework(try #require(files.first { $0.name == "evidence-index.json" }).text)
        #expect(evidence.evidenceRule == .publicLink)
    }

    /// Each fault of a framework file, refused with the JSON path of its place.
    @Test(arguments: [
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 20, "indicators": []}]}"#, "$.pillars[0].indicators", "no_indicators"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": -1, "indicators": []}]}"#, "$.pillars[0].max", "negative"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 2, "indicators": [{"id": "i", "weight": -0.5, "questions": [{"id": "q", "type": "yesno", "text": "?"}]}]}]}"#, "$.pillars[0].indicators[0].weight", "negative"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 2, "indicators": [{"id": "i", "questions": [{"id": "q", "type": "yesno", "text": "?"}]}, {"id": "i", "questions": [{"id": "q2", "type": "yesno", "text": "?"}]}]}]}"#, "$.pillars[0].indicators[1].id", "duplicate"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 2, "indicators": [{"id": "i", "questions": [{"id": "q", "type": "yesno", "text": "?"}, {"id": "q", "type": "yesno", "text": "?"}]}]}]}"#, "$.pillars[0].indicators[0].questions[1].id", "duplicate"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "a/b", "max": 2, "indicators": []}]}"#, "$.pillars[0].id", "id"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 2, "indicators": [{"id": "i", "questions": [{"id": "q", "type": "maybe", "text": "?"}]}]}]}"#, "$.pillars[0].indicators[0].questions[0].type", "choice"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 2, "indicators": [{"id": "i", "questions": [{"id": "q", "type": "elements", "text": "?"}]}]}]}"#, "$.pillars[0].indicators[0].questions[0].elements", "no_elements"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 2, "indicators": [{"id": "i", "questions": [{"id": "q", "type": "yesno", "text": "?"}]}]}], "tiers": [{"id": "a", "min": 10}, {"id": "b", "min": 50}]}"#, "$.tiers[1].min", "tiers_order"),
        (#"{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": "20", "indicators": []}]}"#, "$.pillars[0].max", "number"),
        (#"{"id": "x", "edition": "1", "title": "T", "partialValue": 2, "pillars": []}"#, "$.partialValue", "partial_value"),
        (#"{"id": "x y", "edition": "1", "title": "T", "pillars": []}"#, "$.id", "id"),
        (#"{"edition": "1", "title": "T", "pillars": []}"#, "$.id", "missing"),
        (#"[]"#, "$", "object"),
    ])
    func aBadFrameworkIsRefusedAtItsPlace(text: String, path: String, reason: String) {
        do {
            _ = try FrameworkFile.framework(text, file: "f.json")
            Issue.record("accepted: \(text)")
        } catch {
            guard case .invalid(let file, let at, let refusal) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(file == "f.json")
            #expect(at == path)
            #expect(refusal.key == "assessment.error." + reason, "\(error)")
        }
    }

    @Test func aTruncatedOrEmptyFileSaysWhereItBreaks() {
        #expect(throws: AssessmentFileError.self) { try FrameworkFile.framework("") }
        do {
            _ = try FrameworkFile.framework("{\n\"id\": \"x\",\n\"pillars\": [", file: "cut.json")
            Issue.record("accepted a truncated file")
        } catch {
            guard case .notJSON(let file, let line, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(file == "cut.json" && line == 3)
        }
    }

    /// Each fault of an answers file, refused with its place; nothing is scored.
    @Test(arguments: [
        (#"{"answers": {"nope": "yes"}}"#, #"$.answers["nope"]"#, "unknown_question"),
        (#"{"answers": {"q1": "partial"}}"#, #"$.answers["q1"]"#, "answer_yesno"),
        (#"{"answers": {"q4": true}}"#, #"$.answers["q4"]"#, "answer_partial"),
        (#"{"answers": {"q5": ["e9"]}}"#, #"$.answers["q5"]"#, "unknown_element"),
        (#"{"answers": {"q5": ["e1", "e1"]}}"#, #"$.answers["q5"]"#, "element_twice"),
        (#"{"answers": {"q5": "yes"}}"#, #"$.answers["q5"]"#, "answer_elements"),
        (#"{"framework": "other", "answers": {}}"#, "$.framework", "other_framework"),
        (#"{"edition": 2024, "answers": {}}"#, "$.edition", "other_edition"),
        (#"{"country": "URY", "answers": {}}"#, "$.country", "country"),
        (#"{"country": 858, "answers": {}}"#, "$.country", "string"),
        (#"{"answers": []}"#, "$.answers", "object"),
        (#"{"answers": {}, "evidence": {"q1": ["ftp://x"]}}"#, #"$.evidence["q1"][0]"#, "link"),
    ])
    func badAnswersAreRefusedAtTheirPlace(text: String, path: String, reason: String) throws {
        let framework = try Self.parse()
        do {
            _ = try FrameworkFile.answers(text, framework: framework, file: "a.json")
            Issue.record("accepted: \(text)")
        } catch {
            guard case .invalid(_, let at, let refusal) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(at == path)
            #expect(refusal.key == "assessment.error." + reason, "\(error)")
        }
    }

    /// What the documented format allows is taken: elements listed on a yes/no question (ignored),
    /// ids of different kinds alike, any alpha-2 shape offline, a total below every tier (no tier).
    @Test func theWholeDocumentedRangeIsTaken() throws {
        let framework = try FrameworkFile.framework(
            #"{"id": "x", "edition": "2030", "title": "T", "pillars": [{"id": "p", "max": 10, "title": "P", "indicators": [{"id": "p", "weight": 0.5, "title": "I", "questions": [{"id": "p", "weight": 0, "type": "yesno", "evidence": "none", "text": "?", "explanation": "", "elements": [{"id": "e", "weight": 1, "title": "E"}]}, {"id": "q", "weight": 2, "type": "yesnopartial", "evidence": "none", "text": "?", "explanation": "", "elements": []}]}]}], "tiers": [{"id": "t", "title": "T", "min": 9.5}]}"#)
        #expect(framework.questions[0].elements.isEmpty)
        let sheet = try FrameworkFile.answers(#"{"framework": "x", "edition": "2030", "country": "qz", "answers": {"p": "yes", "q": "partial"}}"#, framework: framework)
        #expect(sheet.country == "QZ")
        let card = Scoring.score(sheet, with: framework)
        #expect(card.total == Exact(5) && card.tier == nil)
        if case .object(let json) = card.json { #expect(json["tier"] == .null) }
    }

    /// The bundled framework cut short anywhere, or with bytes changed, is refused (or, when still a
    /// valid framework, read): never a crash, never a half-read framework.
    @Test func truncatedAndMangledFrameworksAreRefusedCleanly() throws {
        let text = try #require(AssessmentService.bundledFrameworkFiles().first { $0.name == "five-pillars.json" }).text
        let bytes = Array(text.utf8)
        for cut in stride(from: 0, to: bytes.count - 1, by: 211) {
            let prefix = String(decoding: bytes[..<cut], as: UTF8.self)
            #expect(throws: AssessmentFileError.self) { try FrameworkFile.framework(prefix) }
        }
        var state: UInt64 = 130
        for _ in 0..<300 {
            var mangled = bytes
            for _ in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let place = Int(state >> 33) % mangled.count
                let replacements = Array("{}[]\",:0-9e.x ".utf8)
                mangled[place] = replacements[Int(state >> 20) % replacements.count]
            }
            do {
                let framework = try FrameworkFile.framework(String(decoding: mangled, as: UTF8.self))
                #expect(!framework.pillars.isEmpty && framework.pillars.allSatisfy { !$0.indicators.isEmpty })
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    /// Every assigned country code (the constituency's list) has an ITU region.
    @Test func everyCountryHasARegion() {
        #expect(Countries.codes.count == 249)
        for code in Countries.codes { #expect(Countries.region(of: code).map(Countries.regions.contains) == true, "\(code)") }
        #expect(Countries.normalise(" uy ") == "UY" && Countries.normalise("XX") == nil)
    }

    @Test func methodologyChangesAreNamed() throws {
        let old = try Self.parse()
        let new = try FrameworkFile.framework(Self.framework.replacingOccurrences(of: #""id": "law.a", "weight": 3"#, with: #""id": "law.a", "weight": 2"#))
        #expect(new.methodologyDifferences(from: old) == ["law.a.weight"])
        #expect(old.methodologyDifferences(from: old).isEmpty)
    }

    @Test func documentsAreCheckedByNameAndContent() {
        #expect(throws: Never.self) { try EvidenceDocuments.check(filename: "law.pdf", data: Data("%PDF-1.7 ...".utf8)).get() }
        #expect(throws: Refusal.self) { try EvidenceDocuments.check(filename: "law.pdf", data: Data("<html>".utf8)).get() }
        #expect(throws: Refusal.self) { try EvidenceDocuments.check(filename: "run.exe", data: Data("MZ".utf8)).get() }
        #expect(throws: Refusal.self) { try EvidenceDocuments.check(filename: "empty.txt", data: Data()).get() }
        #expect(throws: Refusal.self) { try EvidenceDocuments.check(filename: "big.txt", data: Data(count: EvidenceDocuments.maxSize + 1)).get() }
    }
}
