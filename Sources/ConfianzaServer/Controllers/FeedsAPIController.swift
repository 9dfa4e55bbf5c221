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

/// Uploads, ingest runs and events through the JSON API, and the events export.
struct FeedsAPIController {
    typealias Storage = any EventStore & ConstituencyStore & AuditStore

    let store: Storage
    let accounts: AccountService
    let ingest: IngestPipeline
    /// Uploaded files are ingested after the answer, as work the server owns and waits for at shutdown.
    let background: BackgroundWork
    /// Our team's name, as the producer of exported STIX.
    let producer: String

    func addRoutes(to router: Router<AppContext>) {
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.post("/ingest", use: self.upload)
        api.get("/ingest-runs", use: self.apiRuns)
        api.get("/ingest-runs/:id", use: self.apiRun)
        api.post("/ingest-runs/:id/reprocess", use: self.apiReprocess)
        api.get("/events", use: self.apiEvents)
        api.get("/events/export", use: self.export)
        api.get("/events/:id", use: self.apiEvent)
    }

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
        let run: IngestRun
        let done: Bool
        do {
            (run, done) = try await self.ingest.begin(
                fileName: name, fingerprint: fingerprint, format: format, feed: feed, source: "api", actor: user.username)
        } catch let error as IngestError {
            // The same file is being read by another process (or another upload): it finishes there.
            guard case .busy = error else { throw error }
            throw AppError.conflict(error.description, field: nil)
        }
        if !done {
            let pipeline = self.ingest
            let started = self.background.start("ingest \(run.id) (\(name))") {
                _ = try await pipeline.process(run, format: format, feed: feed, open: { MemoryChunks(bytes) })
            }
            // Shutting down: the run stays interrupted, and the same upload later goes on from where it stopped.
            guard started else { throw AppError.unavailable("the server is shutting down; send the file again in a moment") }
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
        guard let run = try await self.store.ingestRun(id: try FeedRequests.runID(context)) else { throw AppError.notFound("no such ingest run") }
        return JSONResponse(value: RunOut(run, quarantine: try await self.store.quarantined(runID: run.id, limit: 10_000)))
    }

    @Sendable func apiReprocess(request: Request, context: AppContext) async throws -> JSONResponse<ReprocessSummary> {
        let user = try context.requireRole(.analyst)
        let format = request.uri.queryParameters["format"].map(String.init)
        return JSONResponse(value: try await FeedRequests.reprocess(try FeedRequests.runID(context), format: format, user: user, address: context.address, ingest: self.ingest, store: self.store))
    }

    @Sendable func apiEvents(request: Request, context: AppContext) async throws -> JSONResponse<[EventOut]> {
        _ = try context.requireUser()
        return JSONResponse(value: try await self.store.events(matching: try FeedRequests.query(request)).map(EventOut.init))
    }

    /// A whole search, up to `limit` (100,000 unless given), streamed as it is read (``EventsExport``): the
    /// database is read in pages by position, so memory stays small and the answer is consistent while
    /// events arrive. The first page is read before answering, so that a database error is a clear
    /// error, not a cut-off file.
    @Sendable func export(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let parameters = request.uri.queryParameters
        var query = try FeedRequests.query(request, maximumLimit: 100_000)
        if parameters["limit"] == nil { query.limit = 100_000 }
        let name = parameters["format"].map(String.init) ?? "jsonl"
        if name == "stix" { return try await FeedRequests.stix(query: query, request: request, store: self.store, producer: self.producer) }
        guard let format = EventsExport.Format(rawValue: name) else { throw AppError.badRequest("format must be jsonl, csv or stix", field: "format") }
        var first = query
        first.limit = min(query.limit, EventsExport.pageSize)
        let opening = try await self.store.events(matching: first)
        let store = self.store
        let search = query
        let body = ResponseBody { writer in
            try await EventsExport.write(search, format, from: store, first: opening) { text in try await writer.write(ByteBuffer(string: text)) }
            try await writer.finish(nil)
        }
        let type = format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
        return Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"events.\(name)\""], body: body)
    }

    @Sendable func apiEvent(request: Request, context: AppContext) async throws -> JSONResponse<EventOut> {
        _ = try context.requireUser()
        guard let stored = try await self.store.event(id: try FeedRequests.eventID(context)) else { throw AppError.notFound("no such event") }
        return JSONResponse(value: EventOut(stored))
    }
}
