import ConfianzaNetwork
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaSTIX
import Crypto
import Logging
import NIOCore
import Foundation
import HTTPTypes
import Hummingbird

/// Ingest runs with their accounting and quarantine, and the events, as pages.
struct FeedsPagesController {
    typealias Storage = any EventStore & ConstituencyStore & AuditStore

    let store: Storage
    let ingest: IngestPipeline
    let views: Views
    /// Our team's name, as the producer of exported STIX.
    let producer: String

    func addRoutes(to router: Router<AppContext>) {
        router.get("/feeds", use: self.runs)
        router.get("/feeds/runs/:id", use: self.run)
        router.post("/feeds/runs/:id/reprocess", use: self.reprocessPage)
        router.get("/events", use: self.events)
        router.get("/events/stix", use: self.stixPage)
        router.get("/events/:id", use: self.event)
    }

    private func t(_ key: String, _ context: AppContext) -> String { self.views.localizer.text(key, context.language) }

    private func summary(_ run: IngestRun, _ context: AppContext) -> [String: Any] {
        [
            "id": run.id.uuidString, "file": (run.fileName as NSString).lastPathComponent, "feed": run.feed, "format": run.format,
            "started": TimeFormat.minute(run.startedAt), "read": run.counts.read, "stored": run.counts.stored,
            "duplicates": run.counts.duplicates, "quarantined": run.counts.quarantined, "reconciles": run.counts.reconciles,
            "state": self.t(run.finishedAt == nil ? "feeds.interrupted" : "feeds.finished", context), "source": run.source,
        ]
    }

    @Sendable func runs(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let runs = try await self.store.ingestRuns(limit: 200).map { self.summary($0, context) }
        return try self.views.page(
            "feeds", title: self.t("feeds.title", context), data: ["runs": runs, "hasRuns": !runs.isEmpty], context: context, request: request)
    }

    @Sendable func run(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        guard let run = try await self.store.ingestRun(id: try FeedRequests.runID(context)) else { throw AppError.notFound("no such ingest run") }
        let quarantine = try await self.store.quarantined(runID: run.id, limit: 1000).map {
            ["line": $0.line, "reason": $0.reason, "raw": String($0.raw.prefix(2000))] as [String: Any]
        }
        var data: [String: Any] = [
            "run": self.summary(run, context), "quarantine": quarantine, "hasQuarantine": !quarantine.isEmpty,
            "canReprocess": !quarantine.isEmpty && run.finishedAt != nil && user.role.includes(.analyst) && !run.needsMappingFile,
        ]
        let parameters = request.uri.queryParameters
        if let resolved = parameters["resolved"].flatMap({ Int(String($0)) }), let still = parameters["still"].flatMap({ Int(String($0)) }) {
            data["reprocessed"] = self.t("feeds.reprocessed", context)
                .replacingOccurrences(of: "{resolved}", with: String(resolved)).replacingOccurrences(of: "{still}", with: String(still))
        }
        return try self.views.page("ingest_run", title: run.fileName, data: data, context: context, request: request)
    }

    @Sendable func reprocessPage(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let id = try FeedRequests.runID(context)
        let summary = try await FeedRequests.reprocess(id, format: nil, user: user, address: context.address, ingest: self.ingest, store: self.store)
        return Response.redirect(to: "/feeds/runs/\(id.uuidString)?resolved=\(summary.resolved)&still=\(summary.stillQuarantined)", type: .normal)
    }

