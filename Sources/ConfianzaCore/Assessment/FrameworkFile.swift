import Foundation

/// Reads framework and answers files (JSON), refusing each fault with its place and reason.
public enum FrameworkFile {
    /// The longest id a framework may use for anything.
    static let maxIDLength = 128

    /// Parses and checks a framework file.
    public static func framework(_ text: String, file: String = "framework") throws(DataFileError) -> AssessmentFramework {
        let reader = Self.reader(file)
        return try reader.framework(try reader.parse(text), source: text)
    }

    /// Parses and checks an answers file against `framework`.
    public static func answers(_ text: String, framework: AssessmentFramework, file: String = "answers") throws(DataFileError) -> AnswerSheet {
        let reader = Self.reader(file)
        return try reader.answers(try reader.parse(text), framework: framework)
    }

    static func reader(_ file: String) -> DataFileReader { DataFileReader(file: file, keyPrefix: "assessment.error.") }
}

/// What assessment files need beyond any data file's: ids, exact numbers, choices, weights.
extension DataFileReader {
    func identifier(_ value: JSONValue?, _ path: String) throws(DataFileError) -> String {
        let text = try self.string(value, path, allowEmpty: true)
        // Ids travel in addresses and form fields: no spaces, controls or characters those give a meaning to.
        guard !text.isEmpty, text.count <= FrameworkFile.maxIDLength,
            text.unicodeScalars.allSatisfy({ !CharacterSet.whitespacesAndNewlines.contains($0) && !CharacterSet.controlCharacters.contains($0)
                && !"/\\?#%\"<>&'`".unicodeScalars.contains($0) })
        else {
            throw self.fail(path, "id", "an id is 1 to 128 characters without spaces or any of / \\ ? # % \" < > & ' ` (got \"\(text)\")", ["id": text])
        }
        return text
    }

    /// A number, exactly as written.
    func number(_ value: JSONValue?, _ path: String, default fallback: Exact? = nil) throws(DataFileError) -> Exact {
        guard let value, value != .null else {
            if let fallback { return fallback }
            throw self.fail(path, "missing", "this field is required")
        }
        let number: Exact?
        switch value {
        case .integer(let n): number = Exact(Int(n))
        case .double(let d): number = d.isFinite ? Exact(decimal: String(d)) : nil
        default: throw self.fail(path, "number", "expected a number")
        }
        guard let number else { throw self.fail(path, "number", "expected a number") }
        guard !number.isNegative else { throw self.fail(path, "negative", "must not be negative") }
        return number
    }

    func choice<T: RawRepresentable & CaseIterable>(_ value: JSONValue?, _ path: String, default fallback: T?) throws(DataFileError) -> T
    where T.RawValue == String {
        guard let value, value != .null else {
            if let fallback { return fallback }
            throw self.fail(path, "missing", "this field is required")
        }
        let choices = T.allCases.map(\.rawValue).joined(separator: ", ")
        guard case .string(let text) = value, let chosen = T(rawValue: text) else {
            throw self.fail(path, "choice", "expected one of: \(choices)", ["choices": choices])
        }
        return chosen
    }

    /// Weights must not all be zero where they are averaged.
    func requireWeight(_ weights: [Exact], _ path: String) throws(DataFileError) {
        guard weights.contains(where: { !$0.isZero }) else {
            throw self.fail(path, "zero_weights", "the weights here are all zero: nothing could be averaged")
        }
    }

