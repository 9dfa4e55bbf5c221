import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The assessments list and comparison table, a country's profile and progress, exports, new
/// assessments and focal point invitations.
struct AssessmentPagesController {
    let service: AssessmentService
    let views: Views
    let configuration: ServerConfiguration

    func addRoutes(to router: Router<AppContext>) {
        router.get("/assessment", use: self.list)
        router.post("/assessment", use: self.create)
        router.post("/assessment/invite", use: self.invite)
        router.get("/assessment/export.csv", use: self.exportCSV)
        router.get("/assessment/export.json", use: self.exportJSON)
        router.get("/assessment/country/{country}", use: self.profile)
    }

    func presenter(_ context: AppContext) -> AssessmentPresenter { AssessmentPresenter(texts: self.views.localizer, language: context.language) }

    /// One row of the comparison: an assessment with its score.
    struct Row {
        var assessment: Assessment
        var card: ScoreCard
    }

    /// The chosen framework edition (from `framework=id&edition=e`, else the first one) and the rows of it `user` may see.
    func rows(_ request: Request, _ user: User) async throws -> (StoredFramework?, [StoredFramework], [Row]) {
        let frameworks = try await self.service.store.frameworks()
        let query = request.uri.queryParameters
        let chosen = frameworks.first { $0.framework.id == query["framework"].map(String.init) && $0.framework.edition == query["edition"].map(String.init) }
            ?? frameworks.first { $0.framework.id == "five-pillars" } ?? frameworks.first
        guard let chosen else { return (nil, frameworks, []) }
        let assessments = try await self.service.assessments(for: user).filter {
            $0.frameworkID == chosen.framework.id && $0.edition == chosen.framework.edition
        }
        let scores = try await self.service.scores(assessments)
        let rows = assessments.compactMap { assessment in scores[assessment.id].map { Row(assessment: assessment, card: $0.0) } }
        return (chosen, frameworks, rows)
    }

