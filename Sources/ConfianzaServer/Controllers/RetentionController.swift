import ConfianzaCore
import Foundation
import Hummingbird

/// The retention policy and its last runs, for admins.
struct RetentionController {
    let store: any RetentionStore
    let policy: RetentionPolicy
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/admin/retention", use: self.page)
    }

    @Sendable func page(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.admin)
        let localizer = self.views.localizer
        let language = context.language
        let classes = RetentionPolicy.DataClass.allCases.map { dataClass -> [String: Any] in
            let kept = self.policy.days(dataClass).map { localizer.text("retention.days", language, ["days": "\($0)"]) }
                ?? localizer.text("retention.forever", language)
            return [
                "id": dataClass.rawValue, "name": localizer.text("retention.class.\(dataClass.rawValue)", language), "kept": kept,
                "what": localizer.text("retention.what.\(dataClass.rawValue)", language),
            ]
        }
        let runs = try await self.store.retentionRuns(limit: 30).map { run -> [String: Any] in
            [
                "when": TimeFormat.minute(run.at), "iso": TimeFormat.iso(run.at),
                "kind": localizer.text(run.dryRun ? "retention.kind.dry" : "retention.kind.real", language),
                "by": run.actor ?? localizer.text("retention.by_server", language), "events": run.counts.events, "kept": run.counts.eventsKept,
                "quarantine": run.counts.quarantine, "mail": run.counts.mailBodies, "seconds": String(format: "%.1f", run.seconds),
            ]
        }
        let data: [String: Any] = ["classes": classes, "runs": runs, "hasRuns": !runs.isEmpty]
        return try self.views.page("retention", title: localizer.text("retention.title", language), data: data, context: context, request: request)
    }
}
