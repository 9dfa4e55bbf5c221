import Foundation
import Synchronization

/// Why a risk action was refused.
public enum RiskError: ExplainedError, Equatable {
    public struct Problem: Sendable, Equatable {
        public var field: String
        public var reason: Refusal
        public init(field: String, reason: Refusal) {
            self.field = field
            self.reason = reason
        }
    }

    case file(DataFileError)
    case matrixExists(String)
    case unknownMatrix(String)
    case unknownOrganisation(String)
    case notFound
    case invalid([Problem])
    case cycleExists(String)
    /// Too many results shared from one address within the hour.
    case tooManyShares

    public var description: String {
        switch self {
        case .file(let error): error.description
        case .matrixExists(let id): "there is already a matrix \"\(id)\": give the new one another id"
        case .unknownMatrix(let id): "there is no matrix \"\(id)\""
        case .unknownOrganisation(let name): "there is no organisation \"\(name)\" in the constituency"
        case .notFound: "there is no such register, cycle or scenario"
        case .invalid(let problems): problems.map { "\($0.field): \($0.reason.english)" }.joined(separator: "; ")
        case .cycleExists(let id): "cycle \(id) is already in the database"
        case .tooManyShares: "too many results were shared from this address in the last hour; try again later"
        }
    }

    public var phrase: Phrase? {
        switch self {
        case .file(let error): error.phrase
        case .matrixExists(let id): Phrase("risk.error.matrix_exists", ["id": id])
        case .unknownMatrix(let id): Phrase("risk.error.matrix_unknown", ["id": id])
        case .unknownOrganisation(let name): Phrase("risk.error.organisation", ["name": name])
        case .notFound: Phrase("risk.error.not_found")
        case .invalid(let problems): problems.first.flatMap { $0.reason.phrase([:]) }
        case .cycleExists(let id): Phrase("risk.error.cycle_exists", ["id": id])
        case .tooManyShares: Phrase("sme.error.too_many")
        }
    }
}

/// The data the risk module reads once: CSF 2.0, the threat catalogue, the shipped matrices and the
/// SME questionnaire, all checked at load.
public struct RiskCatalogues: Sendable {
    public var csf: CSFCatalogue
    public var threats: ThreatCatalogue
    public var matrices: [RiskMatrix]
    public var sme: SMEQuestionnaire

    public static func bundled() throws(DataFileError) -> RiskCatalogues {
        let csf = try CSFCatalogue.bundled()
        return RiskCatalogues(csf: csf, threats: try ThreatCatalogue.bundled(csf: csf), matrices: try RiskMatrix.bundled(), sme: try SMEQuestionnaire.bundled(csf: csf))
    }

    /// The file of a shipped matrix, as kept with the cycles rated on it.
    public static func bundledMatrixSource(_ id: String) -> String? {
        guard let url = Bundle.module.url(forResource: id, withExtension: "json", subdirectory: "Risk/matrices") else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }
}

/// The rules of risk registers: matrices (shipped and added), cycles that start as a copy of the last,
/// scenarios checked against their cycle's matrix, the CSF and the threats, comparisons between cycles,
/// and the SME results businesses share.
public struct RiskService: Sendable {
    public typealias Storage = any RiskStore & AuditStore & ConstituencyStore & AccountStore

    public let store: Storage
    public let catalogues: RiskCatalogues
    let now: @Sendable () -> Date

    public init(store: Storage, catalogues: RiskCatalogues, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.catalogues = catalogues
        self.now = now
    }

    // MARK: matrices

    /// Every matrix: the shipped ones, then the site's, with their files.
    public func matrices() async throws -> [(matrix: RiskMatrix, source: String, custom: Bool)] {
        var result = self.catalogues.matrices.map { ($0, RiskCatalogues.bundledMatrixSource($0.id) ?? "", false) }
        result += try await self.store.customMatrices().map { ($0.matrix, $0.source, true) }
        return result
    }

    /// Adds a matrix from its file; the id must be new.
    public func addMatrix(_ text: String, file: String, by actor: String, address: String?) async throws -> RiskMatrix {
        let matrix: RiskMatrix
        do { matrix = try RiskMatrix.load(text, file: file) } catch { throw RiskError.file(error) }
        guard !self.catalogues.matrices.contains(where: { $0.id == matrix.id }),
            try await self.store.insertMatrix(StoredMatrix(matrix: matrix, source: text, loadedAt: self.now(), loadedBy: actor))
        else { throw RiskError.matrixExists(matrix.id) }
        try await self.store.appendAudit(AuditEvent(at: self.now(), actor: actor, action: .riskMatrixAdded, target: matrix.id, address: address))
        return matrix
    }

    // MARK: cycles

