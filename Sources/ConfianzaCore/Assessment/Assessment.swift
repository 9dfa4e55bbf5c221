import Foundation

/// One country's assessment against one framework edition, and its way from draft to validated.
public struct Assessment: Sendable, Equatable, Identifiable {
    /// draft → submitted → under review → validated; under review → returned (with comments) → submitted again.
    public enum State: String, Sendable, CaseIterable, Codable {
        case draft, submitted
        case underReview = "under-review"
        case returned, validated

        /// Whether answers and evidence may change (by the country's focal point or staff).
        public var isEditable: Bool { self == .draft || self == .returned }
    }

    public var id: UUID
    public var frameworkID: String
    public var edition: String
    public var country: String
    public var state: State
    /// Who may read it beyond staff and the country's focal points: TLP:CLEAR puts a validated assessment on the public pages.
    public var tlp: TLP
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID = UUID(), frameworkID: String, edition: String, country: String, state: State = .draft, tlp: TLP = .amber,
        createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.frameworkID = frameworkID
        self.edition = edition
        self.country = country
        self.state = state
        self.tlp = tlp
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// A saved answer with its note.
public struct SavedAnswer: Sendable, Equatable {
    public var questionID: String
    public var answer: Answer?
    public var note: String
    public var updatedAt: Date
    public var updatedBy: String

    public init(questionID: String, answer: Answer?, note: String, updatedAt: Date, updatedBy: String) {
        self.questionID = questionID
        self.answer = answer
        self.note = note
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// Evidence behind an answer: a public link, or a document uploaded with its hash and date.
public struct Evidence: Sendable, Equatable, Identifiable {
    public enum Kind: String, Sendable { case link, document }

    public var id: UUID
    public var assessmentID: UUID
    public var questionID: String
    public var kind: Kind
    /// The link, for `link`.
    public var url: String?
    /// The file's name, type, size and SHA-256 (hex), for `document`.
    public var filename: String?
    public var contentType: String?
    public var size: Int
    public var sha256: String?
    public var addedAt: Date
    public var addedBy: String

    public init(
        id: UUID = UUID(), assessmentID: UUID, questionID: String, kind: Kind, url: String? = nil, filename: String? = nil,
        contentType: String? = nil, size: Int = 0, sha256: String? = nil, addedAt: Date, addedBy: String
    ) {
        self.id = id
        self.assessmentID = assessmentID
        self.questionID = questionID
        self.kind = kind
        self.url = url
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.addedAt = addedAt
        self.addedBy = addedBy
    }
}

/// A reviewer's comment on one answer; resolved when the country submits again.
public struct ReviewComment: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var assessmentID: UUID
    public var questionID: String
    public var body: String
    public var author: String
    public var at: Date
    public var resolvedAt: Date?

    public init(id: UUID = UUID(), assessmentID: UUID, questionID: String, body: String, author: String, at: Date, resolvedAt: Date? = nil) {
        self.id = id
        self.assessmentID = assessmentID
        self.questionID = questionID
        self.body = body
        self.author = author
        self.at = at
        self.resolvedAt = resolvedAt
    }
}

/// One line of an assessment's timeline, said in the reader's language from its phrase.
public struct AssessmentTimelineEntry: Sendable, Equatable {
    public var assessmentID: UUID
    public var at: Date
    public var actor: String
    public var phrase: Phrase

    public init(assessmentID: UUID, at: Date, actor: String, phrase: Phrase) {
        self.assessmentID = assessmentID
        self.at = at
        self.actor = actor
        self.phrase = phrase
    }
}

/// A framework as loaded: each load of the same id and edition is a new revision; the newest is in use.
public struct StoredFramework: Sendable, Equatable {
    public var framework: AssessmentFramework
    public var revision: Int
    public var loadedAt: Date
    public var loadedBy: String

    public init(framework: AssessmentFramework, revision: Int, loadedAt: Date, loadedBy: String) {
        self.framework = framework
        self.revision = revision
        self.loadedAt = loadedAt
        self.loadedBy = loadedBy
    }
}

/// A score kept for history: computed when an assessment was validated, or when its framework's
/// weights changed (the older ones stay).
public struct ScoreRecord: Sendable, Equatable {
    public var assessmentID: UUID
    public var revision: Int
    public var total: Double
    public var tier: String?
    public var pillars: [String: Double]
    public var computedAt: Date
    /// `validated` or `reweighted`.
    public var reason: String

