import Foundation

/// Risk registers as a file, for `confianza risk export|import` and the API:
///
///     {"format": "confianza-risk", "version": 1, "registers": [
///       {"organisation": "Ministerio de Salud", "organisationId": "…", "cycles": [
///         {"id": "…", "startedAt": "2026-03-01T00:00:00Z", "nextReview": "2026-09-01", "matrix": {…the matrix file…},
///          "scenarios": [{"id": "…", "key": "…", "title": "…", "asset": "…", "threat": "ransomware",
///            "inherent": {"likelihood": "likely", "impact": "major"}, "current": {…}, "residual": {…},
///            "treatment": "reduce", "controls": ["PR.DS-11"], "owner": "…", "due": "2026-06-30"}]}]}]}
///
/// Each cycle carries its matrix whole, so a file moves between sites. On import an organisation is
/// found by `organisationId`, else by `organisation` (its name); `id` and `key` are kept when given, and a
/// risk without a `key` takes the key of the risk of the same title in the register's cycle before.
public enum RiskRegisterFile {
    public static let format = "confianza-risk"

    /// A cycle read from a file, its organisation not yet looked up.
    public struct ImportedCycle: Sendable {
        public var path: String
        public var organisationName: String?
        public var organisationID: UUID?
        public var cycle: RiskCycle
        public var matrix: RiskMatrix
        public var matrixSource: String
    }

    // MARK: writing

    public static func json(_ registers: [(organisation: Organisation?, cycles: [StoredCycle])]) -> JSONValue {
        .object([
            "format": .string(Self.format), "version": .integer(1),
            "registers": .array(registers.map { register in
                .object([
                    "organisation": register.organisation.map { .string($0.name) } ?? .null,
                    "organisationId": .string(register.organisation?.id.uuidString ?? register.cycles.first?.cycle.organisationID.uuidString ?? ""),
                    "cycles": .array(register.cycles.map { Self.json(cycle: $0) }),
                ])
            }),
        ])
    }

    public static func json(cycle stored: StoredCycle) -> JSONValue {
        let c = stored.cycle
        func rating(_ r: RiskScenario.Rating) -> JSONValue { .object(["likelihood": .string(r.likelihood), "impact": .string(r.impact)]) }
        return .object([
            "id": .string(c.id.uuidString), "startedAt": .string(EventTime.format(c.startedAt)), "nextReview": c.nextReview.map { .string(CalendarDay.format($0)) } ?? .null,
            "matrix": (try? JSONReader.parse(stored.matrixSource)) ?? .null, "createdBy": .string(stored.createdBy),
            "scenarios": .array(c.scenarios.map { s in
                .object([
                    "id": .string(s.id.uuidString), "key": .string(s.key.uuidString), "title": .string(s.title), "asset": .string(s.asset),
                    "threat": s.threatID.map(JSONValue.string) ?? .null, "inherent": rating(s.inherent), "current": rating(s.current), "residual": rating(s.residual),
                    "treatment": .string(s.treatment.rawValue), "controls": .array(s.controls.map(JSONValue.string)), "owner": .string(s.owner),
                    "due": s.due.map { .string(CalendarDay.format($0)) } ?? .null,
                ])
            }),
        ])
    }

    // MARK: reading

