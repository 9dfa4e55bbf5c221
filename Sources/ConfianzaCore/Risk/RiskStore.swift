import Foundation

/// A matrix a site added (the shipped ones are read from the bundle), as loaded.
public struct StoredMatrix: Sendable, Equatable {
    public var matrix: RiskMatrix
    public var source: String
    public var loadedAt: Date
    public var loadedBy: String

    public init(matrix: RiskMatrix, source: String, loadedAt: Date, loadedBy: String) {
        self.matrix = matrix
        self.source = source
        self.loadedAt = loadedAt
        self.loadedBy = loadedBy
    }
}

/// A cycle as kept: with the matrix it is rated on (its file, kept with the cycle, so a cycle always
/// reads as it was rated), who started it and when.
public struct StoredCycle: Sendable, Equatable {
    public var cycle: RiskCycle
    public var matrix: RiskMatrix
    public var matrixSource: String
    public var createdBy: String

    public init(cycle: RiskCycle, matrix: RiskMatrix, matrixSource: String, createdBy: String) {
        self.cycle = cycle
        self.matrix = matrix
        self.matrixSource = matrixSource
        self.createdBy = createdBy
    }
}

/// A cycle in a list: no scenarios, their number and the highest current level.
public struct CycleHeader: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var organisationID: UUID
    public var organisationName: String?
    public var matrixID: String
    public var startedAt: Date
    public var nextReview: Date?
    public var scenarios: Int

    public init(id: UUID, organisationID: UUID, organisationName: String?, matrixID: String, startedAt: Date, nextReview: Date?, scenarios: Int) {
        self.id = id
        self.organisationID = organisationID
        self.organisationName = organisationName
        self.matrixID = matrixID
        self.startedAt = startedAt
        self.nextReview = nextReview
        self.scenarios = scenarios
    }
}

/// A self-assessment result a business chose to share: anonymous unless it gave a name.
public struct SharedSMEResult: Sendable, Equatable, Identifiable {
    public var id: UUID
    /// The day it was shared (kept to the day, no more).
    public var sharedOn: Date
    public var questionnaireVersion: String
    public var size: String
    public var sector: String
    /// The resume code: the answers themselves, nothing that names the business.
    public var answers: String
    public var percent: Int
    /// Percent per CSF function.
    public var functions: [String: Int]
    public var business: String?

    public init(
        id: UUID = UUID(), sharedOn: Date, questionnaireVersion: String, size: String, sector: String, answers: String, percent: Int,
        functions: [String: Int], business: String?
    ) {
        self.id = id
        self.sharedOn = sharedOn
        self.questionnaireVersion = questionnaireVersion
        self.size = size
        self.sector = sector
        self.answers = answers
        self.percent = percent
        self.functions = functions
        self.business = business
    }
}

/// Where risk registers and shared self-assessment results are kept.
public protocol RiskStore: Sendable {
    /// Adds a matrix under a new id; `false` when the id is taken.
    func insertMatrix(_ matrix: StoredMatrix) async throws -> Bool
    func customMatrices() async throws -> [StoredMatrix]

    /// Inserts cycles with their scenarios, all or none; throws ``StoreError/duplicate(field:value:)`` when an id is taken.
    func insertCycles(_ cycles: [StoredCycle], at date: Date) async throws
    func cycle(id: UUID) async throws -> StoredCycle?
    /// Cycles, newest first (of one organisation when given).
    func cycleHeaders(organisationID: UUID?) async throws -> [CycleHeader]
    /// Every organisation's latest cycle whose review date is before `date`, most overdue first.
    func overdueCycles(at date: Date, limit: Int) async throws -> [CycleHeader]
    /// Sets a cycle's next review date; `false` when there is no such cycle.
    func setNextReview(_ date: Date?, cycleID: UUID) async throws -> Bool

    /// Adds or replaces a scenario of a cycle (by id); `false` when the cycle is not there.
    func saveScenario(_ scenario: RiskScenario, cycleID: UUID, at date: Date) async throws -> Bool
    func deleteScenario(id: UUID, cycleID: UUID) async throws -> Bool

    func insertSMEResult(_ result: SharedSMEResult) async throws
    /// Shared results, newest first.
    func smeResults(limit: Int) async throws -> [SharedSMEResult]
}
