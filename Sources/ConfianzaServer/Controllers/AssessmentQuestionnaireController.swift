import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// One assessment: its overview and workflow, the questionnaire page of each pillar with evidence, the
/// review, and "explain this score". Staff see every country's; a focal point only their country's.
struct AssessmentQuestionnaireController {
    let service: AssessmentService
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/assessment/{id}", use: self.overview)
        router.get("/assessment/{id}/pillar/{pillar}", use: self.pillar)
        router.post("/assessment/{id}/pillar/{pillar}", use: self.save)
        router.post("/assessment/{id}/evidence/link", use: self.addLink)
        router.post("/assessment/{id}/evidence/document", use: self.addDocument)
        router.post("/assessment/{id}/evidence/{evidence}/remove", use: self.removeEvidence)
        router.get("/assessment/evidence/{evidence}", use: self.download)
        router.post("/assessment/{id}/submit", use: self.submit)
        router.post("/assessment/{id}/review", use: self.startReview)
        router.post("/assessment/{id}/comment", use: self.comment)
        router.post("/assessment/{id}/return", use: self.returnToCountry)
        router.post("/assessment/{id}/validate", use: self.validate)
        router.get("/assessment/{id}/score", use: self.explain)
    }

    func presenter(_ context: AppContext) -> AssessmentPresenter { AssessmentPresenter(texts: self.views.localizer, language: context.language) }

    func load(_ context: AppContext) async throws -> (User, Assessment) {
        let user = try context.requireSignedIn()
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw AppError.notFound("assessment") }
        do {
            return (user, try await self.service.assessment(id, for: user))
        } catch AssessmentError.notFound, AssessmentError.forbidden {
            throw AppError.notFound("assessment")
        }
    }

    // MARK: overview

    @Sendable func overview(request: Request, context: AppContext) async throws -> Response {
        let (user, assessment) = try await self.load(context)
        return try await self.renderOverview(user, assessment, request: request, context: context)
    }

    func renderOverview(
        _ user: User, _ assessment: Assessment, request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let p = self.presenter(context)
        let (card, stored) = try await self.service.score(assessment)
        let framework = stored.framework
        let answers = Dictionary(uniqueKeysWithValues: try await self.service.store.answers(assessmentID: assessment.id).map { ($0.questionID, $0) })
        let comments = try await self.service.store.comments(assessmentID: assessment.id)
        let pillars = framework.pillars.map { pillar -> [String: Any] in
            let questions = pillar.indicators.flatMap(\.questions)
            let answered = questions.filter { answers[$0.id]?.answer != nil }.count
            return [
                "id": pillar.id, "title": p.title(pillar.title, fallback: pillar.id), "href": "/assessment/\(assessment.id.uuidString)/pillar/\(pillar.id)",
                "progress": p.t("assessment.progress", ["answered": String(answered), "total": String(questions.count)]),
                "answered": answered, "total": questions.count,
                "open": comments.filter { c in c.resolvedAt == nil && questions.contains { $0.id == c.questionID } }.count,
                "hasOpen": comments.contains { c in c.resolvedAt == nil && questions.contains { $0.id == c.questionID } },
            ]
        }
        let total = framework.questions.count
        let answered = framework.questions.filter { answers[$0.id]?.answer != nil }.count
        let staff = user.role.includes(.analyst)
        let editor = assessment.state.isEditable && (staff || user.role == .focalPoint)
        let timeline = try await self.service.store.assessmentTimeline(assessmentID: assessment.id).reversed().map { entry -> [String: Any] in
            ["when": TimeFormat.minute(entry.at), "iso": TimeFormat.iso(entry.at), "actor": entry.actor, "text": self.views.localizer.say(entry.phrase, context.language)]
        }
        let history = try await self.service.store.scores(assessmentID: assessment.id).reversed().map { record -> [String: Any] in
            [
                "when": TimeFormat.minute(record.computedAt), "revision": record.revision, "total": Exact(decimal: String(record.total))?.formatted() ?? String(record.total),
                "tier": p.tier(framework.tiers.first { $0.id == record.tier }), "reason": p.t("assessment.history.\(record.reason)"),
            ]
        }
        let data: [String: Any] = [
            "id": assessment.id.uuidString, "country": p.country(assessment.country), "code": assessment.country, "region": p.region(assessment.country),
            "framework": p.frameworkName(framework), "state": p.state(assessment.state), "stateID": assessment.state.rawValue, "tlp": assessment.tlp.rawValue,
            "pillars": pillars, "progress": p.t("assessment.progress", ["answered": String(answered), "total": String(total)]),
            "percent": total == 0 ? 0 : answered * 100 / total,
            "total": card.total.formatted(), "maximum": card.maximum.formatted(), "tier": p.tier(card.tier),
            "canSubmit": editor, "canReview": staff && assessment.state == .submitted,
            "reviewing": staff && assessment.state == .underReview, "openComments": comments.filter { $0.resolvedAt == nil }.count,
            "profile": "/assessment/country/\(assessment.country)?framework=\(framework.id)&edition=\(framework.edition)",
            "timeline": timeline, "history": history, "hasHistory": !history.isEmpty, "revision": stored.revision,
        ]
        return try self.views.page(
            "assessment", title: "\(p.country(assessment.country)) · \(p.frameworkName(framework))", data: data, context: context, request: request,
            flash: flash, status: status)
    }

    // MARK: questionnaire

    @Sendable func pillar(request: Request, context: AppContext) async throws -> Response {
        let (user, assessment) = try await self.load(context)
        return try await self.renderPillar(user, assessment, request: request, context: context)
    }

    func renderPillar(
        _ user: User, _ assessment: Assessment, request: Request, context: AppContext, flash: Views.Flash? = nil,
        status: HTTPResponse.Status = .ok, submitted: FormFields? = nil, pillar chosen: String? = nil
    ) async throws -> Response {
        let p = self.presenter(context)
        let stored = try await self.service.framework(id: assessment.frameworkID, edition: assessment.edition)
        let framework = stored.framework
        guard let pillarID = chosen ?? context.parameters.get("pillar"), let index = framework.pillars.firstIndex(where: { $0.id == pillarID }) else {
            throw AppError.notFound("pillar")
        }
        let pillar = framework.pillars[index]
        let answers = Dictionary(uniqueKeysWithValues: try await self.service.store.answers(assessmentID: assessment.id).map { ($0.questionID, $0) })
        let evidence = Dictionary(grouping: try await self.service.store.evidence(assessmentID: assessment.id), by: \.questionID)
        let comments = Dictionary(grouping: try await self.service.store.comments(assessmentID: assessment.id), by: \.questionID)
        let missing = Set(try await self.service.missingEvidence(assessment))
        let staff = user.role.includes(.analyst)
        let editable = assessment.state.isEditable && (staff || user.role == .focalPoint)
        let base = "/assessment/\(assessment.id.uuidString)"
        let indicators = pillar.indicators.map { indicator -> [String: Any] in
            [
                "id": indicator.id, "title": p.title(indicator.title, fallback: indicator.id),
                "questions": indicator.questions.map { question -> [String: Any] in
                    let saved = answers[question.id]
                    // After a refused save, the form shows what was sent, not what is stored.
                    let sentValue = submitted?["answer.\(question.id)"]
                    func checked(_ value: String) -> Bool {
                        if let sentValue { return sentValue == value }
                        switch (saved?.answer, value) {
                        case (.yes?, "yes"), (.no?, "no"), (.partial?, "partial"): return true
                        default: return false
                        }
                    }
                    var choices: [[String: Any]] = []
                    if question.type != .elements {
                        let values = question.type == .yesnopartial ? ["yes", "partial", "no"] : ["yes", "no"]
                        choices = values.map { ["value": $0, "label": p.t("assessment.answer.\($0)"), "checked": checked($0)] }
                    }
                    let ticked: Set<String>
                    if case .elements(let ids)? = saved?.answer { ticked = Set(ids) } else { ticked = [] }
                    return [
                        "id": question.id, "text": p.title(question.text, fallback: question.id), "explanation": question.explanation.text(context.language), "hasExplanation": !question.explanation.text(context.language).isEmpty,
                        "isElements": question.type == .elements, "choices": choices,
                        "unanswered": submitted.map { ($0["answer.\(question.id)"] ?? "").isEmpty } ?? (saved?.answer == nil),
                        "elements": question.elements.map { element -> [String: Any] in
                            let on = submitted.map { $0["element.\(question.id).\(element.id)"] != nil } ?? ticked.contains(element.id)
                            return [
                                "name": "element.\(question.id).\(element.id)", "domID": "e-\(question.id)-\(element.id)",
                                "title": p.title(element.title, fallback: element.id), "checked": on,
                            ]
                        },
                        "note": submitted?["note.\(question.id)"] ?? saved?.note ?? "",
                        "evidencePolicy": p.t("assessment.evidence.\(question.evidence.rawValue)"), "required": question.evidence == .required,
                        "missing": missing.contains(question.id),
                        "evidence": (evidence[question.id] ?? []).map { item -> [String: Any] in
                            [
                                "evidenceID": item.id.uuidString, "questionID": question.id, "isLink": item.kind == .link, "url": item.url ?? "", "href": "/assessment/evidence/\(item.id.uuidString)",
                                "filename": item.filename ?? "", "size": ByteCountFormatter.string(fromByteCount: Int64(item.size), countStyle: .file),
                                "sha256": item.sha256 ?? "", "when": TimeFormat.minute(item.addedAt), "by": item.addedBy,
                            ]
                        },
                        "comments": (comments[question.id] ?? []).map { c -> [String: Any] in
                            ["body": c.body, "author": c.author, "when": TimeFormat.minute(c.at), "open": c.resolvedAt == nil]
                        },
                    ]
                },
            ]
        }
        let previous = index > 0 ? framework.pillars[index - 1] : nil
        let next = index + 1 < framework.pillars.count ? framework.pillars[index + 1] : nil
        let pillarQuestions = pillar.indicators.flatMap(\.questions)
        let answeredHere = pillarQuestions.filter { answers[$0.id]?.answer != nil }.count
        var data: [String: Any] = [
            "progress": p.t("assessment.progress", ["answered": String(answeredHere), "total": String(pillarQuestions.count)]),
            "id": assessment.id.uuidString, "base": base, "country": p.country(assessment.country), "framework": p.frameworkName(framework),
            "pillar": p.title(pillar.title, fallback: pillar.id), "pillarID": pillar.id, "state": p.state(assessment.state), "indicators": indicators,
            "editable": editable, "reviewing": staff && assessment.state == .underReview,
            "tabs": framework.pillars.map { ["href": "\(base)/pillar/\($0.id)", "title": p.title($0.title, fallback: $0.id), "current": $0.id == pillar.id] as [String: Any] },
            "maxMB": EvidenceDocuments.maxSize / 1024 / 1024, "types": EvidenceDocuments.types.keys.sorted().map { "." + $0 }.joined(separator: ","),
            "typesShown": EvidenceDocuments.types.keys.sorted().joined(separator: ", "),
        ]
        if let previous { data["previous"] = ["href": "\(base)/pillar/\(previous.id)", "title": p.title(previous.title, fallback: previous.id)] }
        if let next { data["next"] = ["href": "\(base)/pillar/\(next.id)", "title": p.title(next.title, fallback: next.id), "id": next.id] }
        return try self.views.page(
            "assessment_pillar", title: "\(p.title(pillar.title, fallback: pillar.id)) · \(p.country(assessment.country))", data: data, context: context,
            request: request, flash: flash, status: status)
    }

    /// Saves the pillar's answers and notes (a draft): `answer.<question>` (yes/no/partial, or empty for
    /// no answer), `element.<question>.<element>` ticked boxes, `note.<question>`.
    @Sendable func save(request: Request, context: AppContext) async throws -> Response {
        let (user, assessment) = try await self.load(context)
        let framework = try await self.service.framework(id: assessment.frameworkID, edition: assessment.edition).framework
        guard let pillarID = context.parameters.get("pillar"), let pillar = framework.pillars.first(where: { $0.id == pillarID }) else {
            throw AppError.notFound("pillar")
        }
        let form = context.form
        var given: [String: (value: JSONValue, note: String)] = [:]
        for question in pillar.indicators.flatMap(\.questions) {
            let value: JSONValue
            if question.type == .elements {
                value = .array(question.elements.filter { form["element.\(question.id).\($0.id)"] != nil }.map { .string($0.id) })
            } else {
                let text = form["answer.\(question.id)"] ?? ""
                value = text.isEmpty ? .null : .string(text)
            }
            given[question.id] = (value, form["note.\(question.id)"] ?? "")
        }
        do {
            try await self.service.saveAnswers(given, to: assessment, by: user)
        } catch let error as AssessmentError {
            return try await self.renderPillar(
                user, assessment, request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
                status: .unprocessableContent, submitted: form)
        }
        let next = form["next"].flatMap { target in framework.pillars.first { $0.id == target } }
        let target = next.map { "/assessment/\(assessment.id.uuidString)/pillar/\($0.id)?saved=1" }
            ?? "/assessment/\(assessment.id.uuidString)/pillar/\(pillar.id)?saved=1"
        return Response.redirect(to: target, type: .normal)
    }

    // MARK: evidence

    func back(_ assessment: Assessment, _ form: FormFields, _ framework: AssessmentFramework) -> String {
        let pillar = form["question"].flatMap { framework.locate(question: $0)?.pillar.id } ?? framework.pillars.first?.id ?? ""
        return "/assessment/\(assessment.id.uuidString)/pillar/\(pillar)"
    }

    func refuse(_ error: AssessmentError, _ user: User, _ assessment: Assessment, request: Request, context: AppContext, framework: AssessmentFramework)
        async throws -> Response
    {
        let pillar = context.form["question"].flatMap({ framework.locate(question: $0)?.pillar.id }) ?? framework.pillars.first?.id ?? ""
        return try await self.renderPillar(
            user, assessment, request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
            status: .unprocessableContent, pillar: pillar)
    }

    @Sendable func addLink(request: Request, context: AppContext) async throws -> Response {
        let (user, assessment) = try await self.load(context)
        let framework = try await self.service.framework(id: assessment.frameworkID, edition: assessment.edition).framework
        do {
            try await self.service.addLink(context.form["url"] ?? "", question: context.form["question"] ?? "", to: assessment, by: user)
        } catch let error as AssessmentError {
            return try await self.refuse(error, user, assessment, request: request, context: context, framework: framework)
        }
        return Response.redirect(to: self.back(assessment, context.form, framework) + "#q-\(context.form["question"] ?? "")", type: .normal)
    }

    @Sendable func addDocument(request: Request, context: AppContext) async throws -> Response {
        let (user, assessment) = try await self.load(context)
        let framework = try await self.service.framework(id: assessment.frameworkID, edition: assessment.edition).framework
        do {
            guard let file = context.files.first(where: { $0.field == "document" }), !file.filename.isEmpty else {
                throw AssessmentError.invalid(
                    field: "document", reason: Refusal("assessment.error.document_none", english: "choose a document to upload"))
            }
            _ = try await self.service.addDocument(
                filename: file.filename, data: file.data, question: context.form["question"] ?? "", to: assessment, by: user, address: context.address)
        } catch let error as AssessmentError {
            return try await self.refuse(error, user, assessment, request: request, context: context, framework: framework)
        }
        return Response.redirect(to: self.back(assessment, context.form, framework) + "#q-\(context.form["question"] ?? "")", type: .normal)
    }

    @Sendable func removeEvidence(request: Request, context: AppContext) async throws -> Response {
        let (user, assessment) = try await self.load(context)
        let framework = try await self.service.framework(id: assessment.frameworkID, edition: assessment.edition).framework
        guard let id = context.parameters.get("evidence").flatMap(UUID.init(uuidString:)) else { throw AppError.notFound("evidence") }
        do {
            try await self.service.removeEvidence(id, from: assessment, by: user)
        } catch let error as AssessmentError {
            return try await self.refuse(error, user, assessment, request: request, context: context, framework: framework)
        }
        return Response.redirect(to: self.back(assessment, context.form, framework), type: .normal)
    }

    @Sendable func download(request: Request, context: AppContext) async throws -> Response {
        guard let id = context.parameters.get("evidence").flatMap(UUID.init(uuidString:)) else { throw AppError.notFound("document") }
        let user = try context.requireSignedIn()
        do {
            let (evidence, data) = try await self.service.document(id, for: user)
            return Self.document(evidence, data)
        } catch AssessmentError.notFound, AssessmentError.forbidden {
            throw AppError.notFound("document")
        }
    }

    /// A stored document as an attachment, never rendered in the page's origin.
    static func document(_ evidence: Evidence, _ data: Data) -> Response {
        let name = (evidence.filename ?? "document").replacingOccurrences(of: "\"", with: "")
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_"))) ?? "document"
        var headers: HTTPFields = [
            .contentType: evidence.contentType ?? "application/octet-stream", .cacheControl: "no-store",
            .contentDisposition: "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)",
        ]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Content-Security-Policy")!] = "sandbox"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: workflow

    func act(_ request: Request, _ context: AppContext, _ body: (User, Assessment) async throws -> Void) async throws -> Response {
        let (user, assessment) = try await self.load(context)
        do {
            try await body(user, assessment)
        } catch let error as AssessmentError {
            let current = try await self.service.store.assessment(id: assessment.id) ?? assessment
            return try await self.renderOverview(
                user, current, request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
                status: error == .forbidden ? .forbidden : .conflict)
        }
        return Response.redirect(to: "/assessment/\(assessment.id.uuidString)", type: .normal)
    }

    @Sendable func submit(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request, context) { user, assessment in _ = try await self.service.submit(assessment, by: user, address: context.address) }
    }

    @Sendable func startReview(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request, context) { user, assessment in _ = try await self.service.startReview(assessment, by: user, address: context.address) }
    }

    @Sendable func returnToCountry(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request, context) { user, assessment in _ = try await self.service.returnToCountry(assessment, by: user, address: context.address) }
    }

    @Sendable func validate(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request, context) { user, assessment in
            _ = try await self.service.validate(assessment, publish: context.form["publish"] == "on", by: user, address: context.address)
        }
    }

    @Sendable func comment(request: Request, context: AppContext) async throws -> Response {
        let (user, assessment) = try await self.load(context)
        let framework = try await self.service.framework(id: assessment.frameworkID, edition: assessment.edition).framework
        do {
            try await self.service.comment(context.form["comment"] ?? "", question: context.form["question"] ?? "", on: assessment, by: user)
        } catch let error as AssessmentError {
            return try await self.refuse(error, user, assessment, request: request, context: context, framework: framework)
        }
        return Response.redirect(to: self.back(assessment, context.form, framework) + "#q-\(context.form["question"] ?? "")", type: .normal)
    }

    // MARK: explain

    @Sendable func explain(request: Request, context: AppContext) async throws -> Response {
        let (_, assessment) = try await self.load(context)
        let p = self.presenter(context)
        let (card, stored) = try await self.service.score(assessment)
        let framework = stored.framework
        let data: [String: Any] = [
            "id": assessment.id.uuidString, "country": p.country(assessment.country), "framework": p.frameworkName(framework),
            "total": card.total.formatted(), "maximum": card.maximum.formatted(), "tier": p.tier(card.tier), "pillars": p.explanation(card, framework),
            "partial": (framework.partialValue * Exact(100)).formatted() + " %", "evidenceRule": framework.evidenceRule == .publicLink,
            "approximate": !card.isExact, "revision": stored.revision,
        ]
        return try self.views.page(
            "assessment_score", title: p.t("assessment.explain.title") + " · " + p.country(assessment.country), data: data, context: context, request: request)
    }
}