    public init(assessmentID: UUID, revision: Int, total: Double, tier: String?, pillars: [String: Double], computedAt: Date, reason: String) {
        self.assessmentID = assessmentID
        self.revision = revision
        self.total = total
        self.tier = tier
        self.pillars = pillars
        self.computedAt = computedAt
        self.reason = reason
    }
}

/// An invitation for a person to answer for one country. The link carries a random token; the store keeps its SHA-256.
public struct FocalPointInvitation: Sendable, Equatable {
    public var tokenHash: String
    public var email: String
    public var displayName: String
    public var country: String
    public var language: Language
    public var createdAt: Date
    public var expiresAt: Date
    public var createdBy: String
    public var acceptedAt: Date?
    public var username: String?

    public init(
        tokenHash: String, email: String, displayName: String, country: String, language: Language, createdAt: Date, expiresAt: Date,
        createdBy: String, acceptedAt: Date? = nil, username: String? = nil
    ) {
        self.tokenHash = tokenHash
        self.email = email
        self.displayName = displayName
        self.country = country
        self.language = language
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.createdBy = createdBy
        self.acceptedAt = acceptedAt
        self.username = username
    }
}

/// Storage for frameworks, assessments, answers, evidence, reviews, scores and focal points.
public protocol AssessmentStore: Sendable {
    /// Stores a framework as the next revision of its id and edition; returns the revision.
    func saveFramework(_ framework: AssessmentFramework, at date: Date, by actor: String) async throws -> Int
    /// The newest revision of every framework, by id then edition.
    func frameworks() async throws -> [StoredFramework]
    /// One revision (the newest when `revision` is `nil`).
    func framework(id: String, edition: String, revision: Int?) async throws -> StoredFramework?

    func insertAssessment(_ assessment: Assessment, timeline: AssessmentTimelineEntry) async throws
    func assessment(id: UUID) async throws -> Assessment?
    /// Every assessment, optionally of one country, by framework, edition and country.
    func assessments(country: String?) async throws -> [Assessment]
    /// Moves an assessment from `expected` to its new state (and TLP); `false` when it was no longer in `expected`.
    func updateAssessment(_ assessment: Assessment, expected: Assessment.State, timeline: AssessmentTimelineEntry, resolveComments: Bool) async throws -> Bool

    func answers(assessmentID: UUID) async throws -> [SavedAnswer]
    /// The answers and public evidence links of many assessments at once (a comparison's rows), by assessment.
    func answerSheets(assessmentIDs: [UUID]) async throws -> [UUID: AnswerSheet]
    /// Saves answers (replacing those of the same questions) while the assessment is in an editable state; `false` when it is not.
    func saveAnswers(_ answers: [SavedAnswer], assessmentID: UUID, at date: Date, timeline: AssessmentTimelineEntry?) async throws -> Bool

    func addEvidence(_ evidence: Evidence, content: Data?, timeline: AssessmentTimelineEntry) async throws -> Bool
    func evidence(assessmentID: UUID) async throws -> [Evidence]
    func evidenceDocument(id: UUID) async throws -> (Evidence, Data)?
    func removeEvidence(id: UUID, assessmentID: UUID, timeline: AssessmentTimelineEntry) async throws -> Bool

    func addComment(_ comment: ReviewComment, timeline: AssessmentTimelineEntry) async throws
    func comments(assessmentID: UUID) async throws -> [ReviewComment]
    func assessmentTimeline(assessmentID: UUID) async throws -> [AssessmentTimelineEntry]

    func appendScores(_ records: [ScoreRecord]) async throws
    func scores(assessmentID: UUID) async throws -> [ScoreRecord]

    func insertInvitation(_ invitation: FocalPointInvitation, mail: OutboxMessage) async throws
    func invitation(tokenHash: String) async throws -> FocalPointInvitation?
    func invitations() async throws -> [FocalPointInvitation]
    /// Creates the focal point's user, ties it to the invitation's country and marks the invitation
    /// used, at once; `false` when it was already used.
    func acceptInvitation(tokenHash: String, user: User, at date: Date) async throws -> Bool
    /// The country a focal point answers for (`nil` for anyone else).
    func focalCountry(userID: UUID) async throws -> String?
}
