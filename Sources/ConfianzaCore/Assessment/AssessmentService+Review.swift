import Foundation

/// Submission, review and validation; focal point invitations.
extension AssessmentService {
    /// The questions whose answers count (yes, partial, a ticked element) and need evidence they lack.
    public func missingEvidence(_ assessment: Assessment) async throws -> [String] {
        let framework = try await self.framework(id: assessment.frameworkID, edition: assessment.edition).framework
        let answers = try await self.store.answers(assessmentID: assessment.id)
        let evidenced = Set(try await self.store.evidence(assessmentID: assessment.id).map(\.questionID))
        var missing: [String] = []
        for saved in answers {
            guard let answer = saved.answer, answer != .no, answer != .elements([]),
                framework.locate(question: saved.questionID)?.question.evidence == .required, !evidenced.contains(saved.questionID)
            else { continue }
            missing.append(saved.questionID)
        }
        return missing.sorted()
    }

    /// Draft or returned → submitted, by the country's focal point or staff; open review comments are resolved.
    public func submit(_ assessment: Assessment, by user: User, address: String) async throws -> Assessment {
        try await self.requireEditor(user, of: assessment)
        guard assessment.state.isEditable else { throw AssessmentError.wrongState(assessment.state) }
        let missing = try await self.missingEvidence(assessment)
        guard missing.isEmpty else { throw AssessmentError.evidenceMissing(missing) }
        let next = try await self.move(assessment, to: .submitted, by: user, phrase: Phrase("assessment.timeline.submitted"), resolve: true)
        try await self.audit(.assessmentSubmitted, user, assessment, address)
        return next
    }

    /// Submitted → under review, by an analyst or admin.
    public func startReview(_ assessment: Assessment, by user: User, address: String) async throws -> Assessment {
        guard user.role.includes(.analyst) else { throw AssessmentError.forbidden }
        guard assessment.state == .submitted else { throw AssessmentError.wrongState(assessment.state) }
        let next = try await self.move(assessment, to: .underReview, by: user, phrase: Phrase("assessment.timeline.review"))
        try await self.audit(.assessmentReviewStarted, user, assessment, address)
        return next
    }

    /// A reviewer's comment on one answer, while under review.
    public func comment(_ body: String, question questionID: String, on assessment: Assessment, by user: User) async throws {
        guard user.role.includes(.analyst) else { throw AssessmentError.forbidden }
        guard assessment.state == .underReview else { throw AssessmentError.wrongState(assessment.state) }
        try await self.requireQuestion(questionID, in: assessment)
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 4000 else {
            throw AssessmentError.invalid(field: "comment", reason: Refusal("assessment.error.comment", english: "a comment is 1 to 4000 characters"))
        }
        let date = self.now()
        try await self.store.addComment(
            ReviewComment(assessmentID: assessment.id, questionID: questionID, body: text, author: user.username, at: date),
            timeline: .init(assessmentID: assessment.id, at: date, actor: user.username, phrase: Phrase("assessment.timeline.comment", ["question": questionID])))
    }

    /// Under review → returned to the country, with at least one open comment.
    public func returnToCountry(_ assessment: Assessment, by user: User, address: String) async throws -> Assessment {
        guard user.role.includes(.analyst) else { throw AssessmentError.forbidden }
        guard assessment.state == .underReview else { throw AssessmentError.wrongState(assessment.state) }
        let open = try await self.store.comments(assessmentID: assessment.id).filter { $0.resolvedAt == nil }
        guard !open.isEmpty else { throw AssessmentError.noComments }
        let next = try await self.move(
            assessment, to: .returned, by: user, phrase: Phrase("assessment.timeline.returned", ["count": String(open.count)]))
        try await self.audit(.assessmentReturned, user, assessment, address, detail: "comments=\(open.count)")
        return next
    }

    /// Under review → validated, with the score kept for history; `publish` marks it TLP:CLEAR for the public pages.
    public func validate(_ assessment: Assessment, publish: Bool, by user: User, address: String) async throws -> Assessment {
        guard user.role.includes(.analyst) else { throw AssessmentError.forbidden }
        guard assessment.state == .underReview else { throw AssessmentError.wrongState(assessment.state) }
        var changed = assessment
        changed.tlp = publish ? .clear : assessment.tlp
        let next = try await self.move(
            changed, to: .validated, by: user, phrase: Phrase(publish ? "assessment.timeline.validated_public" : "assessment.timeline.validated"),
            resolve: true)
        let (card, stored) = try await self.score(next)
        try await self.store.appendScores([Self.record(card, assessment: next, revision: stored.revision, at: self.now(), reason: "validated")])
        try await self.audit(
            .assessmentValidated, user, assessment, address, detail: "total=\(card.total.formatted()) tier=\(card.tier?.id ?? "-") tlp=\(next.tlp.rawValue)")
        return next
    }

