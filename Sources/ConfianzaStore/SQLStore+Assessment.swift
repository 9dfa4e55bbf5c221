import ConfianzaCore
import Foundation
import SQLKit
import Synchronization

/// Frameworks, assessments, answers, evidence, reviews, scores and focal points.
extension SQLStore {
    // MARK: frameworks

    public func saveFramework(_ framework: AssessmentFramework, at date: Date, by actor: String) async throws -> Int {
        try await self.withTransaction { db in
            let current = try await db.raw(
                """
                SELECT MAX(revision) AS revision FROM assessment_frameworks
                WHERE framework_id = \(bind: framework.id) AND edition = \(bind: framework.edition)
                """
            ).first()?.decode(column: "revision", as: Int?.self) ?? 0
            let revision = current + 1
            try await db.raw(
                """
                INSERT INTO assessment_frameworks (framework_id, edition, revision, source, loaded_at, loaded_by)
                VALUES (\(bind: framework.id), \(bind: framework.edition), \(bind: revision), \(bind: framework.source), \(bind: Millis(date)), \(bind: actor))
                """
            ).run()
            return revision
        }
    }

    public func frameworks() async throws -> [StoredFramework] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT f.framework_id, f.edition, f.revision, f.source, f.loaded_at, f.loaded_by FROM assessment_frameworks f
                WHERE f.revision = (SELECT MAX(g.revision) FROM assessment_frameworks g WHERE g.framework_id = f.framework_id AND g.edition = f.edition)
                ORDER BY f.framework_id, f.edition
                """
            ).all().map(Self.decodeFramework)
        }
    }

    public func framework(id: String, edition: String, revision: Int?) async throws -> StoredFramework? {
        try await self.withReading { db in
            if let revision {
                return try await db.raw(
                    """
                    SELECT framework_id, edition, revision, source, loaded_at, loaded_by FROM assessment_frameworks
                    WHERE framework_id = \(bind: id) AND edition = \(bind: edition) AND revision = \(bind: revision)
                    """
                ).first().map(Self.decodeFramework)
            }
            return try await db.raw(
                """
                SELECT framework_id, edition, revision, source, loaded_at, loaded_by FROM assessment_frameworks
                WHERE framework_id = \(bind: id) AND edition = \(bind: edition) ORDER BY revision DESC LIMIT 1
                """
            ).first().map(Self.decodeFramework)
        }
    }

    /// Frameworks already read, by their text: every score needs its framework, and reading the file
    /// again each time was most of a comparison page's work.
    private static let parsedFrameworks = Mutex<[String: AssessmentFramework]>([:])

    static func decodeFramework(_ row: any SQLRow) throws -> StoredFramework {
        let source = try row.decode(column: "source", as: String.self)
        let framework: AssessmentFramework
        if let known = Self.parsedFrameworks.withLock({ $0[source] }) {
            framework = known
        } else {
            do { framework = try FrameworkFile.framework(source, file: "stored framework") } catch {
                throw StoreError.corrupt("a stored framework cannot be read again: \(error)")
            }
            Self.parsedFrameworks.withLock { cache in
                if cache.count >= 64 { cache.removeAll() }
                cache[source] = framework
            }
        }
        return StoredFramework(
            framework: framework, revision: try row.decode(column: "revision", as: Int.self), loadedAt: try Millis.date(row, "loaded_at"),
            loadedBy: try row.decode(column: "loaded_by", as: String.self))
    }

    // MARK: assessments

    private static let assessmentColumns = "id, framework_id, edition, country, state, tlp, created_at, updated_at"

    public func insertAssessment(_ a: Assessment, timeline: AssessmentTimelineEntry) async throws {
        do {
            try await self.withTransaction { db in
                try await db.raw(
                    """
                    INSERT INTO assessments (\(unsafeRaw: Self.assessmentColumns))
                    VALUES (\(bind: a.id.uuidString), \(bind: a.frameworkID), \(bind: a.edition), \(bind: a.country), \(bind: a.state.rawValue),
                        \(bind: a.tlp.rawValue), \(bind: Millis(a.createdAt)), \(bind: Millis(a.updatedAt)))
                    """
                ).run()
                try await Self.appendAssessmentTimeline(timeline, db: db)
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "country", value: a.country)
        }
    }

    public func assessment(id: UUID) async throws -> Assessment? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.assessmentColumns) FROM assessments WHERE id = \(bind: id.uuidString)").first()
                .map(Self.decodeAssessment)
        }
    }

    public func assessments(country: String?) async throws -> [Assessment] {
        try await self.withReading { db in
            if let country {
                return try await db.raw(
                    "SELECT \(unsafeRaw: Self.assessmentColumns) FROM assessments WHERE country = \(bind: country) ORDER BY framework_id, edition, country"
                ).all().map(Self.decodeAssessment)
            }
            return try await db.raw("SELECT \(unsafeRaw: Self.assessmentColumns) FROM assessments ORDER BY framework_id, edition, country").all()
                .map(Self.decodeAssessment)
        }
    }

    public func updateAssessment(
        _ a: Assessment, expected: Assessment.State, timeline: AssessmentTimelineEntry, resolveComments: Bool
    ) async throws -> Bool {
        try await self.withTransaction { db in
            let updated = try await db.raw(
                """
                UPDATE assessments SET state = \(bind: a.state.rawValue), tlp = \(bind: a.tlp.rawValue), updated_at = \(bind: Millis(a.updatedAt))
                WHERE id = \(bind: a.id.uuidString) AND state = \(bind: expected.rawValue) RETURNING id
                """
            ).all()
            guard !updated.isEmpty else { return false }
            if resolveComments {
                try await db.raw(
                    """
                    UPDATE assessment_comments SET resolved_at = \(bind: Millis(a.updatedAt))
                    WHERE assessment_id = \(bind: a.id.uuidString) AND resolved_at IS NULL
                    """
                ).run()
            }
            try await Self.appendAssessmentTimeline(timeline, db: db)
            return true
        }
    }

    static func decodeAssessment(_ row: any SQLRow) throws -> Assessment {
        let stateText = try row.decode(column: "state", as: String.self)
        guard let state = Assessment.State(rawValue: stateText) else { throw StoreError.corrupt("assessment state '\(stateText)'") }
        let tlpText = try row.decode(column: "tlp", as: String.self)
        guard let tlp = TLP(rawValue: tlpText) else { throw StoreError.corrupt("assessment TLP '\(tlpText)'") }
        return Assessment(
            id: try Self.uuid(row, "id"), frameworkID: try row.decode(column: "framework_id", as: String.self),
            edition: try row.decode(column: "edition", as: String.self), country: try row.decode(column: "country", as: String.self), state: state,
            tlp: tlp, createdAt: try Millis.date(row, "created_at"), updatedAt: try Millis.date(row, "updated_at"))
    }

    /// Runs `body` only while the assessment is editable (draft or returned), in one transaction.
    private func whileEditable(_ id: UUID, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws -> Bool {
        try await self.withTransaction { db in
            // Touching the row first takes PostgreSQL's row lock, so a submission cannot slip in between.
            let rows = try await db.raw(
                """
                UPDATE assessments SET updated_at = updated_at WHERE id = \(bind: id.uuidString) AND state IN ('draft', 'returned') RETURNING id
                """
            ).all()
            guard !rows.isEmpty else { return false }
            try await body(db)
            return true
        }
    }

    // MARK: answers

    public func answers(assessmentID: UUID) async throws -> [SavedAnswer] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT question_id, answer, note, updated_at, updated_by FROM assessment_answers
                WHERE assessment_id = \(bind: assessmentID.uuidString) ORDER BY question_id
                """
            ).all().map { row in
                let text = try row.decode(column: "answer", as: String?.self)
                return SavedAnswer(
                    questionID: try row.decode(column: "question_id", as: String.self), answer: try text.map(Self.decodeAnswer),
                    note: try row.decode(column: "note", as: String.self), updatedAt: try Millis.date(row, "updated_at"),
                    updatedBy: try row.decode(column: "updated_by", as: String.self))
            }
        }
    }

    public func answerSheets(assessmentIDs: [UUID]) async throws -> [UUID: AnswerSheet] {
        var sheets: [UUID: AnswerSheet] = [:]
        for id in assessmentIDs { sheets[id] = AnswerSheet(answers: [:]) }
        // In slices, so that no statement carries more parameters than either database takes.
        for start in stride(from: 0, to: assessmentIDs.count, by: 400) {
            let slice = assessmentIDs[start..<min(start + 400, assessmentIDs.count)].map(\.uuidString)
            try await self.withReading { db in
                for row in try await db.select().columns("assessment_id", "question_id", "answer").from("assessment_answers")
                    .where("assessment_id", .in, slice).all()
                {
                    guard let id = UUID(uuidString: try row.decode(column: "assessment_id", as: String.self)),
                        let text = try row.decode(column: "answer", as: String?.self)
                    else { continue }
                    sheets[id]?.answers[try row.decode(column: "question_id", as: String.self)] = try Self.decodeAnswer(text)
                }
                for row in try await db.select().columns("assessment_id", "question_id", "url").from("assessment_evidence")
                    .where("assessment_id", .in, slice).where("kind", .equal, "link").orderBy("added_at").all()
                {
                    guard let id = UUID(uuidString: try row.decode(column: "assessment_id", as: String.self)),
                        let url = try row.decode(column: "url", as: String?.self)
                    else { continue }
                    sheets[id]?.publicLinks[try row.decode(column: "question_id", as: String.self), default: []].append(url)
                }
            }
        }
        return sheets
    }

    static func decodeAnswer(_ text: String) throws -> Answer {
        switch text {
        case "yes": return .yes
        case "no": return .no
        case "partial": return .partial
        default:
            guard case .array(let items)? = try? JSONReader.parse(text) else { throw StoreError.corrupt("answer '\(text)'") }
            return .elements(items.compactMap { if case .string(let id) = $0 { id } else { nil } })
        }
    }

    static func encodeAnswer(_ answer: Answer?) -> String? {
        switch answer {
        case nil: nil
        case .yes?: "yes"
        case .no?: "no"
        case .partial?: "partial"
        case .elements(let ids)?: JSONValue.array(ids.map(JSONValue.string)).text
        }
    }

    public func saveAnswers(_ answers: [SavedAnswer], assessmentID: UUID, at date: Date, timeline: AssessmentTimelineEntry?) async throws -> Bool {
        try await self.whileEditable(assessmentID) { db in
            for a in answers {
                try await db.raw(
                    """
                    INSERT INTO assessment_answers (assessment_id, question_id, answer, note, updated_at, updated_by)
                    VALUES (\(bind: assessmentID.uuidString), \(bind: a.questionID), \(bind: Self.encodeAnswer(a.answer)), \(bind: a.note),
                        \(bind: Millis(a.updatedAt)), \(bind: a.updatedBy))
                    ON CONFLICT (assessment_id, question_id) DO UPDATE SET answer = excluded.answer, note = excluded.note,
                        updated_at = excluded.updated_at, updated_by = excluded.updated_by
                    """
                ).run()
            }
            try await db.raw("UPDATE assessments SET updated_at = \(bind: Millis(date)) WHERE id = \(bind: assessmentID.uuidString)").run()
            if let timeline { try await Self.appendAssessmentTimeline(timeline, db: db) }
        }
    }

    // MARK: evidence

    private static let evidenceColumns = "id, assessment_id, question_id, kind, url, filename, content_type, size, sha256, added_at, added_by"

    public func addEvidence(_ e: Evidence, content: Data?, timeline: AssessmentTimelineEntry) async throws -> Bool {
        let encoded = content?.base64EncodedString()
        return try await self.whileEditable(e.assessmentID) { db in
            try await db.raw(
                """
                INSERT INTO assessment_evidence (\(unsafeRaw: Self.evidenceColumns), content)
                VALUES (\(bind: e.id.uuidString), \(bind: e.assessmentID.uuidString), \(bind: e.questionID), \(bind: e.kind.rawValue), \(bind: e.url),
                    \(bind: e.filename), \(bind: e.contentType), \(bind: e.size), \(bind: e.sha256), \(bind: Millis(e.addedAt)), \(bind: e.addedBy),
                    \(bind: encoded))
                """
            ).run()
            try await Self.appendAssessmentTimeline(timeline, db: db)
        }
    }

    public func evidence(assessmentID: UUID) async throws -> [Evidence] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.evidenceColumns) FROM assessment_evidence WHERE assessment_id = \(bind: assessmentID.uuidString)
                ORDER BY question_id, added_at, id
                """
            ).all().map(Self.decodeEvidence)
        }
    }

    public func evidenceDocument(id: UUID) async throws -> (Evidence, Data)? {
        try await self.withReading { db in
            guard let row = try await db.raw(
                "SELECT \(unsafeRaw: Self.evidenceColumns), content FROM assessment_evidence WHERE id = \(bind: id.uuidString) AND kind = 'document'"
            ).first() else { return nil }
            let text = try row.decode(column: "content", as: String?.self) ?? ""
            guard let data = Data(base64Encoded: text) else { throw StoreError.corrupt("evidence document \(id)") }
            return (try Self.decodeEvidence(row), data)
        }
    }

    public func removeEvidence(id: UUID, assessmentID: UUID, timeline: AssessmentTimelineEntry) async throws -> Bool {
        try await self.whileEditable(assessmentID) { db in
            try await db.raw(
                "DELETE FROM assessment_evidence WHERE id = \(bind: id.uuidString) AND assessment_id = \(bind: assessmentID.uuidString)"
            ).run()
            try await Self.appendAssessmentTimeline(timeline, db: db)
        }
    }

    static func decodeEvidence(_ row: any SQLRow) throws -> Evidence {
        let kindText = try row.decode(column: "kind", as: String.self)
        guard let kind = Evidence.Kind(rawValue: kindText) else { throw StoreError.corrupt("evidence kind '\(kindText)'") }
        return Evidence(
            id: try Self.uuid(row, "id"), assessmentID: try Self.uuid(row, "assessment_id"), questionID: try row.decode(column: "question_id", as: String.self),
            kind: kind, url: try row.decode(column: "url", as: String?.self), filename: try row.decode(column: "filename", as: String?.self),
            contentType: try row.decode(column: "content_type", as: String?.self), size: try row.decode(column: "size", as: Int.self),
            sha256: try row.decode(column: "sha256", as: String?.self), addedAt: try Millis.date(row, "added_at"),
            addedBy: try row.decode(column: "added_by", as: String.self))
    }

    // MARK: comments and timeline

    public func addComment(_ c: ReviewComment, timeline: AssessmentTimelineEntry) async throws {
        try await self.withTransaction { db in
            try await db.raw(
                """
                INSERT INTO assessment_comments (id, assessment_id, question_id, body, author, at, resolved_at)
                VALUES (\(bind: c.id.uuidString), \(bind: c.assessmentID.uuidString), \(bind: c.questionID), \(bind: c.body), \(bind: c.author),
                    \(bind: Millis(c.at)), \(bind: c.resolvedAt.map(Millis.init)))
                """
            ).run()
            try await Self.appendAssessmentTimeline(timeline, db: db)
        }
    }

    public func comments(assessmentID: UUID) async throws -> [ReviewComment] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT id, assessment_id, question_id, body, author, at, resolved_at FROM assessment_comments
                WHERE assessment_id = \(bind: assessmentID.uuidString) ORDER BY at, id
                """
            ).all().map { row in
                ReviewComment(
                    id: try Self.uuid(row, "id"), assessmentID: try Self.uuid(row, "assessment_id"),
                    questionID: try row.decode(column: "question_id", as: String.self), body: try row.decode(column: "body", as: String.self),
                    author: try row.decode(column: "author", as: String.self), at: try Millis.date(row, "at"),
                    resolvedAt: try Millis.optionalDate(row, "resolved_at"))
            }
        }
    }

    static func appendAssessmentTimeline(_ e: AssessmentTimelineEntry, db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO assessment_timeline (assessment_id, at, actor, phrase_key, phrase_arguments)
            VALUES (\(bind: e.assessmentID.uuidString), \(bind: Millis(e.at)), \(bind: e.actor), \(bind: e.phrase.key), \(bind: e.phrase.argumentsJSON))
            """
        ).run()
    }

    public func assessmentTimeline(assessmentID: UUID) async throws -> [AssessmentTimelineEntry] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT assessment_id, at, actor, phrase_key, phrase_arguments FROM assessment_timeline
                WHERE assessment_id = \(bind: assessmentID.uuidString) ORDER BY seq
                """
            ).all().map { row in
                AssessmentTimelineEntry(
                    assessmentID: try Self.uuid(row, "assessment_id"), at: try Millis.date(row, "at"), actor: try row.decode(column: "actor", as: String.self),
                    phrase: Phrase(
                        key: try row.decode(column: "phrase_key", as: String.self), argumentsJSON: try row.decode(column: "phrase_arguments", as: String.self))
                        ?? Phrase("assessment.timeline.unknown"))
            }
        }
    }

    // MARK: scores

    public func appendScores(_ records: [ScoreRecord]) async throws {
        guard !records.isEmpty else { return }
        try await self.withTransaction { db in
            for r in records {
                let pillars = JSONValue.object(r.pillars.mapValues { JSONValue.double($0) }).text
                try await db.raw(
                    """
                    INSERT INTO assessment_scores (assessment_id, revision, total, tier, pillars, computed_at, reason)
                    VALUES (\(bind: r.assessmentID.uuidString), \(bind: r.revision), \(bind: r.total), \(bind: r.tier), \(bind: pillars),
                        \(bind: Millis(r.computedAt)), \(bind: r.reason))
                    """
                ).run()
            }
        }
    }

    public func scores(assessmentID: UUID) async throws -> [ScoreRecord] {
        try await self.withReading { db in
            try await db.raw(
                """
                SELECT assessment_id, revision, total, tier, pillars, computed_at, reason FROM assessment_scores
                WHERE assessment_id = \(bind: assessmentID.uuidString) ORDER BY computed_at, revision
                """
            ).all().map(Self.decodeScore)
        }
    }

    /// A score row (`assessment_id, revision, total, tier, pillars, computed_at, reason`).
    static func decodeScore(_ row: any SQLRow) throws -> ScoreRecord {
        var pillars: [String: Double] = [:]
        if case .object(let fields)? = try? JSONReader.parse(try row.decode(column: "pillars", as: String.self)) {
            for (id, value) in fields {
                switch value {
                case .double(let d): pillars[id] = d
                case .integer(let n): pillars[id] = Double(n)
                default: break
                }
            }
        }
        return ScoreRecord(
            assessmentID: try Self.uuid(row, "assessment_id"), revision: try row.decode(column: "revision", as: Int.self),
            total: try row.decode(column: "total", as: Double.self), tier: try row.decode(column: "tier", as: String?.self), pillars: pillars,
            computedAt: try Millis.date(row, "computed_at"), reason: try row.decode(column: "reason", as: String.self))
    }

    // MARK: focal points

    private static let invitationColumns = "token_hash, email, display_name, country, language, created_at, expires_at, created_by, accepted_at, username"

    public func insertInvitation(_ i: FocalPointInvitation, mail: OutboxMessage) async throws {
        try await self.withTransaction { db in
            try await db.raw(
                """
                INSERT INTO focal_point_invitations (\(unsafeRaw: Self.invitationColumns))
                VALUES (\(bind: i.tokenHash), \(bind: i.email), \(bind: i.displayName), \(bind: i.country), \(bind: i.language.rawValue),
                    \(bind: Millis(i.createdAt)), \(bind: Millis(i.expiresAt)), \(bind: i.createdBy), NULL, NULL)
                """
            ).run()
            try await Self.insertOutbox(mail, db: db)
        }
    }

    public func invitation(tokenHash: String) async throws -> FocalPointInvitation? {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.invitationColumns) FROM focal_point_invitations WHERE token_hash = \(bind: tokenHash)").first()
                .map(Self.decodeInvitation)
        }
    }

    public func invitations() async throws -> [FocalPointInvitation] {
        try await self.withReading { db in
            try await db.raw("SELECT \(unsafeRaw: Self.invitationColumns) FROM focal_point_invitations ORDER BY created_at DESC LIMIT 500").all()
                .map(Self.decodeInvitation)
        }
    }

    static func decodeInvitation(_ row: any SQLRow) throws -> FocalPointInvitation {
        FocalPointInvitation(
            tokenHash: try row.decode(column: "token_hash", as: String.self), email: try row.decode(column: "email", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self), country: try row.decode(column: "country", as: String.self),
            language: Language(rawValue: try row.decode(column: "language", as: String.self)) ?? .english, createdAt: try Millis.date(row, "created_at"),
            expiresAt: try Millis.date(row, "expires_at"), createdBy: try row.decode(column: "created_by", as: String.self),
            acceptedAt: try Millis.optionalDate(row, "accepted_at"), username: try row.decode(column: "username", as: String?.self))
    }

    public func acceptInvitation(tokenHash: String, user: User, at date: Date) async throws -> Bool {
        do {
            return try await self.withTransaction { db in
                guard let row = try await db.raw(
                    """
                    UPDATE focal_point_invitations SET accepted_at = \(bind: Millis(date)), username = \(bind: user.username)
                    WHERE token_hash = \(bind: tokenHash) AND accepted_at IS NULL AND expires_at > \(bind: Millis(date)) RETURNING country
                    """
                ).first() else { return false }
                let country = try row.decode(column: "country", as: String.self)
                try await db.raw(
                    """
                    INSERT INTO users (id, username, display_name, role, password_hash, language, disabled, created_at, password_changed_at)
                    VALUES (\(bind: user.id.uuidString), \(bind: user.username), \(bind: user.displayName), \(bind: user.role.rawValue),
                        \(bind: user.passwordHash), \(bind: user.language?.rawValue), \(bind: user.disabled), \(bind: Millis(user.createdAt)),
                        \(bind: Millis(user.passwordChangedAt)))
                    """
                ).run()
                try await db.raw("INSERT INTO focal_points (user_id, country) VALUES (\(bind: user.id.uuidString), \(bind: country))").run()
                return true
            }
        } catch where Self.isUniqueViolation(error) {
            throw StoreError.duplicate(field: "username", value: user.username)
        }
    }

    public func focalCountry(userID: UUID) async throws -> String? {
        try await self.withReading { db in
            try await db.raw("SELECT country FROM focal_points WHERE user_id = \(bind: userID.uuidString)").first()?
                .decode(column: "country", as: String.self)
        }
    }
}
