import ConfianzaCore
import ConfianzaFeeds
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The constituency's pages: the list with search and lookup, an organisation's page, the forms.
/// Everyone signed in reads; analysts and admins change; only admins replace everything at once.
struct ConstituencyPagesController {
    let constituency: ConstituencyService
    let views: Views

    static let pageSize = 100

    func addRoutes(to router: Router<AppContext>) {
        router.get("/constituency", use: self.list)
        router.post("/constituency", use: self.create)
        router.get("/constituency/new", use: self.newForm)
        router.get("/constituency/import", use: self.importForm)
        router.post("/constituency/import", use: self.importFile)
        router.get("/constituency/export.json") { request, context in try await self.export(.json, request: request, context: context) }
        router.get("/constituency/export.csv") { request, context in try await self.export(.csv, request: request, context: context) }
        router.get("/constituency/:id", use: self.show)
        router.post("/constituency/:id", use: self.update)
        router.get("/constituency/:id/edit", use: self.editForm)
        router.post("/constituency/:id/delete", use: self.delete)
        router.post("/constituency/:id/assets", use: self.addAsset)
        router.post("/constituency/:id/assets/:asset/delete", use: self.removeAsset)
        router.get("/constituency/:id/contacts/new", use: self.newContactForm)
        router.post("/constituency/:id/contacts", use: self.addContact)
        router.get("/constituency/:id/contacts/:contact/edit", use: self.editContactForm)
        router.post("/constituency/:id/contacts/:contact", use: self.updateContact)
        router.post("/constituency/:id/contacts/:contact/delete", use: self.removeContact)
    }

    // MARK: helpers

    private func t(_ key: String, _ context: AppContext, _ arguments: [String: String] = [:]) -> String {
        self.views.localizer.text(key, context.language, arguments)
    }

    private func options<T: RawRepresentable & CaseIterable>(_ type: T.Type, prefix: String, selected: String, _ context: AppContext)
        -> [[String: Any]] where T.RawValue == String
    {
        T.allCases.map { ["value": $0.rawValue, "label": self.t("\(prefix).\($0.rawValue)", context), "selected": $0.rawValue == selected] }
    }

    static func id(_ context: AppContext, _ name: String) throws -> UUID {
        guard let id = context.parameters.get(name).flatMap(UUID.init(uuidString:)) else { throw AppError.notFound("no such \(name)") }
        return id
    }

    private func summary(_ organisation: Organisation, _ context: AppContext) -> [String: Any] {
        [
            "id": organisation.id.uuidString, "name": organisation.name, "sector": self.t("sector.\(organisation.sector.rawValue)", context),
            "kind": self.t("kind.\(organisation.kind.rawValue)", context), "country": organisation.country,
            "tlp": organisation.tlpCeiling.rawValue, "notes": organisation.notes,
        ]
    }

    // MARK: list, search, lookup

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        let query = request.uri.queryParameters
        let q = String(query["q"] ?? "").trimmingCharacters(in: .whitespaces)
        let page = max(1, Int(query["page"].map(String.init) ?? "1") ?? 1)
        let index = try await self.constituency.index()
        let store = self.constituency.store
        var data: [String: Any] = ["q": q, "canEdit": user.role.includes(.analyst)]

        if !q.isEmpty, let parsed = try? LookupQuery.parse(q) {
            var lookup: [String: Any] = ["none": self.t("constituency.lookup_none", context, ["query": parsed.description])]
            if let match = index.lookup(parsed) {
                lookup["found"] = true
                lookup["answer"] = self.t("constituency.lookup_answer", context, ["query": parsed.description])
                lookup["rule"] = self.t("constituency.lookup_rule", context, ["rule": "\(self.t("asset.\(match.rule.kind.rawValue)", context)) \(match.rule.value)"])
                lookup["organisations"] = match.organisations.map { self.summary($0, context) }
            }
            data["lookup"] = lookup
        }

