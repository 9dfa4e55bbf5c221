import Foundation

/// The rules of national capacity assessments: who may see and change what, the way from draft to
/// validated, evidence, scores and their history, and focal points invited by e-mail.
public struct AssessmentService: Sendable {
    public typealias Storage = any AssessmentStore & AuditStore

    public let store: Storage
    let now: @Sendable () -> Date
    /// How long an invitation link stays usable.
    public static let invitationLifetime: TimeInterval = 14 * 24 * 3600

    public init(store: Storage, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    // MARK: frameworks

    /// The frameworks shipped with Confianza (`Resources/Assessment/*.json`), as files.
    public static func bundledFrameworkFiles() -> [(name: String, text: String)] {
        ["five-pillars", "evidence-index"].compactMap { name in
            guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Assessment"),
                let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8)
            else { return nil }
            return (name + ".json", text)
        }
    }

    /// Loads the bundled frameworks that the database does not have yet (a site's own revisions stay).
    public func installBundledFrameworks() async throws {
        for (name, text) in Self.bundledFrameworkFiles() {
            let framework = try FrameworkFile.framework(text, file: name)
            if try await self.store.framework(id: framework.id, edition: framework.edition, revision: nil) == nil {
                _ = try await self.store.saveFramework(framework, at: self.now(), by: "confianza")
            }
        }
    }

    /// Loads a framework file as the next revision of its id and edition. When weights changed, the
    /// scores of its validated assessments are computed again and kept beside the old ones.
    /// Returns the revision and what changed in the methodology.
    public func loadFramework(_ text: String, file: String, by actor: String, address: String) async throws -> (StoredFramework, [String]) {
        let framework: AssessmentFramework
        do { framework = try FrameworkFile.framework(text, file: file) } catch { throw AssessmentError.file(error) }
        let previous = try await self.store.framework(id: framework.id, edition: framework.edition, revision: nil)
        let changes = previous.map { framework.methodologyDifferences(from: $0.framework) } ?? []
        let date = self.now()
        let revision = try await self.store.saveFramework(framework, at: date, by: actor)
        if previous != nil, !changes.isEmpty {
            var records: [ScoreRecord] = []
            for assessment in try await self.store.assessments(country: nil)
            where assessment.frameworkID == framework.id && assessment.edition == framework.edition && assessment.state == .validated {
                let card = Scoring.score(try await self.sheet(of: assessment), with: framework)
                records.append(Self.record(card, assessment: assessment, revision: revision, at: date, reason: "reweighted"))
            }
            try await self.store.appendScores(records)
        }
        try await self.store.appendAudit(
            AuditEvent(
                at: date, actor: actor, action: .frameworkLoaded, target: "\(framework.id)/\(framework.edition)", address: address,
                detail: "revision=\(revision)" + (changes.isEmpty ? "" : " changed=\(changes.prefix(20).joined(separator: ","))")))
        return (StoredFramework(framework: framework, revision: revision, loadedAt: date, loadedBy: actor), changes)
    }

    public func framework(id: String, edition: String, revision: Int? = nil) async throws -> StoredFramework {
        guard let stored = try await self.store.framework(id: id, edition: edition, revision: revision) else {
            throw AssessmentError.notFound("framework \(id) \(edition)")
        }
        return stored
    }

    // MARK: access

    /// Whether `user` may read the assessment: staff read all, a focal point only their country's.
    public func requireReader(_ user: User, of assessment: Assessment) async throws {
        if user.role.includes(.viewer) { return }
        guard user.role == .focalPoint, try await self.store.focalCountry(userID: user.id) == assessment.country else {
            throw AssessmentError.forbidden
        }
    }

    /// Whether `user` may change answers and evidence: analysts and admins, or the country's focal point.
    public func requireEditor(_ user: User, of assessment: Assessment) async throws {
        if user.role.includes(.analyst) { return }
        try await self.requireReader(user, of: assessment)
        guard user.role == .focalPoint else { throw AssessmentError.forbidden }
    }

    public func assessment(_ id: UUID, for user: User) async throws -> Assessment {
        guard let assessment = try await self.store.assessment(id: id) else { throw AssessmentError.notFound("assessment") }
        try await self.requireReader(user, of: assessment)
        return assessment
    }

    /// The assessments `user` may see.
    public func assessments(for user: User) async throws -> [Assessment] {
        if user.role.includes(.viewer) { return try await self.store.assessments(country: nil) }
        guard let country = try await self.store.focalCountry(userID: user.id) else { return [] }
        return try await self.store.assessments(country: country)
    }

    // MARK: assessments

