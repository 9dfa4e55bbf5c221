import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// What needs no account: a focal point's invitation link, and the validated assessments published
/// as TLP:CLEAR, with their evidence (the NCSI habit). Nothing else is ever shown here.
struct AssessmentPublicController {
    let service: AssessmentService
    let accounts: AccountService
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/invite/{token}", use: self.invitation)
        router.post("/invite/{token}", use: self.accept)
        router.get("/public/assessment", use: self.list)
        router.get("/public/assessment/{country}", use: self.country)
        router.get("/public/evidence/{evidence}", use: self.document)
    }

    func presenter(_ context: AppContext) -> AssessmentPresenter { AssessmentPresenter(texts: self.views.localizer, language: context.language) }

    // MARK: invitations

    @Sendable func invitation(request: Request, context: AppContext) async throws -> Response {
        try await self.renderInvitation(request: request, context: context)
    }

    func renderInvitation(request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok, username: String = "")
        async throws -> Response
    {
        let p = self.presenter(context)
        let token = context.parameters.get("token") ?? ""
        do {
            let invitation = try await self.service.invitation(token: token)
            return try self.views.page(
                "invite", title: p.t("invite.title"),
                data: [
                    "usable": true, "token": token, "name": invitation.displayName, "email": invitation.email, "username": username,
                    "intro": p.t("invite.intro", ["country": p.country(invitation.country)]),
                    "minimum": String(self.accounts.policy.minimumPasswordLength),
                ], context: context, request: request, flash: flash, status: status)
        } catch AssessmentError.invitationUnusable {
            return try self.views.page(
                "invite", title: p.t("invite.title"), data: ["usable": false, "unusable": p.t("assessment.error.invitation")], context: context,
                request: request, status: .notFound)
        }
    }

    @Sendable func accept(request: Request, context: AppContext) async throws -> Response {
        let p = self.presenter(context)
        let form = context.form
        let token = context.parameters.get("token") ?? ""
        guard (form["password"] ?? "") == (form["confirm"] ?? "") else {
            return try await self.renderInvitation(
                request: request, context: context, flash: .init(kind: .error, text: p.t("invite.mismatch")), status: .unprocessableContent,
                username: form["username"] ?? "")
        }
        do {
            _ = try await self.service.accept(
                token: token, username: form["username"] ?? "", password: form["password"] ?? "", accounts: self.accounts, address: context.address)
        } catch let error as AccountError {
            return try await self.renderInvitation(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
                status: .unprocessableContent, username: form["username"] ?? "")
        } catch let error as AssessmentError {
            return try await self.renderInvitation(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .conflict)
        }
        return try self.views.page(
            "invite", title: p.t("invite.title"), data: ["usable": false, "done": true], context: context, request: request,
            flash: .init(kind: .ok, text: p.t("invite.done")))
    }

    // MARK: public pages

    /// Validated assessments marked TLP:CLEAR, and nothing else.
    func published() async throws -> [Assessment] {
        try await self.service.store.assessments(country: nil).filter { $0.state == .validated && $0.tlp == .clear }
    }

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        let p = self.presenter(context)
        var rows: [[String: Any]] = []
        let published = try await self.published()
        let scores = try await self.service.scores(published)
        for assessment in published {
            guard let (card, stored) = scores[assessment.id] else { continue }
            rows.append([
                "href": "/public/assessment/\(assessment.country)", "country": p.country(assessment.country), "region": p.region(assessment.country),
                "framework": p.frameworkName(stored.framework), "total": card.total.formatted(), "maximum": card.maximum.formatted(), "tier": p.tier(card.tier),
            ])
        }
        rows.sort { ($0["country"] as? String ?? "") < ($1["country"] as? String ?? "") }
        return try self.views.page(
            "public_assessments", title: p.t("public.assessment.title"), data: ["rows": rows, "hasRows": !rows.isEmpty], context: context, request: request)
    }

    @Sendable func country(request: Request, context: AppContext) async throws -> Response {
        guard let code = context.parameters.get("country").flatMap(Countries.normalise) else { throw AppError.notFound("country") }
        let assessments = try await self.published().filter { $0.country == code }
        guard !assessments.isEmpty else { throw AppError.notFound("country") }
        let p = self.presenter(context)
        let data = try await CountryProfile.build(code, assessments: assessments, service: self.service, presenter: p, request: request, publicView: true)
        return try self.views.page("assessment_country", title: p.country(code), data: data, context: context, request: request)
    }

    @Sendable func document(request: Request, context: AppContext) async throws -> Response {
        guard let id = context.parameters.get("evidence").flatMap(UUID.init(uuidString:)) else { throw AppError.notFound("document") }
        do {
            let (evidence, data) = try await self.service.document(id, for: nil)
            return AssessmentQuestionnaireController.document(evidence, data)
        } catch AssessmentError.notFound, AssessmentError.forbidden {
            throw AppError.notFound("document")
        }
    }
}