    /// Starts a cycle for an organisation: a copy of its last cycle (same matrix, scenarios and ratings)
    /// or, for its first, an empty register on `matrixID`.
    public func startCycle(organisationID: UUID, matrixID: String, nextReview: Date?, by actor: String, address: String?) async throws -> StoredCycle {
        guard try await self.store.organisation(id: organisationID) != nil else { throw RiskError.unknownOrganisation(organisationID.uuidString) }
        let date = self.now()
        let stored: StoredCycle
        if let last = try await self.store.cycleHeaders(organisationID: organisationID).first, let previous = try await self.store.cycle(id: last.id) {
            stored = StoredCycle(
                cycle: previous.cycle.next(startedAt: date, nextReview: nextReview), matrix: previous.matrix, matrixSource: previous.matrixSource, createdBy: actor)
        } else {
            guard let found = try await self.matrices().first(where: { $0.matrix.id == matrixID }) else { throw RiskError.unknownMatrix(matrixID) }
            stored = StoredCycle(
                cycle: RiskCycle(organisationID: organisationID, matrixID: matrixID, startedAt: date, nextReview: nextReview), matrix: found.matrix,
                matrixSource: found.source, createdBy: actor)
        }
        try await self.store.insertCycles([stored], at: date)
        try await self.store.appendAudit(
            AuditEvent(at: date, actor: actor, action: .riskCycleStarted, target: stored.cycle.id.uuidString, address: address, detail: organisationID.uuidString))
        return stored
    }

    public func cycle(_ id: UUID) async throws -> StoredCycle {
        guard let stored = try await self.store.cycle(id: id) else { throw RiskError.notFound }
        return stored
    }

    /// Checks and saves a scenario in a cycle.
    public func saveScenario(_ scenario: RiskScenario, cycleID: UUID, by actor: String, address: String?) async throws {
        let stored = try await self.cycle(cycleID)
        let problems = scenario.problems(matrix: stored.matrix, csf: self.catalogues.csf, threats: self.catalogues.threats)
        guard problems.isEmpty else { throw RiskError.invalid(problems.map { RiskError.Problem(field: $0.field, reason: $0.reason) }) }
        guard try await self.store.saveScenario(scenario, cycleID: cycleID, at: self.now()) else { throw RiskError.notFound }
        try await self.store.appendAudit(
            AuditEvent(at: self.now(), actor: actor, action: .riskScenarioSaved, target: scenario.id.uuidString, address: address, detail: scenario.title))
    }

    public func deleteScenario(id: UUID, cycleID: UUID, by actor: String, address: String?) async throws {
        guard try await self.store.deleteScenario(id: id, cycleID: cycleID) else { throw RiskError.notFound }
        try await self.store.appendAudit(AuditEvent(at: self.now(), actor: actor, action: .riskScenarioDeleted, target: id.uuidString, address: address))
    }

    /// The cycle of the same organisation started just before this one, and what changed since.
    public func comparison(_ cycleID: UUID) async throws -> (previous: StoredCycle, current: StoredCycle, comparison: CycleComparison)? {
        let current = try await self.cycle(cycleID)
        let headers = try await self.store.cycleHeaders(organisationID: current.cycle.organisationID)
        guard let index = headers.firstIndex(where: { $0.id == cycleID }), index + 1 < headers.count,
            let previous = try await self.store.cycle(id: headers[index + 1].id)
        else { return nil }
        return (previous, current, CycleComparison.compare(previous.cycle, on: previous.matrix, with: current.cycle, on: current.matrix))
    }

    /// Every cycle of an organisation, oldest first, with how many scenarios sit at each level rank
    /// (current rating) — the trend of the register.
    public func trend(organisationID: UUID) async throws -> [(cycle: StoredCycle, levels: [Int])] {
        var result: [(cycle: StoredCycle, levels: [Int])] = []
        for header in try await self.store.cycleHeaders(organisationID: organisationID).reversed() {
            guard let stored = try await self.store.cycle(id: header.id) else { continue }
            result.append((stored, Self.levelCounts(stored, rating: \.current)))
        }
        return result
    }

    /// How many scenarios of a cycle sit at each level of its matrix (lowest first), on one of the three ratings.
    public static func levelCounts(_ stored: StoredCycle, rating: KeyPath<RiskScenario, RiskScenario.Rating>) -> [Int] {
        var counts = Array(repeating: 0, count: stored.matrix.levels.count)
        for scenario in stored.cycle.scenarios {
            let r = scenario[keyPath: rating]
            if let l = stored.matrix.rank(likelihood: r.likelihood), let i = stored.matrix.rank(impact: r.impact),
                let level = stored.matrix.level(likelihood: l, impact: i), let index = stored.matrix.levels.firstIndex(of: level)
            {
                counts[index] += 1
            }
        }
        return counts
    }

    public func setNextReview(_ date: Date?, cycleID: UUID, by actor: String, address: String?) async throws {
        guard try await self.store.setNextReview(date, cycleID: cycleID) else { throw RiskError.notFound }
        try await self.store.appendAudit(AuditEvent(at: self.now(), actor: actor, action: .riskReviewSet, target: cycleID.uuidString, address: address))
    }

    // MARK: files

