import ConfianzaCore
import ConfianzaSTIX
import Foundation
import HTTPTypes
import Hummingbird

/// Incidents through the JSON API (`/api/v1/incidents`): the same rules as the pages, for scripts and
/// other tools.
struct IncidentsAPIController {
    typealias Storage = any IncidentStore & ConstituencyStore

    let store: Storage
    let incidents: IncidentService
    let sharing: IncidentSharing
    let accounts: AccountService
    /// What notices say, in each contact's language.
    let texts: TextCatalogue
    let tag: String

    func addRoutes(to router: Router<AppContext>) {
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.get("/incidents", use: self.apiList)
        api.post("/incidents", use: self.apiCreate)
        api.get("/incidents/:number", use: self.apiShow)
        api.get("/incidents/:number/stix", use: self.stix)
        api.post("/incidents/:number/status", use: self.apiStatus)
        api.post("/incidents/:number/assign", use: self.apiAssign)
        api.post("/incidents/:number/notes", use: self.apiNote)
        api.post("/incidents/:number/tasks", use: self.apiTask)
        api.post("/incidents/:number/notify", use: self.apiNotify)
        api.post("/incidents/:number/share", use: self.apiShare)
        api.post("/incidents/:number/merge", use: self.apiMerge)
        api.post("/incidents/:number/links", use: self.apiLink)
        api.post("/incidents/:number/split", use: self.apiSplit)
    }

    struct IncidentOut: Codable, Sendable {
        var number: Int
        var id: UUID
        var title: String
        var taxonomy: String
        var type: String
        var severity: String
        var tlp: String
        var pap: String
        var organisations: [UUID]
        var assignee: String?
        var status: String
        var createdAt: Date
        var updatedAt: Date
        var triageDue: Date
        var resolveDue: Date
        var triagedAt: Date?
        var resolvedAt: Date?
        var closedAt: Date?
        var overdue: Bool
        var eventCount: Int
        var timeline: [TimelineOut]?
        var tasks: [TaskOut]?
        var events: [Int64]?
        var links: [Int]?

        init(_ incident: Incident, now: Date) {
            self.number = incident.number
            self.id = incident.id
            self.title = incident.title
            self.taxonomy = incident.taxonomy
            self.type = incident.type
            self.severity = incident.severity.rawValue
            self.tlp = incident.tlp.rawValue
            self.pap = incident.pap.rawValue
            self.organisations = incident.organisations
            self.assignee = incident.assignee
            self.status = incident.status.rawValue
            self.createdAt = incident.createdAt
            self.updatedAt = incident.updatedAt
            self.triageDue = incident.triageDue
            self.resolveDue = incident.resolveDue
            self.triagedAt = incident.triagedAt
            self.resolvedAt = incident.resolvedAt
            self.closedAt = incident.closedAt
            self.overdue = incident.isOverdue(at: now)
            self.eventCount = incident.eventCount
        }
    }

    struct TimelineOut: Codable, Sendable {
        var at: Date
        var actor: String
        var kind: String
        var detail: String
    }

    struct TaskOut: Codable, Sendable {
        var id: UUID
        var title: String
        var assignee: String?
        var done: Bool
    }

    @Sendable func apiList(request: Request, context: AppContext) async throws -> JSONResponse<[IncidentOut]> {
        let user = try context.requireUser()
        let now = Date()
        return JSONResponse(value: try await self.store.incidents(matching: try IncidentRequests.query(request, user: user)).map { IncidentOut($0, now: now) })
    }

    private func detailed(_ incident: Incident) async throws -> IncidentOut {
        var out = IncidentOut(incident, now: Date())
        out.timeline = try await self.store.timeline(incidentID: incident.id).map {
            TimelineOut(at: $0.at, actor: $0.actor, kind: $0.kind.rawValue, detail: $0.detail)
        }
        out.tasks = try await self.store.tasks(incidentID: incident.id).map { TaskOut(id: $0.id, title: $0.title, assignee: $0.assignee, done: $0.done) }
        out.events = try await self.store.incidentEvents(incidentID: incident.id, limit: 10_000).map(\.id)
        out.links = try await self.store.linkedIncidents(incident.id).map(\.number)
        return out
    }