    @Sendable func events(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        var query = try FeedRequests.query(request)
        query.limit = min(query.limit, 100)
        let found = try await self.store.events(matching: query)
        let names = try await self.store.organisationNames(ids: Set(found.flatMap(\.organisations)))
        let rows = found.map { stored -> [String: Any] in
            let event = stored.event
            return [
                "id": stored.id, "time": event["time.source"].flatMap { EventTime.parse($0.description) }.map(TimeFormat.minute) ?? "",
                "feed": event["feed.name"]?.description ?? "", "type": event["classification.type"]?.description ?? "",
                "ip": event["source.ip"]?.description ?? "", "asn": event["source.asn"]?.description ?? "", "count": stored.count,
                "severity": event["severity"]?.description ?? "",
                "organisations": stored.organisations.compactMap { names[$0] }.joined(separator: ", "),
            ]
        }
        let parameters = request.uri.queryParameters
        func keep(_ offset: Int) -> String {
            var items = ["feed", "taxonomy", "type", "severity", "ip", "asn", "from", "to", "organisation"].compactMap { name in
                parameters[Substring(name)].map { "\(name)=\(String($0).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            }
            items.append("offset=\(offset)")
            return "/events?" + items.joined(separator: "&")
        }
        func given(_ name: String) -> String { parameters[Substring(name)].map(String.init) ?? "" }
        let filters = ["feed", "taxonomy", "type", "severity", "ip", "asn", "from", "to", "organisation"].compactMap { name in
            parameters[Substring(name)].map { "\(name)=\(String($0).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        }
        let filter: [String: String] = [
            "feed": query.feed ?? "", "ip": given("ip"), "asn": given("asn"), "from": given("from"), "to": given("to"),
        ]
        var data: [String: Any] = [
            "events": rows, "hasEvents": !rows.isEmpty, "canAct": user.role.includes(.analyst),
            "filter": filter, "stixQuery": filters.isEmpty ? "" : "?" + filters.joined(separator: "&"),
            "taxonomies": Taxonomy.types.keys.sorted().map { ["value": $0, "selected": $0 == query.taxonomy] as [String: Any] },
            "types": Taxonomy.taxonomyOfType.keys.sorted().map { ["value": $0, "selected": $0 == query.classificationType] as [String: Any] },
            "severities": Severity.allCases.map {
                ["value": $0.rawValue, "label": self.t("severity.\($0.rawValue)", context), "selected": $0.rawValue == query.severity] as [String: Any]
            },
        ]
        if query.offset > 0 { data["newer"] = keep(max(0, query.offset - query.limit)) }
        if rows.count == query.limit { data["older"] = keep(query.offset + query.limit) }
        return try self.views.page("events", title: self.t("events.title", context), data: data, context: context, request: request)
    }

    @Sendable func event(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        guard let stored = try await self.store.event(id: try FeedRequests.eventID(context)) else { throw AppError.notFound("no such event") }
        let names = try await self.store.organisationNames(ids: Set(stored.organisations))
        let event = stored.event
        let fields = event.fields.keys.sorted().compactMap { key -> [String: Any]? in
            guard key != "raw", let value = event[key] else { return nil }
            return ["key": key, "value": value.description]
        } + [["key": "raw", "value": event["raw"].flatMap { Data(base64Encoded: $0.description) }.map { String(decoding: $0, as: UTF8.self) } ?? ""]]
        let heading = "\(event["classification.type"]?.description ?? "event") · \(event["source.ip"]?.description ?? "")"
        let data: [String: Any] = [
            "heading": heading, "fields": fields, "count": stored.count, "firstSeen": TimeFormat.minute(stored.firstSeen),
            "lastSeen": TimeFormat.minute(stored.lastSeen), "rule": stored.rule ?? "",
            "organisations": stored.organisations.map { ["id": $0.uuidString, "name": names[$0] ?? $0.uuidString] },
        ]
        return try self.views.page("event", title: heading, data: data, context: context, request: request)
    }

    /// The events of a search as one STIX 2.1 bundle (the events page's "STIX 2.1" link): at most
    /// 10,000, nothing above `ceiling`.
    @Sendable func stixPage(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        var query = try FeedRequests.query(request)
        query.limit = 10_000
        return try await FeedRequests.stix(query: query, request: request, store: self.store, producer: self.producer)
    }
}
