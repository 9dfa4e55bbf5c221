import Foundation

/// A risk matrix, kept as data: likelihood and impact scales of the same length (lowest first), and
/// levels that divide the scores `likelihood × impact` (1 … n²) into bands with no gap and no overlap,
/// each with its label and colour. 3×3, 4×4 and 5×5 are shipped; a site adds its own.
public struct RiskMatrix: Sendable, Equatable, Identifiable {
    public struct Step: Sendable, Equatable {
        public var id: String
        public var title: LocalizedText
    }

    public struct Level: Sendable, Equatable {
        public var id: String
        public var title: LocalizedText
        /// `#rrggbb`.
        public var colour: String
        public var min: Int
        public var max: Int
    }

    public var id: String
    public var title: LocalizedText
    public var likelihood: [Step]
    public var impact: [Step]
    public var levels: [Level]

    public var size: Int { self.likelihood.count }

    /// The score of a cell: likelihood rank × impact rank, both counted from 1.
    public func score(likelihood: Int, impact: Int) -> Int? {
        guard (1...self.size).contains(likelihood), (1...self.size).contains(impact) else { return nil }
        return likelihood * impact
    }

    /// The level a score falls in (every score from 1 to n² falls in exactly one).
    public func level(score: Int) -> Level? { self.levels.first { $0.min <= score && score <= $0.max } }

    public func level(likelihood: Int, impact: Int) -> Level? { self.score(likelihood: likelihood, impact: impact).flatMap(self.level(score:)) }

    /// The rank (from 1) of a step by id.
    public func rank(likelihood id: String) -> Int? { self.likelihood.firstIndex { $0.id == id }.map { $0 + 1 } }
    public func rank(impact id: String) -> Int? { self.impact.firstIndex { $0.id == id }.map { $0 + 1 } }

    /// The names CSS gives colours that a matrix may use besides `#rgb` and `#rrggbb`, as hex.
    static let namedColours: [String: String] = [
        "black": "#000000", "white": "#ffffff", "gray": "#808080", "grey": "#808080", "red": "#ff0000", "darkred": "#8b0000",
        "orange": "#ffa500", "darkorange": "#ff8c00", "gold": "#ffd700", "yellow": "#ffff00", "green": "#008000", "darkgreen": "#006400",
        "lime": "#00ff00", "limegreen": "#32cd32", "blue": "#0000ff", "navy": "#000080", "purple": "#800080", "maroon": "#800000",
        "olive": "#808000", "teal": "#008080", "silver": "#c0c0c0", "crimson": "#dc143c", "tomato": "#ff6347", "orangered": "#ff4500",
    ]

    /// `#rrggbb` for a colour written as `#rgb`, `#rrggbb` or a CSS name; `nil` for anything else.
    public static func colour(_ text: String) -> String? {
        let lower = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let named = Self.namedColours[lower] { return named }
        guard lower.hasPrefix("#") else { return nil }
        let digits = lower.dropFirst()
        guard digits.allSatisfy(\.isHexDigit), digits.allSatisfy(\.isASCII) else { return nil }
        switch digits.count {
        case 6: return lower
        case 3: return "#" + digits.map { "\($0)\($0)" }.joined()
        default: return nil
        }
    }

