import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The public SME self-assessment: no account, no script, nothing kept. The answers travel in the
/// resume code in the address (`/self-assessment/{code}/{step}`), one CSF function per step; the plan
/// is printable; a business may share its result with the CIRT (anonymous unless it gives a name).
struct SelfAssessmentController {
    let service: RiskService
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/self-assessment", use: self.startPage)
        router.post("/self-assessment", use: self.start)
        router.get("/self-assessment/resume", use: self.resume)
        router.get("/self-assessment/{code}/{step}", use: self.show)
        // Its own route: the router prefers the constant `plan` of the share route to the `{step}` parameter.
        router.get("/self-assessment/{code}/plan", use: self.show)
        router.post("/self-assessment/{code}/{step}", use: self.answer)
        router.post("/self-assessment/{code}/plan/share", use: self.share)
    }

    var questionnaire: SMEQuestionnaire { self.service.catalogues.sme }

    func presenter(_ context: AppContext) -> RiskPresenter {
        RiskPresenter(texts: self.views.localizer, language: context.language, catalogues: self.service.catalogues)
    }

    // MARK: start and resume

    @Sendable func startPage(request: Request, context: AppContext) async throws -> Response {
        try self.renderStart(request: request, context: context)
    }

    func renderStart(request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok, code: String = "") throws -> Response {
        let p = self.presenter(context)
        let q = self.questionnaire
        let data: [String: Any] = [
            "title": p.text(q.title, fallback: q.id),
            "sizes": q.sizes.map { ["id": $0.id, "title": p.text($0.title, fallback: $0.id), "selected": context.form["size"] == $0.id] as [String: Any] },
            "sectors": q.sectors.map { ["id": $0.id, "title": p.text($0.title, fallback: $0.id), "selected": context.form["sector"] == $0.id] as [String: Any] },
            "code": code, "questions": q.questions.count,
        ]
        return try self.views.page("sme_start", title: p.text(q.title, fallback: q.id), data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func start(request: Request, context: AppContext) async throws -> Response {
        do {
            let answers = try SMEAnswers.start(size: context.form["size"] ?? "", sector: context.form["sector"] ?? "", in: self.questionnaire)
            return Response.redirect(to: "/self-assessment/\(SMEResumeCode.encode(answers, in: self.questionnaire))/1", type: .normal)
        } catch {
            return try self.renderStart(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .unprocessableContent)
        }
    }

    @Sendable func resume(request: Request, context: AppContext) async throws -> Response {
        let code = String((request.uri.queryParameters.get("code") ?? "").prefix(100))
        do {
            let answers = try SMEResumeCode.decode(code, in: self.questionnaire)
            let canonical = SMEResumeCode.encode(answers, in: self.questionnaire)
            let next = answers.firstOpenStep(in: self.questionnaire).map { String($0 + 1) } ?? "plan"
            return Response.redirect(to: "/self-assessment/\(canonical)/\(next)", type: .normal)
        } catch {
            return try self.renderStart(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .unprocessableContent,
                code: code)
        }
    }

    /// The answers in the address, or the start page saying why the code is refused.
    func answers(_ context: AppContext) throws(SMEError) -> SMEAnswers {
        try SMEResumeCode.decode(String((context.parameters.get("code") ?? "").prefix(100)), in: self.questionnaire)
    }

    // MARK: steps

    @Sendable func show(request: Request, context: AppContext) async throws -> Response {
        let answers: SMEAnswers
        do { answers = try self.answers(context) } catch {
            return try self.renderStart(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .notFound)
        }
        let step = context.parameters.get("step") ?? "plan"
        if step == "plan" { return try self.renderPlan(answers, request: request, context: context) }
        guard let number = Int(step), (1...self.questionnaire.steps(for: answers.profile).count).contains(number) else { throw AppError.notFound("step") }
        return try self.renderStep(answers, number: number, request: request, context: context)
    }

    func renderStep(
        _ answers: SMEAnswers, number: Int, request: Request, context: AppContext, given: [String: String] = [:], refused: [String: String] = [:]
    ) throws -> Response {
        let p = self.presenter(context)
        let q = self.questionnaire
        let steps = q.steps(for: answers.profile)
        let step = steps[number - 1]
        let code = SMEResumeCode.encode(answers, in: q)
        let function = self.service.catalogues.csf.function(step.function).map { p.text($0.title, fallback: step.function) } ?? step.function
        let questions = step.questions.enumerated().map { index, question -> [String: Any] in
            let chosen = given[question.id] ?? answers.answers[question.id]
            return [
                "id": question.id, "number": index + 1, "text": p.text(question.text, fallback: question.id), "error": refused[question.id] ?? "",
                "hasError": refused[question.id] != nil,
                "choices": q.choices.map { ["id": $0.id, "title": p.text($0.title, fallback: $0.id), "checked": $0.id == chosen, "field": "q.\(question.id)"] as [String: Any] },
            ]
        }
        let answered = steps.flatMap(\.questions).filter { answers.answers[$0.id] != nil }.count
        let total = steps.flatMap(\.questions).count
        let data: [String: Any] = [
            "code": code, "number": number, "count": steps.count, "function": function, "questions": questions, "hasBack": number > 1,
            "action": "/self-assessment/\(code)/\(number)", "progress": p.t("sme.progress", ["step": String(number), "count": String(steps.count), "answered": String(answered), "total": String(total)]),
            "percent": total == 0 ? 0 : answered * 100 / total, "resumeHref": "/self-assessment/\(code)/\(number)", "hasErrors": !refused.isEmpty,
            "steps": steps.enumerated().map { index, s in
                [
                    "label": self.service.catalogues.csf.function(s.function).map { p.text($0.title, fallback: s.function) } ?? s.function,
                    "href": "/self-assessment/\(code)/\(index + 1)", "current": index + 1 == number, "number": index + 1,
                ] as [String: Any]
            },
        ]
        return try self.views.page(
            "sme_step", title: "\(function) · \(p.text(q.title, fallback: q.id))", data: data, context: context, request: request,
            status: refused.isEmpty ? .ok : .unprocessableContent)
    }

    @Sendable func answer(request: Request, context: AppContext) async throws -> Response {
        var answers: SMEAnswers
        do { answers = try self.answers(context) } catch {
            return try self.renderStart(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
                status: .unprocessableContent)
        }
        let q = self.questionnaire
        let steps = q.steps(for: answers.profile)
        guard let number = Int(context.parameters.get("step") ?? ""), (1...steps.count).contains(number) else { throw AppError.notFound("step") }
        let back = context.form["go"] == "back"
        var given: [String: String] = [:]
        var refused: [String: String] = [:]
        let texts = self.views.localizer
        for question in steps[number - 1].questions {
            if let value = context.form["q.\(question.id)"] {
                given[question.id] = value
            } else if !back && answers.answers[question.id] == nil {
                refused[question.id] = texts.text("sme.error.unanswered", context.language)
            }
        }
        for (field, _) in context.form.values where field.hasPrefix("q.") && !steps[number - 1].questions.contains(where: { "q.\($0.id)" == field }) {
            throw AppError.badRequest("\(field) is not a question of this step", field: field)
        }
        for (question, error) in answers.record(given, in: q) { refused[question] = texts.say(error, context.language) }
        guard refused.isEmpty else {
            return try self.renderStep(answers, number: number, request: request, context: context, given: given, refused: refused)
        }
        let code = SMEResumeCode.encode(answers, in: q)
        let next = back ? String(max(1, number - 1)) : (number < steps.count ? String(number + 1) : (answers.firstOpenStep(in: q).map { String($0 + 1) } ?? "plan"))
        return Response.redirect(to: "/self-assessment/\(code)/\(next)", type: .normal)
    }

    // MARK: the plan

    func renderPlan(
        _ answers: SMEAnswers, request: Request, context: AppContext, flash: Views.Flash? = nil, shared: Bool = false, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let q = self.questionnaire
        if let open = answers.firstOpenStep(in: q), !shared {
            return Response.redirect(to: "/self-assessment/\(SMEResumeCode.encode(answers, in: q))/\(open + 1)", type: .normal)
        }
        let p = self.presenter(context)
        let result = SMEResult.evaluate(answers, in: q)
        let code = SMEResumeCode.encode(answers, in: q)
        let csf = self.service.catalogues.csf
        func tier(_ tier: SMEQuestionnaire.Tier?) -> String { tier.map { "\($0.tier) · \(p.text($0.title, fallback: String($0.tier)))" } ?? "—" }
        let functions = result.functions.map { f -> [String: Any] in
            ["name": csf.function(f.function).map { p.text($0.title, fallback: f.function) } ?? f.function, "percent": f.percent, "tier": tier(f.tier), "id": f.function]
        }
        let chart = SVGChart.shares(
            id: "maturity", title: p.t("sme.plan.chart"),
            items: result.functions.map { f in
                (label: csf.function(f.function).map { p.text($0.title, fallback: f.function) } ?? f.function, value: "\(f.percent) % · \(f.tier?.tier ?? 0)", share: Double(f.percent) / 100)
            })
        let actions = result.actions.enumerated().map { index, action -> [String: Any] in
            [
                "rank": index + 1, "id": action.question.id, "action": p.text(action.question.action, fallback: action.question.id),
                "why": p.text(action.question.why, fallback: ""), "question": p.text(action.question.text, fallback: ""),
                "answer": action.choice.flatMap { q.choice($0) }.map { p.text($0.title, fallback: $0.id) } ?? "",
                "effort": p.t("sme.weight.\(action.question.effort.rawValue)"), "impact": p.t("sme.weight.\(action.question.impact.rawValue)"),
                "guide": action.question.guide, "emphasised": action.emphasised,
                "function": csf.function(action.question.function).map { p.text($0.title, fallback: action.question.function) } ?? action.question.function,
            ]
        }
        let size = q.sizes.first { $0.id == answers.profile.size }.map { p.text($0.title, fallback: $0.id) } ?? ""
        let sector = q.sectors.first { $0.id == answers.profile.sector }.map { p.text($0.title, fallback: $0.id) } ?? ""
        let data: [String: Any] = [
            "code": code, "functions": functions, "chart": chart, "actions": actions, "hasActions": !actions.isEmpty, "percent": result.percent,
            "tier": tier(result.tier), "summary": result.tier.map { p.text($0.summary, fallback: "") } ?? "", "profile": "\(sector) · \(size)",
            "printing": request.uri.queryParameters.get("print") != nil, "printHref": "/self-assessment/\(code)/plan?print=1",
            "shareAction": "/self-assessment/\(code)/plan/share", "shared": shared, "editHref": "/self-assessment/\(code)/1",
            "title": p.text(q.title, fallback: q.id), "version": q.version,
        ]
        return try self.views.page("sme_plan", title: p.t("sme.plan_title"), data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func share(request: Request, context: AppContext) async throws -> Response {
        let answers: SMEAnswers
        do { answers = try self.answers(context) } catch {
            return try self.renderStart(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
                status: .unprocessableContent)
        }
        let texts = self.views.localizer
        guard answers.firstOpenStep(in: self.questionnaire) == nil else { throw AppError.conflict(texts.text("sme.error.incomplete", context.language), field: nil) }
        guard context.form["consent"] == "yes" else {
            return try self.renderPlan(answers, request: request, context: context, flash: .init(kind: .error, text: texts.text("sme.share.consent_needed", context.language)))
        }
        let business = context.form["named"] == "yes" ? context.form["business"] : nil
        let shared: SharedSMEResult
        do { shared = try await self.service.shareSME(answers, business: business, address: context.address) } catch RiskError.tooManyShares {
            return try self.renderPlan(
                answers, request: request, context: context, flash: .init(kind: .error, text: texts.say(RiskError.tooManyShares, context.language)),
                status: .tooManyRequests)
        }
        let message = texts.text(shared.business == nil ? "sme.share.done_anonymous" : "sme.share.done_named", context.language, ["name": shared.business ?? ""])
        return try self.renderPlan(answers, request: request, context: context, flash: .init(kind: .ok, text: message), shared: true)
    }
}