    /// Filters (`region`, `tier`, `state`) and sorting (`sort` = country, region, total, tier, state; `dir` = asc or desc).
    func filtered(_ rows: [Row], _ request: Request, _ p: AssessmentPresenter) -> [Row] {
        let query = request.uri.queryParameters
        let region = query["region"].map(String.init) ?? ""
        let tier = query["tier"].map(String.init) ?? ""
        let state = query["state"].map(String.init) ?? ""
        var result = rows.filter {
            (region.isEmpty || Countries.region(of: $0.assessment.country) == region) && (tier.isEmpty || $0.card.tier?.id == tier)
                && (state.isEmpty || $0.assessment.state.rawValue == state)
        }
        let sort = query["sort"].map(String.init) ?? "total"
        let descending = (query["dir"].map(String.init) ?? (sort == "total" ? "desc" : "asc")) == "desc"
        result.sort { a, b in
            let ordered: Bool
            switch sort {
            case "country": ordered = p.country(a.assessment.country) < p.country(b.assessment.country)
            case "region": ordered = (p.region(a.assessment.country), a.assessment.country) < (p.region(b.assessment.country), b.assessment.country)
            case "state": ordered = (a.assessment.state.rawValue, a.assessment.country) < (b.assessment.state.rawValue, b.assessment.country)
            case "tier", "total":
                ordered = a.card.total == b.card.total ? a.assessment.country < b.assessment.country : a.card.total < b.card.total
            default: ordered = a.assessment.country < b.assessment.country
            }
            return descending ? !ordered : ordered
        }
        return result
    }

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        try await self.render(request: request, context: context)
    }

    func render(request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok, link: String? = nil) async throws -> Response {
        let user = try context.requireSignedIn()
        let p = self.presenter(context)
        let (chosen, frameworks, all) = try await self.rows(request, user)
        let rows = self.filtered(all, request, p)
        let query = request.uri.queryParameters
        let framework = chosen?.framework
        let selection = framework.map { "framework=\($0.id)&edition=\($0.edition)" } ?? ""
        func sortLink(_ key: String) -> String {
            let current = query["sort"].map(String.init) ?? "total"
            let dir = current == key && (query["dir"].map(String.init) ?? (key == "total" ? "desc" : "asc")) == "asc" ? "desc" : "asc"
            var parts = [selection, "sort=\(key)", "dir=\(dir)"]
            for name in ["region", "tier", "state"] { if let value = query[Substring(name)], !value.isEmpty { parts.append("\(name)=\(String(value).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") } }
            return "/assessment?" + parts.filter { !$0.isEmpty }.joined(separator: "&")
        }
        let data: [String: Any] = [
            "isStaff": user.role.includes(.viewer), "canCreate": user.role.includes(.analyst), "isAdmin": user.role == .admin,
            "frameworks": frameworks.map { stored -> [String: Any] in
                [
                    "value": "\(stored.framework.id)|\(stored.framework.edition)", "label": p.frameworkName(stored.framework),
                    "selected": stored.framework.id == framework?.id && stored.framework.edition == framework?.edition,
                    "href": "/assessment?framework=\(stored.framework.id)&edition=\(stored.framework.edition)",
                ]
            },
            "framework": framework.map { p.frameworkName($0) } ?? "", "frameworkID": framework?.id ?? "", "edition": framework?.edition ?? "",
            "description": framework?.description.text(context.language) ?? "",
            "pillarHeads": framework?.pillars.map { ["title": p.title($0.title, fallback: $0.id)] } ?? [],
            "rows": rows.map { row -> [String: Any] in
                [
                    "href": "/assessment/\(row.assessment.id.uuidString)", "country": p.country(row.assessment.country), "code": row.assessment.country,
                    "profile": "/assessment/country/\(row.assessment.country)?\(selection)",
                    "region": p.region(row.assessment.country), "state": p.state(row.assessment.state), "total": row.card.total.formatted(),
                    "tier": p.tier(row.card.tier), "pillars": row.card.pillars.map { ["score": $0.score.formatted()] },
                ]
            },
            "hasRows": !rows.isEmpty, "count": p.t("assessment.count", ["shown": String(rows.count), "all": String(all.count)]),
            "regions": Countries.regions.map { ["value": $0, "label": p.t("region.\($0)"), "selected": query["region"].map(String.init) == $0] as [String: Any] },
            "tiers": (framework?.tiers ?? []).map { ["value": $0.id, "label": p.tier($0), "selected": query["tier"].map(String.init) == $0.id] as [String: Any] },
            "states": Assessment.State.allCases.map {
                ["value": $0.rawValue, "label": p.state($0), "selected": query["state"].map(String.init) == $0.rawValue] as [String: Any]
            },
            "sortCountry": sortLink("country"), "sortRegion": sortLink("region"), "sortState": sortLink("state"), "sortTotal": sortLink("total"),
            "sortTier": sortLink("tier"), "csv": "/assessment/export.csv?\(selection)", "json": "/assessment/export.json?\(selection)",
            "countries": Countries.codes.map { ["code": $0, "name": p.country($0)] }.sorted { ($0["name"] ?? "") < ($1["name"] ?? "") },
            "languages": self.views.localizer.languages.map { ["code": $0.rawValue, "name": self.views.localizer.nativeName($0)] },
            "invitations": user.role == .admin
                ? try await self.service.store.invitations().prefix(50).map { invitation -> [String: Any] in
                    [
                        "email": invitation.email, "name": invitation.displayName, "country": p.country(invitation.country), "when": TimeFormat.minute(invitation.createdAt),
                        "status": invitation.acceptedAt != nil
                            ? p.t("assessment.invite.accepted", ["username": invitation.username ?? ""])
                            : (invitation.expiresAt < Date() ? p.t("assessment.invite.expired") : p.t("assessment.invite.pending")),
                    ]
                } : [],
            "link": link ?? "", "hasLink": link != nil,
        ]
        return try self.views.page("assessments", title: p.t("assessment.title"), data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func create(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let parts = (context.form["framework"] ?? "").split(separator: "|", maxSplits: 1).map(String.init)
        do {
            guard parts.count == 2 else { throw AssessmentError.notFound("framework") }
            let assessment = try await self.service.create(
                frameworkID: parts[0], edition: parts[1], country: context.form["country"] ?? "", by: user, address: context.address)
            return Response.redirect(to: "/assessment/\(assessment.id.uuidString)", type: .normal)
        } catch let error as AssessmentError {
            return try await self.render(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .unprocessableContent)
        }
    }

    @Sendable func invite(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let form = context.form
        let language = form["language"].flatMap(Language.init(rawValue:)).flatMap { self.views.localizer.has($0) ? $0 : nil } ?? context.language
        let base = self.configuration.displayURL.hasSuffix("/") ? String(self.configuration.displayURL.dropLast()) : self.configuration.displayURL
        let texts = self.views.localizer
        do {
            let token = try await self.service.invite(
                email: form["email"] ?? "", name: form["name"] ?? "", country: form["country"] ?? "", language: language, by: user, address: context.address,
                link: { "\(base)/invite/\($0)" },
                mail: { link, country in
                    texts.mail(
                        "mail.invitation", language,
                        ["link": link, "country": texts.text("country.\(country)", language), "name": form["name"] ?? "", "inviter": user.displayName,
                         "days": String(Int(AssessmentService.invitationLifetime / 86400))])
                })
            return try await self.render(
                request: request, context: context,
                flash: .init(kind: .ok, text: texts.text("assessment.invite.sent", context.language, ["email": form["email"] ?? ""])),
                link: "\(base)/invite/\(token)")
        } catch let error as AssessmentError {
            return try await self.render(
                request: request, context: context, flash: .init(kind: .error, text: texts.say(error, context.language)), status: .unprocessableContent)
        }
    }

    // MARK: exports

    func exportRows(_ request: Request, _ context: AppContext) async throws -> (AssessmentFramework, [Row]) {
        let user = try context.requireSignedIn()
        let (chosen, _, all) = try await self.rows(request, user)
        guard let chosen else { throw AppError.notFound("framework") }
        return (chosen.framework, self.filtered(all, request, self.presenter(context)))
    }

    @Sendable func exportCSV(request: Request, context: AppContext) async throws -> Response {
        let (framework, rows) = try await self.exportRows(request, context)
        var lines = [(["country", "region", "framework", "edition", "state", "total", "maximum", "tier"] + framework.pillars.map(\.id)).joined(separator: ",")]
        for row in rows {
            let cells = [
                row.assessment.country, Countries.region(of: row.assessment.country) ?? "", framework.id, framework.edition, row.assessment.state.rawValue,
                String(row.card.total.double), String(row.card.maximum.double), row.card.tier?.id ?? "",
            ] + row.card.pillars.map { String($0.score.double) }
            lines.append(cells.map(EventsCSV.cell).joined(separator: ","))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(framework.id)-\(framework.edition).csv\""],
            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n")))
    }

    @Sendable func exportJSON(request: Request, context: AppContext) async throws -> Response {
        let (framework, rows) = try await self.exportRows(request, context)
        let items: [JSONValue] = rows.map { row in
            var score = row.card.json
            if case .object(var fields) = score {
                fields["country"] = .string(row.assessment.country)
                fields["region"] = Countries.region(of: row.assessment.country).map(JSONValue.string) ?? .null
                fields["state"] = .string(row.assessment.state.rawValue)
                fields["id"] = .string(row.assessment.id.uuidString)
                score = .object(fields)
            }
            return score
        }
        let document = JSONValue.object(["framework": .string(framework.id), "edition": .string(framework.edition), "assessments": .array(items)])
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .contentDisposition: "attachment; filename=\"\(framework.id)-\(framework.edition).json\""],
            body: .init(byteBuffer: ByteBuffer(string: document.text)))
    }

    // MARK: profile

    @Sendable func profile(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireSignedIn()
        guard let code = context.parameters.get("country").flatMap(Countries.normalise) else { throw AppError.notFound("country") }
        let visible = try await self.service.assessments(for: user).filter { $0.country == code }
        guard !visible.isEmpty else { throw AppError.notFound("country") }
        let data = try await CountryProfile.build(code, assessments: visible, service: self.service, presenter: self.presenter(context), request: request, publicView: false)
        return try self.views.page("assessment_country", title: self.presenter(context).country(code), data: data, context: context, request: request)
    }
}