    /// Every register (or one organisation's) with all its cycles, as the file `import` reads.
    public func exportRegisters(organisationID: UUID?) async throws -> JSONValue {
        let headers = try await self.store.cycleHeaders(organisationID: organisationID)
        var order: [UUID] = []
        var cycles: [UUID: [StoredCycle]] = [:]
        for header in headers.reversed() {
            guard let stored = try await self.store.cycle(id: header.id) else { continue }
            if cycles[header.organisationID] == nil { order.append(header.organisationID) }
            cycles[header.organisationID, default: []].append(stored)
        }
        var registers: [(organisation: Organisation?, cycles: [StoredCycle])] = []
        for id in order { registers.append((try await self.store.organisation(id: id), cycles[id] ?? [])) }
        return RiskRegisterFile.json(registers)
    }

    /// Imports a register file: everything is read and checked (organisations found, scenarios valid on
    /// their matrices, ids new) before one transaction writes it all, or nothing.
    public func importRegisters(_ text: String, file: String, by actor: String, address: String?) async throws -> Int {
        let items: [RiskRegisterFile.ImportedCycle]
        do { items = try RiskRegisterFile.read(text, file: file, csf: self.catalogues.csf, threats: self.catalogues.threats) } catch { throw RiskError.file(error) }
        let organisations = try await self.store.organisations()
        var cycles: [StoredCycle] = []
        for item in items {
            let organisation =
                item.organisationID.flatMap { id in organisations.first { $0.id == id } }
                ?? item.organisationName.flatMap { name in
                    organisations.first { $0.name.compare(name, options: [.caseInsensitive, .diacriticInsensitive]) == .orderedSame }
                }
            guard let organisation else {
                let name = item.organisationName ?? item.organisationID?.uuidString ?? ""
                let register = item.path.range(of: ".cycles[").map { String(item.path[..<$0.lowerBound]) } ?? item.path
                throw RiskError.file(
                    .invalid(
                        file: file, path: register + ".organisation",
                        reason: Refusal("risk.error.organisation", english: "there is no organisation \"\(name)\" in the constituency", ["name": name])))
            }
            if try await self.store.cycle(id: item.cycle.id) != nil { throw RiskError.cycleExists(item.cycle.id.uuidString) }
            var cycle = item.cycle
            cycle.organisationID = organisation.id
            cycles.append(StoredCycle(cycle: cycle, matrix: item.matrix, matrixSource: item.matrixSource, createdBy: actor))
        }
        do { try await self.store.insertCycles(cycles, at: self.now()) } catch StoreError.duplicate(_, let value) { throw RiskError.cycleExists(value) }
        try await self.store.appendAudit(
            AuditEvent(at: self.now(), actor: actor, action: .riskImported, target: file, address: address, detail: "\(cycles.count) cycles"))
        return cycles.count
    }

    // MARK: SME results

    /// How many results one address may share in an hour (the form is public: a script must not fill the statistics).
    public static let sharesPerHour = 10

    /// Keeps a result a business chose to share: its profile, answers and maturity, the day (not the time)
    /// and, only if it typed one, a name. At most ``sharesPerHour`` from one address (when given) in an hour.
    public func shareSME(_ answers: SMEAnswers, business: String?, address: String? = nil) async throws -> SharedSMEResult {
        if let address {
            let now = self.now()
            let admitted = Mutex(true)
            _ = try await self.store.countLoginAttempt(
                UUID().uuidString, keys: ["sme-share|address:\(address)"], at: now, since: now.addingTimeInterval(-3600)
            ) { counted in
                let ok = counted.allSatisfy { $0.count < Self.sharesPerHour }
                admitted.withLock { $0 = ok }
                return ok
            }
            guard admitted.withLock({ $0 }) else { throw RiskError.tooManyShares }
        }
        let questionnaire = self.catalogues.sme
        let result = SMEResult.evaluate(answers, in: questionnaire)
        let sharedOn = CalendarDay.parse(CalendarDay.format(self.now())) ?? self.now()
        let name = business?.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
        let shared = SharedSMEResult(
            sharedOn: sharedOn, questionnaireVersion: questionnaire.version, size: answers.profile.size, sector: answers.profile.sector,
            answers: SMEResumeCode.encode(answers, in: questionnaire), percent: result.percent,
            functions: Dictionary(uniqueKeysWithValues: result.functions.map { ($0.function, $0.percent) }),
            business: name.flatMap { $0.isEmpty ? nil : String($0) })
        try await self.store.insertSMEResult(shared)
        return shared
    }
}

extension AuditAction {
    public static let riskMatrixAdded = AuditAction(rawValue: "risk.matrix-added")
    public static let riskCycleStarted = AuditAction(rawValue: "risk.cycle-started")
    public static let riskScenarioSaved = AuditAction(rawValue: "risk.scenario-saved")
    public static let riskScenarioDeleted = AuditAction(rawValue: "risk.scenario-deleted")
    public static let riskReviewSet = AuditAction(rawValue: "risk.review-set")
    public static let riskImported = AuditAction(rawValue: "risk.imported")
}
