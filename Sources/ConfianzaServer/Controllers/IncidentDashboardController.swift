import ConfianzaCore
import ConfianzaSTIX
import Foundation
import HTTPTypes
import Hummingbird

/// The incidents dashboard and its CSV: how fast incidents are acknowledged and resolved, how often
/// the SLA is missed, where they come from. Every figure is computed by the database over every incident.
struct IncidentDashboardController {
    let store: any IncidentStore & ConstituencyStore
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/incidents/dashboard", use: self.dashboard)
        router.get("/incidents/metrics.csv", use: self.metricsCSV)
    }

    private func t(_ key: String, _ context: AppContext, _ arguments: [String: String] = [:]) -> String {
        self.views.localizer.text(key, context.language, arguments)
    }

    private func sectors() async throws -> [UUID: Sector] {
        Dictionary(try await self.store.organisations().map { ($0.id, $0.sector) }, uniquingKeysWith: { first, _ in first })
    }

    /// A duration as the reader says it: minutes under an hour, else hours with one decimal.
    private func duration(_ seconds: Double?, _ context: AppContext) -> String {
        guard let seconds else { return "—" }
        if seconds < 3600 { return self.t("dashboard.minutes", context, ["n": String(Int((seconds / 60).rounded()))]) }
        return self.t("dashboard.hours", context, ["n": String(format: "%.1f", seconds / 3600)])
    }

    @Sendable func dashboard(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let metrics = try await self.store.incidentMetrics(at: Date())
        let page = IncidentDashboardPage(
            total: metrics.total, open: metrics.open, overdue: metrics.overdue, triageBreaches: metrics.triageBreaches,
            resolveBreaches: metrics.resolveBreaches,
            ackMedian: self.duration(metrics.timeToAcknowledge?.median, context), ackP90: self.duration(metrics.timeToAcknowledge?.p90, context),
            resolveMedian: self.duration(metrics.timeToResolve?.median, context), resolveP90: self.duration(metrics.timeToResolve?.p90, context),
            byType: SVGChart.bars(id: "chart-type", title: self.t("dashboard.by_type", context), items: metrics.byType.prefix(15).map { ($0.name, $0.count) }),
            bySector: SVGChart.bars(
                id: "chart-sector", title: self.t("dashboard.by_sector", context), items: metrics.bySector.map { (self.sectorName($0.name, context), $0.count) }),
            byMonth: SVGChart.bars(id: "chart-month", title: self.t("dashboard.by_month", context), items: metrics.byMonth.map { ($0.name, $0.count) }))
        return try self.views.page("incident_dashboard", title: self.t("dashboard.title", context), page: page, context: context, request: request)
    }

    private func sectorName(_ name: String, _ context: AppContext) -> String {
        if name == IncidentMetrics.noSector { return self.t("dashboard.no_sector", context) }
        return Sector(rawValue: name).map { self.t("sector.\($0.rawValue)", context) } ?? name
    }

    /// One row per incident with its times and SLA outcome, for a spreadsheet or a report to Council:
    /// every incident, read a page at a time.
    @Sendable func metricsCSV(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let now = Date()
        let sectors = try await self.sectors()
        var lines = ["number,created,type,taxonomy,severity,status,sectors,hours_to_triage,hours_to_resolve,triage_breached,resolve_breached,overdue"]
        var after = 0
        while true {
            let page = try await self.store.incidents(afterNumber: after, limit: 1000)
            guard let last = page.last else { break }
            after = last.number
            for incident in page {
                let triage = incident.triagedAt.map { String(format: "%.2f", $0.timeIntervalSince(incident.createdAt) / 3600) } ?? ""
                let resolve = incident.resolvedAt.map { String(format: "%.2f", $0.timeIntervalSince(incident.createdAt) / 3600) } ?? ""
                let sectorNames = Set(incident.organisations.compactMap { sectors[$0]?.rawValue }).sorted().joined(separator: " ")
                lines.append(
                    [String(incident.number), TimeFormat.iso(incident.createdAt), incident.type, incident.taxonomy, incident.severity.rawValue,
                     incident.status.rawValue, sectorNames, triage, resolve, String(incident.triageBreached(at: now)),
                     String(incident.resolveBreached(at: now)), String(incident.isOverdue(at: now))].map(EventsCSV.cell).joined(separator: ","))
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"incident-metrics.csv\""],
            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n")))
    }
}
