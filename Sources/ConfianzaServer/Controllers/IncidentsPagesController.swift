import ConfianzaCore
import ConfianzaSTIX
import Foundation
import HTTPTypes
import Hummingbird

/// The analyst's daily screens: the incident queue, a new incident, and an incident's page with its
/// actions. Everyone signed in reads; analysts and admins act. A refusal comes back on the page, in
/// the reader's language.
struct IncidentsPagesController {
    /// The queue and an incident's page read accounts (who can be assigned), the constituency, events,
    /// outbox and peers.
    typealias Storage = any IncidentStore & ConstituencyStore & AccountStore & EventStore & PeerStore & HeldReplyStore

    let store: Storage
    let incidents: IncidentService
    let sharing: IncidentSharing
    let views: Views
    let tag: String

    func addRoutes(to router: Router<AppContext>) {
        router.get("/incidents", use: self.queue)
        router.post("/incidents", use: self.create)
        router.get("/incidents/new", use: self.newForm)
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
        router.post("/incidents/:number/held/:held/file") { request, context in try await self.heldForm(file: true, request: request, context: context) }
        router.post("/incidents/:number/held/:held/discard") { request, context in try await self.heldForm(file: false, request: request, context: context) }
        router.post("/incidents/:number/split", use: self.splitForm)
    }

    private func t(_ key: String, _ context: AppContext, _ arguments: [String: String] = [:]) -> String {
        self.views.localizer.text(key, context.language, arguments)
    }

    private func row(_ incident: Incident, names: [UUID: String], now: Date, context: AppContext) -> IncidentRow {
        IncidentRow(incident, organisations: names, now: now, texts: self.views.localizer, language: context.language)
    }