    /// Reads a file; every fault names its place. Scenarios are checked against their cycle's matrix, the
    /// CSF and the threats here, so an import is refused before anything is written.
    public static func read(_ text: String, file: String, csf: CSFCatalogue, threats: ThreatCatalogue) throws(DataFileError) -> [ImportedCycle] {
        let reader = DataFileReader(file: file)
        let root = try reader.object(try reader.parse(text), "$")
        for key in root.keys where !["format", "version", "registers"].contains(key) {
            throw reader.fail("$.\(key)", "unknown_field", "unknown field \"\(key)\"", ["field": key])
        }
        guard try reader.string(root["format"], "$.format") == Self.format else {
            throw reader.fail("$.format", "risk_format", "this is not a Confianza risk file (format \"\(Self.format)\")")
        }
        guard try reader.integer(root["version"], "$.version") == 1 else { throw reader.fail("$.version", "risk_format", "only version 1 is read") }
        var result: [ImportedCycle] = []
        var ids: Set<UUID> = []
        for (r, item) in try reader.array(root["registers"], "$.registers").enumerated() {
            let path = "$.registers[\(r)]"
            let register = try reader.object(item, path)
            for key in register.keys where !["organisation", "organisationId", "cycles"].contains(key) {
                throw reader.fail("\(path).\(key)", "unknown_field", "unknown field \"\(key)\"", ["field": key])
            }
            let name = try Self.optionalString(reader, register["organisation"], path + ".organisation")
            let idText = try Self.optionalString(reader, register["organisationId"], path + ".organisationId")
            var organisationID: UUID?
            if let idText, !idText.isEmpty {
                guard let id = UUID(uuidString: idText) else { throw reader.fail(path + ".organisationId", "risk_uuid", "not a UUID", ["value": idText]) }
                organisationID = id
            }
            guard organisationID != nil || !(name ?? "").isEmpty else { throw reader.fail(path + ".organisation", "missing", "this field is required") }
            // A risk given without a key is the risk of the same title in the cycle before, so cycles compare.
            var previousKeys: [String: UUID] = [:]
            for (n, cycleItem) in try reader.array(register["cycles"], path + ".cycles").enumerated() {
                let cyclePath = "\(path).cycles[\(n)]"
                let fields = try reader.object(cycleItem, cyclePath)
                for key in fields.keys where !["id", "startedAt", "nextReview", "matrix", "createdBy", "scenarios"].contains(key) {
                    throw reader.fail("\(cyclePath).\(key)", "unknown_field", "unknown field \"\(key)\"", ["field": key])
                }
                guard let matrixValue = fields["matrix"], case .object = matrixValue else { throw reader.fail(cyclePath + ".matrix", "object", "expected an object") }
                let matrixSource = matrixValue.text
                let matrix: RiskMatrix
                do { matrix = try RiskMatrix.load(matrixSource, file: file) } catch {
                    if case .invalid(_, let inner, let reason) = error {
                        throw DataFileError.invalid(file: file, path: cyclePath + ".matrix" + inner.dropFirst(), reason: reason)
                    }
                    throw error
                }
                let id = try Self.uuid(reader, fields["id"], cyclePath + ".id") ?? UUID()
                guard ids.insert(id).inserted else { throw reader.fail(cyclePath + ".id", "duplicate", "identifier \"\(id)\" is already used", ["id": id.uuidString]) }
                let startedAt = try Self.date(reader, fields["startedAt"], cyclePath + ".startedAt", required: true) ?? Date()
                var cycle = RiskCycle(
                    id: id, organisationID: organisationID ?? UUID(), matrixID: matrix.id, startedAt: startedAt,
                    nextReview: try Self.date(reader, fields["nextReview"], cyclePath + ".nextReview", required: false))
                var cycleKeys: Set<UUID> = []
                for (s, scenarioItem) in try reader.array(fields["scenarios"] ?? .array([]), cyclePath + ".scenarios").enumerated() {
                    let sPath = "\(cyclePath).scenarios[\(s)]"
                    var scenario = try Self.scenario(reader, scenarioItem, sPath)
                    if case .object(let given) = scenarioItem, given["key"] == nil || given["key"] == .null,
                        let earlier = previousKeys[scenario.title.lowercased()]
                    {
                        scenario.key = earlier
                    }
                    guard ids.insert(scenario.id).inserted else { throw reader.fail(sPath + ".id", "duplicate", "identifier \"\(scenario.id)\" is already used", ["id": scenario.id.uuidString]) }
                    guard cycleKeys.insert(scenario.key).inserted else { throw reader.fail(sPath + ".key", "duplicate", "identifier \"\(scenario.key)\" is already used", ["id": scenario.key.uuidString]) }
                    if let problem = scenario.problems(matrix: matrix, csf: csf, threats: threats).first {
                        throw DataFileError.invalid(file: file, path: "\(sPath).\(problem.field)", reason: problem.reason)
                    }
                    cycle.scenarios.append(scenario)
                }
                previousKeys = Dictionary(cycle.scenarios.map { ($0.title.lowercased(), $0.key) }, uniquingKeysWith: { first, _ in first })
                result.append(ImportedCycle(path: cyclePath, organisationName: name, organisationID: organisationID, cycle: cycle, matrix: matrix, matrixSource: matrixSource))
            }
        }
        return result
    }

