import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird
import ConfianzaSTIX

/// The analyst's daily screen: the incident queue, an incident's page with its actions, and the same
/// through the JSON API. Everyone signed in reads; analysts and admins act.
struct IncidentsController {
    let store: any Store
    let incidents: IncidentService
    let accounts: AccountService
    let views: Views
    let tag: String

    func addRoutes(to router: Router<AppContext>) {
        router.get("/incidents", use: self.queue)
        router.post("/incidents", use: self.create)
        router.get("/incidents/new", use: self.newForm)
        router.get("/incidents/dashboard", use: self.dashboard)
        router.get("/incidents/metrics.csv", use: self.metricsCSV)
        router.post("/incidents/bulk", use: self.bulk)
        router.get("/incidents/:number", use: self.show)
        router.get("/incidents/:number/stix.json", use: self.stix)
        router.post("/incidents/:number/status", use: self.statusForm)
        router.post("/incidents/:number/assign", use: self.assignForm)
        router.post("/incidents/:number/severity", use: self.severityForm)
        router.post("/incidents/:number/tlp", use: self.tlpForm)
        router.post("/incidents/:number/notes", use: self.noteForm)
        router.post("/incidents/:number/tasks", use: self.taskForm)
        router.post("/incidents/:number/tasks/:task", use: self.toggleTaskForm)
        router.post("/incidents/:number/notify", use: self.notifyForm)
        router.post("/incidents/:number/share", use: self.shareForm)
        router.get("/incidents/:number/shares/:share", use: self.sharedContent)
        router.post("/incidents/:number/merge", use: self.mergeForm)
        router.post("/incidents/:number/links", use: self.linkForm)
        router.post("/incidents/:number/notices/:notice/resend", use: self.resendForm)
        router.post("/incidents/:number/split", use: self.splitForm)
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

    private func t(_ key: String, _ context: AppContext, _ arguments: [String: String] = [:]) -> String {
        self.views.localizer.text(key, context.language, arguments)
    }

    func incident(_ context: AppContext) async throws -> Incident {
        guard let number = context.parameters.get("number").flatMap(Int.init), number > 0,
            let incident = try await self.store.incident(number: number)
        else { throw AppError.notFound("no such incident") }
        return incident
    }

    // MARK: the queue

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

    private func row(_ incident: Incident, names: [UUID: String], now: Date, context: AppContext) -> [String: Any] {
        [
            "number": incident.number, "title": incident.title, "severity": incident.severity.rawValue,
            "severityLabel": self.t("severity.\(incident.severity.rawValue)", context), "status": incident.status.rawValue,
            "statusLabel": self.t("incident.status.\(incident.status.rawValue)", context), "assignee": incident.assignee ?? "",
            "organisations": incident.organisations.compactMap { names[$0] }.joined(separator: ", "), "events": incident.eventCount,
            "type": incident.type, "created": TimeFormat.minute(incident.createdAt),
            "due": TimeFormat.minute(IncidentQuery.nextDue(incident)),
            "overdue": incident.isOverdue(at: now), "tlp": incident.tlp.rawValue,
        ]
    }

    @Sendable func queue(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        var query = try Self.query(request, user: user)
        query.limit = min(query.limit, 200)
        let now = Date()
        let found = try await self.store.incidents(matching: query)
        let names = try await ConstituencyIndexReader(store: self.store).organisations()
        let rows = found.map { self.row($0, names: names, now: now, context: context) }
        // Overdue among all open incidents, not only this page's.
        let overdue = try await self.store.incidents(matching: IncidentQuery(statuses: IncidentStatus.allCases.filter(\.isOpen), limit: 10_000))
            .filter { $0.isOverdue(at: now) }.count
        let parameters = request.uri.queryParameters
        let status = parameters["status"].map(String.init) ?? "open"
        let analysts = try await self.store.users().filter { !$0.disabled && $0.role.includes(.analyst) }.map(\.username)
        let data: [String: Any] = [
            "incidents": rows, "hasIncidents": !rows.isEmpty, "overdueCount": overdue, "hasOverdue": overdue > 0,
            "sorts": IncidentQuery.Order.allCases.map { ["value": $0.rawValue, "label": self.t("incidents.sort.\($0.rawValue)", context), "selected": $0 == query.order] as [String: Any] },
            "canAct": user.role.includes(.analyst),
            "statuses": (["open", "all"] + IncidentStatus.allCases.map(\.rawValue)).map { value in
                ["value": value, "label": self.t("incident.status.\(value)", context), "selected": value == status] as [String: Any]
            },
            "severities": Severity.allCases.map {
                ["value": $0.rawValue, "label": self.t("severity.\($0.rawValue)", context), "selected": $0 == query.severity] as [String: Any]
            },
            "assignee": parameters["assignee"].map(String.init) ?? "",
            "analysts": analysts.map { ["value": $0] },
            "moves": IncidentStatus.allCases.map { ["value": $0.rawValue, "label": self.t("incident.status.\($0.rawValue)", context)] },
        ]
        return try self.views.page("incidents", title: self.t("incidents.title", context), data: data, context: context, request: request)
    }

    /// Several incidents at once: assign them, or move them (each move checked on its own).
    @Sendable func bulk(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let numbers = context.form.values.keys.compactMap { key -> Int? in
            guard key.hasPrefix("select-") else { return nil }
            return Int(key.dropFirst("select-".count))
        }.sorted()
        guard !numbers.isEmpty else { throw AppError.invalidFields([.init(field: "select", reason: "choose at least one incident")]) }
        let assignee = context.form["assignee"] ?? ""
        let status = context.form["status"] ?? ""
        var refused: [String] = []
        for number in numbers {
            guard let incident = try await self.store.incident(number: number) else { continue }
            do {
                if !assignee.isEmpty { try await self.incidents.assign(incident.id, to: assignee == "-" ? nil : assignee, by: user.username) }
                if let next = IncidentStatus(rawValue: status), next != incident.status {
                    try await self.incidents.move(incident.id, to: next, by: user.username)
                }
            } catch let error as IncidentError {
                refused.append("#\(number): \(error.description)")
            }
        }
        if refused.isEmpty { return Response.redirect(to: "/incidents?done=\(numbers.count)", type: .normal) }
        throw AppError.conflict(refused.joined(separator: "; "), field: "status")
    }

    // MARK: STIX

    /// The incident as a STIX 2.1 bundle; `ceiling` (a TLP label) leaves out what a receiver may not see.
    @Sendable func stix(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let incident = try await self.incident(context)
        var ceiling = TLP.red
        if let text = request.uri.queryParameters["ceiling"].map(String.init) {
            guard let tlp = TLP(label: text) else { throw AppError.badRequest("ceiling must be a TLP 2.0 label", field: "ceiling") }
            ceiling = tlp
        }
        let input = STIXExporter.Input(
            incident: incident, events: try await self.store.incidentEvents(incidentID: incident.id, limit: 100_000),
            organisations: try await self.store.organisations())
        let bundle = STIXExporter(producer: self.tag).bundle([input], ceiling: ceiling, now: Date())
        return Response(
            status: .ok,
            headers: [.contentType: "application/stix+json;version=2.1", .contentDisposition: "attachment; filename=\"incident-\(incident.number).stix.json\""],
            body: .init(byteBuffer: ByteBuffer(string: bundle.text)))
    }

    // MARK: metrics

    private func allIncidents() async throws -> [Incident] {
        try await self.store.incidents(matching: IncidentQuery(limit: 10_000))
    }

    private func sectors() async throws -> [UUID: Sector] {
        Dictionary(try await self.store.organisations().map { ($0.id, $0.sector) }, uniquingKeysWith: { first, _ in first })
    }

    static func hours(_ seconds: Double?) -> String {
        guard let seconds else { return "—" }
        return seconds < 3600 ? "\(Int((seconds / 60).rounded())) min" : String(format: "%.1f h", seconds / 3600)
    }

    @Sendable func dashboard(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let metrics = IncidentMetrics.compute(try await self.allIncidents(), sectors: try await self.sectors(), now: Date())
        let data: [String: Any] = [
            "total": metrics.total, "open": metrics.open, "overdue": metrics.overdue, "triageBreaches": metrics.triageBreaches,
            "resolveBreaches": metrics.resolveBreaches,
            "ackMedian": Self.hours(metrics.timeToAcknowledge?.median), "ackP90": Self.hours(metrics.timeToAcknowledge?.p90),
            "resolveMedian": Self.hours(metrics.timeToResolve?.median), "resolveP90": Self.hours(metrics.timeToResolve?.p90),
            "byType": SVGChart.bars(id: "chart-type", title: self.t("dashboard.by_type", context), items: Array(metrics.byType.prefix(15))),
            "bySector": SVGChart.bars(
                id: "chart-sector", title: self.t("dashboard.by_sector", context),
                items: metrics.bySector.map { (Sector(rawValue: $0.0).map { self.t("sector.\($0.rawValue)", context) } ?? $0.0, $0.1) }),
            "byMonth": SVGChart.bars(id: "chart-month", title: self.t("dashboard.by_month", context), items: metrics.byMonth),
        ]
        return try self.views.page("incident_dashboard", title: self.t("dashboard.title", context), data: data, context: context, request: request)
    }

    /// One row per incident with its times and SLA outcome, for a spreadsheet or a report to Council.
    @Sendable func metricsCSV(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let now = Date()
        let sectors = try await self.sectors()
        var lines = ["number,created,type,taxonomy,severity,status,sectors,hours_to_triage,hours_to_resolve,triage_breached,resolve_breached,overdue"]
        for incident in try await self.allIncidents().sorted(by: { $0.number < $1.number }) {
            let triage = incident.triagedAt.map { String(format: "%.2f", $0.timeIntervalSince(incident.createdAt) / 3600) } ?? ""
            let resolve = incident.resolvedAt.map { String(format: "%.2f", $0.timeIntervalSince(incident.createdAt) / 3600) } ?? ""
            let sectorNames = Set(incident.organisations.compactMap { sectors[$0]?.rawValue }).sorted().joined(separator: " ")
            lines.append(
                [String(incident.number), TimeFormat.iso(incident.createdAt), incident.type, incident.taxonomy, incident.severity.rawValue,
                 incident.status.rawValue, sectorNames, triage, resolve, String(incident.triageBreached(at: now)), String(incident.resolveBreached(at: now)),
                 String(incident.isOverdue(at: now))].map(EventsCSV.cell).joined(separator: ","))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"incident-metrics.csv\""],
            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n")))
    }

    // MARK: creating

    @Sendable func newForm(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        // Events chosen in the events list come as event-<id> fields.
        let parameters = request.uri.queryParameters
        var ids = parameters["events"].map(String.init).map { [$0] } ?? []
        for (key, _) in parameters where key.hasPrefix("event-") {
            if let id = Int64(key.dropFirst("event-".count)) { ids.append(String(id)) }
        }
        var form = FormFields()
        if let first = ids.first.flatMap(Int64.init), let stored = try await self.store.event(id: first) {
            // Start from the first event's classification; the analyst can change it.
            let type = stored.event["classification.type"]?.description ?? ""
            let names = try await ConstituencyIndexReader(store: self.store).organisations()
            let organisation = stored.organisations.first
            form = FormFields(values: [
                "type": type, "severity": stored.event["severity"]?.description ?? "medium", "tlp": stored.event["tlp"]?.description ?? "TLP:AMBER",
                "organisation": organisation?.uuidString ?? "", "title": "\(type) at \(organisation.flatMap { names[$0] } ?? "…")",
            ])
        }
        return try await self.renderNew(context: context, request: request, events: ids.joined(separator: ", "), form: form)
    }

    private func renderNew(
        context: AppContext, request: Request, events: String, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok, form: FormFields = FormFields()
    ) async throws -> Response {
        let organisations = try await self.store.organisations().sorted { $0.name < $1.name }
        let data: [String: Any] = [
            "events": events, "title": form["title"] ?? "",
            "types": Taxonomy.taxonomyOfType.keys.sorted().map { ["value": $0, "selected": $0 == (form["type"] ?? "")] as [String: Any] },
            "severities": Severity.allCases.map {
                ["value": $0.rawValue, "label": self.t("severity.\($0.rawValue)", context), "selected": $0.rawValue == (form["severity"] ?? "medium")] as [String: Any]
            },
            "tlps": TLP.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == (form["tlp"] ?? TLP.amber.rawValue)] as [String: Any] },
            "organisations": organisations.map { ["value": $0.id.uuidString, "label": $0.name, "selected": $0.id.uuidString == (form["organisation"] ?? "")] as [String: Any] },
        ]
        return try self.views.page("incident_new", title: self.t("incidents.new", context), data: data, context: context, request: request, flash: flash, status: status)
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