/// A country's profile: for each framework, the latest edition's score (bars, radar, tier, strengths and
/// areas of growth) and the progress across editions, with a warning where the methodology changed.
enum CountryProfile {
    static func build(
        _ code: String, assessments: [Assessment], service: AssessmentService, presenter p: AssessmentPresenter, request: Request, publicView: Bool
    ) async throws -> [String: Any] {
        var sections: [[String: Any]] = []
        let query = request.uri.queryParameters
        for (frameworkID, group) in Dictionary(grouping: assessments, by: \.frameworkID).sorted(by: { $0.key < $1.key }) {
            let editions = group.sorted { $0.edition < $1.edition }
            let focus = editions.first { $0.edition == query["edition"].map(String.init) && frameworkID == query["framework"].map(String.init) } ?? editions.last
            guard let focus else { continue }
            let (card, stored) = try await service.score(focus)
            let framework = stored.framework
            let charts = p.charts(card, framework, id: "\(frameworkID)-\(focus.edition)")
            var progress: [[String: Any]] = []
            var previous: AssessmentFramework?
            for assessment in editions {
                let (editionCard, editionStored) = try await service.score(assessment)
                var warning = ""
                if let previous {
                    let changes = editionStored.framework.methodologyDifferences(from: previous)
                    if !changes.isEmpty { warning = p.t("assessment.progress.methodology", ["count": String(changes.count)]) }
                }
                if editionStored.revision > 1 { warning += (warning.isEmpty ? "" : " ") + p.t("assessment.progress.revised", ["revision": String(editionStored.revision)]) }
                previous = editionStored.framework
                progress.append([
                    "edition": assessment.edition, "total": editionCard.total.formatted(), "maximum": editionCard.maximum.formatted(),
                    "tier": p.tier(editionCard.tier), "state": p.state(assessment.state), "warning": warning, "hasWarning": !warning.isEmpty,
                    "href": publicView ? "" : "/assessment/\(assessment.id.uuidString)", "hasHref": !publicView,
                ])
            }
            var indicators: [[String: Any]] = []
            if publicView {
                let evidence = Dictionary(grouping: try await service.store.evidence(assessmentID: focus.id), by: \.questionID)
                for (score, indicator) in zip(card.indicators, framework.pillars.flatMap(\.indicators)) {
                    let links = indicator.questions.flatMap { question in
                        (evidence[question.id] ?? []).map { item -> [String: Any] in
                            item.kind == .link
                                ? ["href": item.url ?? "", "label": item.url ?? "", "isLink": true]
                                : ["href": "/public/evidence/\(item.id.uuidString)", "label": item.filename ?? "", "isLink": false]
                        }
                    }
                    indicators.append(["title": p.title(indicator.title, fallback: indicator.id), "points": score.points.formatted(), "links": links, "hasLinks": !links.isEmpty])
                }
            }
            sections.append([
                "framework": p.frameworkName(framework), "total": card.total.formatted(), "maximum": card.maximum.formatted(), "tier": p.tier(card.tier),
                "state": p.state(focus.state), "bars": charts.bars, "radar": charts.radar,
                "strengths": p.pillarNames(card.strengths, framework), "growth": p.pillarNames(card.growthAreas, framework),
                "hasGrowth": !card.growthAreas.isEmpty, "progress": progress, "indicators": indicators, "hasIndicators": !indicators.isEmpty,
                "explain": publicView ? "" : "/assessment/\(focus.id.uuidString)/score", "hasExplain": !publicView,
            ])
        }
        return ["country": p.country(code), "code": code, "region": p.region(code), "sections": sections, "publicView": publicView]
    }
}
