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

/// Ingest runs with their accounting, their quarantine, and the events, as pages and in the API.
struct FeedsController {
    let store: any Store
    let accounts: AccountService
    let ingest: IngestPipeline
    let views: Views
    let logger: Logger
    /// Our team's name, as the producer of exported STIX.
    var producer: String = "CIRT"

    func addRoutes(to router: Router<AppContext>) {
        router.get("/feeds", use: self.runs)
        router.get("/feeds/runs/:id", use: self.run)
        router.post("/feeds/runs/:id/reprocess", use: self.reprocessPage)
        router.get("/events", use: self.events)
        router.get("/events/stix", use: self.stixPage)
        router.get("/events/:id", use: self.event)
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.post("/ingest", use: self.upload)
        api.get("/ingest-runs", use: self.apiRuns)
        api.get("/ingest-runs/:id", use: self.apiRun)
        api.post("/ingest-runs/:id/reprocess", use: self.apiReprocess)
        api.get("/events", use: self.apiEvents)
        api.get("/events/export", use: self.export)
        api.get("/events/:id", use: self.apiEvent)
    }

    private func t(_ key: String, _ context: AppContext) -> String { self.views.localizer.text(key, context.language) }

    // MARK: pages

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

    static func runID(_ context: AppContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw AppError.notFound("no such ingest run") }
        return id
    }

    @Sendable func run(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        guard let run = try await self.store.ingestRun(id: try Self.runID(context)) else { throw AppError.notFound("no such ingest run") }
        let quarantine = try await self.store.quarantined(runID: run.id, limit: 1000).map {
            ["line": $0.line, "reason": $0.reason, "raw": String($0.raw.prefix(2000))] as [String: Any]
        }
        var data: [String: Any] = [
            "run": self.summary(run, context), "quarantine": quarantine, "hasQuarantine": !quarantine.isEmpty,
            "canReprocess": !quarantine.isEmpty && run.finishedAt != nil && user.role.includes(.analyst) && !run.format.hasPrefix("csv:"),
        ]
        let parameters = request.uri.queryParameters
        if let resolved = parameters["resolved"].flatMap({ Int(String($0)) }), let still = parameters["still"].flatMap({ Int(String($0)) }) {
            data["reprocessed"] = self.t("feeds.reprocessed", context)
                .replacingOccurrences(of: "{resolved}", with: String(resolved)).replacingOccurrences(of: "{still}", with: String(still))
        }
        return try self.views.page("ingest_run", title: run.fileName, data: data, context: context, request: request)
    }

    /// Reads a run's quarantine again with the mapping as it is now, and records who did it.
    func reprocess(_ runID: UUID, format text: String?, user: User, context: AppContext) async throws -> ReprocessSummary {
        guard let run = try await self.store.ingestRun(id: runID) else { throw AppError.notFound("no such ingest run") }
        var format: FeedFormat?
        if let text, !text.isEmpty {
            guard !text.lowercased().hasPrefix("csv") else {
                throw AppError.invalidFields([.init(field: "format", reason: "CSV feeds with a mapping file are re-processed with confianza quarantine reprocess")])
            }
            do { format = try FeedFormat(text) } catch { throw AppError.invalidFields([.init(field: "format", reason: error.description)]) }
        }
        let summary: ReprocessSummary
        do { summary = try await self.ingest.reprocess(runID: runID, format: format) } catch let error as IngestError {
            throw AppError.conflict(error.description, field: nil)
        }
        try await self.store.appendAudit(
            AuditEvent(
                at: Date(), actor: user.username, action: .quarantineReprocessed, target: run.fileName, address: context.address,
                detail: "\(summary.resolved) of \(summary.examined) records read, \(summary.stillQuarantined) still quarantined"))
        return summary
    }

    @Sendable func reprocessPage(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let id = try Self.runID(context)
        let summary = try await self.reprocess(id, format: nil, user: user, context: context)
        return Response.redirect(to: "/feeds/runs/\(id.uuidString)?resolved=\(summary.resolved)&still=\(summary.stillQuarantined)", type: .normal)
    }

    @Sendable func apiReprocess(request: Request, context: AppContext) async throws -> JSONResponse<ReprocessSummary> {
        let user = try context.requireRole(.analyst)
        let format = request.uri.queryParameters["format"].map(String.init)
        return JSONResponse(value: try await self.reprocess(try Self.runID(context), format: format, user: user, context: context))
    }

    static func query(_ request: Request) throws(AppError) -> EventQuery {
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String? {
            parameters[Substring(name)].map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        var query = EventQuery(feed: value("feed"), severity: value("severity"))
        if let taxonomy = value("taxonomy") {
            guard let canonical = Taxonomy.canonicalTaxonomy(taxonomy) else {
                throw .badRequest("taxonomy '\(taxonomy)' is not an RSIT taxonomy", field: "taxonomy")
            }
            query.taxonomy = canonical
        }
        if let type = value("type") {
            guard let canonical = Taxonomy.canonicalType(type) else { throw .badRequest("type '\(type)' is not an RSIT classification type", field: "type") }
            query.classificationType = canonical
        }
        if let severity = query.severity, Severity(rawValue: severity) == nil {
            throw .badRequest("severity must be one of critical, high, medium, low, info", field: "severity")
        }
        if let ip = value("ip") {
            do { query.network = try IPPrefix(ip) } catch {
                throw .badRequest("ip must be an address or a network such as 192.0.2.0/24: \(error.description)", field: "ip")
            }
        }
        if let asn = value("asn") {
            let digits = asn.uppercased().hasPrefix("AS") ? String(asn.dropFirst(2)) : asn
            guard let number = Int64(digits), (1...4_294_967_295).contains(number) else {
                throw .badRequest("asn must be an AS number such as 64500 or AS64500", field: "asn")
            }
            query.asn = number
        }
        query.since = try Self.time(value("from"), field: "from", endOfDay: false)
        query.until = try Self.time(value("to"), field: "to", endOfDay: true)
        if let since = query.since, let until = query.until, since >= until {
            throw .badRequest("from must be before to", field: "from")
        }
        if let organisation = value("organisation") {
            guard let id = UUID(uuidString: organisation) else { throw .badRequest("organisation must be an organisation's id", field: "organisation") }
            query.organisation = id
        }
        if let limit = value("limit") {
            guard let number = Int(limit), (1...1000).contains(number) else { throw .badRequest("limit must be from 1 to 1000", field: "limit") }
            query.limit = number
        }
        if let offset = value("offset") {
            guard let number = Int(offset), number >= 0 else { throw .badRequest("offset must be 0 or more", field: "offset") }
            query.offset = number
        }
        return query
    }

    /// A day (`2024-05-01`, as date inputs send it) or a time (ISO 8601). A day given as the end of a
    /// range includes the whole day.
    static func time(_ text: String?, field: String, endOfDay: Bool) throws(AppError) -> Date? {
        guard let text else { return nil }
        if text.utf8.count == 10, let day = EventTime.parse(text + " 00:00:00") {
            return endOfDay ? day.addingTimeInterval(86400) : day
        }
        guard let time = EventTime.parse(text) else {
            throw .badRequest("\(field) must be a day (2024-05-01) or a time (2024-05-01T10:00:00Z)", field: field)
        }
        return time
    }

    @Sendable func events(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        var query = try Self.query(request)
        query.limit = min(query.limit, 100)
        let found = try await self.store.events(matching: query)
        let index = try await ConstituencyIndexReader(store: self.store).organisations()
        let rows = found.map { stored -> [String: Any] in
            let event = stored.event
            return [
                "id": stored.id, "time": event["time.source"].flatMap { EventTime.parse($0.description) }.map(TimeFormat.minute) ?? "",
                "feed": event["feed.name"]?.description ?? "", "type": event["classification.type"]?.description ?? "",
                "ip": event["source.ip"]?.description ?? "", "asn": event["source.asn"]?.description ?? "", "count": stored.count,
                "severity": event["severity"]?.description ?? "",
                "organisations": stored.organisations.compactMap { index[$0] }.joined(separator: ", "),
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

    static func eventID(_ context: AppContext) throws -> Int64 {
        guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else { throw AppError.notFound("no such event") }
        return id
    }

    @Sendable func event(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        guard let stored = try await self.store.event(id: try Self.eventID(context)) else { throw AppError.notFound("no such event") }
        let names = try await ConstituencyIndexReader(store: self.store).organisations()
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

    // MARK: API

    struct RunOut: Codable, Sendable {
        var id: UUID
        var file: String
        var feed: String
        var format: String
        var startedAt: Date
        var finishedAt: Date?
        var counts: IngestCounts
        var source: String
        var quarantine: [QuarantineOut]?

        init(_ run: IngestRun, quarantine: [QuarantinedRecord]? = nil) {
            self.id = run.id
            self.file = run.fileName
            self.feed = run.feed
            self.format = run.format
            self.startedAt = run.startedAt
            self.finishedAt = run.finishedAt
            self.counts = run.counts
            self.source = run.source
            self.quarantine = quarantine?.map { QuarantineOut(line: $0.line, reason: $0.reason, raw: $0.raw) }
        }
    }

    struct QuarantineOut: Codable, Sendable {
        var line: Int
        var reason: String
        var raw: String
    }

    /// An event in the API: its IntelMQ fields, and what Confianza adds.
    struct EventOut: Encodable, Sendable {
        var id: Int64
        var count: Int
        var firstSeen: Date
        var lastSeen: Date
        var organisations: [UUID]
        var rule: String?
        var fields: [String: EventValue]

        init(_ stored: StoredEvent) {
            self.id = stored.id
            self.count = stored.count
            self.firstSeen = stored.firstSeen
            self.lastSeen = stored.lastSeen
            self.organisations = stored.organisations
            self.rule = stored.rule
            self.fields = stored.event.fields
        }
    }

    struct Accepted: Codable, Sendable {
        var run: UUID
        /// `running`, or `finished` when these bytes were ingested before (nothing was done again).
        var status: String
        var poll: String
    }

    static let uploadLimit = 64 * 1024 * 1024

    /// Takes a feed file as the request body and ingests it in the background; poll the run it names.
    @Sendable func upload(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let parameters = request.uri.queryParameters
        guard let name = parameters["name"].map(String.init), !name.isEmpty, name.count <= 255, !name.contains("/") else {
            throw AppError.invalidFields([.init(field: "name", reason: "is required: the file's name, such as 2024-05-01-scan_dns-uy.csv")])
        }
        let formatText = parameters["format"].map(String.init) ?? "auto"
        guard !formatText.lowercased().hasPrefix("csv") else {
            throw AppError.invalidFields([.init(field: "format", reason: "CSV feeds with a mapping file are ingested with confianza ingest or the inbox")])
        }
        let given: FeedFormat?
        do { given = formatText.lowercased() == "auto" ? nil : try FeedFormat(formatText) } catch {
            throw AppError.invalidFields([.init(field: "format", reason: error.description)])
        }
        let feed = parameters["feed"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: Self.uploadLimit) } catch { throw AppError.payloadTooLarge(Self.uploadLimit) }
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.isEmpty else { throw AppError.badRequest("the body is empty: send the file's bytes", field: nil) }
        let format = given ?? FeedFormat.guess(fileName: name, head: Array(bytes.prefix(65536)))
        let fingerprint = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let (run, done) = try await self.ingest.begin(
            fileName: name, fingerprint: fingerprint, format: format, feed: feed, source: "api", actor: user.username)
        if !done {
            let pipeline = self.ingest
            let logger = self.logger
            Task {
                do {
                    _ = try await pipeline.process(run, format: format, feed: feed, open: { MemoryChunks(bytes) })
                } catch {
                    logger.error("ingest failed", metadata: ["run": "\(run.id)", "file": "\(name)", "error": "\(error)"])
                }
            }
        }
        let poll = "/api/v1/ingest-runs/\(run.id.uuidString)"
        var response = try JSONResponse(status: done ? .ok : .accepted, value: Accepted(run: run.id, status: done ? "finished" : "running", poll: poll))
            .response(from: request, context: context)
        response.headers[.location] = poll
        return response
    }

    @Sendable func apiRuns(request: Request, context: AppContext) async throws -> JSONResponse<[RunOut]> {
        _ = try context.requireUser()
        return JSONResponse(value: try await self.store.ingestRuns(limit: 500).map { RunOut($0) })
    }

    @Sendable func apiRun(request: Request, context: AppContext) async throws -> JSONResponse<RunOut> {
        _ = try context.requireUser()
        guard let run = try await self.store.ingestRun(id: try Self.runID(context)) else { throw AppError.notFound("no such ingest run") }
        return JSONResponse(value: RunOut(run, quarantine: try await self.store.quarantined(runID: run.id, limit: 10_000)))
    }

    @Sendable func apiEvents(request: Request, context: AppContext) async throws -> JSONResponse<[EventOut]> {
        _ = try context.requireUser()
        return JSONResponse(value: try await self.store.events(matching: try Self.query(request)).map(EventOut.init))
    }

    static let exportColumns = [
        "time.source", "feed.name", "classification.taxonomy", "classification.type", "classification.identifier", "source.ip", "source.port",
        "source.asn", "source.fqdn", "destination.ip", "destination.port", "malware.name", "severity", "tlp",
    ]

    /// Events as IntelMQ JSON lines (every field; `extra.confianza_*` carries count and routing) or as
    /// CSV, with the same filters as the list (up to 100,000 events).
    @Sendable func export(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        var query = try Self.query(request)
        let parameters = request.uri.queryParameters
        query.limit = 100_000
        if let limit = parameters["limit"].map(String.init) {
            guard let number = Int(limit), (1...100_000).contains(number) else {
                throw AppError.badRequest("limit must be from 1 to 100000", field: "limit")
            }
            query.limit = number
        }
        let format = parameters["format"].map(String.init) ?? "jsonl"
        if format == "stix" { return try await self.stix(query: query, request: request) }
        let events = try await self.store.events(matching: query)
        var out: [UInt8] = []
        switch format {
        case "jsonl":
            for stored in events {
                var event = stored.event
                try? event.set("extra.confianza_count", .integer(Int64(stored.count)))
                if !stored.organisations.isEmpty {
                    try? event.set("extra.confianza_organisations", .string(stored.organisations.map(\.uuidString).joined(separator: ",")))
                }
                out.append(contentsOf: event.json().utf8)
                out.append(10)
            }
        case "csv":
            let header = Self.exportColumns + ["count", "first_seen", "last_seen", "organisations"]
            out.append(contentsOf: (header.joined(separator: ",") + "\r\n").utf8)
            for stored in events {
                let values = Self.exportColumns.map { stored.event[$0]?.description ?? "" }
                    + ["\(stored.count)", TimeFormat.iso(stored.firstSeen), TimeFormat.iso(stored.lastSeen),
                       stored.organisations.map(\.uuidString).joined(separator: " ")]
                out.append(contentsOf: (values.map(Self.csvField).joined(separator: ",") + "\r\n").utf8)
            }
        default:
            throw AppError.badRequest("format must be jsonl, csv or stix", field: "format")
        }
        let type = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson"
        return Response(
            status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"events.\(format)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    /// The events of a search as one STIX 2.1 bundle (the events page's "STIX 2.1" link): at most
    /// 10,000, nothing above `ceiling`.
    @Sendable func stixPage(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        var query = try Self.query(request)
        query.limit = 10_000
        return try await self.stix(query: query, request: request)
    }

    private func stix(query: EventQuery, request: Request) async throws -> Response {
        var ceiling = TLP.red
        if let text = request.uri.queryParameters["ceiling"].map(String.init), !text.isEmpty {
            guard let tlp = TLP(label: text) else { throw AppError.badRequest("ceiling must be a TLP 2.0 label", field: "ceiling") }
            ceiling = tlp
        }
        let events = try await self.store.events(matching: query)
        let bundle = STIXExporter(producer: self.producer).bundle(
            events: events, organisations: try await self.store.organisations(), ceiling: ceiling, now: Date())
        return Response(
            status: .ok, headers: [.contentType: "application/stix+json;version=2.1", .contentDisposition: "attachment; filename=\"events.stix.json\""],
            body: .init(byteBuffer: ByteBuffer(string: bundle.text)))
    }

    /// A CSV cell a spreadsheet will not run as a formula (see ``EventsCSV/cell(_:)``).
    static func csvField(_ text: String) -> String { EventsCSV.cell(text) }

    @Sendable func apiEvent(request: Request, context: AppContext) async throws -> JSONResponse<EventOut> {
        _ = try context.requireUser()
        guard let stored = try await self.store.event(id: try Self.eventID(context)) else { throw AppError.notFound("no such event") }
        return JSONResponse(value: EventOut(stored))
    }
}

/// Organisation names for pages that show events.
struct ConstituencyIndexReader {
    let store: any Store
    func organisations() async throws -> [UUID: String] {
        Dictionary(try await self.store.organisations().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}

extension EventValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        case .float(let number): try container.encode(number)
        case .boolean(let flag): try container.encode(flag)
        case .json(let text): try container.encode((try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text))
        }
    }
}