    @Sendable func create(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let form = context.form
        do {
            let ids = try Self.eventIDs(form["events"] ?? "")
            guard let severity = Severity(rawValue: form["severity"] ?? "") else { throw IncidentError.invalid(field: "severity", reason: "must be chosen") }
            guard let tlp = TLP(label: form["tlp"] ?? "") else { throw IncidentError.invalid(field: "tlp", reason: "must be chosen") }
            let organisations = (form["organisation"]).flatMap(UUID.init(uuidString:)).map { [$0] } ?? []
            let incident = try await self.incidents.create(
                .init(title: form["title"] ?? "", type: form["type"] ?? "", severity: severity, tlp: tlp, organisations: organisations), events: ids,
                by: user.username)
            return Response.redirect(to: "/incidents/\(incident.number)", type: .normal)
        } catch let error as IncidentError {
            return try await self.renderNew(
                context: context, request: request, events: form["events"] ?? "", flash: .init(kind: .error, text: error.description),
                status: .unprocessableContent, form: form)
        }
    }

    // MARK: an incident

    @Sendable func show(request: Request, context: AppContext) async throws -> Response {
        try await self.render(try await self.incident(context), request: request, context: context)
    }

    private func render(_ incident: Incident, request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try context.requireUser()
        let names = try await ConstituencyIndexReader(store: self.store).organisations()
        let now = Date()
        let timeline = try await self.store.timeline(incidentID: incident.id).reversed().map { entry -> [String: Any] in
            [
                "at": TimeFormat.minute(entry.at), "actor": entry.actor, "kind": self.t("incident.timeline.\(entry.kind.rawValue)", context),
                "detail": entry.detail, "isNote": entry.kind == .note,
            ]
        }
        let tasks = try await self.store.tasks(incidentID: incident.id).map { task -> [String: Any] in
            ["id": task.id.uuidString, "title": task.title, "assignee": task.assignee ?? "", "done": task.done]
        }
        let events = try await self.store.incidentEvents(incidentID: incident.id, limit: 200).map { stored -> [String: Any] in
            let event = stored.event
            return [
                "id": stored.id, "time": TimeFormat.minute(stored.lastSeen), "type": event["classification.type"]?.description ?? "",
                "ip": event["source.ip"]?.description ?? event["source.fqdn"]?.description ?? event["source.url"]?.description ?? "",
                "feed": event["feed.name"]?.description ?? "", "count": stored.count,
            ]
        }
        let analysts = try await self.store.users().filter { !$0.disabled && $0.role.includes(.analyst) }.map(\.username)
        let outbox = try await self.store.outboxMessages(incidentID: incident.id).map { message -> [String: Any] in
            [
                "id": message.id.uuidString, "canResend": message.state == .failed || message.state == .uncertain,
                "recipient": message.recipient, "state": message.state.rawValue, "stateLabel": self.t("outbox.\(message.state.rawValue)", context),
                "attempts": message.attempts, "error": message.lastError ?? "", "sent": message.sentAt.map(TimeFormat.minute) ?? "",
            ]
        }
        let peers = try await self.store.peers()
        let peerNames = Dictionary(peers.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let shares = try await self.store.shares(incidentID: incident.id).map { share -> [String: Any] in
            ["id": share.id.uuidString, "peer": peerNames[share.peerID] ?? "?", "tlp": share.tlp.rawValue, "at": TimeFormat.minute(share.at), "actor": share.actor]
        }
        let linked = try await self.store.linkedIncidents(incident.id).map { ["number": $0.number, "title": $0.title, "status": self.t("incident.status.\($0.status.rawValue)", context)] as [String: Any] }
        var summary = self.row(incident, names: names, now: now, context: context)
        summary["pap"] = incident.pap.rawValue
        summary["taxonomy"] = incident.taxonomy
        summary["triageDue"] = TimeFormat.minute(incident.triageDue)
        summary["resolveDue"] = TimeFormat.minute(incident.resolveDue)
        summary["triageOverdue"] = incident.status == .new && now > incident.triageDue
        summary["resolveOverdue"] = incident.status.isOpen && now > incident.resolveDue
        let data: [String: Any] = [
            "incident": summary, "timeline": timeline, "outbox": outbox, "hasOutbox": !outbox.isEmpty,
            "peers": peers.map { ["value": $0.id.uuidString, "label": "\($0.name) (≤ \($0.tlpCeiling.rawValue))"] }, "hasPeers": !peers.isEmpty,
            "shares": shares, "hasShares": !shares.isEmpty, "linked": linked, "hasLinked": !linked.isEmpty, "tasks": tasks, "hasTasks": !tasks.isEmpty, "events": events, "hasEvents": !events.isEmpty,
            "canAct": user.role.includes(.analyst),
            "moves": incident.status.allowedNext.map { ["value": $0.rawValue, "label": self.t("incident.move.\($0.rawValue)", context)] },
            "analysts": analysts.map { ["value": $0, "selected": $0 == incident.assignee] as [String: Any] },
            "severities": Severity.allCases.map {
                ["value": $0.rawValue, "label": self.t("severity.\($0.rawValue)", context), "selected": $0 == incident.severity] as [String: Any]
            },
            "tlps": TLP.allCases.map { ["value": $0.rawValue, "selected": $0 == incident.tlp] as [String: Any] },
        ]
        return try self.views.page(
            "incident", title: "#\(incident.number) \(incident.title)", data: data, context: context, request: request, flash: flash, status: status)
    }

    /// Runs an action from the incident page; a refusal comes back on the page, saying why.
    private func act(
        request: Request, context: AppContext, _ action: (Incident, User) async throws -> Void
    ) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let incident = try await self.incident(context)
        do {
            try await action(incident, user)
        } catch let error as IncidentError {
            if case .notFound = error { throw error }
            let current = try await self.store.incident(id: incident.id) ?? incident
            return try await self.render(current, request: request, context: context, flash: .init(kind: .error, text: error.description), status: AppError.from(error).status)
        }
        return Response.redirect(to: "/incidents/\(incident.number)", type: .normal)
    }