    @Sendable func apiShow(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        _ = try context.requireUser()
        return JSONResponse(value: try await self.detailed(try await IncidentRequests.incident(context, in: self.store)))
    }

    /// The incident as a STIX 2.1 bundle (see ``IncidentRequests/stix(_:request:sharing:)``).
    @Sendable func stix(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        return try await IncidentRequests.stix(try await IncidentRequests.incident(context, in: self.store), request: request, sharing: self.sharing)
    }

    struct CreateIn: Decodable {
        var title: String
        var type: String
        var severity: String
        var tlp: String?
        var pap: String?
        var organisations: [String]?
        var assignee: String?
        var events: [Int64]?
        var links: [Int]?
        static let fields: Set<String> = ["title", "type", "severity", "tlp", "pap", "organisations", "assignee", "events"]
    }

    @Sendable func apiCreate(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let input = try await JSONInput.decode(CreateIn.self, from: request, allowedFields: CreateIn.fields)
        guard let severity = Severity(rawValue: input.severity) else {
            throw AppError.invalidFields([.init(field: "severity", reason: "must be one of critical, high, medium, low, info")])
        }
        var tlp = TLP.amber
        if let text = input.tlp {
            guard let value = TLP(label: text) else { throw AppError.invalidFields([.init(field: "tlp", reason: "'\(text)' is not a TLP 2.0 label")]) }
            tlp = value
        }
        var pap = PAP.amber
        if let text = input.pap {
            guard let value = PAP(label: text) else { throw AppError.invalidFields([.init(field: "pap", reason: "'\(text)' is not a PAP label")]) }
            pap = value
        }
        var organisations: [UUID] = []
        for text in input.organisations ?? [] {
            guard let id = UUID(uuidString: text), try await self.store.organisation(id: id) != nil else {
                throw AppError.invalidFields([.init(field: "organisations", reason: "'\(text)' is not an organisation's id")])
            }
            organisations.append(id)
        }
        guard (input.events ?? []).count <= 10_000 else { throw AppError.invalidFields([.init(field: "events", reason: "at most 10,000 events at once")]) }
        var incident = try await self.incidents.create(
            .init(title: input.title, type: input.type, severity: severity, tlp: tlp, pap: pap, organisations: organisations), events: input.events ?? [],
            by: user.username)
        if let assignee = input.assignee { incident = try await self.incidents.assign(incident.id, to: assignee, by: user.username) }
        var response = try JSONResponse(status: .created, value: try await self.detailed(incident)).response(from: request, context: context)
        response.headers[.location] = "/api/v1/incidents/\(incident.number)"
        return response
    }

    struct StatusIn: Decodable {
        var status: String
        var note: String?
        static let fields: Set<String> = ["status", "note"]
    }

    @Sendable func apiStatus(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let input = try await JSONInput.decode(StatusIn.self, from: request, allowedFields: StatusIn.fields)
        guard let status = IncidentStatus(rawValue: input.status) else {
            throw AppError.invalidFields([.init(field: "status", reason: "must be one of \(IncidentStatus.allCases.map(\.rawValue).joined(separator: ", "))")])
        }
        let moved = try await self.incidents.move(incident.id, to: status, by: user.username, note: input.note)
        return JSONResponse(value: try await self.detailed(moved))
    }

    struct AssignIn: Decodable {
        var assignee: String?
        static let fields: Set<String> = ["assignee"]
    }

    @Sendable func apiAssign(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let input = try await JSONInput.decode(AssignIn.self, from: request, allowedFields: AssignIn.fields)
        return JSONResponse(value: try await self.detailed(try await self.incidents.assign(incident.id, to: input.assignee, by: user.username)))
    }

    struct NoteIn: Decodable {
        var text: String
        static let fields: Set<String> = ["text"]
    }

