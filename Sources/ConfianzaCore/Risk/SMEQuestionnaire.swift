import Foundation

/// The self-assessment a CIRT offers its country's small businesses, kept as data
/// (`Resources/Risk/sme-self-assessment.json`, written by `scripts/data/make_sme.py`): size bands,
/// sectors, one set of choices with their points, maturity tiers, and about thirty questions, each tied
/// to a CSF 2.0 category, asked only of the size bands and sectors it names, with the action it leads to.
public struct SMEQuestionnaire: Sendable, Equatable {
    public struct Option: Sendable, Equatable {
        public var id: String
        public var title: LocalizedText
    }

    public struct Choice: Sendable, Equatable {
        public var id: String
        public var points: Int
        public var title: LocalizedText
    }

    /// A maturity tier (CSF tiers 1–4): reached when a function's share of points is at least `min` per cent.
    public struct Tier: Sendable, Equatable {
        public var tier: Int
        public var min: Int
        public var title: LocalizedText
        public var summary: LocalizedText
    }

    public enum Weight: String, Sendable, CaseIterable {
        case low, medium, high
        var value: Int {
            switch self {
            case .low: 1
            case .medium: 2
            case .high: 3
            }
        }
    }

    public struct Question: Sendable, Equatable, Identifiable {
        public var id: String
        /// A CSF 2.0 category (`PR.AA`); its function is the part before the dot.
        public var category: String
        public var text: LocalizedText
        public var why: LocalizedText
        public var action: LocalizedText
        public var effort: Weight
        public var impact: Weight
        public var guide: String
        /// Asked only of these size bands / sectors (`nil`: of all).
        public var sizes: [String]?
        public var sectors: [String]?
        /// Sectors for which the action weighs double in the plan.
        public var emphasis: [String]

        public var function: String { String(self.category.prefix { $0 != "." }) }

        public func applies(to profile: SMEProfile) -> Bool {
            (self.sizes?.contains(profile.size) ?? true) && (self.sectors?.contains(profile.sector) ?? true)
        }
    }

    public var id: String
    public var version: String
    public var title: LocalizedText
    public var sizes: [Option]
    public var sectors: [Option]
    public var choices: [Choice]
    public var tiers: [Tier]
    public var questions: [Question]

    public var maxPoints: Int { self.choices.map(\.points).max() ?? 0 }
    public func choice(_ id: String) -> Choice? { self.choices.first { $0.id == id } }
    public func question(_ id: String) -> Question? { self.questions.first { $0.id == id } }
    public func tier(percent: Int) -> Tier? { self.tiers.last { percent >= $0.min } }

    /// The questions asked of a business, grouped in steps by CSF function (in CSF order), empty steps left out.
    public func steps(for profile: SMEProfile) -> [(function: String, questions: [Question])] {
        let asked = self.questions.filter { $0.applies(to: profile) }
        return CSFCatalogue.functionOrder.compactMap { function in
            let questions = asked.filter { $0.function == function }
            return questions.isEmpty ? nil : (function, questions)
        }
    }

