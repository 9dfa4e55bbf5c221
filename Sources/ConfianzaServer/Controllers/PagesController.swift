import ConfianzaCore
import Foundation
import Hummingbird

/// The overview and the module pages. Modules not built yet say what they will do.
struct PagesController {
    let views: Views
    let store: any Store

    func addRoutes(to router: Router<AppContext>) {
        router.get("/", use: self.home)
        for module in Views.modules where !Views.builtModules.contains(module) {
            router.get(RouterPath(stringLiteral: "/\(module)")) { request, context in
                try self.module(module, request: request, context: context)
            }
        }
    }

    @Sendable func home(request: Request, context: AppContext) async throws -> Response {
        if context.user?.role == .focalPoint { return Response.redirect(to: "/assessment", type: .normal) }
        let user = try context.requireUser()
        let localizer = self.views.localizer
        let language = context.language
        let modules = Views.modules.map { module in
            [
                "href": "/\(module)", "title": localizer.text("module.\(module).title", language),
                "summary": localizer.text("module.\(module).summary", language), "planned": !Views.builtModules.contains(module),
            ] as [String: Any]
        }
        // Risk reviews whose date has passed (each organisation's latest cycle): one indexed query.
        let overdue = try await self.store.overdueCycles(at: Date(), limit: 20).map { header -> [String: Any] in
            [
                "href": "/risk/cycles/\(header.id.uuidString)", "organisation": header.organisationName ?? localizer.text("risk.organisation_gone", language),
                "since": localizer.text("risk.dashboard.overdue_since", language, ["date": header.nextReview.map { String(TimeFormat.minute($0).prefix(10)) } ?? ""]),
            ]
        }
        return try self.views.page(
            "home", title: localizer.text("home.title", language),
            data: [
                "welcome": localizer.text("home.welcome", language, ["name": user.displayName]), "modules": modules, "overdueReviews": overdue,
                "hasOverdueReviews": !overdue.isEmpty,
            ],
            context: context, request: request)
    }

    func module(_ module: String, request: Request, context: AppContext) throws -> Response {
        _ = try context.requireUser()
        let localizer = self.views.localizer
        let language = context.language
        return try self.views.page(
            "module", title: localizer.text("module.\(module).title", language),
            data: [
                "title": localizer.text("module.\(module).title", language),
                "summary": localizer.text("module.\(module).summary", language),
                "plan": localizer.list("module.\(module).plan", language),
            ], context: context, request: request)
    }
}

/// How times are shown on pages: UTC, to the minute, the same in every language.
enum TimeFormat {
    static func minute(_ date: Date) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC") ?? .current, from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
