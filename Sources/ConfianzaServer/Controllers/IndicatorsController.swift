import ConfianzaCore
import ConfianzaSTIX
import Foundation
import HTTPTypes
import Hummingbird

/// Indicators received from peers: the list with search and state, revocation, and import of STIX
/// bundles through the API.
struct IndicatorsController {
    let store: any IndicatorStore & AuditStore
    let accounts: AccountService
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/indicators", use: self.list)
        router.post("/indicators/revoke", use: self.revokeForm)
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.get("/indicators", use: self.apiList)
        api.post("/indicators/import", use: self.apiImport)
    }

    private func t(_ key: String, _ context: AppContext) -> String { self.views.localizer.text(key, context.language) }

    static func query(_ request: Request) throws(AppError) -> IndicatorQuery {
        let parameters = request.uri.queryParameters
        var query = IndicatorQuery()
        if let q = parameters["q"].map(String.init), !q.isEmpty {
            guard q.count <= 200 else { throw .badRequest("q is at most 200 characters", field: "q") }
            query.search = q
        }
        if let state = parameters["state"].map(String.init), !state.isEmpty {
            guard let value = IndicatorQuery.State(rawValue: state) else { throw .badRequest("state must be all, active, expired or revoked", field: "state") }
            query.state = value
        }
        return query
    }

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        let query = try Self.query(request)
        let now = Date()
        let found = try await self.store.indicators(matching: query, now: now)
        let seen = try await self.store.sightingCounts(indicatorIDs: found.map(\.id))
        let rows = found.map { indicator -> [String: Any] in
            let state = indicator.revoked ? "revoked" : indicator.isActive(at: now) ? "active" : "expired"
            return [
                "id": indicator.id, "name": indicator.name, "pattern": indicator.pattern, "tlp": indicator.tlp.rawValue, "source": indicator.source,
                "validFrom": TimeFormat.minute(indicator.validFrom), "validUntil": indicator.validUntil.map(TimeFormat.minute) ?? "—",
                "state": state, "stateLabel": self.t("indicators.state.\(state)", context), "revoked": indicator.revoked, "seen": seen[indicator.id] ?? 0,
            ]
        }
        let data: [String: Any] = [
            "indicators": rows, "hasIndicators": !rows.isEmpty, "q": query.search ?? "", "canAct": user.role.includes(.analyst),
            "states": IndicatorQuery.State.allCases.map {
                ["value": $0.rawValue, "label": self.t("indicators.state.\($0.rawValue)", context), "selected": $0 == query.state] as [String: Any]
            },
        ]
        return try self.views.page("indicators", title: self.t("indicators.title", context), data: data, context: context, request: request)
    }

    /// Revokes an indicator here (or takes the revocation back): it stops matching events.
    @Sendable func revokeForm(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        guard let id = context.form["id"], let indicator = try await self.store.indicator(id: id) else { throw AppError.notFound("no such indicator") }
        let revoked = context.form["revoked"] == "true"
        try await self.store.setIndicatorRevoked(id: indicator.id, revoked: revoked)
        try await self.store.appendAudit(
            AuditEvent(at: Date(), actor: user.username, action: revoked ? .indicatorRevoked : .indicatorRestored, target: indicator.id, address: context.address))
        return Response.redirect(to: "/indicators", type: .normal)
    }

    struct IndicatorOut: Codable, Sendable {
        var id: String
        var version: String
        var name: String
        var pattern: String
        var patternType: String
        var validFrom: Date
        var validUntil: Date?
        var revoked: Bool
        var active: Bool
        var tlp: String
        var source: String
        var sightings: Int
    }

    @Sendable func apiList(request: Request, context: AppContext) async throws -> JSONResponse<[IndicatorOut]> {
        _ = try context.requireUser()
        let now = Date()
        let found = try await self.store.indicators(matching: try Self.query(request), now: now)
        let seen = try await self.store.sightingCounts(indicatorIDs: found.map(\.id))
        return JSONResponse(value: found.map {
            IndicatorOut(
                id: $0.id, version: $0.version, name: $0.name, pattern: $0.pattern, patternType: $0.patternType, validFrom: $0.validFrom,
                validUntil: $0.validUntil, revoked: $0.revoked, active: $0.isActive(at: now), tlp: $0.tlp.rawValue, source: $0.source, sightings: seen[$0.id] ?? 0)
        })
    }

    struct ImportOut: Codable, Sendable {
        var added: Int
        var updated: Int
        var unchanged: Int
        var skipped: Int
    }

    static let importLimit = 32 * 1024 * 1024

    /// A STIX 2.1 bundle as the body; all or nothing.
    @Sendable func apiImport(request: Request, context: AppContext) async throws -> JSONResponse<ImportOut> {
        let user = try context.requireRole(.analyst)
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: Self.importLimit) } catch { throw AppError.payloadTooLarge(Self.importLimit) }
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else { throw AppError.badRequest("the bundle is not UTF-8", field: nil) }
        let source = request.uri.queryParameters["source"].map(String.init).flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } ?? "api:\(user.username)"
        let read: (indicators: [Indicator], skipped: Int)
        do { read = try STIXImporter.indicators(from: text, source: source, now: Date()) } catch {
            throw AppError.invalidFields([.init(field: error.path.isEmpty ? "body" : error.path, reason: error.reason)])
        }
        let counts = try await self.store.upsertIndicators(read.indicators)
        try await self.store.appendAudit(
            AuditEvent(
                at: Date(), actor: user.username, action: .indicatorsImported, target: source, address: context.address,
                detail: "\(counts.added) added, \(counts.replaced) updated, \(counts.unchanged) unchanged, \(read.skipped) skipped"))
        return JSONResponse(value: ImportOut(added: counts.added, updated: counts.replaced, unchanged: counts.unchanged, skipped: read.skipped))
    }
}