    public func create(frameworkID: String, edition: String, country rawCountry: String, by user: User, address: String) async throws -> Assessment {
        guard user.role.includes(.analyst) else { throw AssessmentError.forbidden }
        _ = try await self.framework(id: frameworkID, edition: edition)
        guard let country = Countries.normalise(rawCountry) else {
            throw AssessmentError.invalid(
                field: "country", reason: Refusal("assessment.error.country_field", english: "\"\(rawCountry)\" is not an ISO 3166 alpha-2 country code", ["code": rawCountry]))
        }
        if try await self.store.assessments(country: country).contains(where: { $0.frameworkID == frameworkID && $0.edition == edition }) {
            throw AssessmentError.alreadyExists(country: country)
        }
        let date = self.now()
        let assessment = Assessment(frameworkID: frameworkID, edition: edition, country: country, createdAt: date)
        do {
            try await self.store.insertAssessment(
                assessment, timeline: .init(assessmentID: assessment.id, at: date, actor: user.username, phrase: Phrase("assessment.timeline.created")))
        } catch StoreError.duplicate {
            throw AssessmentError.alreadyExists(country: country)
        }
        try await self.audit(.assessmentCreated, user, assessment, address)
        return assessment
    }

    /// The answers and public links of an assessment, as the scoring reads them.
    public func sheet(of assessment: Assessment) async throws -> AnswerSheet {
        var sheet = try await self.store.answerSheets(assessmentIDs: [assessment.id])[assessment.id] ?? AnswerSheet(answers: [:])
        sheet.country = assessment.country
        return sheet
    }

    /// The scores of many assessments, each with its framework's newest revision, in a few queries
    /// whatever their number.
    public func scores(_ assessments: [Assessment]) async throws -> [UUID: (ScoreCard, StoredFramework)] {
        let sheets = try await self.store.answerSheets(assessmentIDs: assessments.map(\.id))
        var frameworks: [String: StoredFramework] = [:]
        var result: [UUID: (ScoreCard, StoredFramework)] = [:]
        for assessment in assessments {
            let key = assessment.frameworkID + "\u{0}" + assessment.edition
            if frameworks[key] == nil { frameworks[key] = try await self.framework(id: assessment.frameworkID, edition: assessment.edition) }
            guard let stored = frameworks[key] else { continue }
            let sheet = sheets[assessment.id] ?? AnswerSheet(country: assessment.country, answers: [:])
            result[assessment.id] = (Scoring.score(sheet, with: stored.framework), stored)
        }
        return result
    }

    /// The score of an assessment with its framework's newest revision.
    public func score(_ assessment: Assessment) async throws -> (ScoreCard, StoredFramework) {
        guard let scored = try await self.scores([assessment])[assessment.id] else { throw AssessmentError.notFound("framework") }
        return scored
    }

    /// Saves answers and notes given as the form or API sends them (`nil` value: unanswered). Only
    /// while the assessment is a draft or returned.
    public func saveAnswers(
        _ given: [String: (value: JSONValue, note: String)], to assessment: Assessment, by user: User
    ) async throws {
        try await self.requireEditor(user, of: assessment)
        guard assessment.state.isEditable else { throw AssessmentError.wrongState(assessment.state) }
        let framework = try await self.framework(id: assessment.frameworkID, edition: assessment.edition).framework
        let date = self.now()
        var saved: [SavedAnswer] = []
        for (questionID, entry) in given.sorted(by: { $0.key < $1.key }) {
            guard let question = framework.locate(question: questionID)?.question else {
                throw AssessmentError.invalid(
                    field: questionID, reason: Refusal("assessment.error.unknown_question", english: "there is no question \"\(questionID)\"", ["id": questionID]))
            }
            let note = entry.note.trimmingCharacters(in: .whitespacesAndNewlines)
            guard note.count <= 4000 else {
                throw AssessmentError.invalid(field: questionID, reason: Refusal("assessment.error.note_long", english: "a note is at most 4000 characters"))
            }
            switch Answer.check(entry.value, for: question, partialAllowed: true) {
            case .success(let answer): saved.append(SavedAnswer(questionID: questionID, answer: answer, note: note, updatedAt: date, updatedBy: user.username))
            case .failure(let reason): throw AssessmentError.invalid(field: questionID, reason: reason)
            }
        }
        guard !saved.isEmpty else { return }
        let entry = AssessmentTimelineEntry(
            assessmentID: assessment.id, at: date, actor: user.username, phrase: Phrase("assessment.timeline.saved", ["count": String(saved.count)]))
        guard try await self.store.saveAnswers(saved, assessmentID: assessment.id, at: date, timeline: entry) else {
            throw AssessmentError.wrongState(try await self.store.assessment(id: assessment.id)?.state ?? assessment.state)
        }
    }

    public func addLink(_ link: String, question questionID: String, to assessment: Assessment, by user: User) async throws {
        try await self.requireEditor(user, of: assessment)
        guard assessment.state.isEditable else { throw AssessmentError.wrongState(assessment.state) }
        try await self.requireQuestion(questionID, in: assessment)
        let url = link.trimmingCharacters(in: .whitespaces)
        guard EvidenceLink.isPublic(url) else {
            throw AssessmentError.invalid(field: "url", reason: Refusal("assessment.error.link", english: "an evidence link is an http or https address", ["link": url]))
        }
        let date = self.now()
        let evidence = Evidence(assessmentID: assessment.id, questionID: questionID, kind: .link, url: url, addedAt: date, addedBy: user.username)
        guard try await self.store.addEvidence(
            evidence, content: nil,
            timeline: .init(assessmentID: assessment.id, at: date, actor: user.username, phrase: Phrase("assessment.timeline.link", ["question": questionID])))
        else { throw AssessmentError.wrongState(assessment.state) }
    }

