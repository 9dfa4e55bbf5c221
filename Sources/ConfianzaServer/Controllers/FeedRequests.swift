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

    /// The events filters of a request; `limit` may go up to `maximumLimit` (1,000 for lists, 100,000 for the export).
    static func query(_ request: Request, maximumLimit: Int = 1000) throws(AppError) -> EventQuery {
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
            guard let number = Int(limit), (1...maximumLimit).contains(number) else {
                throw .badRequest("limit must be from 1 to \(maximumLimit)", field: "limit")
            }
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

    static func eventID(_ context: AppContext) throws -> Int64 {
        guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else { throw AppError.notFound("no such event") }
        return id
    }

    /// A CSV cell a spreadsheet will not run as a formula (see ``EventsCSV/cell(_:)``).
    static func csvField(_ text: String) -> String { EventsCSV.cell(text) }
}

/// Organisation names for pages that show events.
struct ConstituencyIndexReader {
    let store: any ConstituencyStore
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