    func framework(_ root: JSONValue, source: String) throws(DataFileError) -> AssessmentFramework {
        let fields = try self.object(root, "$")
        let id = try self.identifier(fields["id"], "$.id")
        let edition: String
        switch fields["edition"] {
        case .integer(let n)?: edition = String(n)
        case .string(let text)? where !text.isEmpty && text.count <= 64: edition = text
        case nil: throw self.fail("$.edition", "missing", "this field is required")
        default: throw self.fail("$.edition", "edition", "an edition is a year or a short text")
        }
        let title = try self.text(fields["title"], "$.title", required: true)
        let description = try self.text(fields["description"], "$.description")
        let partial = try self.number(fields["partialValue"], "$.partialValue", default: Exact(numerator: 1, denominator: 2))
        guard partial <= Exact.one else { throw self.fail("$.partialValue", "partial_value", "partialValue is between 0 and 1") }
        let rule: AssessmentFramework.EvidenceRule = try self.choice(fields["evidenceRule"], "$.evidenceRule", default: AssessmentFramework.EvidenceRule.none)
        // Ids are unique among their kind: pillars, indicators, questions (an indicator may share its pillar's id).
        var seen: [String: String] = [:]
        func unique(_ id: String, _ path: String, kind: String) throws(DataFileError) {
            if let first = seen[kind + " " + id] {
                throw self.fail(path, "duplicate", "id \"\(id)\" is already used at \(first)", ["id": id, "first": first])
            }
            seen[kind + " " + id] = path
        }
        var pillars: [AssessmentFramework.Pillar] = []
        let pillarItems = try self.array(fields["pillars"], "$.pillars")
        guard !pillarItems.isEmpty else { throw self.fail("$.pillars", "no_pillars", "a framework has at least one pillar") }
        for (p, item) in pillarItems.enumerated() {
            let pPath = "$.pillars[\(p)]"
            let pf = try self.object(item, pPath)
            let pid = try self.identifier(pf["id"], pPath + ".id")
            try unique(pid, pPath + ".id", kind: "pillar")
            let max = try self.number(pf["max"], pPath + ".max")
            let indicatorItems = try self.array(pf["indicators"], pPath + ".indicators")
            guard !indicatorItems.isEmpty else {
                throw self.fail(pPath + ".indicators", "no_indicators", "pillar \"\(pid)\" has no indicator", ["id": pid])
            }
            var indicators: [AssessmentFramework.Indicator] = []
            for (i, item) in indicatorItems.enumerated() {
                let iPath = "\(pPath).indicators[\(i)]"
                let inf = try self.object(item, iPath)
                let iid = try self.identifier(inf["id"], iPath + ".id")
                try unique(iid, iPath + ".id", kind: "indicator")
                let questionItems = try self.array(inf["questions"], iPath + ".questions")
                guard !questionItems.isEmpty else {
                    throw self.fail(iPath + ".questions", "no_questions", "indicator \"\(iid)\" has no question", ["id": iid])
                }
                var questions: [AssessmentFramework.Question] = []
                for (q, item) in questionItems.enumerated() {
                    let qPath = "\(iPath).questions[\(q)]"
                    let qf = try self.object(item, qPath)
                    let qid = try self.identifier(qf["id"], qPath + ".id")
                    try unique(qid, qPath + ".id", kind: "question")
                    let type: AssessmentFramework.QuestionType = try self.choice(qf["type"], qPath + ".type", default: nil)
                    var elements: [AssessmentFramework.Element] = []
                    if let list = qf["elements"], list != .null {
                        var elementIDs: Set<String> = []
                        for (e, item) in try self.array(list, qPath + ".elements").enumerated() {
                            let ePath = "\(qPath).elements[\(e)]"
                            let ef = try self.object(item, ePath)
                            let eid = try self.identifier(ef["id"], ePath + ".id")
                            guard elementIDs.insert(eid).inserted else {
                                throw self.fail(ePath + ".id", "duplicate_element", "element \"\(eid)\" is listed twice in this question", ["id": eid])
                            }
                            elements.append(
                                .init(
                                    id: eid, weight: try self.number(ef["weight"], ePath + ".weight", default: .one),
                                    title: try self.text(ef["title"], ePath + ".title")))
                        }
                    }
                    if type == .elements {
                        guard !elements.isEmpty else {
                            throw self.fail(qPath + ".elements", "no_elements", "a question of type elements lists its elements")
                        }
                        try self.requireWeight(elements.map(\.weight), qPath + ".elements")
                    } else {
                        // Elements listed on a yes/no question are checked above but play no part in its score.
                        elements = []
                    }
                    questions.append(
                        .init(
                            id: qid, weight: try self.number(qf["weight"], qPath + ".weight", default: .one), type: type, elements: elements,
                            evidence: try self.choice(qf["evidence"], qPath + ".evidence", default: AssessmentFramework.EvidencePolicy.optional),
                            text: try self.text(qf["text"], qPath + ".text", required: true),
                            explanation: try self.text(qf["explanation"], qPath + ".explanation")))
                }
                try self.requireWeight(questions.map(\.weight), iPath + ".questions")
                indicators.append(
                    .init(
                        id: iid, weight: try self.number(inf["weight"], iPath + ".weight", default: .one),
                        title: try self.text(inf["title"], iPath + ".title"), questions: questions))
            }
            try self.requireWeight(indicators.map(\.weight), pPath + ".indicators")
            pillars.append(.init(id: pid, max: max, title: try self.text(pf["title"], pPath + ".title"), indicators: indicators))
        }
        var tiers: [AssessmentFramework.Tier] = []
        var tierIDs: Set<String> = []
        if let list = fields["tiers"], list != .null {
            for (t, item) in try self.array(list, "$.tiers").enumerated() {
                let tPath = "$.tiers[\(t)]"
                let tf = try self.object(item, tPath)
                let tid = try self.identifier(tf["id"], tPath + ".id")
                guard tierIDs.insert(tid).inserted else {
                    throw self.fail(tPath + ".id", "duplicate_tier", "tier \"\(tid)\" is listed twice", ["id": tid])
                }
                let min = try self.number(tf["min"], tPath + ".min")
                if let previous = tiers.last, !(min < previous.min) {
                    throw self.fail(
                        tPath + ".min", "tiers_order",
                        "tiers are listed from the highest min down: \"\(tid)\" (min \(min.formatted())) comes after \"\(previous.id)\" (min \(previous.min.formatted()))",
                        ["id": tid, "previous": previous.id])
                }
                tiers.append(.init(id: tid, title: try self.text(tf["title"], tPath + ".title"), min: min))
            }
        }
        return AssessmentFramework(
            id: id, edition: edition, title: title, description: description, partialValue: partial, evidenceRule: rule, pillars: pillars,
            tiers: tiers, source: source)
    }