    @Sendable func queue(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        var query = try IncidentRequests.query(request, user: user)
        // Fifty a page unless asked otherwise (at most 200), one more read to know whether a next page exists.
        let pageSize = request.uri.queryParameters["limit"] == nil ? 50 : min(query.limit, 200)
        query.limit = pageSize + 1
        let now = Date()
        var found = try await self.store.incidents(matching: query)
        let hasNext = found.count > pageSize
        found = Array(found.prefix(pageSize))
        func page(_ offset: Int) -> String {
            var items = request.uri.queryParameters.filter { $0.key != "offset" }.map { key, value in
                "\(key)=\(String(value).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.sorted()
            if offset > 0 { items.append("offset=\(offset)") }
            return "/incidents" + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
        }
        let names = try await self.store.organisationNames(ids: Set(found.flatMap(\.organisations)))
        let parameters = request.uri.queryParameters
        let status = parameters["status"].map(String.init) ?? "open"
        let queuePage = IncidentQueuePage(
            incidents: found.map { self.row($0, names: names, now: now, context: context) },
            overdueCount: try await self.store.incidentCounts(at: now).overdue, canAct: user.role.includes(.analyst),
            statuses: (["open", "all"] + IncidentStatus.allCases.map(\.rawValue)).map {
                Choice(value: $0, label: self.t("incident.status.\($0)", context), selected: $0 == status)
            },
            severities: Severity.allCases.map { Choice(value: $0.rawValue, label: self.t("severity.\($0.rawValue)", context), selected: $0 == query.severity) },
            sorts: IncidentQuery.Order.allCases.map {
                Choice(value: $0.rawValue, label: self.t("incidents.sort.\($0.rawValue)", context), selected: $0 == query.order)
            },
            assignee: parameters["assignee"].map(String.init) ?? "",
            analysts: try await self.store.users().filter(\.canHandleIncidents).map { Choice(value: $0.username, label: $0.username) },
            moves: IncidentStatus.allCases.map { Choice(value: $0.rawValue, label: self.t("incident.status.\($0.rawValue)", context)) },
            previous: query.offset > 0 ? page(max(0, query.offset - pageSize)) : nil, next: hasNext ? page(query.offset + pageSize) : nil)
        return try self.views.page("incidents", title: self.t("incidents.title", context), page: queuePage, context: context, request: request)
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
                refused.append("#\(number): \(self.views.localizer.say(error, context.language))")
            }
        }
        if refused.isEmpty { return Response.redirect(to: "/incidents?done=\(numbers.count)", type: .normal) }
        throw AppError.conflict(refused.joined(separator: "; "), field: "status")
    }

    /// The incident as a STIX 2.1 bundle (see ``IncidentRequests/stix(_:request:sharing:)``).
    @Sendable func stix(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        return try await IncidentRequests.stix(try await IncidentRequests.incident(context, in: self.store), request: request, sharing: self.sharing)
    }

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
            let organisation = stored.organisations.first
            let names = try await self.store.organisationNames(ids: Set(organisation.map { [$0] } ?? []))
            form = FormFields(values: [
                "type": type, "severity": stored.event["severity"]?.description ?? "medium", "tlp": stored.event["tlp"]?.description ?? "TLP:AMBER",
                "organisation": organisation.flatMap { names[$0] } ?? "",
                "title": self.t("incidents.default_title", context, ["type": type, "organisation": organisation.flatMap { names[$0] } ?? "…"]),
            ])
        }
        return try await self.renderNew(context: context, request: request, events: ids.joined(separator: ", "), form: form)
    }

    private func renderNew(
        context: AppContext, request: Request, events: String, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok, form: FormFields = FormFields()
    ) async throws -> Response {
        // Suggestions only (any organisation may be typed): the first few hundred names, not the whole constituency.
        let organisations = try await self.store.organisationNameList(limit: 300)
        let data: [String: Any] = [
            "events": events, "title": form["title"] ?? "",
            "types": Taxonomy.taxonomyOfType.keys.sorted().map { ["value": $0, "selected": $0 == (form["type"] ?? "")] as [String: Any] },
            "severities": Severity.allCases.map {
                ["value": $0.rawValue, "label": self.t("severity.\($0.rawValue)", context), "selected": $0.rawValue == (form["severity"] ?? "medium")] as [String: Any]
            },
            "tlps": TLP.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == (form["tlp"] ?? TLP.amber.rawValue)] as [String: Any] },
            "organisation": form["organisation"] ?? "", "organisations": organisations,
        ]
        return try self.views.page("incident_new", title: self.t("incidents.new", context), data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func create(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let form = context.form
        do {
            let ids = try IncidentRequests.eventIDs(form["events"] ?? "")
            guard let severity = Severity(rawValue: form["severity"] ?? "") else { throw IncidentError.invalid(field: "severity", reason: .init("incident.error.choose_severity", english: "must be chosen")) }
            guard let tlp = TLP(label: form["tlp"] ?? "") else { throw IncidentError.invalid(field: "tlp", reason: .init("incident.error.choose_tlp", english: "must be chosen")) }
            let named = (form["organisation"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            var organisations: [UUID] = []
            if !named.isEmpty {
                guard let organisation = try await self.store.organisation(namedOrID: named) else {
                    throw IncidentError.invalid(
                        field: "organisation", reason: .init("incident.error.unknown_organisation", english: "names no organisation in the constituency", ["name": named]))
                }
                organisations = [organisation.id]
            }
            let incident = try await self.incidents.create(
                .init(title: form["title"] ?? "", type: form["type"] ?? "", severity: severity, tlp: tlp, organisations: organisations), events: ids,
                by: user.username)
            return Response.redirect(to: "/incidents/\(incident.number)", type: .normal)
        } catch let error as IncidentError {
            return try await self.renderNew(
                context: context, request: request, events: form["events"] ?? "", flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
                status: .unprocessableContent, form: form)
        }
    }

    @Sendable func show(request: Request, context: AppContext) async throws -> Response {
        try await self.render(try await IncidentRequests.incident(context, in: self.store), request: request, context: context)
    }

    private func render(_ incident: Incident, request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try context.requireUser()
        let names = try await self.store.organisationNames(ids: Set(incident.organisations))
        let now = Date()
        let timeline = try await self.store.timeline(incidentID: incident.id).reversed().map { entry -> [String: Any] in
            [
                "at": TimeFormat.minute(entry.at), "actor": entry.actor, "kind": self.t("incident.timeline.\(entry.kind.rawValue)", context),
                "detail": entry.phrase.map { self.views.localizer.say($0, context.language) } ?? entry.detail, "isNote": entry.kind == .note,
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
        let analysts = try await self.store.users().filter(\.canHandleIncidents).map(\.username)
        let outbox = try await self.store.outboxMessages(incidentID: incident.id).map { message -> [String: Any] in
            [
                "id": message.id.uuidString, "canResend": message.state.canBeSentAgain,
                "recipient": message.recipient, "state": message.state.rawValue, "stateLabel": self.t("outbox.\(message.state.rawValue)", context),
                "attempts": message.attempts, "error": message.lastError ?? "", "sent": message.sentAt.map(TimeFormat.minute) ?? "",
            ]
        }
        let peers = try await self.store.peers()
        let peerNames = Dictionary(peers.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let shares = try await self.store.shares(incidentID: incident.id).map { share -> [String: Any] in
            ["id": share.id.uuidString, "peer": peerNames[share.peerID] ?? "?", "tlp": share.tlp.rawValue, "at": TimeFormat.minute(share.at), "actor": share.actor]
        }
        // Held replies are for analysts: what an unknown sender wrote is not shown to viewers.
        let held = user.role.includes(.analyst)
            ? try await self.store.heldReplies(incidentID: incident.id).map { reply -> [String: Any] in
                ["id": reply.id.uuidString, "sender": reply.sender, "subject": reply.subject, "text": reply.text, "received": TimeFormat.minute(reply.receivedAt)]
            } : []
        let linked = try await self.store.linkedIncidents(incident.id).map { ["number": $0.number, "title": $0.title, "status": self.t("incident.status.\($0.status.rawValue)", context)] as [String: Any] }
        let summary = self.row(incident, names: names, now: now, context: context)
        let data: [String: Any] = [
            "incident": summary, "timeline": timeline, "outbox": outbox, "hasOutbox": !outbox.isEmpty, "held": held, "hasHeld": !held.isEmpty,
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
        let incident = try await IncidentRequests.incident(context, in: self.store)
        do {
            try await action(incident, user)
        } catch let error as IncidentError {
            if case .notFound = error { throw error }
            let current = try await self.store.incident(id: incident.id) ?? incident
            return try await self.render(current, request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: AppError.from(error).status)
        }
        return Response.redirect(to: "/incidents/\(incident.number)", type: .normal)
    }

    @Sendable func statusForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let status = IncidentStatus(rawValue: context.form["status"] ?? "") else {
                throw IncidentError.invalid(
                    field: "status",
                    reason: .init("incident.error.choose_status", english: "must be one of \(IncidentStatus.allCases.map(\.rawValue).joined(separator: ", "))"))
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
                throw IncidentError.invalid(
                    field: "severity", reason: .init("incident.error.choose_severity", english: "must be one of critical, high, medium, low, info"))
            }
            try await self.incidents.setSeverity(incident.id, severity, by: user.username)
        }
    }

    @Sendable func tlpForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let tlp = TLP(label: context.form["tlp"] ?? "") else { throw IncidentError.invalid(field: "tlp", reason: .init("incident.error.choose_tlp", english: "must be a TLP 2.0 label")) }
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
            _ = try await self.incidents.notify(incident.id, by: user.username, tag: self.tag, texts: self.views.localizer)
        }
    }

    @Sendable func shareForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let peer = (context.form["peer"]).flatMap(UUID.init(uuidString:)) else { throw IncidentError.invalid(field: "peer", reason: .init("incident.error.choose_peer", english: "must be chosen")) }
            guard let tlp = TLP(label: context.form["tlp"] ?? "") else { throw IncidentError.invalid(field: "tlp", reason: .init("incident.error.choose_tlp", english: "must be a TLP 2.0 label")) }
            try await self.sharing.share(incident, with: peer, tlp: tlp, by: user.username, address: context.address)
        }
    }

    /// What was handed to a peer, as it was.
    @Sendable func sharedContent(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
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

    /// Files a held reply with its incident, or discards it.
    func heldForm(file: Bool, request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            guard let id = context.parameters.get("held").flatMap(UUID.init(uuidString:)),
                try await self.store.heldReplies(incidentID: incident.id).contains(where: { $0.id == id })
            else { throw IncidentError.notFound("held reply") }
            try await self.incidents.decideHeldReply(id, file: file, by: user.username)
        }
    }

    @Sendable func linkForm(request: Request, context: AppContext) async throws -> Response {
        try await self.act(request: request, context: context) { incident, user in
            let text = (context.form["to"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "# "))
            guard let number = Int(text), let other = try await self.store.incident(number: number) else {
                throw IncidentError.invalid(field: "to", reason: .init("incident.error.not_a_number", english: "'\(text)' is not an incident number", ["text": text]))
            }
            try await self.incidents.link(incident.id, to: other.id, by: user.username)
        }
    }

    /// Merges this incident into another (given by number).
    @Sendable func mergeForm(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        do {
            let text = (context.form["into"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "# "))
            guard let number = Int(text), let target = try await self.store.incident(number: number) else {
                throw IncidentError.invalid(field: "into", reason: .init("incident.error.not_a_number", english: "'\(text)' is not an incident number", ["text": text]))
            }
            try await self.incidents.merge([incident.id], into: target.id, by: user.username)
            return Response.redirect(to: "/incidents/\(target.number)", type: .normal)
        } catch let error as IncidentError {
            let current = try await self.store.incident(id: incident.id) ?? incident
            return try await self.render(current, request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: AppError.from(error).status)
        }
    }

    /// Splits the events ticked on the incident page (split-<id> fields) out to a new incident.
    @Sendable func splitForm(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let incident = try await IncidentRequests.incident(context, in: self.store)
        let ids = context.form.values.keys.compactMap { key -> Int64? in key.hasPrefix("split-") ? Int64(key.dropFirst("split-".count)) : nil }
        do {
            let created = try await self.incidents.split(ids, from: incident.id, title: context.form["title"] ?? "", by: user.username)
            return Response.redirect(to: "/incidents/\(created.number)", type: .normal)
        } catch let error as IncidentError {
            return try await self.render(incident, request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: AppError.from(error).status)
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
}
