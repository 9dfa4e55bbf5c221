import ConfianzaCore
import Foundation
import Testing

/// The register file: what `export` writes, `import` reads back the same; every fault is refused at its
/// JSON path, and a damaged file of any length never crashes the reader.
@Suite struct RiskRegisterFileTests {
    static let catalogues = try! RiskCatalogues.bundled()

    static func stored() throws -> StoredCycle {
        let source = try #require(RiskCatalogues.bundledMatrixSource("3x3"))
        let matrix = try RiskMatrix.load(source, file: "3x3.json")
        let low = matrix.likelihood[0].id
        let high = matrix.impact[2].id
        let scenario = RiskScenario(
            title: "Ransomware «on» \"payroll\"", asset: "Payroll", threatID: "ransomware", inherent: .init(likelihood: matrix.likelihood[2].id, impact: high),
            current: .init(likelihood: matrix.likelihood[1].id, impact: high), residual: .init(likelihood: low, impact: high), treatment: .transfer,
            controls: ["PR.DS-11"], owner: "Ana", due: Date(timeIntervalSince1970: 1_790_000_000))
        let cycle = RiskCycle(
            organisationID: UUID(), matrixID: matrix.id, startedAt: Date(timeIntervalSince1970: 1_780_000_000), nextReview: Date(timeIntervalSince1970: 1_795_000_000),
            scenarios: [scenario])
        return StoredCycle(cycle: cycle, matrix: matrix, matrixSource: source, createdBy: "ana")
    }

    static func file(_ stored: StoredCycle) -> String {
        RiskRegisterFile.json([(Organisation(name: "Banco", sector: .finance, country: "UY", kind: .private, notes: "", tlpCeiling: .amber, createdAt: Date()), [stored])]).text
    }

    @Test func whatIsWrittenIsReadBack() throws {
        let stored = try Self.stored()
        let read = try RiskRegisterFile.read(Self.file(stored), file: "r.json", csf: Self.catalogues.csf, threats: Self.catalogues.threats)
        #expect(read.count == 1 && read[0].organisationName == "Banco" && read[0].matrix == stored.matrix)
        var expected = stored.cycle.scenarios[0]
        expected.due = Calendar(identifier: .gregorian).date(from: DateComponents(timeZone: TimeZone(identifier: "UTC"), year: 2026, month: 9, day: 21))
        #expect(read[0].cycle.scenarios == [expected], "due dates are kept to the day")
        #expect(read[0].cycle.id == stored.cycle.id && read[0].cycle.startedAt == stored.cycle.startedAt)
    }

    @Test(arguments: [
        ("\"treatment\":\"transfer\"", "\"treatment\":\"ignore\"", "$.registers[0].cycles[0].scenarios[0].treatment"),
        ("\"treatment\":\"transfer\"", "\"treatment\":7", "$.registers[0].cycles[0].scenarios[0].treatment"),
        ("\"controls\":[\"PR.DS-11\"]", "\"controls\":[\"PR.DS-03\"]", "$.registers[0].cycles[0].scenarios[0].controls"),
        ("\"threat\":\"ransomware\"", "\"threat\":\"dragons\"", "$.registers[0].cycles[0].scenarios[0].threat"),
        ("\"format\":\"confianza-risk\"", "\"format\":\"other\"", "$.format"),
        ("\"version\":1", "\"version\":\"1\"", "$.version"),
        ("\"owner\":\"Ana\"", "\"owner\":\"Ana\",\"colour\":\"red\"", "$.registers[0].cycles[0].scenarios[0].colour"),
        ("\"nextReview\":\"", "\"nextReview\":\"tomorrow", "$.registers[0].cycles[0].nextReview"),
        ("\"min\":1", "\"min\":2", "$.registers[0].cycles[0].matrix.levels[0].min"),
        ("\"organisationId\":\"", "\"organisationId\":\"x", "$.registers[0].organisationId"),
    ])
    func aFaultIsRefusedAtItsPlace(find: String, replace: String, path: String) throws {
        let text = Self.file(try Self.stored())
        #expect(text.contains(find), "\(find)")
        do {
            _ = try RiskRegisterFile.read(text.replacingOccurrences(of: find, with: replace), file: "r.json", csf: Self.catalogues.csf, threats: Self.catalogues.threats)
            Issue.record("accepted \(replace)")
        } catch {
            #expect(error.path == path, "\(error)")
        }
    }

    @Test func truncatedEmptyAndWrongFilesAreRefusedWithoutACrash() throws {
        let text = Self.file(try Self.stored())
        for cut in 0..<text.utf8.count {
            let prefix = String(decoding: Array(text.utf8.prefix(cut)), as: UTF8.self)
            #expect(throws: DataFileError.self) { _ = try RiskRegisterFile.read(prefix, file: "r.json", csf: Self.catalogues.csf, threats: Self.catalogues.threats) }
        }
        for bad in ["", "   ", "[]", "null", "{\"format\":\"confianza-risk\",\"version\":1}", "{\"format\":\"confianza-risk\",\"version\":1,\"registers\":{}}"] {
            #expect(throws: DataFileError.self) { _ = try RiskRegisterFile.read(bad, file: "r.json", csf: Self.catalogues.csf, threats: Self.catalogues.threats) }
        }
    }
}