    @Sendable func apiNote(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let input = try await JSONInput.decode(NoteIn.self, from: request, allowedFields: NoteIn.fields)
        try await self.incidents.addNote(incident.id, input.text, by: user.username)
        return JSONResponse(value: try await self.detailed(try await IncidentRequests.incident(context, in: self.store)))
    }

    struct NotifyOut: Codable, Sendable {
        var queued: [String]
        var skipped: [String]
    }

    @Sendable func apiNotify(request: Request, context: AppContext) async throws -> JSONResponse<NotifyOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let plan = try await self.incidents.notify(incident.id, by: user.username, tag: self.tag, texts: self.texts)
        return JSONResponse(value: NotifyOut(queued: plan.messages.map(\.recipient), skipped: plan.skipped))
    }

    struct ShareIn: Decodable {
        var peer: String
        var tlp: String
        static let fields: Set<String> = ["peer", "tlp"]
    }

    struct ShareOut: Codable, Sendable {
        var id: UUID
        var peer: UUID
        var tlp: String
        var summary: String
        var at: Date
    }

    @Sendable func apiShare(request: Request, context: AppContext) async throws -> JSONResponse<ShareOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let input = try await JSONInput.decode(ShareIn.self, from: request, allowedFields: ShareIn.fields)
        guard let peer = UUID(uuidString: input.peer) else { throw AppError.invalidFields([.init(field: "peer", reason: "must be a peer's id")]) }
        guard let tlp = TLP(label: input.tlp) else { throw AppError.invalidFields([.init(field: "tlp", reason: "'\(input.tlp)' is not a TLP 2.0 label")]) }
        let share = try await self.sharing.share(incident, with: peer, tlp: tlp, by: user.username, address: context.address)
        return JSONResponse(value: ShareOut(id: share.id, peer: share.peerID, tlp: share.tlp.rawValue, summary: share.summary, at: share.at))
    }

    struct MergeIn: Decodable {
        var into: Int
        static let fields: Set<String> = ["into"]
    }

    @Sendable func apiMerge(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let input = try await JSONInput.decode(MergeIn.self, from: request, allowedFields: MergeIn.fields)
        guard let target = try await self.store.incident(number: input.into) else {
            throw AppError.invalidFields([.init(field: "into", reason: "there is no incident #\(input.into)")])
        }
        return JSONResponse(value: try await self.detailed(try await self.incidents.merge([incident.id], into: target.id, by: user.username)))
    }

    struct LinkIn: Decodable {
        var to: Int
        static let fields: Set<String> = ["to"]
    }

    @Sendable func apiLink(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let input = try await JSONInput.decode(LinkIn.self, from: request, allowedFields: LinkIn.fields)
        guard let other = try await self.store.incident(number: input.to) else {
            throw AppError.invalidFields([.init(field: "to", reason: "there is no incident #\(input.to)")])
        }
        try await self.incidents.link(incident.id, to: other.id, by: user.username)
        return JSONResponse(value: try await self.detailed(incident))
    }

    struct SplitIn: Decodable {
        var events: [Int64]
        var title: String
        static let fields: Set<String> = ["events", "title"]
    }

    @Sendable func apiSplit(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let input = try await JSONInput.decode(SplitIn.self, from: request, allowedFields: SplitIn.fields)
        guard input.events.count <= 10_000 else { throw AppError.invalidFields([.init(field: "events", reason: "at most 10,000 events at once")]) }
        let created = try await self.incidents.split(input.events, from: incident.id, title: input.title, by: user.username)
        var response = try JSONResponse(status: .created, value: try await self.detailed(created)).response(from: request, context: context)
        response.headers[.location] = "/api/v1/incidents/\(created.number)"
        return response
    }

    struct TaskIn: Decodable {
        var title: String
        var assignee: String?
        static let fields: Set<String> = ["title", "assignee"]
    }

    @Sendable func apiTask(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let input = try await JSONInput.decode(TaskIn.self, from: request, allowedFields: TaskIn.fields)
        try await self.incidents.addTask(incident.id, title: input.title, assignee: input.assignee, by: user.username)
        return JSONResponse(value: try await self.detailed(incident))
    }
}