    func move(_ assessment: Assessment, to state: Assessment.State, by user: User, phrase: Phrase, resolve: Bool = false) async throws -> Assessment {
        var next = assessment
        next.state = state
        next.updatedAt = self.now()
        let entry = AssessmentTimelineEntry(assessmentID: assessment.id, at: next.updatedAt, actor: user.username, phrase: phrase)
        guard try await self.store.updateAssessment(next, expected: assessment.state, timeline: entry, resolveComments: resolve) else {
            throw AssessmentError.wrongState(try await self.store.assessment(id: assessment.id)?.state ?? assessment.state)
        }
        return next
    }

    // MARK: focal points

    /// Invites a person to answer for `country`: queues a mail (through the outbox) with a link that lets
    /// them choose a username and password. Returns the link's token (shown once to the admin too).
    public func invite(
        email rawEmail: String, name: String, country rawCountry: String, language: Language, by user: User, address: String,
        link: (String) -> String, mail: (String, String) -> (subject: String, body: String)
    ) async throws -> String {
        guard user.role == .admin else { throw AssessmentError.forbidden }
        // The constituency's own check of addresses, so that both modules take the same ones.
        guard let email = try? Validation.email(rawEmail) else {
            let email = rawEmail.trimmingCharacters(in: .whitespaces)
            throw AssessmentError.invalid(field: "email", reason: Refusal("assessment.error.email", english: "\"\(email)\" is not an e-mail address", ["email": email]))
        }
        guard let country = Countries.normalise(rawCountry) else {
            throw AssessmentError.invalid(
                field: "country", reason: Refusal("assessment.error.country_field", english: "\"\(rawCountry)\" is not an ISO 3166 alpha-2 country code", ["code": rawCountry]))
        }
        let display = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard display.count <= 100, !display.contains(where: { $0.isNewline }) else {
            throw AssessmentError.invalid(field: "name", reason: Refusal("assessment.error.name", english: "a name is at most 100 characters on one line"))
        }
        let token = Secrets.randomToken()
        let date = self.now()
        let invitation = FocalPointInvitation(
            tokenHash: Secrets.digest(token), email: email, displayName: display, country: country, language: language, createdAt: date,
            expiresAt: date.addingTimeInterval(Self.invitationLifetime), createdBy: user.username)
        let text = mail(link(token), country)
        let message = OutboxMessage(
            incidentID: nil, organisationID: nil, contactID: nil, recipient: email, language: language.rawValue, subject: text.subject, body: text.body,
            attachmentName: "", attachment: "", createdAt: date)
        try await self.store.insertInvitation(invitation, mail: message)
        try await self.store.appendAudit(
            AuditEvent(at: date, actor: user.username, action: .focalPointInvited, target: email, address: address, detail: "country=\(country)"))
        return token
    }

    /// The invitation behind a link, while it can still be used.
    public func invitation(token: String) async throws -> FocalPointInvitation {
        guard let invitation = try await self.store.invitation(tokenHash: Secrets.digest(token)), invitation.acceptedAt == nil,
            invitation.expiresAt > self.now()
        else { throw AssessmentError.invitationUnusable }
        return invitation
    }

    /// Makes the focal point's account from an invitation link.
    public func accept(token: String, username: String, password: String, accounts: AccountService, address: String) async throws -> User {
        let invitation = try await self.invitation(token: token)
        var user = try accounts.newUser(username: username, displayName: invitation.displayName, role: .focalPoint, password: password)
        user.language = invitation.language
        do {
            guard try await self.store.acceptInvitation(tokenHash: invitation.tokenHash, user: user, at: self.now()) else {
                throw AssessmentError.invitationUnusable
            }
        } catch StoreError.duplicate {
            throw AccountError.usernameTaken(user.username)
        }
        try await self.store.appendAudit(
            AuditEvent(
                at: self.now(), actor: user.username, action: .focalPointJoined, target: user.username, address: address,
                detail: "country=\(invitation.country) invited-by=\(invitation.createdBy)"))
        return user
    }
}
