import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// What operators and machines read: health, metrics, the API description, the stylesheet.
struct OperationsController {
    let store: any IncidentStore & StoreHealth & FeedSourceStore
    let views: Views
    let metrics: PrometheusCollectorRegistry
    let serverName: String
    let metricsToken: String?

    func addRoutes(to router: Router<AppContext>) {
        router.get("/healthz", use: self.health)
        router.get("/metrics", use: self.prometheus)
        router.get("/openapi.json", use: self.openAPI)
        router.get("/static/app.css", use: self.stylesheet)
    }

    struct Health: Codable, Sendable {
        var status: String
        var database: String
        var server: String
    }

    @Sendable func health(request: Request, context: AppContext) async throws -> JSONResponse<Health> {
        let statistics = await self.store.statistics()
        do {
            try await self.store.ping()
        } catch {
            // The reason goes to the log, not to whoever asked: it can name hosts, users and paths.
            context.logger.error("health check: the database is not answering", metadata: ["error": "\(error)"])
            throw AppError.unavailable("the \(statistics.backend) database is not answering (the server's log says why)")
        }
        return JSONResponse(value: Health(status: "ok", database: statistics.backend, server: self.serverName))
    }

    @Sendable func prometheus(request: Request, context: AppContext) async throws -> Response {
        if let token = self.metricsToken {
            let sent = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
            // Answered here as a problem document: a scraper is not sent to the sign-in page.
            guard Secrets.constantTimeEquals(sent, token) else { return AppError.unauthenticated.problemResponse(instance: "/metrics") }
        }
        let statistics = await self.store.statistics()
        let labels = [("backend", statistics.backend)]
        let gauges: [(String, String, Int)] = [
            ("size", "Database connections this process may hold", statistics.poolSize),
            ("in_use", "Database connections in use now", statistics.inUse),
            ("waiting", "Callers waiting for a database connection", statistics.waiting),
        ]
        for (name, help, value) in gauges {
            let descriptor = MetricNameDescriptor(
                namespace: "confianza", subsystem: "db", metricName: "pool", unitName: name, helpText: help)
            self.metrics.makeGauge(descriptor: descriptor, labels: labels).set(Double(value))
        }
        // Incidents needing work, and those past a due date (the SLA breaches happening now).
        let counts = try await self.store.incidentCounts(at: Date())
        let incidentGauges: [(String, String, Int)] = [
            ("open", "Incidents not resolved or closed", counts.open),
            ("overdue", "Open incidents past their triage or resolution due date", counts.overdue),
        ]
        for (name, help, value) in incidentGauges {
            self.metrics.makeGauge(descriptor: MetricNameDescriptor(namespace: "confianza", subsystem: "incidents", metricName: name, helpText: help))
                .set(Double(value))
        }
        // Feed health: each feed's last delivery, quarantine share, silence (a daily feed quiet for over two days).
        let now = Date()
        let health = FeedHealth.report(
            days: try await self.store.feedDays(since: now.addingTimeInterval(-Double(FeedHealth.days) * 86400)),
            sources: try await self.store.feedSources(), now: now)
        for feed in health {
            let labels = [("feed", feed.feed)]
            self.metrics.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "confianza", subsystem: "feed", metricName: "last_delivery", unitName: "timestamp_seconds",
                    helpText: "When the feed last delivered (0: not in 30 days)"), labels: labels
            ).set(feed.lastDelivery?.timeIntervalSince1970 ?? 0)
            self.metrics.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "confianza", subsystem: "feed", metricName: "quarantine", unitName: "ratio",
                    helpText: "Share of the feed's lines quarantined over 30 days"), labels: labels
            ).set(feed.quarantineRate)
            self.metrics.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "confianza", subsystem: "feed", metricName: "silent",
                    helpText: "1 when a feed that delivers daily has been silent for more than two days"), labels: labels
            ).set(Double(feed.silent ? 1 : 0))
        }
        self.metrics.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "confianza", subsystem: "feeds", metricName: "silent", helpText: "Daily feeds silent for more than two days")
        ).set(Double(health.filter(\.silent).count))
        var buffer = ByteBuffer()
        buffer.writeBytes(self.metrics.emitToBuffer())
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: buffer))
    }

    @Sendable func openAPI(request: Request, context: AppContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: self.views.openAPI))
    }

    @Sendable func stylesheet(request: Request, context: AppContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: self.views.stylesheet))
    }
}
