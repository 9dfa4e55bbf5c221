import ConfianzaCore
import ConfianzaFeeds
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Feeds Confianza fetches itself, and the health of every feed, as pages and API: admins add, turn on
/// and off, and remove feeds; analysts fetch one now; everyone signed in reads their state and health.
struct CollectedFeedsController {
    typealias Storage = any FeedSourceStore & AuditStore & EventStore

    let store: Storage
    let views: Views
    let accounts: AccountService
    let background: BackgroundWork
    let fetchFeed: (@Sendable (FeedSource) async throws -> FeedFetch)?
    let publicFeed: @Sendable (String) -> String?

    var service: FeedSourceService { FeedSourceService(store: self.store) }

    func addRoutes(to router: Router<AppContext>) {
        router.get("/feeds/sources", use: self.list)
        router.post("/feeds/sources", use: self.create)
        router.get("/feeds/sources/:id", use: self.detail)
        router.post("/feeds/sources/:id/fetch", use: self.fetchPage)
        router.post("/feeds/sources/:id/enable", use: self.enablePage)
        router.post("/feeds/sources/:id/disable", use: self.disablePage)
        router.post("/feeds/sources/:id/remove", use: self.removePage)
        router.get("/feeds/health", use: self.healthPage)
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.get("/feed-sources", use: self.apiList)
        api.post("/feed-sources", use: self.apiCreate)
        api.delete("/feed-sources/:id", use: self.apiRemove)
        api.post("/feed-sources/:id/fetch", use: self.apiFetch)
        api.get("/feed-health", use: self.apiHealth)
    }

    private func t(_ key: String, _ context: AppContext) -> String { self.views.localizer.text(key, context.language) }

