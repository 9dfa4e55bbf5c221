import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import SQLKit
import Testing

@testable import ConfianzaStore

/// Assessments on every backend: a focal point invited by e-mail answers with evidence and submits;
/// a reviewer returns one answer with a comment; the focal point fixes it; the reviewer validates; the
/// score is kept, and kept again (beside the old one) when the framework's weights change.
@Suite struct AssessmentStoreTests {
    static let staff = User(username: "rev", displayName: "Reviewer", role: .admin, passwordHash: "x", createdAt: Date(timeIntervalSince1970: 0))

    static func accounts(_ store: any Store) -> AccountService { AccountService(store: store, hasher: BcryptHasher(cost: 4)) }

    /// An invited focal point for `country`, signed up through the link.
    static func focalPoint(_ service: AssessmentService, _ store: any Store, country: String, username: String) async throws -> User {
        var link = ""
        let token = try await service.invite(
            email: "\(username)@gov.example", name: "Focal \(country)", country: country, language: .spanish, by: Self.staff, address: "test",
            link: { link = "https://cirt.example/invite/\($0)"; return link }, mail: { link, country in ("Invitation \(country)", "Open \(link)") })
        let user = try await service.accept(token: token, username: username, password: "a long enough passphrase", accounts: Self.accounts(store), address: "test")
        #expect(user.role == .focalPoint && user.language == .spanish)
        await #expect(throws: AssessmentError.invitationUnusable) {
            _ = try await service.accept(token: token, username: username + "2", password: "a long enough passphrase", accounts: Self.accounts(store), address: "test")
        }
        return user
    }

    @Test(arguments: TestBackend.available)
    func aQuestionnaireGoesFromDraftToValidatedThroughAReturn(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let service = AssessmentService(store: store)
            try await service.installBundledFrameworks()
            try await service.installBundledFrameworks()
            #expect(try await store.frameworks().map(\.framework.id) == ["evidence-index", "five-pillars"])
            let assessment = try await service.create(frameworkID: "five-pillars", edition: "2026", country: "uy", by: Self.staff, address: "test")
            #expect(assessment.country == "UY" && assessment.state == .draft)
            await #expect(throws: AssessmentError.alreadyExists(country: "UY")) {
                _ = try await service.create(frameworkID: "five-pillars", edition: "2026", country: "UY", by: Self.staff, address: "test")
            }

            // The invitation went to the outbox, tied to no incident.
            let focal = try await Self.focalPoint(service, store, country: "UY", username: "ana.uy")
            let mail = try #require(try await store.dueMessages(at: Date().addingTimeInterval(60), limit: 10).first)
            #expect(mail.incidentID == nil && mail.recipient == "ana.uy@gov.example" && mail.body.hasPrefix("Open https://cirt.example/invite/"))
            #expect(try await store.focalCountry(userID: focal.id) == "UY")
            #expect(try await service.assessments(for: focal).map(\.id) == [assessment.id])
            let other = try await Self.focalPoint(service, store, country: "AR", username: "eva.ar")
            #expect(try await service.assessments(for: other).isEmpty)
            await #expect(throws: AssessmentError.forbidden) { try await service.requireReader(other, of: assessment) }

            // Answers, a bad one refused with nothing saved, evidence.
            await #expect(throws: AssessmentError.self) {
                try await service.saveAnswers(["L1.2": (.string("yes"), ""), "T1.1": (.string("maybe"), "")], to: assessment, by: focal)
            }
            #expect(try await store.answers(assessmentID: assessment.id).isEmpty)
            try await service.saveAnswers(
                ["L1.1": (.array([.string("access"), .string("fraud")]), "Law 18.600"), "L1.2": (.string("partial"), ""), "T1.1": (.string("yes"), "")],
                to: assessment, by: focal)
            await #expect(throws: AssessmentError.evidenceMissing(["L1.1", "L1.2", "T1.1"])) { _ = try await service.submit(assessment, by: focal, address: "test") }
            try await service.addLink("https://www.impo.com.uy/ley-18600", question: "L1.1", to: assessment, by: focal)
            try await service.addLink("https://cert.uy/about", question: "T1.1", to: assessment, by: focal)
            let pdf = Data("%PDF-1.4 draft procedural law".utf8)
            let document = try await service.addDocument(filename: "../draft law.pdf", data: pdf, question: "L1.2", to: assessment, by: focal, address: "test")
            #expect(document.filename == "draft law.pdf" && document.sha256 == Secrets.sha256Hex(pdf))
            let (kept, bytes) = try await service.document(document.id, for: focal)
            #expect(kept.size == pdf.count && bytes == pdf)
            await #expect(throws: AssessmentError.self) {
                _ = try await service.addDocument(filename: "x.exe", data: Data("MZ".utf8), question: "L1.2", to: assessment, by: focal, address: "test")
            }
            #expect(try await store.evidence(assessmentID: assessment.id).count == 3)

            var current = try await service.submit(assessment, by: focal, address: "test")
            #expect(current.state == .submitted)
            await #expect(throws: AssessmentError.wrongState(.submitted)) {
                try await service.saveAnswers(["T1.1": (.string("no"), "")], to: current, by: focal)
            }
            await #expect(throws: AssessmentError.forbidden) { _ = try await service.startReview(current, by: focal, address: "test") }
            current = try await service.startReview(current, by: Self.staff, address: "test")
            await #expect(throws: AssessmentError.noComments) { _ = try await service.returnToCountry(current, by: Self.staff, address: "test") }
            try await service.comment("The law is adopted: answer yes, and link it.", question: "L1.2", on: current, by: Self.staff)
            current = try await service.returnToCountry(current, by: Self.staff, address: "test")
            #expect(current.state == .returned)
            #expect(try await store.comments(assessmentID: assessment.id).filter { $0.resolvedAt == nil }.count == 1)

            try await service.saveAnswers(["L1.2": (.string("yes"), "Adopted in 2025")], to: current, by: focal)
            current = try await service.submit(current, by: focal, address: "test")
            #expect(try await store.comments(assessmentID: assessment.id).allSatisfy { $0.resolvedAt != nil })
            current = try await service.startReview(current, by: Self.staff, address: "test")
            current = try await service.validate(current, publish: true, by: Self.staff, address: "test")
            #expect(current.state == .validated && current.tlp == .clear)
            let stored = try #require(try await store.assessment(id: assessment.id))
            #expect(stored.state == .validated && stored.tlp == .clear && stored.country == "UY")

            // L1 = 0.5 × 2/5 + 0.5 × 1 = 0.7 → 20 × 0.55 × 0.7 = 7.7; T1 = 0.5 → 20 × 0.4 × 0.5 = 4; total 11.7.
            let (card, _) = try await service.score(current)
            #expect(card.total == Exact(decimal: "11.7"))
            // Many at once reads the same as one by one.
            let one = try await service.sheet(of: current)
            let many = try await store.answerSheets(assessmentIDs: [assessment.id, UUID()])
            #expect(many[assessment.id]?.answers == one.answers && many[assessment.id]?.publicLinks == one.publicLinks)
            #expect(try await service.scores([current])[assessment.id]?.0.total == card.total)
            let scores = try await store.scores(assessmentID: assessment.id)
            #expect(scores.count == 1 && scores[0].reason == "validated" && abs(scores[0].total - 11.7) < 1e-9 && scores[0].tier == "tier-5")
            let timeline = try await store.assessmentTimeline(assessmentID: assessment.id).map(\.phrase.key)
            #expect(timeline.first == "assessment.timeline.created" && timeline.last == "assessment.timeline.validated_public")
            #expect(timeline.filter { $0 == "assessment.timeline.submitted" }.count == 2)
            let audit = try await store.auditEntries(limit: 50, before: nil).map(\.event.action.rawValue)
            for action in ["assessment.created", "focal-point.invited", "focal-point.joined", "assessment.submitted", "assessment.returned", "assessment.validated"] {
                #expect(audit.contains(action), "\(action) is audited")
            }

            // New weights: the score is computed again and kept beside the old one.
            let five = try #require(AssessmentService.bundledFrameworkFiles().first { $0.name == "five-pillars.json" }).text
            let reweighted = five.replacingOccurrences(of: "\"weight\": 0.55", with: "\"weight\": 0.75")
            #expect(reweighted != five)
            let (revision, changes) = try await service.loadFramework(reweighted, file: "new.json", by: "rev", address: "test")
            #expect(revision.revision == 2 && changes == ["L1.weight"])
            let history = try await store.scores(assessmentID: assessment.id)
            try #require(history.map(\.reason) == ["validated", "reweighted"])
            // L1 now 0.75 of 1.2 (weights normalised): 20 × 0.75/1.2 × 0.7 = 8.75; total 12.75.
            #expect(abs(history[1].total - 12.75) < 1e-9 && history[1].revision == 2)
            #expect(try await store.framework(id: "five-pillars", edition: "2026", revision: 1)?.framework.source == five)
        }
    }

    /// A database from before assessments: its users keep their sessions through the step that lets
    /// a user be a focal point, and its old notices stay readable.
    @Test(arguments: TestBackend.available)
    func usersKeepTheirSessionsThroughTheStep(backend: TestBackend) async throws {
        try await TestDatabase.withEmptyLocation(backend) { location in
            let store = try await SQLStore.open(location, logger: TestDatabase.logger)
            try await store.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { store in
                _ = try await store.migrate(upTo: 15)
                let user = User(username: "old", displayName: "Old", role: .analyst, passwordHash: "x", createdAt: Date())
                try await store.insertUser(user)
                let session = Session(
                    tokenHash: "h", userID: user.id, csrfToken: "c", createdAt: Date(), expiresAt: Date().addingTimeInterval(3600), lastSeenAt: Date(),
                    address: "a")
                try await store.insertSession(session)
                #expect(try await store.migrate(upTo: 16) == [16])
                #expect(try await store.session(tokenHash: "h") != nil)
                let focal = User(username: "fp", displayName: "FP", role: .focalPoint, passwordHash: "x", createdAt: Date())
                try await store.insertUser(focal)
                #expect(try await store.user(named: "fp")?.role == .focalPoint)
                try await store.withDatabase { db in
                    await #expect(throws: (any Error).self) {
                        try await db.raw("UPDATE users SET role = 'superuser' WHERE username = 'fp'").run()
                    }
                }
                let message = OutboxMessage(
                    incidentID: nil, organisationID: nil, contactID: nil, recipient: "x@y.example", language: "en", subject: "s", body: "b",
                    attachmentName: "", attachment: "", createdAt: Date())
                try await store.enqueue([message], timeline: [])
                #expect(try await store.outboxMessages(state: .pending, limit: 5).map(\.id) == [message.id])
            }
        }
    }
}
