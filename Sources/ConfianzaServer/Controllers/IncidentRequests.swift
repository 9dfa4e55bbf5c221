import ConfianzaCore
import ConfianzaSTIX
import Foundation
import HTTPTypes
import Hummingbird

/// What the incident pages and the API both read from a request.
enum IncidentRequests {
    /// The incident named by the path's `:number`.
    static func incident(_ context: AppContext, in store: any IncidentStore) async throws -> Incident {
        guard let number = context.parameters.get("number").flatMap(Int.init), number > 0,
            let incident = try await store.incident(number: number)
        else { throw AppError.notFound("no such incident") }
        return incident
    }

    static func query(_ request: Request, user: User) throws(AppError) -> IncidentQuery {
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String? { parameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        var query = IncidentQuery(statuses: IncidentStatus.allCases.filter(\.isOpen))
        switch value("status") {
        case nil, "open": break
        case "all": query.statuses = nil
        case let text?:
            guard let status = IncidentStatus(rawValue: text) else {
                throw .badRequest("status must be open, all, or one of \(IncidentStatus.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            query.statuses = [status]
        }
        if let text = value("severity") {
            guard let severity = Severity(rawValue: text) else { throw .badRequest("severity must be one of critical, high, medium, low, info", field: "severity") }
            query.severity = severity
        }
        if let assignee = value("assignee") { query.assignee = assignee == "me" ? user.username : assignee }
        if let text = value("organisation") {
            guard let id = UUID(uuidString: text) else { throw .badRequest("organisation must be an organisation's id", field: "organisation") }
            query.organisation = id
        }
        if let text = value("type") {
            guard let type = Taxonomy.canonicalType(text) else { throw .badRequest("type '\(text)' is not an RSIT classification type", field: "type") }
            query.type = type
        }
        if let text = value("sort") {
            guard let order = IncidentQuery.Order(rawValue: text) else { throw .badRequest("sort must be newest or due", field: "sort") }
            query.order = order
        }
        if let text = value("limit") {
            guard let number = Int(text), (1...1000).contains(number) else { throw .badRequest("limit must be from 1 to 1000", field: "limit") }
            query.limit = number
        }
        if let text = value("offset") {
            guard let number = Int(text), number >= 0 else { throw .badRequest("offset must be 0 or more", field: "offset") }
            query.offset = number
        }
        return query
    }

    /// The incident as a STIX 2.1 bundle; `ceiling` (a TLP label) leaves out what a receiver may not see.
    static func stix(_ incident: Incident, request: Request, sharing: IncidentSharing) async throws -> Response {
        var ceiling = TLP.red
        if let text = request.uri.queryParameters["ceiling"].map(String.init) {
            guard let tlp = TLP(label: text) else { throw AppError.badRequest("ceiling must be a TLP 2.0 label", field: "ceiling") }
            ceiling = tlp
        }
        let bundle = try await sharing.bundle([incident], ceiling: ceiling)
        return Response(
            status: .ok,
            headers: [.contentType: "application/stix+json;version=2.1", .contentDisposition: "attachment; filename=\"incident-\(incident.number).stix.json\""],
            body: .init(byteBuffer: ByteBuffer(string: bundle.text)))
    }

    static func eventIDs(_ text: String) throws(AppError) -> [Int64] {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == " " })
        var ids: [Int64] = []
        for part in parts {
            guard let id = Int64(part), id > 0 else { throw .invalidFields([.init(field: "events", reason: "'\(part)' is not an event number")]) }
            ids.append(id)
        }
        guard ids.count <= 10_000 else { throw .invalidFields([.init(field: "events", reason: "at most 10,000 events at once")]) }
        return ids
    }
}