    /// Stores an uploaded document with its SHA-256 and date, after checking its size and kind.
    public func addDocument(
        filename rawName: String, data: Data, question questionID: String, to assessment: Assessment, by user: User, address: String
    ) async throws -> Evidence {
        try await self.requireEditor(user, of: assessment)
        guard assessment.state.isEditable else { throw AssessmentError.wrongState(assessment.state) }
        try await self.requireQuestion(questionID, in: assessment)
        let filename = Self.safeFilename(rawName)
        let type: String
        switch EvidenceDocuments.check(filename: filename, data: data) {
        case .success(let checked): type = checked
        case .failure(let reason): throw AssessmentError.invalid(field: "document", reason: reason)
        }
        let date = self.now()
        let evidence = Evidence(
            assessmentID: assessment.id, questionID: questionID, kind: .document, filename: filename, contentType: type, size: data.count,
            sha256: Secrets.sha256Hex(data), addedAt: date, addedBy: user.username)
        guard try await self.store.addEvidence(
            evidence, content: data,
            timeline: .init(
                assessmentID: assessment.id, at: date, actor: user.username,
                phrase: Phrase("assessment.timeline.document", ["question": questionID, "file": filename])))
        else { throw AssessmentError.wrongState(assessment.state) }
        try await self.store.appendAudit(
            AuditEvent(
                at: date, actor: user.username, action: .assessmentEvidence, target: assessment.id.uuidString, address: address,
                detail: "\(questionID) \(filename) sha256=\(evidence.sha256 ?? "")"))
        return evidence
    }

    public func removeEvidence(_ id: UUID, from assessment: Assessment, by user: User) async throws {
        try await self.requireEditor(user, of: assessment)
        guard assessment.state.isEditable else { throw AssessmentError.wrongState(assessment.state) }
        guard let item = try await self.store.evidence(assessmentID: assessment.id).first(where: { $0.id == id }) else {
            throw AssessmentError.notFound("evidence")
        }
        _ = try await self.store.removeEvidence(
            id: id, assessmentID: assessment.id,
            timeline: .init(
                assessmentID: assessment.id, at: self.now(), actor: user.username,
                phrase: Phrase("assessment.timeline.evidence_removed", ["question": item.questionID])))
    }

    /// A document for download, to those who may read its assessment.
    public func document(_ id: UUID, for user: User?) async throws -> (Evidence, Data) {
        guard let (evidence, data) = try await self.store.evidenceDocument(id: id),
            let assessment = try await self.store.assessment(id: evidence.assessmentID)
        else { throw AssessmentError.notFound("document") }
        if let user {
            try await self.requireReader(user, of: assessment)
        } else {
            guard assessment.state == .validated, assessment.tlp == .clear else { throw AssessmentError.notFound("document") }
        }
        return (evidence, data)
    }

    func requireQuestion(_ id: String, in assessment: Assessment) async throws {
        let framework = try await self.framework(id: assessment.frameworkID, edition: assessment.edition).framework
        guard framework.locate(question: id) != nil else {
            throw AssessmentError.invalid(field: "question", reason: Refusal("assessment.error.unknown_question", english: "there is no question \"\(id)\"", ["id": id]))
        }
    }

    /// A file name safe to keep and to send back: its last path part, printable, at most 120 characters.
    public static func safeFilename(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && $0 != "\"" }.map(Character.init))
        let trimmed = cleaned.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "document" : String(trimmed.suffix(120))
    }

    func audit(_ action: AuditAction, _ user: User, _ assessment: Assessment, _ address: String, detail: String? = nil) async throws {
        try await self.store.appendAudit(
            AuditEvent(
                at: self.now(), actor: user.username, action: action,
                target: "\(assessment.frameworkID)/\(assessment.edition)/\(assessment.country)", address: address, detail: detail))
    }

    static func record(_ card: ScoreCard, assessment: Assessment, revision: Int, at date: Date, reason: String) -> ScoreRecord {
        ScoreRecord(
            assessmentID: assessment.id, revision: revision, total: card.total.double, tier: card.tier?.id,
            pillars: Dictionary(uniqueKeysWithValues: card.pillars.map { ($0.id, $0.score.double) }), computedAt: date, reason: reason)
    }
}

extension AuditAction {
    public static let frameworkLoaded = AuditAction(rawValue: "assessment.framework-loaded")
    public static let assessmentCreated = AuditAction(rawValue: "assessment.created")
    public static let assessmentEvidence = AuditAction(rawValue: "assessment.evidence-added")
    public static let assessmentSubmitted = AuditAction(rawValue: "assessment.submitted")
    public static let assessmentReviewStarted = AuditAction(rawValue: "assessment.review-started")
    public static let assessmentReturned = AuditAction(rawValue: "assessment.returned")
    public static let assessmentValidated = AuditAction(rawValue: "assessment.validated")
    public static let focalPointInvited = AuditAction(rawValue: "focal-point.invited")
    public static let focalPointJoined = AuditAction(rawValue: "focal-point.joined")
}
