import ConfianzaCore
import Foundation
import SQLKit
import Synchronization

/// Risk matrices, cycles, scenarios and shared SME results.
extension SQLStore {
    // MARK: matrices

    public func insertMatrix(_ m: StoredMatrix) async throws -> Bool {
        try await self.withTransaction { db in
            try await db.raw(
                """
                INSERT INTO risk_matrices (id, source, loaded_at, loaded_by) VALUES (\(bind: m.matrix.id), \(bind: m.source), \(bind: Millis(m.loadedAt)), \(bind: m.loadedBy))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """
            ).all().count == 1
        }
    }

    public func customMatrices() async throws -> [StoredMatrix] {
        try await self.withReading { db in
            try await db.raw("SELECT id, source, loaded_at, loaded_by FROM risk_matrices ORDER BY id").all().map { row in
                let source = try row.decode(column: "source", as: String.self)
                return StoredMatrix(
                    matrix: try Self.parseMatrix(source), source: source, loadedAt: try Millis.date(row, "loaded_at"),
                    loadedBy: try row.decode(column: "loaded_by", as: String.self))
            }
        }
    }

    /// Matrices already read, by their text (every cycle carries its matrix's file).
    private static let parsedMatrices = Mutex<[String: RiskMatrix]>([:])

    static func parseMatrix(_ source: String) throws -> RiskMatrix {
        if let known = Self.parsedMatrices.withLock({ $0[source] }) { return known }
        let matrix: RiskMatrix
        do { matrix = try RiskMatrix.load(source, file: "stored matrix") } catch { throw StoreError.corrupt("a stored risk matrix cannot be read again: \(error)") }
        Self.parsedMatrices.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[source] = matrix
        }
        return matrix
    }

    // MARK: cycles

    public func insertCycles(_ cycles: [StoredCycle], at date: Date) async throws {
        do {
            try await self.withTransaction { db in
                for stored in cycles { try await Self.insertCycle(stored, at: date, db: db) }
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "id", value: cycles.map(\.cycle.id.uuidString).joined(separator: ", "))
        }
    }

    static func insertCycle(_ stored: StoredCycle, at date: Date, db: any SQLDatabase) async throws {
        let c = stored.cycle
        try await db.raw(
                """
                INSERT INTO risk_cycles (id, organisation_id, matrix_id, matrix_source, started_at, next_review, created_at, created_by)
                VALUES (\(bind: c.id.uuidString), \(bind: c.organisationID.uuidString), \(bind: c.matrixID), \(bind: stored.matrixSource),
                    \(bind: Millis(c.startedAt)), \(bind: c.nextReview.map(Millis.init)), \(bind: Millis(date)), \(bind: stored.createdBy))
                """
            ).run()
        for (position, scenario) in c.scenarios.enumerated() {
            try await Self.upsertScenario(scenario, cycleID: c.id, position: position + 1, at: date, db: db, replace: false)
        }
    }

    static let scenarioColumns = """
        id, scenario_key, position, title, asset, threat_id, inherent_likelihood, inherent_impact, current_likelihood, current_impact,
        residual_likelihood, residual_impact, treatment, controls, owner, due
        """

    /// Inserts a scenario; with `replace`, one of the same id is changed in place (its cycle and position kept).
    static func upsertScenario(_ s: RiskScenario, cycleID: UUID, position: Int, at date: Date, db: any SQLDatabase, replace: Bool = true) async throws {
        try await db.raw(
            """
            INSERT INTO risk_scenarios (cycle_id, updated_at, \(unsafeRaw: Self.scenarioColumns))
            VALUES (\(bind: cycleID.uuidString), \(bind: Millis(date)), \(bind: s.id.uuidString), \(bind: s.key.uuidString), \(bind: position), \(bind: s.title),
                \(bind: s.asset), \(bind: s.threatID), \(bind: s.inherent.likelihood), \(bind: s.inherent.impact), \(bind: s.current.likelihood),
                \(bind: s.current.impact), \(bind: s.residual.likelihood), \(bind: s.residual.impact), \(bind: s.treatment.rawValue),
                \(bind: s.controls.joined(separator: " ")), \(bind: s.owner), \(bind: s.due.map(Millis.init)))
            \(unsafeRaw: replace ? "ON CONFLICT (id) DO UPDATE SET" : "") \(unsafeRaw: replace ? Self.scenarioUpdate : "")
            """
        ).run()
    }

    static let scenarioUpdate = """
        title = excluded.title, asset = excluded.asset, threat_id = excluded.threat_id,
                inherent_likelihood = excluded.inherent_likelihood, inherent_impact = excluded.inherent_impact,
                current_likelihood = excluded.current_likelihood, current_impact = excluded.current_impact,
                residual_likelihood = excluded.residual_likelihood, residual_impact = excluded.residual_impact, treatment = excluded.treatment,
            controls = excluded.controls, owner = excluded.owner, due = excluded.due, updated_at = excluded.updated_at
        """

    public func cycle(id: UUID) async throws -> StoredCycle? {
        try await self.withReading { db in
            guard
                let row = try await db.raw(
                    """
                    SELECT id, organisation_id, matrix_id, matrix_source, started_at, next_review, created_by FROM risk_cycles WHERE id = \(bind: id.uuidString)
                    """
                ).first()
            else { return nil }
            let scenarios = try await db.raw(
                "SELECT \(unsafeRaw: Self.scenarioColumns) FROM risk_scenarios WHERE cycle_id = \(bind: id.uuidString) ORDER BY position, id"
            ).all().map(Self.decodeScenario)
            let source = try row.decode(column: "matrix_source", as: String.self)
            let cycle = RiskCycle(
                id: id, organisationID: try Self.uuid(row, "organisation_id"), matrixID: try row.decode(column: "matrix_id", as: String.self),
                startedAt: try Millis.date(row, "started_at"), nextReview: try Millis.optionalDate(row, "next_review"), scenarios: scenarios)
            return StoredCycle(cycle: cycle, matrix: try Self.parseMatrix(source), matrixSource: source, createdBy: try row.decode(column: "created_by", as: String.self))
        }
    }

    static func decodeScenario(_ row: any SQLRow) throws -> RiskScenario {
        let treatment = try row.decode(column: "treatment", as: String.self)
        guard let treatmentValue = RiskScenario.Treatment(rawValue: treatment) else { throw StoreError.corrupt("risk scenario treatment '\(treatment)'") }
        func rating(_ prefix: String) throws -> RiskScenario.Rating {
            RiskScenario.Rating(
                likelihood: try row.decode(column: prefix + "_likelihood", as: String.self), impact: try row.decode(column: prefix + "_impact", as: String.self))
        }
        return RiskScenario(
            id: try Self.uuid(row, "id"), key: try Self.uuid(row, "scenario_key"), title: try row.decode(column: "title", as: String.self),
            asset: try row.decode(column: "asset", as: String.self), threatID: try row.decode(column: "threat_id", as: String?.self),
            inherent: try rating("inherent"), current: try rating("current"), residual: try rating("residual"), treatment: treatmentValue,
            controls: try row.decode(column: "controls", as: String.self).split(separator: " ").map(String.init),
            owner: try row.decode(column: "owner", as: String.self), due: try Millis.optionalDate(row, "due"))
    }

    static let headerSelect = """
        SELECT c.id, c.organisation_id, o.name AS organisation_name, c.matrix_id, c.started_at, c.next_review,
            (SELECT COUNT(*) FROM risk_scenarios s WHERE s.cycle_id = c.id) AS scenarios
        FROM risk_cycles c LEFT JOIN organisations o ON o.id = c.organisation_id
        """

    static func decodeHeader(_ row: any SQLRow) throws -> CycleHeader {
        CycleHeader(
            id: try Self.uuid(row, "id"), organisationID: try Self.uuid(row, "organisation_id"),
            organisationName: try row.decode(column: "organisation_name", as: String?.self), matrixID: try row.decode(column: "matrix_id", as: String.self),
            startedAt: try Millis.date(row, "started_at"), nextReview: try Millis.optionalDate(row, "next_review"),
            scenarios: try row.decode(column: "scenarios", as: Int.self))
    }

    public func cycleHeaders(organisationID: UUID?) async throws -> [CycleHeader] {
        try await self.withReading { db in
            if let organisationID {
                return try await db.raw(
                    "\(unsafeRaw: Self.headerSelect) WHERE c.organisation_id = \(bind: organisationID.uuidString) ORDER BY c.started_at DESC, c.id DESC"
                ).all().map(Self.decodeHeader)
            }
            return try await db.raw("\(unsafeRaw: Self.headerSelect) ORDER BY c.started_at DESC, c.id DESC").all().map(Self.decodeHeader)
        }
    }

    public func overdueCycles(at date: Date, limit: Int) async throws -> [CycleHeader] {
        try await self.withReading { db in
            try await db.raw(
                """
                \(unsafeRaw: Self.headerSelect)
                WHERE c.next_review IS NOT NULL AND c.next_review < \(bind: Millis(date))
                    AND NOT EXISTS (SELECT 1 FROM risk_cycles later WHERE later.organisation_id = c.organisation_id
                        AND (later.started_at > c.started_at OR (later.started_at = c.started_at AND later.id > c.id)))
                ORDER BY c.next_review, c.id LIMIT \(bind: limit)
                """
            ).all().map(Self.decodeHeader)
        }
    }

    public func setNextReview(_ date: Date?, cycleID: UUID) async throws -> Bool {
        try await self.withTransaction { db in
            try await db.raw(
                "UPDATE risk_cycles SET next_review = \(bind: date.map(Millis.init)) WHERE id = \(bind: cycleID.uuidString) RETURNING id"
            ).all().count == 1
        }
    }

    // MARK: scenarios

    public func saveScenario(_ scenario: RiskScenario, cycleID: UUID, at date: Date) async throws -> Bool {
        try await self.withTransaction { db in
            guard try await db.raw("SELECT id FROM risk_cycles WHERE id = \(bind: cycleID.uuidString)").first() != nil else { return false }
            // A scenario id belongs to one cycle: the same id under another cycle is not this cycle's to change.
            if let owner = try await db.raw("SELECT cycle_id FROM risk_scenarios WHERE id = \(bind: scenario.id.uuidString)").first() {
                guard try owner.decode(column: "cycle_id", as: String.self) == cycleID.uuidString else { return false }
                try await Self.upsertScenario(scenario, cycleID: cycleID, position: 0, at: date, db: db)
                return true
            }
            let last = try await db.raw("SELECT MAX(position) AS position FROM risk_scenarios WHERE cycle_id = \(bind: cycleID.uuidString)").first()?
                .decode(column: "position", as: Int?.self) ?? 0
            try await Self.upsertScenario(scenario, cycleID: cycleID, position: last + 1, at: date, db: db)
            return true
        }
    }

    public func deleteScenario(id: UUID, cycleID: UUID) async throws -> Bool {
        try await self.withTransaction { db in
            try await db.raw(
                "DELETE FROM risk_scenarios WHERE id = \(bind: id.uuidString) AND cycle_id = \(bind: cycleID.uuidString) RETURNING id"
            ).all().count == 1
        }
    }

    // MARK: SME results

    public func insertSMEResult(_ r: SharedSMEResult) async throws {
        let functions = String(decoding: try JSONEncoder.sorted.encode(r.functions), as: UTF8.self)
        try await self.withTransaction { db in
            try await db.raw(
                """
                INSERT INTO sme_results (id, shared_on, questionnaire, size_band, sector, answers, percent, functions, business)
                VALUES (\(bind: r.id.uuidString), \(bind: Millis(r.sharedOn)), \(bind: r.questionnaireVersion), \(bind: r.size), \(bind: r.sector),
                    \(bind: r.answers), \(bind: r.percent), \(bind: functions), \(bind: r.business))
                """
            ).run()
        }
    }

    public func smeResults(limit: Int) async throws -> [SharedSMEResult] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT id, shared_on, questionnaire, size_band, sector, answers, percent, functions, business FROM sme_results
                ORDER BY shared_on DESC, id LIMIT \(bind: limit)
                """
            ).all().map { row in
                let functions = try row.decode(column: "functions", as: String.self)
                guard let decoded = try? JSONDecoder().decode([String: Int].self, from: Data(functions.utf8)) else {
                    throw StoreError.corrupt("shared SME result functions '\(functions)'")
                }
                return SharedSMEResult(
                    id: try Self.uuid(row, "id"), sharedOn: try Millis.date(row, "shared_on"),
                    questionnaireVersion: try row.decode(column: "questionnaire", as: String.self), size: try row.decode(column: "size_band", as: String.self),
                    sector: try row.decode(column: "sector", as: String.self), answers: try row.decode(column: "answers", as: String.self),
                    percent: try row.decode(column: "percent", as: Int.self), functions: decoded, business: try row.decode(column: "business", as: String?.self))
            }
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