    static func optionalString(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> String? {
        switch value {
        case nil, .null?: return nil
        default: return try reader.string(value, path, allowEmpty: true)
        }
    }

    static func uuid(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> UUID? {
        guard let text = try Self.optionalString(reader, value, path), !text.isEmpty else { return nil }
        guard let id = UUID(uuidString: text) else { throw reader.fail(path, "risk_uuid", "not a UUID", ["value": text]) }
        return id
    }

    static func date(_ reader: DataFileReader, _ value: JSONValue?, _ path: String, required: Bool) throws(DataFileError) -> Date? {
        guard let text = try Self.optionalString(reader, value, path), !text.isEmpty else {
            if required { throw reader.fail(path, "missing", "this field is required") }
            return nil
        }
        guard let date = EventTime.parse(text) else { throw reader.fail(path, "risk_date", "not a date (YYYY-MM-DD or ISO 8601)", ["value": text]) }
        return date
    }

    static func scenario(_ reader: DataFileReader, _ item: JSONValue, _ path: String) throws(DataFileError) -> RiskScenario {
        let fields = try reader.object(item, path)
        let known = ["id", "key", "title", "asset", "threat", "inherent", "current", "residual", "treatment", "controls", "owner", "due"]
        for key in fields.keys where !known.contains(key) { throw reader.fail("\(path).\(key)", "unknown_field", "unknown field \"\(key)\"", ["field": key]) }
        func rating(_ key: String) throws(DataFileError) -> RiskScenario.Rating {
            let object = try reader.object(fields[key] ?? .null, "\(path).\(key)")
            return RiskScenario.Rating(
                likelihood: try reader.string(object["likelihood"], "\(path).\(key).likelihood"), impact: try reader.string(object["impact"], "\(path).\(key).impact"))
        }
        let treatmentText = try reader.string(fields["treatment"], path + ".treatment")
        guard let treatment = RiskScenario.Treatment(rawValue: treatmentText) else {
            throw reader.fail(path + ".treatment", "risk_treatment", "write reduce, accept, transfer or avoid", ["value": treatmentText])
        }
        var controls: [String] = []
        for (n, value) in try reader.array(fields["controls"] ?? .array([]), path + ".controls").enumerated() {
            controls.append(try reader.string(value, "\(path).controls[\(n)]"))
        }
        let threat = try Self.optionalString(reader, fields["threat"], path + ".threat")
        return RiskScenario(
            id: try Self.uuid(reader, fields["id"], path + ".id") ?? UUID(), key: try Self.uuid(reader, fields["key"], path + ".key") ?? UUID(),
            title: try reader.string(fields["title"], path + ".title"), asset: try Self.optionalString(reader, fields["asset"], path + ".asset") ?? "",
            threatID: (threat ?? "").isEmpty ? nil : threat, inherent: try rating("inherent"), current: try rating("current"), residual: try rating("residual"),
            treatment: treatment, controls: controls, owner: try Self.optionalString(reader, fields["owner"], path + ".owner") ?? "",
            due: try Self.date(reader, fields["due"], path + ".due", required: false))
    }
}
