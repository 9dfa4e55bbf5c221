import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// Risk registers: the organisations' registers, a cycle's register with its heat maps, its scenarios,
/// the comparison with the cycle before, the printable register, and every table as CSV and JSON.
struct RiskPagesController {
    let service: RiskService
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/risk", use: self.index)
        router.post("/risk/cycles", use: self.start)
        router.get("/risk/cycles/{cycle}", use: self.cycle)
        router.get("/risk/cycles/{cycle}/print", use: self.print)
        router.post("/risk/cycles/{cycle}/review", use: self.review)
        router.get("/risk/cycles/{cycle}/compare", use: self.compare)
    }

    func presenter(_ context: AppContext) -> RiskPresenter {
        RiskPresenter(texts: self.views.localizer, language: context.language, catalogues: self.service.catalogues)
    }

    static func cycleID(_ context: AppContext) throws -> UUID {
        guard let text = context.parameters.get("cycle"), let id = UUID(uuidString: text) else { throw AppError.notFound("cycle") }
        return id
    }

    func load(_ context: AppContext) async throws -> StoredCycle {
        do { return try await self.service.cycle(try Self.cycleID(context)) } catch RiskError.notFound { throw AppError.notFound("cycle") }
    }

    // MARK: index

    @Sendable func index(request: Request, context: AppContext) async throws -> Response {
        try await self.renderIndex(request: request, context: context)
    }

    func renderIndex(request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try context.requireUser()
        let p = self.presenter(context)
        let now = Date()
        // The latest cycle of each organisation is its register; older ones are its history.
        var seen: Set<UUID> = []
        let headers = try await self.service.store.cycleHeaders(organisationID: nil)
        let latest = headers.filter { seen.insert($0.organisationID).inserted }
        let counts = Dictionary(grouping: headers, by: \.organisationID).mapValues(\.count)
        let table = RiskTable(
            name: "registers", columns: ["organisation", "organisationId", "cycle", "started", "matrix", "scenarios", "cycles", "nextReview", "overdue"],
            rows: latest.map { h in
                [
                    h.organisationName ?? "", h.organisationID.uuidString, h.id.uuidString, RiskPresenter.day(h.startedAt), h.matrixID, String(h.scenarios),
                    String(counts[h.organisationID] ?? 1), h.nextReview.map(RiskPresenter.day) ?? "", (h.nextReview.map { $0 < now } ?? false) ? "yes" : "no",
                ]
            })
        if let export = try table.response(for: request) { return export }
        let registers = latest.map { h -> [String: Any] in
            [
                "organisation": h.organisationName ?? p.t("risk.organisation_gone"), "href": "/risk/cycles/\(h.id.uuidString)", "started": RiskPresenter.day(h.startedAt),
                "matrix": h.matrixID, "scenarios": h.scenarios, "cycles": counts[h.organisationID] ?? 1, "review": h.nextReview.map(RiskPresenter.day) ?? "—",
                "overdue": h.nextReview.map { $0 < now } ?? false,
            ]
        }
        let matrices = try await self.service.matrices().map { ["id": $0.matrix.id, "name": p.matrixName($0.matrix)] as [String: Any] }
        // Suggestions only (any name may be typed): the first few hundred, not the whole constituency.
        let organisations = try await self.service.store.organisationNameList(limit: 300)
        let data: [String: Any] = [
            "registers": registers, "hasRegisters": !registers.isEmpty, "canEdit": user.role.includes(.analyst), "matrices": matrices,
            "organisations": organisations, "form": context.form.values,
        ]
        return try self.views.page("risk_index", title: p.t("risk.title"), data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func start(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let p = self.presenter(context)
        let name = (context.form["organisation"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let organisation = try await self.service.store.organisation(namedOrID: name) else {
            return try await self.renderIndex(
                request: request, context: context, flash: .init(kind: .error, text: p.t("risk.error.organisation", ["name": name])), status: .unprocessableContent)
        }
        var review: Date?
        if let text = context.form["review"], !text.isEmpty {
            guard let date = RiskPresenter.parseDay(text) else {
                return try await self.renderIndex(
                    request: request, context: context, flash: .init(kind: .error, text: p.t("risk.error.date", ["value": text])), status: .unprocessableContent)
            }
            review = date
        }
        do {
            let stored = try await self.service.startCycle(
                organisationID: organisation.id, matrixID: context.form["matrix"] ?? "", nextReview: review, by: user.username, address: context.address)
            return Response.redirect(to: "/risk/cycles/\(stored.cycle.id.uuidString)", type: .normal)
        } catch let error as RiskError {
            return try await self.renderIndex(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .unprocessableContent)
        }
    }

    // MARK: a cycle

    @Sendable func cycle(request: Request, context: AppContext) async throws -> Response {
        try await self.renderCycle(request: request, context: context, printing: false)
    }

    @Sendable func print(request: Request, context: AppContext) async throws -> Response {
        try await self.renderCycle(request: request, context: context, printing: true)
    }

    func renderCycle(request: Request, context: AppContext, printing: Bool, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try context.requireUser()
        let stored = try await self.load(context)
        let p = self.presenter(context)
        let table = RiskTable(
            name: "scenarios",
            columns: [
                "id", "key", "title", "asset", "threat", "inherentLikelihood", "inherentImpact", "inherentLevel", "currentLikelihood", "currentImpact", "currentLevel",
                "residualLikelihood", "residualImpact", "residualLevel", "treatment", "controls", "owner", "due",
            ],
            rows: stored.cycle.scenarios.map { s in
                func level(_ r: RiskScenario.Rating) -> String { (p.level(r, on: stored.matrix)["id"] as? String) ?? "" }
                return [
                    s.id.uuidString, s.key.uuidString, s.title, s.asset, s.threatID ?? "", s.inherent.likelihood, s.inherent.impact, level(s.inherent),
                    s.current.likelihood, s.current.impact, level(s.current), s.residual.likelihood, s.residual.impact, level(s.residual), s.treatment.rawValue,
                    s.controls.joined(separator: " "), s.owner, s.due.map(RiskPresenter.day) ?? "",
                ]
            })
        if let export = try table.response(for: request) { return export }
        let organisation = try await self.service.store.organisation(id: stored.cycle.organisationID)
        let history = try await self.service.store.cycleHeaders(organisationID: stored.cycle.organisationID)
        let index = history.firstIndex { $0.id == stored.cycle.id } ?? 0
        let maps = p.heatMaps(stored)
        // Assets, from the scenarios: how many risks each carries and the highest current level.
        var assets: [String: (count: Int, worst: Int, chip: [String: Any])] = [:]
        for scenario in stored.cycle.scenarios {
            let chip = p.level(scenario.current, on: stored.matrix)
            let score = chip["score"] as? Int ?? 0
            let known = assets[scenario.asset]
            if known == nil || score > known?.worst ?? 0 {
                assets[scenario.asset] = ((known?.count ?? 0) + 1, score, chip)
            } else {
                assets[scenario.asset]?.count += 1
            }
        }
        let now = Date()
        let id = stored.cycle.id.uuidString
        let data: [String: Any] = [
            "id": id, "organisation": organisation?.name ?? p.t("risk.organisation_gone"),
            "organisationHref": organisation.map { "/constituency/\($0.id.uuidString)" } ?? "",
            "started": RiskPresenter.day(stored.cycle.startedAt), "matrix": p.matrixName(stored.matrix), "matrixID": stored.matrix.id,
            "review": stored.cycle.nextReview.map(RiskPresenter.day) ?? "", "hasReview": stored.cycle.nextReview != nil,
            "overdue": stored.cycle.isOverdue(at: now), "by": stored.createdBy,
            "scenarios": stored.cycle.scenarios.map { p.row($0, cycle: stored) }, "hasScenarios": !stored.cycle.scenarios.isEmpty,
            "heatCurrent": maps.current, "heatResidual": maps.residual,
            "assets": assets.sorted { $0.key.localizedStandardCompare($1.key) == .orderedAscending }.map {
                ["name": $0.key, "count": $0.value.count, "level": $0.value.chip] as [String: Any]
            },
            "levels": stored.matrix.levels.map { ["title": p.text($0.title, fallback: $0.id), "colour": $0.colour, "ink": RiskCharts.ink(on: $0.colour), "range": "\($0.min)–\($0.max)"] },
            "canEdit": user.role.includes(.analyst) && !printing && index == 0, "isLatest": index == 0, "printing": printing,
            "hasPrevious": index + 1 < history.count, "latestHref": history.first.map { "/risk/cycles/\($0.id.uuidString)" } ?? "",
            "history": history.map { h in
                ["href": "/risk/cycles/\(h.id.uuidString)", "started": RiskPresenter.day(h.startedAt), "scenarios": h.scenarios, "current": h.id == stored.cycle.id] as [String: Any]
            },
            "organisationName": organisation?.name ?? "", "today": RiskPresenter.day(now),
        ]
        let title = p.t("risk.cycle.title", ["organisation": organisation?.name ?? "", "date": RiskPresenter.day(stored.cycle.startedAt)])
        return try self.views.page("risk_cycle", title: title, data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func review(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let stored = try await self.load(context)
        let text = context.form["review"] ?? ""
        var date: Date?
        if !text.isEmpty {
            guard let parsed = RiskPresenter.parseDay(text) else {
                return try await self.renderCycle(
                    request: request, context: context, printing: false,
                    flash: .init(kind: .error, text: self.presenter(context).t("risk.error.date", ["value": text])), status: .unprocessableContent)
            }
            date = parsed
        }
        try await self.service.setNextReview(date, cycleID: stored.cycle.id, by: user.username, address: context.address)
        return Response.redirect(to: "/risk/cycles/\(stored.cycle.id.uuidString)", type: .normal)
    }

    // MARK: comparison

    @Sendable func compare(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let stored = try await self.load(context)
        let p = self.presenter(context)
        guard let found = try await self.service.comparison(stored.cycle.id) else { throw AppError.notFound("previous cycle") }
        func chip(_ value: (level: String, score: Int)?, _ matrix: RiskMatrix) -> [String: Any] {
            guard let value, let level = matrix.levels.first(where: { $0.id == value.level }) else { return ["title": "—", "colour": "#ffffff", "ink": "#000000"] }
            return ["title": p.text(level.title, fallback: level.id), "colour": level.colour, "ink": RiskCharts.ink(on: level.colour), "score": value.score]
        }
        let order: [CycleComparison.Change] = [.worsened, .new, .improved, .closed, .unchanged]
        let rows = found.comparison.rows.sorted { (order.firstIndex(of: $0.change) ?? 0) < (order.firstIndex(of: $1.change) ?? 0) }
        let table = RiskTable(
            name: "comparison", columns: ["key", "title", "change", "levelBefore", "scoreBefore", "levelAfter", "scoreAfter"],
            rows: rows.map { r in
                [r.key.uuidString, r.title, r.change.rawValue, r.before?.level ?? "", r.before.map { String($0.score) } ?? "", r.after?.level ?? "", r.after.map { String($0.score) } ?? ""]
            })
        if let export = try table.response(for: request) { return export }
        let trend = try await self.service.trend(organisationID: stored.cycle.organisationID)
        let levels = stored.matrix.levels.map { (title: p.text($0.title, fallback: $0.id), colour: $0.colour) }
        let chart = RiskCharts.trend(
            id: "trend", title: p.t("risk.chart.trend"),
            columns: trend.filter { $0.cycle.matrix.id == stored.matrix.id }.map { (RiskPresenter.day($0.cycle.cycle.startedAt), $0.levels) }, levels: levels)
        let organisation = try await self.service.store.organisation(id: stored.cycle.organisationID)
        let data: [String: Any] = [
            "organisation": organisation?.name ?? p.t("risk.organisation_gone"), "href": "/risk/cycles/\(stored.cycle.id.uuidString)",
            "before": RiskPresenter.day(found.previous.cycle.startedAt), "after": RiskPresenter.day(stored.cycle.startedAt),
            "beforeHref": "/risk/cycles/\(found.previous.cycle.id.uuidString)",
            "summary": CycleComparison.Change.allCases.map { ["change": $0.rawValue, "label": p.t("risk.change.\($0.rawValue)"), "count": found.comparison.count($0)] as [String: Any] },
            "rows": rows.map { r in
                [
                    "title": r.title, "change": r.change.rawValue, "label": p.t("risk.change.\(r.change.rawValue)"), "before": chip(r.before, found.previous.matrix),
                    "after": chip(r.after, stored.matrix),
                ] as [String: Any]
            },
            "trend": chart, "matrixChanged": found.previous.matrix.id != stored.matrix.id, "id": stored.cycle.id.uuidString,
        ]
        return try self.views.page("risk_compare", title: p.t("risk.compare_page_title"), data: data, context: context, request: request)
    }
}