    public static func bundled(csf: CSFCatalogue) throws(DataFileError) -> SMEQuestionnaire {
        guard let url = Bundle.module.url(forResource: "sme-self-assessment", withExtension: "json", subdirectory: "Risk"),
            let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8)
        else { throw .invalid(file: "sme-self-assessment.json", path: "$", reason: Refusal("data.error.missing_file", english: "the bundled file is missing")) }
        return try Self.load(text, file: "sme-self-assessment.json", csf: csf)
    }

    /// Reads and checks a questionnaire: ids unique, categories of `csf`, filters naming known bands and
    /// sectors, 2 to 7 choices (a resume code keeps each answer in three bits), tiers from 0 upwards.
    public static func load(_ text: String, file: String, csf: CSFCatalogue) throws(DataFileError) -> SMEQuestionnaire {
        let reader = DataFileReader(file: file)
        let fields = try reader.object(try reader.parse(text), "$")
        func options(_ key: String) throws(DataFileError) -> [Option] {
            var result: [Option] = []
            for (index, item) in try reader.array(fields[key], "$.\(key)").enumerated() {
                let path = "$.\(key)[\(index)]"
                let object = try reader.object(item, path)
                let id = try reader.string(object["id"], path + ".id")
                guard !result.contains(where: { $0.id == id }) else { throw reader.fail(path + ".id", "duplicate", "identifier \"\(id)\" is already used", ["id": id]) }
                result.append(Option(id: id, title: try reader.text(object["title"], path + ".title", required: true)))
            }
            guard (1...30).contains(result.count) else { throw reader.fail("$.\(key)", "sme_count", "1 to 30 entries are expected", ["count": String(result.count)]) }
            return result
        }
        let sizes = try options("sizes")
        let sectors = try options("sectors")
        var choices: [Choice] = []
        for (index, item) in try reader.array(fields["choices"], "$.choices").enumerated() {
            let path = "$.choices[\(index)]"
            let object = try reader.object(item, path)
            let id = try reader.string(object["id"], path + ".id")
            guard !choices.contains(where: { $0.id == id }) else { throw reader.fail(path + ".id", "duplicate", "identifier \"\(id)\" is already used", ["id": id]) }
            let points = try reader.integer(object["points"], path + ".points")
            guard (0...100).contains(points) else { throw reader.fail(path + ".points", "sme_points", "points are 0 to 100", ["value": String(points)]) }
            choices.append(Choice(id: id, points: points, title: try reader.text(object["title"], path + ".title", required: true)))
        }
        guard (2...7).contains(choices.count), choices.contains(where: { $0.points > 0 }) else {
            throw reader.fail("$.choices", "sme_choices", "2 to 7 choices are expected, one at least worth points", ["count": String(choices.count)])
        }
        var tiers: [Tier] = []
        for (index, item) in try reader.array(fields["tiers"], "$.tiers").enumerated() {
            let path = "$.tiers[\(index)]"
            let object = try reader.object(item, path)
            let min = try reader.integer(object["min"], path + ".min")
            let expectedFloor = tiers.last.map { $0.min + 1 } ?? 0
            guard index == 0 ? min == 0 : (expectedFloor...100).contains(min) else {
                throw reader.fail(path + ".min", "sme_tiers", "tiers start at 0 and rise, up to 100", ["value": String(min)])
            }
            tiers.append(
                Tier(
                    tier: try reader.integer(object["tier"], path + ".tier"), min: min, title: try reader.text(object["title"], path + ".title", required: true),
                    summary: try reader.text(object["summary"], path + ".summary")))
        }
        guard !tiers.isEmpty else { throw reader.fail("$.tiers", "sme_tiers", "tiers start at 0 and rise, up to 100", ["value": ""]) }
        var questions: [Question] = []
        for (index, item) in try reader.array(fields["questions"], "$.questions").enumerated() {
            let path = "$.questions[\(index)]"
            let object = try reader.object(item, path)
            let id = try reader.string(object["id"], path + ".id")
            guard !questions.contains(where: { $0.id == id }) else { throw reader.fail(path + ".id", "duplicate", "identifier \"\(id)\" is already used", ["id": id]) }
            let category = try reader.string(object["category"], path + ".category")
            guard csf.category(category) != nil else {
                throw reader.fail(path + ".category", "csf_unknown", "\"\(category)\" is not a CSF 2.0 identifier", ["id": category])
            }
            func weight(_ key: String) throws(DataFileError) -> Weight {
                let written = try reader.string(object[key], "\(path).\(key)")
                guard let value = Weight(rawValue: written) else {
                    throw reader.fail("\(path).\(key)", "sme_weight", "write low, medium or high", ["value": written])
                }
                return value
            }
            func filter(_ key: String, _ known: [Option]) throws(DataFileError) -> [String]? {
                guard let value = object[key] else { return nil }
                var result: [String] = []
                for (n, entry) in try reader.array(value, "\(path).\(key)").enumerated() {
                    let name = try reader.string(entry, "\(path).\(key)[\(n)]")
                    guard known.contains(where: { $0.id == name }) else {
                        throw reader.fail("\(path).\(key)[\(n)]", "sme_unknown", "\"\(name)\" is not listed in $.\(key == "emphasis" ? "sectors" : key)", ["value": name])
                    }
                    result.append(name)
                }
                return result
            }
            let guide = try reader.string(object["guide"], path + ".guide")
            guard let url = URL(string: guide), ["https", "http"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw reader.fail(path + ".guide", "sme_link", "a guide is an http or https link", ["value": guide])
            }
            questions.append(
                Question(
                    id: id, category: category, text: try reader.text(object["text"], path + ".text", required: true),
                    why: try reader.text(object["why"], path + ".why", required: true), action: try reader.text(object["action"], path + ".action", required: true),
                    effort: try weight("effort"), impact: try weight("impact"), guide: guide, sizes: try filter("sizes", sizes),
                    sectors: try filter("sectors", sectors), emphasis: try filter("emphasis", sectors) ?? []))
        }
        guard (1...60).contains(questions.count) else { throw reader.fail("$.questions", "sme_count", "1 to 60 entries are expected", ["count": String(questions.count)]) }
        return SMEQuestionnaire(
            id: try reader.string(fields["id"], "$.id"), version: try reader.string(fields["version"], "$.version"),
            title: try reader.text(fields["title"], "$.title", required: true), sizes: sizes, sectors: sectors, choices: choices, tiers: tiers,
            questions: questions)
    }
}

/// Who answers: a size band and a sector, both ids of the questionnaire.
public struct SMEProfile: Sendable, Equatable, Hashable {
    public var size: String
    public var sector: String

    public init(size: String, sector: String) {
        self.size = size
        self.sector = sector
    }
}
