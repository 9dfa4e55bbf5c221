import ConfianzaNetwork
import Foundation

/// Why a filter of an events search was refused: the field (as the API and the command line name it)
/// and the reason.
public struct EventFilterError: ExplainedError, Equatable {
    public var field: String?
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { self.reason }
    public var phrase: Phrase? { nil }
}

extension EventQuery {
    /// A search from named filters, as the API's query string and `confianza events export` give them:
    /// `feed`, `taxonomy`, `type`, `severity`, `ip` (an address or a network), `asn`, `from` and `to`
    /// (a day or a time), `organisation` (an id), `limit` (1 to `maximumLimit`) and `offset`.
    public static func parse(_ value: (String) -> String?, maximumLimit: Int) throws(EventFilterError) -> EventQuery {
        func given(_ name: String) -> String? { value(name).map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 } }
        var query = EventQuery(feed: given("feed"), severity: given("severity"))
        if let taxonomy = given("taxonomy") {
            guard let canonical = Taxonomy.canonicalTaxonomy(taxonomy) else {
                throw EventFilterError(field: "taxonomy", reason: "taxonomy '\(taxonomy)' is not an RSIT taxonomy")
            }
            query.taxonomy = canonical
        }
        if let type = given("type") {
            guard let canonical = Taxonomy.canonicalType(type) else {
                throw EventFilterError(field: "type", reason: "type '\(type)' is not an RSIT classification type")
            }
            query.classificationType = canonical
        }
        if let severity = query.severity, Severity(rawValue: severity) == nil {
            throw EventFilterError(field: "severity", reason: "severity must be one of critical, high, medium, low, info")
        }
        if let ip = given("ip") {
            do { query.network = try IPPrefix(ip) } catch {
                throw EventFilterError(field: "ip", reason: "ip must be an address or a network such as 192.0.2.0/24: \(error.description)")
            }
        }
        if let asn = given("asn") {
            let digits = asn.uppercased().hasPrefix("AS") ? String(asn.dropFirst(2)) : asn
            guard let number = Int64(digits), (1...4_294_967_295).contains(number) else {
                throw EventFilterError(field: "asn", reason: "asn must be an AS number such as 64500 or AS64500")
            }
            query.asn = number
        }
        query.since = try Self.time(given("from"), field: "from", endOfDay: false)
        query.until = try Self.time(given("to"), field: "to", endOfDay: true)
        if let since = query.since, let until = query.until, since >= until {
            throw EventFilterError(field: "from", reason: "from must be before to")
        }
        if let organisation = given("organisation") {
            guard let id = UUID(uuidString: organisation) else {
                throw EventFilterError(field: "organisation", reason: "organisation must be an organisation's id")
            }
            query.organisation = id
        }
        if let limit = given("limit") {
            guard let number = Int(limit), (1...maximumLimit).contains(number) else {
                throw EventFilterError(field: "limit", reason: "limit must be from 1 to \(maximumLimit)")
            }
            query.limit = number
        }
        if let offset = given("offset") {
            guard let number = Int(offset), number >= 0 else { throw EventFilterError(field: "offset", reason: "offset must be 0 or more") }
            query.offset = number
        }
        return query
    }

    /// A day (`2024-05-01`, as date inputs send it) or a time (ISO 8601). A day given as the end of a
    /// range includes the whole day.
    public static func time(_ text: String?, field: String, endOfDay: Bool) throws(EventFilterError) -> Date? {
        guard let text else { return nil }
        if text.utf8.count == 10, let day = EventTime.parse(text + " 00:00:00") {
            return endOfDay ? day.addingTimeInterval(86400) : day
        }
        guard let time = EventTime.parse(text) else {
            throw EventFilterError(field: field, reason: "\(field) must be a day (2024-05-01) or a time (2024-05-01T10:00:00Z)")
        }
        return time
    }
}

/// A whole events search written out as IntelMQ JSON lines (every field; `extra.confianza_*` carries
/// count and routing) or as spreadsheet-safe CSV, read page by page by position, so that any number of
/// events takes little memory and the result stays right while events arrive. The API's export and
/// `confianza events export` both write through it.
public enum EventsExport {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl, csv
    }

    public static let columns = [
        "time.source", "feed.name", "classification.taxonomy", "classification.type", "classification.identifier", "source.ip", "source.port",
        "source.asn", "source.fqdn", "destination.ip", "destination.port", "malware.name", "severity", "tlp",
    ]
    /// How many events are read from the database at a time.
    public static let pageSize = 2_000

    /// The CSV header line (JSON lines have none).
    public static func header(_ format: Format) -> String {
        format == .csv ? (Self.columns + ["count", "first_seen", "last_seen", "organisations"]).joined(separator: ",") + "\r\n" : ""
    }

    /// One event as a line of the format, with its line end.
    public static func line(_ stored: StoredEvent, _ format: Format) -> String {
        switch format {
        case .csv:
            let values = Self.columns.map { stored.event[$0]?.description ?? "" }
                + [
                    "\(stored.count)", stored.firstSeen.formatted(.iso8601), stored.lastSeen.formatted(.iso8601),
                    stored.organisations.map(\.uuidString).joined(separator: " "),
                ]
            return values.map(EventsCSV.cell).joined(separator: ",") + "\r\n"
        case .jsonl:
            var event = stored.event
            try? event.set("extra.confianza_count", .integer(Int64(stored.count)))
            if !stored.organisations.isEmpty {
                try? event.set("extra.confianza_organisations", .string(stored.organisations.map(\.uuidString).joined(separator: ",")))
            }
            return event.json() + "\n"
        }
    }

    /// Reads the whole search (up to `query.limit` events), handing the text out a page at a time;
    /// `first` is the first page when the caller has read it already. Returns how many events.
    @discardableResult
    public static func write(
        _ query: EventQuery, _ format: Format, from store: any EventStore, first: [StoredEvent]? = nil, _ emit: (String) async throws -> Void
    ) async throws -> Int {
        let total = query.limit
        var next = query
        next.limit = min(total, Self.pageSize)
        let pageLimit = next.limit
        var page: [StoredEvent]
        if let first { page = first } else { page = try await store.events(matching: next) }
        var written = 0
        var text = Self.header(format)
        while !page.isEmpty {
            for stored in page { text += Self.line(stored, format) }
            written += page.count
            try await emit(text)
            text = ""
            guard written < total, page.count == pageLimit, let last = page.last else { break }
            next.offset = 0
            next.after = EventPosition(last)
            next.limit = min(total - written, Self.pageSize)
            page = try await store.events(matching: next)
        }
        if !text.isEmpty { try await emit(text) }
        return written
    }
}