    /// The shipped matrices (`Resources/Risk/matrices/*.json`), by size.
    public static func bundled() throws(DataFileError) -> [RiskMatrix] {
        var matrices: [RiskMatrix] = []
        for name in ["3x3", "4x4", "5x5"] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Risk/matrices"),
                let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8)
            else { throw .invalid(file: "\(name).json", path: "$", reason: Refusal("data.error.missing_file", english: "the bundled file is missing")) }
            matrices.append(try Self.load(text, file: "\(name).json"))
        }
        return matrices
    }

    /// Reads and checks a matrix file.
    public static func load(_ text: String, file: String) throws(DataFileError) -> RiskMatrix {
        let reader = DataFileReader(file: file)
        let fields = try reader.object(try reader.parse(text), "$")
        let id = try reader.string(fields["id"], "$.id")
        func steps(_ key: String) throws(DataFileError) -> [Step] {
            var result: [Step] = []
            var ids: Set<String> = []
            for (index, item) in try reader.array(fields[key], "$.\(key)").enumerated() {
                let path = "$.\(key)[\(index)]"
                let step = try reader.object(item, path)
                let stepID = try reader.string(step["id"], path + ".id")
                guard ids.insert(stepID).inserted else {
                    throw reader.fail(path + ".id", "duplicate", "identifier \"\(stepID)\" is already used", ["id": stepID, "first": key])
                }
                result.append(Step(id: stepID, title: try reader.text(step["title"], path + ".title", required: true)))
            }
            return result
        }
        let likelihood = try steps("likelihood")
        let impact = try steps("impact")
        guard (2...10).contains(likelihood.count) else {
            throw reader.fail("$.likelihood", "matrix_size", "a matrix has 2 to 10 steps a side (this one has \(likelihood.count))", ["count": String(likelihood.count)])
        }
        guard impact.count == likelihood.count else {
            throw reader.fail(
                "$.impact", "matrix_square", "the matrix is not square: \(likelihood.count) likelihood steps but \(impact.count) impact steps",
                ["likelihood": String(likelihood.count), "impact": String(impact.count)])
        }
        let top = likelihood.count * impact.count
        var levels: [Level] = []
        var levelIDs: Set<String> = []
        let items = try reader.array(fields["levels"], "$.levels")
        guard !items.isEmpty else { throw reader.fail("$.levels", "matrix_levels", "a matrix has at least one level") }
        for (index, item) in items.enumerated() {
            let path = "$.levels[\(index)]"
            let level = try reader.object(item, path)
            let levelID = try reader.string(level["id"], path + ".id")
            guard levelIDs.insert(levelID).inserted else {
                throw reader.fail(path + ".id", "duplicate", "identifier \"\(levelID)\" is already used", ["id": levelID, "first": "levels"])
            }
            let written = try reader.string(level["colour"] ?? level["color"], path + ".colour")
            guard let colour = Self.colour(written) else {
                throw reader.fail(path + ".colour", "colour", "\"\(written)\" is not a colour: write #rrggbb, #rgb or a CSS colour name", ["colour": written])
            }
            let min = try reader.integer(level["min"], path + ".min")
            let max = try reader.integer(level["max"], path + ".max")
            guard min <= max else { throw reader.fail(path + ".max", "level_order", "max \(max) is below min \(min)", ["min": String(min), "max": String(max)]) }
            // Levels in order: each starts where the one before ended, from 1 to n².
            let expected = (levels.last?.max ?? 0) + 1
            if min > expected {
                throw reader.fail(path + ".min", "level_gap", "scores \(expected) to \(min - 1) belong to no level", ["from": String(expected), "to": String(min - 1)])
            }
            if min < expected {
                throw reader.fail(
                    path + ".min", "level_overlap", "scores \(min) to \(expected - 1) belong to two levels", ["from": String(min), "to": String(expected - 1)])
            }
            guard max <= top else {
                throw reader.fail(path + ".max", "level_beyond", "the highest score of a \(likelihood.count)×\(impact.count) matrix is \(top)", ["top": String(top)])
            }
            levels.append(Level(id: levelID, title: try reader.text(level["title"], path + ".title", required: true), colour: colour, min: min, max: max))
        }
        if let last = levels.last, last.max < top {
            throw reader.fail("$.levels", "level_gap", "scores \(last.max + 1) to \(top) belong to no level", ["from": String(last.max + 1), "to": String(top)])
        }
        return RiskMatrix(id: id, title: try reader.text(fields["title"], "$.title", required: true), likelihood: likelihood, impact: impact, levels: levels)
    }
}
