import Foundation

/// A risk scenario of an organisation's register: what could happen to which asset, through which
/// threat, rated on the cycle's matrix three times — inherent (no controls), current (with the controls
/// in place) and residual (once the treatment is done) — and what is done about it.
public struct RiskScenario: Sendable, Equatable, Identifiable {
    public enum Treatment: String, Sendable, CaseIterable, Codable {
        case reduce, accept, transfer, avoid
    }

    /// A likelihood and an impact, each a step id of the matrix.
    public struct Rating: Sendable, Equatable, Hashable {
        public var likelihood: String
        public var impact: String

        public init(likelihood: String, impact: String) {
            self.likelihood = likelihood
            self.impact = impact
        }
    }

    public var id: UUID
    /// The same scenario across cycles: a new cycle's copy keeps it, so cycles can be compared.
    public var key: UUID
    public var title: String
    public var asset: String
    public var threatID: String?
    public var inherent: Rating
    public var current: Rating
    public var residual: Rating
    public var treatment: Treatment
    /// CSF 2.0 subcategory ids of the controls that treat it.
    public var controls: [String]
    public var owner: String
    public var due: Date?

    public init(
        id: UUID = UUID(), key: UUID = UUID(), title: String, asset: String, threatID: String? = nil, inherent: Rating, current: Rating,
        residual: Rating, treatment: Treatment, controls: [String] = [], owner: String = "", due: Date? = nil
    ) {
        self.id = id
        self.key = key
        self.title = title
        self.asset = asset
        self.threatID = threatID
        self.inherent = inherent
        self.current = current
        self.residual = residual
        self.treatment = treatment
        self.controls = controls
        self.owner = owner
        self.due = due
    }

    /// Why the scenario cannot be kept with this matrix, catalogue and threats, field by field; empty when it can.
    public func problems(matrix: RiskMatrix, csf: CSFCatalogue, threats: ThreatCatalogue) -> [(field: String, reason: Refusal)] {
        var problems: [(field: String, reason: Refusal)] = []
        if self.title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || self.title.count > 300 {
            problems.append(("title", Refusal("risk.error.title", english: "a title is 1 to 300 characters")))
        }
        for (field, rating) in [("inherent", self.inherent), ("current", self.current), ("residual", self.residual)] {
            if matrix.rank(likelihood: rating.likelihood) == nil {
                problems.append(
                    ("\(field).likelihood", Refusal(
                        "risk.error.step", english: "\"\(rating.likelihood)\" is not a likelihood of matrix \(matrix.id)",
                        ["step": rating.likelihood, "matrix": matrix.id])))
            }
            if matrix.rank(impact: rating.impact) == nil {
                problems.append(
                    ("\(field).impact", Refusal(
                        "risk.error.step", english: "\"\(rating.impact)\" is not an impact of matrix \(matrix.id)", ["step": rating.impact, "matrix": matrix.id])))
            }
        }
        if let threat = self.threatID, threats.threat(threat) == nil {
            problems.append(("threat", Refusal("risk.error.threat", english: "there is no threat \"\(threat)\" in the catalogue", ["threat": threat])))
        }
        for control in self.controls where csf.subcategory(control) == nil {
            problems.append(("controls", Refusal("risk.error.control", english: "\"\(control)\" is not a CSF 2.0 subcategory", ["control": control])))
        }
        return problems
    }
}

/// An assessment of an organisation's risks at a date, on one matrix: the unit the iterative process repeats.
public struct RiskCycle: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var organisationID: UUID
    public var matrixID: String
    public var startedAt: Date
    public var nextReview: Date?
    public var scenarios: [RiskScenario]

    public init(id: UUID = UUID(), organisationID: UUID, matrixID: String, startedAt: Date, nextReview: Date? = nil, scenarios: [RiskScenario] = []) {
        self.id = id
        self.organisationID = organisationID
        self.matrixID = matrixID
        self.startedAt = startedAt
        self.nextReview = nextReview
        self.scenarios = scenarios
    }

    /// The next cycle starts as a copy of this one: the same scenarios (new ids, same keys), ratings and treatments.
    public func next(startedAt date: Date, nextReview: Date?) -> RiskCycle {
        RiskCycle(
            organisationID: self.organisationID, matrixID: self.matrixID, startedAt: date, nextReview: nextReview,
            scenarios: self.scenarios.map { scenario in
                var copy = scenario
                copy.id = UUID()
                return copy
            })
    }

    /// Whether the review date has passed.
    public func isOverdue(at date: Date) -> Bool { self.nextReview.map { $0 < date } ?? false }
}

/// What changed between two cycles of one register, scenario by scenario, judged on the current level
/// (the risk as it stands), or on the score within the same level.
public struct CycleComparison: Sendable, Equatable {
    public enum Change: String, Sendable, CaseIterable {
        case improved, worsened, unchanged, new, closed
    }

    public struct Row: Sendable, Equatable {
        public var key: UUID
        public var title: String
        public var change: Change
        /// Current level and score before and after (nil where the scenario is absent).
        public var before: (level: String, score: Int)?
        public var after: (level: String, score: Int)?

        public static func == (lhs: Row, rhs: Row) -> Bool {
            lhs.key == rhs.key && lhs.title == rhs.title && lhs.change == rhs.change && lhs.before?.level == rhs.before?.level
                && lhs.before?.score == rhs.before?.score && lhs.after?.level == rhs.after?.level && lhs.after?.score == rhs.after?.score
        }
    }

    public var rows: [Row]

    public func count(_ change: Change) -> Int { self.rows.filter { $0.change == change }.count }

    /// Compares `before` (rated on `beforeMatrix`) with `after` (on `afterMatrix`): levels are compared by
    /// their rank in their own matrix, so a register may change matrix between cycles.
    public static func compare(_ before: RiskCycle, on beforeMatrix: RiskMatrix, with after: RiskCycle, on afterMatrix: RiskMatrix) -> CycleComparison {
        func rated(_ scenario: RiskScenario, _ matrix: RiskMatrix) -> (level: String, rank: Int, score: Int)? {
            guard let l = matrix.rank(likelihood: scenario.current.likelihood), let i = matrix.rank(impact: scenario.current.impact),
                let score = matrix.score(likelihood: l, impact: i), let level = matrix.level(score: score),
                let rank = matrix.levels.firstIndex(of: level)
            else { return nil }
            return (level.id, rank, score)
        }
        let old = Dictionary(before.scenarios.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(after.scenarios.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [Row] = []
        for scenario in after.scenarios {
            let now = rated(scenario, afterMatrix)
            guard let previous = old[scenario.key] else {
                rows.append(Row(key: scenario.key, title: scenario.title, change: .new, before: nil, after: now.map { ($0.level, $0.score) }))
                continue
            }
            let then = rated(previous, beforeMatrix)
            var change = Change.unchanged
            if let then, let now {
                if now.rank != then.rank {
                    change = now.rank < then.rank ? .improved : .worsened
                } else if beforeMatrix.id == afterMatrix.id, now.score != then.score {
                    change = now.score < then.score ? .improved : .worsened
                }
            }
            rows.append(Row(key: scenario.key, title: scenario.title, change: change, before: then.map { ($0.level, $0.score) }, after: now.map { ($0.level, $0.score) }))
        }
        for scenario in before.scenarios where new[scenario.key] == nil {
            let then = rated(scenario, beforeMatrix)
            rows.append(Row(key: scenario.key, title: scenario.title, change: .closed, before: then.map { ($0.level, $0.score) }, after: nil))
        }
        return CycleComparison(rows: rows)
    }
}