        // The list is the index's (sorted once per change); only the page's counts are asked of the database.
        let needle = ListedOrganisation.fold(q)
        let organisations = needle.isEmpty ? index.listing : index.listing.filter { $0.folded.contains(needle) }
        let start = (page - 1) * Self.pageSize
        let shown = organisations.dropFirst(start).prefix(Self.pageSize).compactMap { index.organisations[$0.id] }
        let counts = try await store.assetAndContactCounts(organisationIDs: shown.map(\.id))
        data["organisations_page"] = shown.map { organisation in
            var row = self.summary(organisation, context)
            row["assets"] = counts[organisation.id]?.assets ?? 0
            row["contacts"] = counts[organisation.id]?.contacts ?? 0
            return row
        }
        data["hasOrganisations"] = !shown.isEmpty
        data["count"] = self.t("constituency.count", context, ["count": "\(organisations.count)"])
        let base = "/constituency?" + (q.isEmpty ? "" : "q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&")
        if page > 1 { data["previous"] = base + "page=\(page - 1)" }
        if start + Self.pageSize < organisations.count { data["next"] = base + "page=\(page + 1)" }
        return try self.views.page("constituency", title: self.t("constituency.title", context), data: data, context: context, request: request)
    }

    // MARK: one organisation

    @Sendable func show(request: Request, context: AppContext) async throws -> Response {
        try await self.renderOrganisation(try Self.id(context, "id"), request: request, context: context)
    }

    func renderOrganisation(
        _ id: UUID, request: Request, context: AppContext, flash: Views.Flash? = nil, assetValue: String = "", assetKind: String = "prefix",
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let user = try context.requireUser()
        let organisation = try await self.constituency.organisation(id: id)
        let store = self.constituency.store
        let assets = try await store.assets(organisationID: id).map { owned in
            [
                "id": owned.id.uuidString, "kindLabel": self.t("asset.\(owned.asset.kind.rawValue)", context), "value": owned.asset.value,
                "note": owned.note,
            ] as [String: Any]
        }
        let contacts = try await store.contacts(organisationID: id).map { contact in
            var policy = "\(self.t("frequency.\(contact.policy.frequency.rawValue)", context)), ≥ \(self.t("severity.\(contact.policy.minimumSeverity.rawValue)", context))"
            if !contact.policy.classificationTypes.isEmpty { policy += "; " + contact.policy.classificationTypes.joined(separator: ", ") }
            if !contact.policy.feeds.isEmpty { policy += "; " + contact.policy.feeds.joined(separator: ", ") }
            return [
                "id": contact.id.uuidString, "name": contact.name, "email": contact.email, "language": contact.language,
                "role": self.t("role_contact.\(contact.role.rawValue)", context), "hasKey": contact.pgpKey != nil, "policy": policy,
            ] as [String: Any]
        }
        let data: [String: Any] = [
            "organisation": self.summary(organisation, context), "assets": assets, "hasAssets": !assets.isEmpty, "contacts": contacts,
            "hasContacts": !contacts.isEmpty, "canEdit": user.role.includes(.analyst), "assetValue": assetValue,
            "assetKinds": self.options(Asset.Kind.self, prefix: "asset", selected: assetKind, context),
        ]
        return try self.views.page(
            "organisation", title: organisation.name, data: data, context: context, request: request, flash: flash, status: status)
    }

    // MARK: create and edit

    private func draft(from form: FormFields) -> OrganisationDraft {
        OrganisationDraft(
            name: form["name"] ?? "", sector: form["sector"] ?? "", country: form["country"] ?? "", kind: form["kind"] ?? "",
            tlpCeiling: form["tlpCeiling"] ?? TLP.amber.rawValue, notes: form["notes"] ?? "")
    }

    private func renderForm(
        _ draft: OrganisationDraft, heading: String, action: String, cancel: String, request: Request, context: AppContext,
        flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let data: [String: Any] = [
            "heading": heading, "action": action, "cancel": cancel,
            "form": ["name": draft.name, "country": draft.country, "notes": draft.notes],
            "sectors": self.options(Sector.self, prefix: "sector", selected: draft.sector, context),
            "kinds": self.options(OrganisationKind.self, prefix: "kind", selected: draft.kind, context),
            "tlps": TLP.allCases.map { ["value": $0.rawValue, "selected": $0 == TLP(label: draft.tlpCeiling)] as [String: Any] },
        ]
        return try self.views.page(
            "organisation_form", title: heading, data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func newForm(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        return try self.renderForm(
            OrganisationDraft(name: "", sector: "government", country: "", kind: "public"), heading: self.t("constituency.new", context),
            action: "/constituency", cancel: "/constituency", request: request, context: context)
    }

    @Sendable func create(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let draft = self.draft(from: context.form)
        do {
            let organisation = try await self.constituency.createOrganisation(draft, by: user.username, address: context.address)
            return Response.redirect(to: "/constituency/\(organisation.id.uuidString)", type: .normal)
        } catch let error as ConstituencyError {
            return try self.renderForm(
                draft, heading: self.t("constituency.new", context), action: "/constituency", cancel: "/constituency", request: request,
                context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: AppError.from(error).status)
        }
    }

    @Sendable func editForm(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let organisation = try await self.constituency.organisation(id: try Self.id(context, "id"))
        let path = "/constituency/\(organisation.id.uuidString)"
        return try self.renderForm(
            OrganisationDraft(organisation), heading: organisation.name, action: path, cancel: path, request: request, context: context)
    }

    @Sendable func update(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let id = try Self.id(context, "id")
        let draft = self.draft(from: context.form)
        let path = "/constituency/\(id.uuidString)"
        do {
            _ = try await self.constituency.updateOrganisation(id: id, draft, by: user.username, address: context.address)
            return Response.redirect(to: path, type: .normal)
        } catch let error as ConstituencyError {
            if case .notFound = error { throw error }
            return try self.renderForm(
                draft, heading: draft.name, action: path, cancel: path, request: request, context: context,
                flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: AppError.from(error).status)
        }
    }

    @Sendable func delete(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let id = try Self.id(context, "id")
        try await self.constituency.deleteOrganisation(id: id, by: user.username, address: context.address)
        return Response.redirect(to: "/constituency", type: .normal)
    }

    // MARK: assets

    @Sendable func addAsset(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let id = try Self.id(context, "id")
        let kind = context.form["kind"] ?? ""
        let value = context.form["value"] ?? ""
        do {
            _ = try await self.constituency.addAsset(organisationID: id, kind: kind, value: value, note: context.form["note"] ?? "", by: user.username, address: context.address)
            return Response.redirect(to: "/constituency/\(id.uuidString)#assets", type: .normal)
        } catch let error as ConstituencyError {
            if case .notFound = error { throw error }
            return try await self.renderOrganisation(
                id, request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), assetValue: value,
                assetKind: kind, status: AppError.from(error).status)
        }
    }

    @Sendable func removeAsset(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let id = try Self.id(context, "id")
        try await self.constituency.removeAsset(id: try Self.id(context, "asset"), organisationID: id, by: user.username, address: context.address)
        return Response.redirect(to: "/constituency/\(id.uuidString)#assets", type: .normal)
    }

    // MARK: contacts

    private func contactDraft(from form: FormFields) -> ContactDraft {
        ContactDraft(
            name: form["name"] ?? "", email: form["email"] ?? "", language: form["language"] ?? "", role: form["role"] ?? "",
            pgpKey: form["pgpKey"] ?? "", frequency: form["frequency"] ?? "", minimumSeverity: form["minimumSeverity"] ?? "",
            classificationTypes: ContactDraft.list(form["classificationTypes"] ?? ""), feeds: ContactDraft.list(form["feeds"] ?? ""))
    }

    private func renderContactForm(
        _ draft: ContactDraft, organisation: Organisation, heading: String, action: String, request: Request, context: AppContext,
        flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let data: [String: Any] = [
            "heading": heading, "action": action, "cancel": "/constituency/\(organisation.id.uuidString)#contacts",
            "organisationName": organisation.name,
            "form": [
                "name": draft.name, "email": draft.email, "language": draft.language, "pgpKey": draft.pgpKey,
                "types": draft.classificationTypes.joined(separator: ", "), "feeds": draft.feeds.joined(separator: ", "),
            ],
            "roles": self.options(ContactRole.self, prefix: "role_contact", selected: draft.role, context),
            "frequencies": self.options(NotificationFrequency.self, prefix: "frequency", selected: draft.frequency, context),
            "severities": self.options(Severity.self, prefix: "severity", selected: draft.minimumSeverity, context),
        ]
        return try self.views.page("contact_form", title: heading, data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func newContactForm(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let organisation = try await self.constituency.organisation(id: try Self.id(context, "id"))
        return try self.renderContactForm(
            ContactDraft(name: "", email: "", language: context.language.rawValue), organisation: organisation,
            heading: self.t("org.add_contact", context), action: "/constituency/\(organisation.id.uuidString)/contacts", request: request,
            context: context)
    }

    @Sendable func addContact(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let organisation = try await self.constituency.organisation(id: try Self.id(context, "id"))
        let draft = self.contactDraft(from: context.form)
        do {
            _ = try await self.constituency.addContact(organisationID: organisation.id, draft, by: user.username, address: context.address)
            return Response.redirect(to: "/constituency/\(organisation.id.uuidString)#contacts", type: .normal)
        } catch let error as ConstituencyError {
            return try self.renderContactForm(
                draft, organisation: organisation, heading: self.t("org.add_contact", context),
                action: "/constituency/\(organisation.id.uuidString)/contacts", request: request, context: context,
                flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: AppError.from(error).status)
        }
    }

    @Sendable func editContactForm(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let organisation = try await self.constituency.organisation(id: try Self.id(context, "id"))
        let contactID = try Self.id(context, "contact")
        guard let contact = try await self.constituency.store.contacts(organisationID: organisation.id).first(where: { $0.id == contactID })
        else { throw AppError.notFound("no such contact") }
        let draft = ContactDraft(contact)
        return try self.renderContactForm(
            draft, organisation: organisation, heading: self.t("org.edit_contact", context),
            action: "/constituency/\(organisation.id.uuidString)/contacts/\(contactID.uuidString)", request: request, context: context)
    }

    @Sendable func updateContact(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let organisation = try await self.constituency.organisation(id: try Self.id(context, "id"))
        let contactID = try Self.id(context, "contact")
        let draft = self.contactDraft(from: context.form)
        do {
            _ = try await self.constituency.updateContact(id: contactID, organisationID: organisation.id, draft, by: user.username, address: context.address)
            return Response.redirect(to: "/constituency/\(organisation.id.uuidString)#contacts", type: .normal)
        } catch let error as ConstituencyError {
            if case .notFound = error { throw error }
            return try self.renderContactForm(
                draft, organisation: organisation, heading: self.t("org.edit_contact", context),
                action: "/constituency/\(organisation.id.uuidString)/contacts/\(contactID.uuidString)", request: request, context: context,
                flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: AppError.from(error).status)
        }
    }

    @Sendable func removeContact(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let id = try Self.id(context, "id")
        try await self.constituency.removeContact(id: try Self.id(context, "contact"), organisationID: id, by: user.username, address: context.address)
        return Response.redirect(to: "/constituency/\(id.uuidString)#contacts", type: .normal)
    }

    // MARK: import and export

    @Sendable func importForm(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        return try self.views.page(
            "constituency_import", title: self.t("import.title", context), data: ["isAdmin": user.role == .admin, "content": ""],
            context: context, request: request)
    }

    @Sendable func importFile(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let content = context.form["content"] ?? ""
        let replace = context.form["replace"] == "1"
        if replace, user.role != .admin { throw AppError.forbidden("replacing the whole constituency needs the admin role") }
        let bytes = Array(content.utf8)
        let format = ConstituencyFile.Format(rawValue: context.form["format"] ?? "") ?? ConstituencyFile.Format.detect(fileName: nil, bytes: bytes)
        do {
            let batch = try await ConstituencyImporter(constituency: self.constituency).run(
                bytes, format: format, replace: replace, actor: user.username, address: context.address, source: "web form")
            let done = self.t(
                "import.done", context,
                ["organisations": "\(batch.organisations.count)", "contacts": "\(batch.contacts.count)", "assets": "\(batch.assets.count)"])
            return try self.views.page(
                "constituency_import", title: self.t("import.title", context), data: ["isAdmin": user.role == .admin, "content": ""],
                context: context, request: request, flash: .init(kind: .ok, text: done))
        } catch let error as AppError {
            // The pasted text stays in the form, to be fixed where the message says.
            return try self.views.page(
                "constituency_import", title: self.t("import.title", context), data: ["isAdmin": user.role == .admin, "content": content],
                context: context, request: request, flash: .init(kind: .error, text: error.detail), status: error.status)
        }
    }

    func export(_ format: ConstituencyFile.Format, request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let table = try ConstituencyExport.table(request.uri.queryParameters["table"].map(String.init))
        return try await ConstituencyExport(constituency: self.constituency).response(format, table: table)
    }
}

/// Importing a file, for the pages and the API alike: read against what is stored, store in one
/// transaction, audit.
struct ConstituencyImporter {
    let constituency: ConstituencyService

    func run(_ bytes: [UInt8], format: ConstituencyFile.Format, replace: Bool, actor: String, address: String, source: String)
        async throws -> ConstituencyBatch
    {
        let store = self.constituency.store
        let existing = ConstituencyFile.Existing(
            organisations: try await store.organisations(), contacts: try await store.contacts(organisationID: nil),
            assets: try await store.assets(organisationID: nil))
        let batch: ConstituencyBatch
        do {
            batch = try ConstituencyFile.read(bytes, format: format, existing: existing, replace: replace, now: Date())
        } catch {
            throw AppError.invalidFile(line: error.line, location: error.location, reason: error.reason)
        }
        do {
            try await self.constituency.importBatch(batch, replace: replace)
        } catch let error as ConstituencyError {
            throw AppError.from(error)
        }
        try await store.appendAudit(
            AuditEvent(
                at: Date(), actor: actor, action: replace ? .constituencyReplaced : .constituencyImported, target: source, address: address,
                detail: "\(batch.organisations.count) organisations, \(batch.contacts.count) contacts, \(batch.assets.count) assets"))
        return batch
    }
}

/// Exports as downloads.
struct ConstituencyExport {
    let constituency: ConstituencyService

    static func table(_ value: String?) throws(AppError) -> ConstituencyFile.Table {
        guard let value else { return .organisations }
        guard let table = ConstituencyFile.Table(rawValue: value) else {
            throw .badRequest("table must be one of organisations, assets, contacts", field: "table")
        }
        return table
    }

    func response(_ format: ConstituencyFile.Format, table: ConstituencyFile.Table) async throws -> Response {
        let store = self.constituency.store
        let organisations = try await store.organisations()
        let contacts = try await store.contacts(organisationID: nil)
        let assets = try await store.assets(organisationID: nil)
        let bytes: [UInt8]
        let type: String
        let name: String
        switch format {
        case .json:
            bytes = ConstituencyFile.exportJSON(organisations: organisations, contacts: contacts, assets: assets)
            type = "application/json"
            name = "constituency.json"
        case .csv:
            bytes = ConstituencyFile.exportCSV(table, organisations: organisations, contacts: contacts, assets: assets)
            type = "text/csv; charset=utf-8"
            name = "constituency-\(table.rawValue).csv"
        }
        return Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