    private func source(_ context: AppContext) async throws -> FeedSource {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw AppError.badRequest("the feed id must be a UUID", field: "id")
        }
        guard let source = try await self.store.feedSource(id: id) else { throw AppError.notFound("no such feed") }
        return source
    }

    static func every(_ seconds: Int) -> String {
        if seconds % 86400 == 0 { return "\(seconds / 86400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    // MARK: pages

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        try await self.render(request: request, context: context)
    }

    private func render(
        request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok, form: FormFields = FormFields()
    ) async throws -> Response {
        let user = try context.requireUser()
        let sources = try await self.store.feedSources().map { source -> [String: Any] in
            var row: [String: Any] = [
                "id": source.id.uuidString, "name": source.name, "kind": self.t("collectors.kind.\(source.kind.rawValue)", context),
                "location": FeedSourceViews.shown(source.location), "format": source.format, "every": Self.every(source.everySeconds),
                "enabled": source.enabled, "hasSecret": source.hasSecret,
                "lastFetch": source.state.lastAttemptAt.map(TimeFormat.minute) ?? self.t("collectors.never", context),
                "nextRun": source.enabled ? (source.state.nextRunAt.map(TimeFormat.minute) ?? "") : self.t("collectors.off", context),
            ]
            if let error = source.state.lastError {
                row["failed"] = true
                row["status"] = error
            } else if source.state.lastAttemptAt != nil {
                row["status"] = self.t(source.state.lastDeliveryAt == nil ? "collectors.outcome.unchanged" : "collectors.outcome.delivered", context)
            }
            return row
        }
        let kinds = FeedSource.Kind.allCases.map {
            ["value": $0.rawValue, "label": self.t("collectors.kind.\($0.rawValue)", context), "selected": $0.rawValue == (form["kind"] ?? "http")] as [String: Any]
        }
        let data: [String: Any] = [
            "sources": sources, "hasSources": !sources.isEmpty, "canFetch": user.role.includes(.analyst) && self.fetchFeed != nil,
            "canEdit": user.role.includes(.admin), "kinds": kinds, "publicFeeds": PublicFeeds.all.keys.sorted().map { "public:\($0)" },
            "form": [
                "name": form["name"] ?? "", "location": form["location"] ?? "", "format": form["format"] ?? "auto", "username": form["username"] ?? "",
                "every": form["every"] ?? "1d", "max_megabytes": form["max_megabytes"] ?? "200", "timeout": form["timeout"] ?? "300",
                "done": form["done"] ?? "", "reports": form["reports"] ?? "",
            ],
            "noCollector": self.fetchFeed == nil,
        ]
        return try self.views.page(
            "feed_sources", title: self.t("collectors.title", context), data: data, context: context, request: request, flash: flash, status: status)
    }

    static func draft(_ form: FormFields) -> FeedSourceDraft {
        FeedSourceDraft(
            name: form["name"] ?? "", kind: form["kind"] ?? "", location: form["location"] ?? "", format: form["format"] ?? "",
            username: form["username"] ?? "", secret: form["secret"] ?? "", every: form["every"] ?? "1d", maxMegabytes: form["max_megabytes"] ?? "200",
            timeoutSeconds: form["timeout"] ?? "300", done: form["done"] ?? "", reports: form["reports"] ?? "")
    }

    @Sendable func create(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let form = context.form
        do {
            let source = try await self.service.add(Self.draft(form), publicFeed: self.publicFeed, by: user.username, address: context.address)
            self.start(source, context: context)
            return Response.redirect(to: "/feeds/sources/\(source.id.uuidString)?added=1", type: .normal)
        } catch let error as FeedSourceError {
            let status: HTTPResponse.Status = if case .duplicate = error { .conflict } else { .unprocessableContent }
            return try await self.render(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: status,
                form: form)
        }
    }

    /// Starts a fetch after the answer is sent (the server waits for it at shutdown).
    private func start(_ source: FeedSource, context: AppContext) {
        guard let fetchFeed = self.fetchFeed else { return }
        let logger = context.logger
        self.background.start("fetch \(source.name)") {
            do { _ = try await fetchFeed(source) } catch { logger.notice("feed not fetched", metadata: ["feed": "\(source.name)", "reason": "\(error)"]) }
        }
    }

    @Sendable func detail(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        let source = try await self.source(context)
        let fetches = try await self.store.feedFetches(feedID: source.id, limit: 50).map { fetch -> [String: Any] in
            [
                "started": TimeFormat.minute(fetch.startedAt), "outcome": self.t("collectors.outcome.\(fetch.outcome.rawValue)", context),
                "failed": fetch.outcome == .failed, "runs": fetch.runs.map { ["id": $0.uuidString] }, "bytes": fetch.bytes, "detail": fetch.detail ?? "",
                "seconds": String(format: "%.1f", fetch.finishedAt.timeIntervalSince(fetch.startedAt)),
            ]
        }
        var flash: Views.Flash?
        let parameters = request.uri.queryParameters
        if parameters["added"] != nil {
            flash = .init(kind: .ok, text: self.t("collectors.added", context).replacingOccurrences(of: "{name}", with: source.name)
                .replacingOccurrences(of: "{every}", with: Self.every(source.everySeconds)))
        } else if parameters["fetching"] != nil {
            flash = .init(kind: .info, text: self.t("collectors.fetch_started", context).replacingOccurrences(of: "{name}", with: source.name))
        }
        let data: [String: Any] = [
            "id": source.id.uuidString, "name": source.name, "kind": self.t("collectors.kind.\(source.kind.rawValue)", context),
            "location": FeedSourceViews.shown(source.location), "format": source.format, "every": Self.every(source.everySeconds),
            "enabled": source.enabled, "hasSecret": source.hasSecret, "lastError": source.state.lastError ?? "",
            "fetches": fetches, "hasFetches": !fetches.isEmpty, "canFetch": user.role.includes(.analyst) && self.fetchFeed != nil,
            "canEdit": user.role.includes(.admin),
        ]
        return try self.views.page("feed_source", title: source.name, data: data, context: context, request: request, flash: flash)
    }

    @Sendable func fetchPage(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let source = try await self.source(context)
        guard self.fetchFeed != nil else { throw AppError.conflict("this server does not fetch feeds", field: nil) }
        try await self.store.appendAudit(
            AuditEvent(at: Date(), actor: context.user?.username, action: .feedFetched, target: source.name, address: context.address))
        self.start(source, context: context)
        return Response.redirect(to: "/feeds/sources/\(source.id.uuidString)?fetching=1", type: .normal)
    }

    @Sendable func enablePage(request: Request, context: AppContext) async throws -> Response {
        try await self.setEnabled(true, context: context)
    }

    @Sendable func disablePage(request: Request, context: AppContext) async throws -> Response {
        try await self.setEnabled(false, context: context)
    }

    private func setEnabled(_ enabled: Bool, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let source = try await self.source(context)
        _ = try await self.service.setEnabled(named: source.name, enabled, by: user.username, address: context.address)
        return Response.redirect(to: "/feeds/sources", type: .normal)
    }

    @Sendable func removePage(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let source = try await self.source(context)
        try await self.service.remove(named: source.name, by: user.username, address: context.address)
        return Response.redirect(to: "/feeds/sources", type: .normal)
    }

    @Sendable func healthPage(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let now = Date()
        let report = try await self.report(now: now)
        let rows = report.map { health -> [String: Any] in
            let chart = SVGChart.sparkline(
                id: "health-\(abs(health.feed.hashValue))", values: health.eventsPerDay,
                title: self.t("health.chart_title", context).replacingOccurrences(of: "{feed}", with: health.feed)
                    .replacingOccurrences(of: "{events}", with: String(health.events)))
            let state: String =
                health.silent ? "health.silent" : health.lastDelivery == nil ? "health.never" : health.daily ? "health.ok" : "health.irregular"
            var row: [String: Any] = [
                "feed": health.feed, "feedQuery": health.feed.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
                "lastDelivery": health.lastDelivery.map(TimeFormat.minute) ?? "—", "chart": chart, "events": health.events,
                "rate": String(format: "%.1f %%", health.quarantineRate * 100), "silent": health.silent, "state": self.t(state, context),
            ]
            if let source = health.source {
                row["sourceID"] = source.id.uuidString
                if let error = source.state.lastError {
                    row["error"] = self.t("health.last_error", context).replacingOccurrences(of: "{error}", with: error)
                }
            }
            return row
        }
        let data: [String: Any] = ["feeds": rows, "hasFeeds": !rows.isEmpty, "silentCount": report.filter(\.silent).count]
        return try self.views.page("feed_health", title: self.t("health.title", context), data: data, context: context, request: request)
    }

    func report(now: Date) async throws -> [FeedHealth] {
        FeedHealth.report(
            days: try await self.store.feedDays(since: now.addingTimeInterval(-Double(FeedHealth.days) * 86400)),
            sources: try await self.store.feedSources(), now: now)
    }

    // MARK: API

    struct SourceOut: Codable, Sendable {
        var id: UUID
        var name: String
        var kind: String
        var location: String
        var format: String
        var username: String?
        var hasSecret: Bool
        var everySeconds: Int
        var enabled: Bool
        var maxBytes: Int
        var timeoutSeconds: Int
        var lastAttemptAt: Date?
        var lastDeliveryAt: Date?
        var lastError: String?
        var nextRunAt: Date?

        init(_ source: FeedSource) {
            self.id = source.id
            self.name = source.name
            self.kind = source.kind.rawValue
            self.location = FeedSourceViews.shown(source.location)
            self.format = source.format
            self.username = source.username
            self.hasSecret = source.hasSecret
            self.everySeconds = source.everySeconds
            self.enabled = source.enabled
            self.maxBytes = source.maxBytes
            self.timeoutSeconds = source.timeoutSeconds
            self.lastAttemptAt = source.state.lastAttemptAt
            self.lastDeliveryAt = source.state.lastDeliveryAt
            self.lastError = source.state.lastError
            self.nextRunAt = source.state.nextRunAt
        }
    }

    struct SourceIn: Decodable {
        var name: String
        var kind: String
        var location: String?
        var format: String?
        var username: String?
        var secret: String?
        var every: String?
        var maxMegabytes: Int?
        var timeoutSeconds: Int?
        var done: String?
        var reports: String?
        static let fields: Set<String> = [
            "name", "kind", "location", "format", "username", "secret", "every", "maxMegabytes", "timeoutSeconds", "done", "reports",
        ]
    }

    struct FetchOut: Codable, Sendable {
        var id: UUID
        var outcome: String
        var runs: [UUID]
        var bytes: Int64
        var detail: String?
        var startedAt: Date
        var finishedAt: Date
    }

    struct HealthOut: Codable, Sendable {
        var feed: String
        var lastDelivery: Date?
        var eventsPerDay: [Int]
        var quarantineRate: Double
        var daily: Bool
        var silent: Bool
        var source: UUID?
    }

    @Sendable func apiList(request: Request, context: AppContext) async throws -> JSONResponse<[SourceOut]> {
        _ = try context.requireUser()
        return JSONResponse(value: try await self.store.feedSources().map(SourceOut.init))
    }

    @Sendable func apiCreate(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let input = try await JSONInput.decode(SourceIn.self, from: request, allowedFields: SourceIn.fields)
        let draft = FeedSourceDraft(
            name: input.name, kind: input.kind, location: input.location ?? "", format: input.format ?? "", username: input.username ?? "",
            secret: input.secret ?? "", every: input.every ?? "1d", maxMegabytes: String(input.maxMegabytes ?? 200),
            timeoutSeconds: String(input.timeoutSeconds ?? 300), done: input.done ?? "", reports: input.reports ?? "")
        do {
            let source = try await self.service.add(draft, publicFeed: self.publicFeed, by: user.username, address: context.address)
            self.start(source, context: context)
            return try JSONResponse(status: .created, value: SourceOut(source)).response(from: request, context: context)
        } catch let error as FeedSourceError {
            switch error {
            case .duplicate: throw AppError.conflict(error.description, field: "name")
            case .invalid(let field, _, let reason): throw AppError.invalidFields([AppError.FieldError(field: field, reason: reason.english)])
            case .notFound: throw AppError.notFound(error.description)
            }
        }
    }

    @Sendable func apiRemove(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let source = try await self.source(context)
        try await self.service.remove(named: source.name, by: user.username, address: context.address)
        return Response(status: .noContent)
    }

    /// Fetches now and answers with the fetch (it waits for it, within the feed's time limit).
    @Sendable func apiFetch(request: Request, context: AppContext) async throws -> JSONResponse<FetchOut> {
        _ = try context.requireRole(.analyst)
        let source = try await self.source(context)
        guard let fetchFeed = self.fetchFeed else { throw AppError.conflict("this server does not fetch feeds", field: nil) }
        try await self.store.appendAudit(
            AuditEvent(at: Date(), actor: context.user?.username, action: .feedFetched, target: source.name, address: context.address))
        let fetch: FeedFetch
        do { fetch = try await fetchFeed(source) } catch {
            throw AppError.conflict(String(describing: error), field: nil)
        }
        return JSONResponse(
            value: FetchOut(
                id: fetch.id, outcome: fetch.outcome.rawValue, runs: fetch.runs, bytes: fetch.bytes, detail: fetch.detail, startedAt: fetch.startedAt,
                finishedAt: fetch.finishedAt))
    }

    @Sendable func apiHealth(request: Request, context: AppContext) async throws -> JSONResponse<[HealthOut]> {
        _ = try context.requireUser()
        return JSONResponse(
            value: try await self.report(now: Date()).map {
                HealthOut(
                    feed: $0.feed, lastDelivery: $0.lastDelivery, eventsPerDay: $0.eventsPerDay, quarantineRate: $0.quarantineRate, daily: $0.daily,
                    silent: $0.silent, source: $0.source?.id)
            })
    }
}

enum FeedSourceViews {
    /// An address as shown: without a query string, which may hold a token.
    static func shown(_ location: String) -> String {
        guard var url = URLComponents(string: location), url.query != nil else { return location }
        url.query = nil
        return (url.string ?? location) + "?…"
    }
}
