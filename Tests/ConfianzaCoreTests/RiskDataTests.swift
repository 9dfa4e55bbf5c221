import ConfianzaCore
import Foundation
import Testing

/// The data the risk module stands on: the CSF 2.0 catalogue checked against NIST's identifiers, and
/// risk matrices whose arithmetic and level boundaries hold for every shipped size and refuse bad ones.
@Suite struct RiskDataTests {
    @Test func theBundledCSFHasNISTsSixFunctions22CategoriesAnd106Subcategories() throws {
        let csf = try CSFCatalogue.bundled()
        #expect(csf.version == "2.0")
        #expect(csf.functions.map(\.id) == ["GV", "ID", "PR", "DE", "RS", "RC"])
        #expect(csf.categories.count == 22)
        #expect(csf.subcategories.count == 106)
        #expect(csf.subcategories.map(\.id) == CSFCatalogue.allSubcategoryIDs)
        #expect(csf.functions.map { $0.categories.flatMap(\.subcategories).count } == [31, 21, 22, 11, 13, 8])
        #expect(csf.subcategory("ID.AM-06") == nil && csf.subcategory("GV.OC-01") != nil && csf.subcategory("PR.DS-11") != nil)
        for subcategory in csf.subcategories {
            for language in ["en", "es", "fr"] { #expect(!(subcategory.title.texts[language] ?? "").isEmpty, "\(subcategory.id) \(language)") }
        }
    }

    /// A catalogue with a duplicate, a missing, an unknown or a misplaced identifier is refused at load, naming it.
    @Test(arguments: [
        ("\"id\": \"GV.OC-02\"", "\"id\": \"GV.OC-01\"", "duplicate"),
        ("\"id\": \"RC.CO-04\"", "\"id\": \"RC.CO-05\"", "csf_unknown"),
        ("\"id\": \"PR.DS-11\"", "\"ident\": \"PR.DS-11\"", "missing"),
        ("\"id\": \"DE.AE-02\"", "\"id\": \"DE.CM-10\"", "csf_parent"),
    ])
    func aDamagedCatalogueIsRefused(find: String, replace: String, reason: String) throws {
        let text = try Self.csfText()
        #expect(text.contains(find))
        let damaged = text.replacingOccurrences(of: find, with: replace)
        do {
            _ = try CSFCatalogue.load(damaged, file: "csf.json")
            Issue.record("accepted a catalogue with \(replace)")
        } catch {
            guard case .invalid(let file, _, let refusal) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(file == "csf.json" && refusal.key == "data.error." + reason, "\(error)")
        }
    }

    @Test func aCatalogueMissingASubcategoryNamesIt() throws {
        let text = try Self.csfText()
        // Drop RS.CO-03 and its title: the last subcategory of RS.CO.
        let start = try #require(text.range(of: ",\n      {\n       \"id\": \"RS.CO-03\""))
        let end = try #require(text.range(of: "}\n      }", range: start.upperBound..<text.endIndex))
        let damaged = text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "")
        #expect(throws: DataFileError.invalid(
            file: "csf.json", path: "$.functions",
            reason: Refusal("data.error.csf_missing", english: "CSF 2.0 identifier \"RS.CO-03\" is missing"))) {
            _ = try CSFCatalogue.load(damaged, file: "csf.json")
        }
    }

    static func csfText() throws -> String {
        // The bundled file, read the way the loader reads it.
        let catalogue = try CSFCatalogue.bundled()
        #expect(catalogue.subcategories.count == 106)
        let url = try #require(CSFCatalogue.bundledURL)
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Every cell of every shipped matrix scores likelihood × impact and lands in exactly one level; the
    /// corners are the lowest and highest levels.
    @Test func everyShippedMatrixCoversEveryCellOnce() throws {
        let matrices = try RiskMatrix.bundled()
        #expect(matrices.map(\.size) == [3, 4, 5])
        for matrix in matrices {
            for score in 1...(matrix.size * matrix.size) {
                #expect(matrix.levels.filter { $0.min <= score && score <= $0.max }.count == 1, "\(matrix.id) score \(score)")
            }
            for l in 1...matrix.size {
                for i in 1...matrix.size {
                    #expect(matrix.score(likelihood: l, impact: i) == l * i)
                    #expect(matrix.level(likelihood: l, impact: i) != nil)
                }
            }
            #expect(matrix.level(likelihood: 1, impact: 1)?.id == "low")
            #expect(matrix.level(likelihood: matrix.size, impact: matrix.size)?.id == matrix.levels.last?.id)
            #expect(matrix.score(likelihood: 0, impact: 1) == nil && matrix.score(likelihood: 1, impact: matrix.size + 1) == nil)
            // Raising likelihood or impact never lowers the level.
            for l in 1..<matrix.size {
                for i in 1...matrix.size {
                    let here = try #require(matrix.levels.firstIndex { $0.id == matrix.level(likelihood: l, impact: i)?.id })
                    let up = try #require(matrix.levels.firstIndex { $0.id == matrix.level(likelihood: l + 1, impact: i)?.id })
                    #expect(up >= here)
                }
            }
        }
        let five = try #require(matrices.last)
        #expect(five.level(likelihood: 4, impact: 4)?.id == "high" && five.level(likelihood: 3, impact: 3)?.id == "medium")
        #expect(five.level(likelihood: 5, impact: 4)?.id == "critical" && five.rank(likelihood: "likely") == 4)
    }

    static let custom = """
        {"id": "cz-4x4", "title": {"en": "National 4 × 4"},
         "likelihood": [{"id": "l1", "title": "Very low"}, {"id": "l2", "title": "Low"}, {"id": "l3", "title": "High"}, {"id": "l4", "title": "Very high"}],
         "impact": [{"id": "i1", "title": "Low"}, {"id": "i2", "title": "Medium"}, {"id": "i3", "title": "High"}, {"id": "i4", "title": "Critical"}],
         "levels": [{"id": "a", "title": "Acceptable", "colour": "#0a0", "min": 1, "max": 3},
                    {"id": "b", "title": "Watch", "colour": "gold", "min": 4, "max": 8},
                    {"id": "c", "title": "Treat", "colour": "#C62828", "min": 9, "max": 16}]}
        """

    @Test func aCustomMatrixIsReadWithItsLabelsAndColours() throws {
        let matrix = try RiskMatrix.load(Self.custom, file: "cz.json")
        #expect(matrix.size == 4 && matrix.levels.map(\.colour) == ["#00aa00", "#ffd700", "#c62828"])
        #expect(matrix.level(likelihood: 2, impact: 2)?.id == "b" && matrix.level(likelihood: 3, impact: 3)?.id == "c")
    }

    /// Not square, a gap, an overlap, an unknown colour, beyond the top, a level upside down: each refused with its place.
    @Test(arguments: [
        (#""impact": [{"id": "i1", "title": "Low"}, {"id": "i2", "title": "Medium"}, {"id": "i3", "title": "High"}, {"id": "i4", "title": "Critical"}]"#,
         #""impact": [{"id": "i1", "title": "Low"}, {"id": "i2", "title": "Medium"}, {"id": "i3", "title": "High"}]"#, "$.impact", "matrix_square"),
        (#""min": 4, "max": 8"#, #""min": 5, "max": 8"#, "$.levels[1].min", "level_gap"),
        (#""min": 4, "max": 8"#, #""min": 3, "max": 8"#, "$.levels[1].min", "level_overlap"),
        (#""min": 9, "max": 16"#, #""min": 9, "max": 15"#, "$.levels", "level_gap"),
        (#""min": 9, "max": 16"#, #""min": 9, "max": 17"#, "$.levels[2].max", "level_beyond"),
        (#""colour": "gold""#, #""colour": "sunset""#, "$.levels[1].colour", "colour"),
        (#""colour": "gold""#, ##""colour": "#ffd70""##, "$.levels[1].colour", "colour"),
        (#""min": 4, "max": 8"#, #""min": 4, "max": 3"#, "$.levels[1].max", "level_order"),
        (#""min": 4, "max": 8"#, #""min": "4", "max": 8"#, "$.levels[1].min", "integer"),
        (#"{"id": "l2", "title": "Low"}"#, #"{"id": "l1", "title": "Low"}"#, "$.likelihood[1].id", "duplicate"),
    ])
    func aBadMatrixIsRefusedAtItsPlace(find: String, replace: String, path: String, reason: String) {
        #expect(Self.custom.contains(find))
        do {
            _ = try RiskMatrix.load(Self.custom.replacingOccurrences(of: find, with: replace), file: "m.json")
            Issue.record("accepted: \(replace)")
        } catch {
            guard case .invalid(_, let at, let refusal) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(at == path && refusal.key == "data.error." + reason, "\(error)")
        }
    }

    @Test func truncatedOrEmptyDataFilesSayWhere() {
        #expect(throws: DataFileError.self) { _ = try RiskMatrix.load("", file: "m.json") }
        do {
            _ = try RiskMatrix.load(String(Self.custom.prefix(120)), file: "m.json")
            Issue.record("accepted a truncated matrix")
        } catch {
            guard case .notJSON(let file, let line, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(file == "m.json" && line >= 2)
        }
    }
}

/// The shipped threat catalogue, a site's extension over it, and a bad extension refused.
@Suite struct ThreatCatalogueTests {
    @Test func theShippedCatalogueNamesOnlyCSFCategoriesAndASiteExtendsIt() throws {
        let csf = try CSFCatalogue.bundled()
        let shipped = try ThreatCatalogue.bundled(csf: csf)
        #expect(shipped.threats.count == 20 && shipped.threat("ransomware")?.csf.contains("RC.RP") == true)
        for threat in shipped.threats {
            for language in ["en", "es", "fr"] { #expect(!(threat.title.texts[language] ?? "").isEmpty, "\(threat.id) \(language)") }
        }
        let site = try ThreatCatalogue.load(
            #"{"threats": [{"id": "ransomware", "title": "Ransomware on the billing system", "csf": ["PR.DS"]}, {"id": "sim-swap", "title": {"en": "SIM swap"}, "csf": ["PR.AA"]}]}"#,
            file: "site.json", csf: csf)
        let merged = shipped.adding(site)
        #expect(merged.threats.count == 21 && merged.threat("ransomware")?.csf == ["PR.DS"] && merged.threats.last?.id == "sim-swap")
        #expect(throws: DataFileError.self) {
            _ = try ThreatCatalogue.load(#"{"threats": [{"id": "x", "title": "X", "csf": ["PR.ZZ"]}]}"#, file: "bad.json", csf: csf)
        }
        #expect(throws: DataFileError.self) {
            _ = try ThreatCatalogue.load(#"{"threats": [{"id": "x", "title": "X", "csf": []}, {"id": "x", "title": "Y", "csf": []}]}"#, file: "bad.json", csf: csf)
        }
    }
}
