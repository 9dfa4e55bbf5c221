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

/// What the feeds pages and the API share: reading a request's filters and ids, re-processing a
/// quarantine, writing a search of events as STIX.
enum FeedRequests {
    /// Reads a run's quarantine again with the mapping as it is now, and records who did it.
    static func reprocess(
        _ runID: UUID, format text: String?, user: User, address: String, ingest: IngestPipeline, store: any EventStore & AuditStore
    ) async throws -> ReprocessSummary {
        guard let run = try await store.ingestRun(id: runID) else { throw AppError.notFound("no such ingest run") }
        var format: FeedFormat?
        if let text, !text.isEmpty {
            guard !text.lowercased().hasPrefix("csv") else {
                throw AppError.invalidFields([.init(field: "format", reason: "CSV feeds with a mapping file are re-processed with confianza quarantine reprocess")])
            }
            do { format = try FeedFormat(text) } catch { throw AppError.invalidFields([.init(field: "format", reason: error.description)]) }
        }
        let summary: ReprocessSummary
        do { summary = try await ingest.reprocess(runID: runID, format: format) } catch let error as IngestError {
            throw AppError.conflict(error.description, field: nil)
        }
        try await store.appendAudit(
            AuditEvent(
                at: Date(), actor: user.username, action: .quarantineReprocessed, target: run.fileName, address: address,
                detail: "\(summary.resolved) of \(summary.examined) records read, \(summary.stillQuarantined) still quarantined"))
        return summary
    }

    /// The events of a search as one STIX 2.1 bundle, nothing above the `ceiling` parameter.
    static func stix(query: EventQuery, request: Request, store: any EventStore & ConstituencyStore, producer: String) async throws -> Response {
        var ceiling = TLP.red
        if let text = request.uri.queryParameters["ceiling"].map(String.init), !text.isEmpty {
            guard let tlp = TLP(label: text) else { throw AppError.badRequest("ceiling must be a TLP 2.0 label", field: "ceiling") }
            ceiling = tlp
        }
        let events = try await store.events(matching: query)
        let bundle = STIXExporter(producer: producer).bundle(
            events: events, organisations: try await store.organisations(), ceiling: ceiling, now: Date())
        return Response(
            status: .ok, headers: [.contentType: "application/stix+json;version=2.1", .contentDisposition: "attachment; filename=\"events.stix.json\""],
            body: .init(byteBuffer: ByteBuffer(string: bundle.text)))
    }

    static func runID(_ context: AppContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw AppError.notFound("no such ingest run") }
        return id
    }

    /// The events filters of a request (``EventQuery/parse(_:maximumLimit:)``); `limit` may go up to
    /// `maximumLimit` (1,000 for lists, 100,000 for the export).
    static func query(_ request: Request, maximumLimit: Int = 1000) throws(AppError) -> EventQuery {
        let parameters = request.uri.queryParameters
        do {
            return try EventQuery.parse({ parameters[Substring($0)].map(String.init) }, maximumLimit: maximumLimit)
        } catch {
            throw .badRequest(error.reason, field: error.field)
        }
    }

    static func eventID(_ context: AppContext) throws -> Int64 {
        guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else { throw AppError.notFound("no such event") }
        return id
    }

    /// A CSV cell a spreadsheet will not run as a formula (see ``EventsCSV/cell(_:)``).
    static func csvField(_ text: String) -> String { EventsCSV.cell(text) }
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