    @Sendable func statusForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let status = IncidentStatus(rawValue: context.form["status"] ?? "") else {
                throw IncidentError.invalid(field: "status", reason: "must be one of \(IncidentStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            try await self.incidents.move(incident.id, to: status, by: user.username, note: context.form["note"])
        }
    }

    @Sendable func assignForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            let assignee = context.form["assignee"] ?? ""
            try await self.incidents.assign(incident.id, to: assignee.isEmpty ? nil : assignee, by: user.username)
        }
    }

    @Sendable func severityForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let severity = Severity(rawValue: context.form["severity"] ?? "") else {
                throw IncidentError.invalid(field: "severity", reason: "must be one of critical, high, medium, low, info")
            }
            try await self.incidents.setSeverity(incident.id, severity, by: user.username)
        }
    }

    @Sendable func tlpForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let tlp = TLP(label: context.form["tlp"] ?? "") else { throw IncidentError.invalid(field: "tlp", reason: "must be a TLP 2.0 label") }
            try await self.incidents.setTLP(incident.id, tlp, by: user.username)
        }
    }

    @Sendable func noteForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            try await self.incidents.addNote(incident.id, context.form["note"] ?? "", by: user.username)
        }
    }

    @Sendable func taskForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            try await self.incidents.addTask(incident.id, title: context.form["title"] ?? "", assignee: context.form["assignee"], by: user.username)
        }
    }

    @Sendable func notifyForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            _ = try await self.incidents.notify(incident.id, by: user.username, tag: self.tag)
        }
    }

    @Sendable func shareForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let peer = (context.form["peer"]).flatMap(UUID.init(uuidString:)) else { throw IncidentError.invalid(field: "peer", reason: "must be chosen") }
            guard let tlp = TLP(label: context.form["tlp"] ?? "") else { throw IncidentError.invalid(field: "tlp", reason: "must be a TLP 2.0 label") }
            try await self.shareAndSend(incident, peer: peer, tlp: tlp, user: user, address: context.address)
        }
    }

    /// Records a share and, when the peer has a TAXII server, sends the bundle there first: if the
    /// peer's server refuses it, nothing is recorded and the reason is shown.
    @discardableResult
    func shareAndSend(_ incident: Incident, peer peerID: UUID, tlp: TLP, user: User, address: String) async throws -> Share {
        let content = try await self.bundle(incident, forPeer: peerID)
        var sent: TAXIIClient.PushResult?
        var peerName = ""
        if let peer = try await self.store.peer(id: peerID), let url = peer.taxiiURL, let collection = peer.taxiiCollection {
            peerName = peer.name
            // A share the markings forbid is refused by `share` itself, before anything leaves.
            guard tlp <= peer.tlpCeiling, tlp >= incident.tlp else {
                return try await self.incidents.share(incident.id, with: peerID, tlp: tlp, content: content, by: user.username, address: address)
            }
            let credentials: TAXIIClient.Credentials =
                switch (peer.taxiiUsername, peer.taxiiSecret) {
                case (let user?, let secret?): .basic(user: user, password: secret)
                case (nil, let secret?): .bearer(secret)
                default: .none
                }
            guard case .object(let bundle) = try JSONReader.parse(content), case .array(let objects)? = bundle["objects"] else {
                throw IncidentError.invalid(field: "peer", reason: "the bundle could not be read back")
            }
            do {
                let client = try TAXIIClient(store: self.store, apiRoot: url, collection: collection, credentials: credentials)
                sent = try await client.push(objects)
            } catch let error as TAXIIClientError {
                throw IncidentError.invalid(field: "peer", reason: "\(peer.name)'s TAXII server did not take the bundle: \(error.description)")
            }
        }
        let share = try await self.incidents.share(incident.id, with: peerID, tlp: tlp, content: content, by: user.username, address: address)
        if let sent {
            var detail = "sent to \(peerName)'s TAXII server: \(sent.accepted) objects accepted"
            if sent.pending > 0 { detail += ", \(sent.pending) pending" }
            if !sent.refused.isEmpty { detail += ", \(sent.refused.count) refused (\(sent.refused.prefix(3).joined(separator: "; ")))" }
            try await self.incidents.addNote(incident.id, detail, by: user.username)
        }
        return share
    }

    /// The STIX bundle a peer receives: nothing above its TLP ceiling.
    func bundle(_ incident: Incident, forPeer peerID: UUID) async throws -> String {
        guard let peer = try await self.store.peer(id: peerID) else { throw IncidentError.notFound("peer \(peerID)") }
        let input = STIXExporter.Input(
            incident: incident, events: try await self.store.incidentEvents(incidentID: incident.id, limit: 100_000),
            organisations: try await self.store.organisations())
        return STIXExporter(producer: self.tag).bundle([input], ceiling: peer.tlpCeiling, now: Date()).text
    }

    /// What was handed to a peer, as it was.
    @Sendable func sharedContent(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let incident = try await self.incident(context)
        guard let id = context.parameters.get("share").flatMap(UUID.init(uuidString:)),
            let share = try await self.store.shares(incidentID: incident.id).first(where: { $0.id == id })
        else { throw AppError.notFound("no such share") }
        return Response(
            status: .ok,
            headers: [.contentType: "application/stix+json;version=2.1", .contentDisposition: "attachment; filename=\"incident-\(incident.number)-share.stix.json\""],
            body: .init(byteBuffer: ByteBuffer(string: share.content)))
    }

    @Sendable func resendForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let id = context.parameters.get("notice").flatMap(UUID.init(uuidString:)) else { throw IncidentError.notFound("notice") }
            try await self.incidents.resend(id, of: incident.id, by: user.username)
        }
    }

    @Sendable func linkForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            let text = (context.form["to"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "# "))
            guard let number = Int(text), let other = try await self.store.incident(number: number) else {
                throw IncidentError.invalid(field: "to", reason: "'\(text)' is not an incident number")
            }
            try await self.incidents.link(incident.id, to: other.id, by: user.username)
        }
    }

    /// Merges this incident into another (given by number).
    @Sendable func mergeForm(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let incident = try await self.incident(context)
        do {
            let text = (context.form["into"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "# "))
            guard let number = Int(text), let target = try await self.store.incident(number: number) else {
                throw IncidentError.invalid(field: "into", reason: "'\(text)' is not an incident number")
            }
            try await self.incidents.merge([incident.id], into: target.id, by: user.username)
            return Response.redirect(to: "/incidents/\(target.number)", type: .normal)
        } catch let error as IncidentError {
            let current = try await self.store.incident(id: incident.id) ?? incident
            return try await self.render(current, request: request, context: context, flash: .init(kind: .error, text: error.description), status: AppError.from(error).status)
        }
    }

    /// Splits the events ticked on the incident page (split-<id> fields) out to a new incident.
    @Sendable func splitForm(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let incident = try await self.incident(context)
        let ids = context.form.values.keys.compactMap { key -> Int64? in key.hasPrefix("split-") ? Int64(key.dropFirst("split-".count)) : nil }
        do {
            let created = try await self.incidents.split(ids, from: incident.id, title: context.form["title"] ?? "", by: user.username)
            return Response.redirect(to: "/incidents/\(created.number)", type: .normal)
        } catch let error as IncidentError {
            return try await self.render(incident, request: request, context: context, flash: .init(kind: .error, text: error.description), status: AppError.from(error).status)
        }
    }

    @Sendable func toggleTaskForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let id = context.parameters.get("task").flatMap(UUID.init(uuidString:)), let task = try await self.store.task(id: id),
                task.incidentID == incident.id
            else { throw IncidentError.notFound("task") }
            try await self.incidents.setTask(id, done: context.form["done"] == "true", by: user.username)
        }
    }

    // MARK: API

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
        return JSONResponse(value: try await self.store.incidents(matching: try Self.query(request, user: user)).map { IncidentOut($0, now: now) })
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
        return JSONResponse(value: try await self.detailed(try await self.incident(context)))
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
        let incident = try await self.incident(context)
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
        let incident = try await self.incident(context)
        let input = try await JSONInput.decode(AssignIn.self, from: request, allowedFields: AssignIn.fields)
        return JSONResponse(value: try await self.detailed(try await self.incidents.assign(incident.id, to: input.assignee, by: user.username)))
    }

    struct NoteIn: Decodable {
        var text: String
        static let fields: Set<String> = ["text"]
    }

    @Sendable func apiNote(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await self.incident(context)
        let input = try await JSONInput.decode(NoteIn.self, from: request, allowedFields: NoteIn.fields)
        try await self.incidents.addNote(incident.id, input.text, by: user.username)
        return JSONResponse(value: try await self.detailed(try await self.incident(context)))
    }

    struct NotifyOut: Codable, Sendable {
        var queued: [String]
        var skipped: [String]
    }

    @Sendable func apiNotify(request: Request, context: AppContext) async throws -> JSONResponse<NotifyOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await self.incident(context)
        let plan = try await self.incidents.notify(incident.id, by: user.username, tag: self.tag)
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
        let incident = try await self.incident(context)
        let input = try await JSONInput.decode(ShareIn.self, from: request, allowedFields: ShareIn.fields)
        guard let peer = UUID(uuidString: input.peer) else { throw AppError.invalidFields([.init(field: "peer", reason: "must be a peer's id")]) }
        guard let tlp = TLP(label: input.tlp) else { throw AppError.invalidFields([.init(field: "tlp", reason: "'\(input.tlp)' is not a TLP 2.0 label")]) }
        let share = try await self.shareAndSend(incident, peer: peer, tlp: tlp, user: user, address: context.address)
        return JSONResponse(value: ShareOut(id: share.id, peer: share.peerID, tlp: share.tlp.rawValue, summary: share.summary, at: share.at))
    }

    struct MergeIn: Decodable {
        var into: Int
        static let fields: Set<String> = ["into"]
    }

    @Sendable func apiMerge(request: Request, context: AppContext) async throws -> JSONResponse<IncidentOut> {
        let user = try context.requireRole(.analyst)
        let incident = try await self.incident(context)
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
        let incident = try await self.incident(context)
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
        let incident = try await self.incident(context)
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
        let incident = try await self.incident(context)
        let input = try await JSONInput.decode(TaskIn.self, from: request, allowedFields: TaskIn.fields)
        try await self.incidents.addTask(incident.id, title: input.title, assignee: input.assignee, by: user.username)
        return JSONResponse(value: try await self.detailed(incident))
    }
}
