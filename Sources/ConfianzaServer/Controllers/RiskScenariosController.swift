import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// Adding, changing and removing the risks of a register's latest cycle (older cycles are history).
struct RiskScenariosController {
    let service: RiskService
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/risk/cycles/{cycle}/scenarios/new", use: self.new)
        router.post("/risk/cycles/{cycle}/scenarios", use: self.create)
        router.get("/risk/cycles/{cycle}/scenarios/{scenario}", use: self.edit)
        router.post("/risk/cycles/{cycle}/scenarios/{scenario}", use: self.update)
        router.post("/risk/cycles/{cycle}/scenarios/{scenario}/delete", use: self.delete)
    }

    /// The cycle, refused unless it is its organisation's latest (the one being worked on).
    func latestCycle(_ context: AppContext) async throws -> StoredCycle {
        guard let text = context.parameters.get("cycle"), let id = UUID(uuidString: text), let stored = try await self.service.store.cycle(id: id) else {
            throw AppError.notFound("cycle")
        }
        guard try await self.service.store.cycleHeaders(organisationID: stored.cycle.organisationID).first?.id == id else {
            throw AppError.conflict(self.views.localizer.text("risk.error.old_cycle", context.language), field: nil)
        }
        return stored
    }

    func scenario(_ context: AppContext, in stored: StoredCycle) throws -> RiskScenario {
        guard let text = context.parameters.get("scenario"), let id = UUID(uuidString: text), let scenario = stored.cycle.scenarios.first(where: { $0.id == id }) else {
            throw AppError.notFound("scenario")
        }
        return scenario
    }

    @Sendable func new(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let stored = try await self.latestCycle(context)
        let middle = { (steps: [RiskMatrix.Step]) in steps[steps.count / 2].id }
        let blank = RiskScenario(
            title: "", asset: "", inherent: .init(likelihood: middle(stored.matrix.likelihood), impact: middle(stored.matrix.impact)),
            current: .init(likelihood: middle(stored.matrix.likelihood), impact: middle(stored.matrix.impact)),
            residual: .init(likelihood: stored.matrix.likelihood[0].id, impact: stored.matrix.impact[0].id), treatment: .reduce)
        return try self.render(blank, isNew: true, stored: stored, request: request, context: context)
    }

    @Sendable func edit(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let stored = try await self.latestCycle(context)
        return try self.render(try self.scenario(context, in: stored), isNew: false, stored: stored, request: request, context: context)
    }

    @Sendable func create(request: Request, context: AppContext) async throws -> Response {
        try await self.save(request: request, context: context, existing: nil)
    }

    @Sendable func update(request: Request, context: AppContext) async throws -> Response {
        let stored = try await self.latestCycle(context)
        return try await self.save(request: request, context: context, existing: try self.scenario(context, in: stored))
    }

    @Sendable func delete(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let stored = try await self.latestCycle(context)
        let scenario = try self.scenario(context, in: stored)
        try await self.service.deleteScenario(id: scenario.id, cycleID: stored.cycle.id, by: user.username, address: context.address)
        return Response.redirect(to: "/risk/cycles/\(stored.cycle.id.uuidString)", type: .normal)
    }

    func save(request: Request, context: AppContext, existing: RiskScenario?) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let stored = try await self.latestCycle(context)
        let form = context.form
        func field(_ name: String) -> String { (form[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        var problems: [String] = []
        let texts = self.views.localizer
        let language = context.language
        let treatment = RiskScenario.Treatment(rawValue: field("treatment"))
        if treatment == nil { problems.append(texts.text("risk.error.treatment", language, ["value": field("treatment")])) }
        var due: Date?
        if !field("due").isEmpty {
            due = RiskPresenter.parseDay(field("due"))
            if due == nil { problems.append(texts.text("risk.error.date", language, ["value": field("due")])) }
        }
        let threat = field("threat")
        var scenario = existing ?? RiskScenario(title: "", asset: "", inherent: .init(likelihood: "", impact: ""), current: .init(likelihood: "", impact: ""), residual: .init(likelihood: "", impact: ""), treatment: .reduce)
        scenario.title = field("title")
        scenario.asset = String(field("asset").prefix(300))
        scenario.threatID = threat.isEmpty ? nil : threat
        scenario.inherent = .init(likelihood: field("inherent_likelihood"), impact: field("inherent_impact"))
        scenario.current = .init(likelihood: field("current_likelihood"), impact: field("current_impact"))
        scenario.residual = .init(likelihood: field("residual_likelihood"), impact: field("residual_impact"))
        scenario.treatment = treatment ?? .reduce
        scenario.controls = field("controls").split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" }).map { $0.uppercased() }
        scenario.owner = String(field("owner").prefix(200))
        scenario.due = due
        if scenario.asset.isEmpty { problems.append(texts.text("risk.error.asset", language)) }
        if problems.isEmpty {
            do {
                try await self.service.saveScenario(scenario, cycleID: stored.cycle.id, by: user.username, address: context.address)
                return Response.redirect(to: "/risk/cycles/\(stored.cycle.id.uuidString)", type: .normal)
            } catch RiskError.invalid(let found) {
                problems += found.map { problem in
                    let reason = problem.reason.phrase([:]).map { texts.say($0, language) } ?? problem.reason.english
                    return "\(texts.text("risk.field.\(problem.field)", language)): \(reason)"
                }
            }
        }
        return try self.render(scenario, isNew: existing == nil, stored: stored, request: request, context: context, problems: problems)
    }

    func render(
        _ scenario: RiskScenario, isNew: Bool, stored: StoredCycle, request: Request, context: AppContext, problems: [String] = []
    ) throws -> Response {
        let p = RiskPresenter(texts: self.views.localizer, language: context.language, catalogues: self.service.catalogues)
        func options(_ steps: [RiskMatrix.Step], _ selected: String) -> [[String: Any]] {
            steps.enumerated().map { ["id": $0.element.id, "title": "\($0.offset + 1) · \(p.text($0.element.title, fallback: $0.element.id))", "selected": $0.element.id == selected] }
        }
        let ratings = [("inherent", scenario.inherent), ("current", scenario.current), ("residual", scenario.residual)].map { name, rating -> [String: Any] in
            [
                "name": name, "label": p.t("risk.form.\(name)"), "hint": p.t("risk.form.\(name)_hint"),
                "likelihood": options(stored.matrix.likelihood, rating.likelihood), "impact": options(stored.matrix.impact, rating.impact),
            ]
        }
        let cycleHref = "/risk/cycles/\(stored.cycle.id.uuidString)"
        let data: [String: Any] = [
            "isNew": isNew, "cycleHref": cycleHref,
            "action": isNew ? "\(cycleHref)/scenarios" : "\(cycleHref)/scenarios/\(scenario.id.uuidString)",
            "deleteAction": "\(cycleHref)/scenarios/\(scenario.id.uuidString)/delete",
            "title": scenario.title, "asset": scenario.asset, "owner": scenario.owner, "controls": scenario.controls.joined(separator: " "),
            "due": scenario.due.map(RiskPresenter.day) ?? "", "ratings": ratings, "matrix": p.matrixName(stored.matrix),
            "threats": self.service.catalogues.threats.threats.map { ["id": $0.id, "title": p.text($0.title, fallback: $0.id), "selected": $0.id == scenario.threatID] as [String: Any] },
            "treatments": RiskScenario.Treatment.allCases.map { ["id": $0.rawValue, "title": p.treatment($0), "selected": $0 == scenario.treatment] as [String: Any] },
            "problems": problems, "hasProblems": !problems.isEmpty,
            "categories": self.service.catalogues.csf.functions.map { function in
                [
                    "title": "\(function.id) · \(p.text(function.title, fallback: function.id))",
                    "subcategories": function.categories.flatMap(\.subcategories).map { ["id": $0.id, "title": p.text($0.title, fallback: $0.id)] },
                ] as [String: Any]
            },
        ]
        let title = isNew ? p.t("risk.scenario_page_new") : scenario.title
        return try self.views.page(
            "risk_scenario", title: title, data: data, context: context, request: request, status: problems.isEmpty ? .ok : .unprocessableContent)
    }
}