    func answers(_ root: JSONValue, framework: AssessmentFramework) throws(DataFileError) -> AnswerSheet {
        let fields = try self.object(root, "$")
        if let given = fields["framework"] {
            let id = try self.string(given, "$.framework", allowEmpty: true)
            guard id == framework.id else {
                throw self.fail("$.framework", "other_framework", "these answers are for framework \"\(id)\", not \"\(framework.id)\"", ["id": id, "expected": framework.id])
            }
        }
        if let given = fields["edition"] {
            let edition: String
            switch given {
            case .integer(let n): edition = String(n)
            case .string(let text): edition = text
            default: throw self.fail("$.edition", "edition", "an edition is a year or a short text")
            }
            guard edition == framework.edition else {
                throw self.fail(
                    "$.edition", "other_edition", "these answers are for edition \(edition), not \(framework.edition)",
                    ["edition": edition, "expected": framework.edition])
            }
        }
        var country: String?
        if let given = fields["country"], given != .null {
            let code = try self.string(given, "$.country", allowEmpty: true)
            // Offline, any alpha-2 shape will do (user-assigned codes included); an assessment in the database needs an assigned code.
            let upper = code.uppercased()
            guard upper.count == 2, upper.unicodeScalars.allSatisfy({ $0.value >= 65 && $0.value <= 90 }) else {
                throw self.fail("$.country", "country", "\"\(code)\" is not an ISO 3166 alpha-2 country code", ["code": code])
            }
            country = upper
        }
        var answers: [String: Answer] = [:]
        for (qid, value) in try self.object(fields["answers"] ?? .object([:]), "$.answers").sorted(by: { $0.key < $1.key }) {
            let path = "$.answers[\"\(qid)\"]"
            guard let question = framework.locate(question: qid)?.question else {
                throw self.fail(path, "unknown_question", "there is no question \"\(qid)\" in this framework", ["id": qid])
            }
            switch try Answer.check(value, for: question, partialAllowed: true) {
            case .success(let answer?): answers[qid] = answer
            case .success(nil): break
            case .failure(let reason): throw .invalid(file: self.file, path: path, reason: reason)
            }
        }
        var evidence: [String: [String]] = [:]
        if let given = fields["evidence"], given != .null {
            for (qid, value) in try self.object(given, "$.evidence") {
                let path = "$.evidence[\"\(qid)\"]"
                guard framework.locate(question: qid) != nil else {
                    throw self.fail(path, "unknown_question", "there is no question \"\(qid)\" in this framework", ["id": qid])
                }
                var links: [String] = []
                for (n, item) in try self.array(value, path).enumerated() {
                    let link = try self.string(item, "\(path)[\(n)]", allowEmpty: true)
                    guard EvidenceLink.isPublic(link) else {
                        throw self.fail("\(path)[\(n)]", "link", "an evidence link is an http or https address", ["link": link])
                    }
                    links.append(link)
                }
                evidence[qid] = links
            }
        }
        return AnswerSheet(country: country, answers: answers, publicLinks: evidence)
    }
}

/// What evidence links are: public web addresses.
public enum EvidenceLink {
    public static func isPublic(_ link: String) -> Bool {
        guard link.count <= 2048, let url = URLComponents(string: link), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { return false }
        return true
    }
}
