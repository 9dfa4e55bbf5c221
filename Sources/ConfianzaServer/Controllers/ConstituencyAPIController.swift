import ConfianzaCore
import ConfianzaFeeds
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The constituency in the JSON API: organisations with their assets and contacts, lookup, import and
/// export. Reading needs any role; changing needs analyst; replacing everything needs admin.
struct ConstituencyAPIController {
    let constituency: ConstituencyService
    let accounts: AccountService

    func addRoutes(to router: Router<AppContext>) {
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.get("/organisations", use: self.list)
        api.post("/organisations", use: self.create)
        api.get("/organisations/:id", use: self.show)
        api.patch("/organisations/:id", use: self.update)
        api.delete("/organisations/:id", use: self.delete)
        api.post("/organisations/:id/assets", use: self.addAsset)
        api.delete("/organisations/:id/assets/:asset", use: self.removeAsset)
        api.post("/organisations/:id/contacts", use: self.addContact)
        api.patch("/organisations/:id/contacts/:contact", use: self.updateContact)
        api.delete("/organisations/:id/contacts/:contact", use: self.removeContact)
        api.get("/lookup", use: self.lookup)
        api.get("/constituency/export", use: self.export)
        api.post("/constituency/import", use: self.importFile)
    }

    // MARK: shapes

    struct OrganisationOut: Codable, Sendable {
        var id: UUID
        var name: String
        var sector: Sector
        var country: String
        var kind: OrganisationKind
        var tlpCeiling: TLP
        var notes: String
        var createdAt: Date
        var updatedAt: Date
        var assets: [AssetOut]?
        var contacts: [ContactOut]?

        init(_ organisation: Organisation, assets: [OwnedAsset]? = nil, contacts: [Contact]? = nil) {
            self.id = organisation.id
            self.name = organisation.name
            self.sector = organisation.sector
            self.country = organisation.country
            self.kind = organisation.kind
            self.tlpCeiling = organisation.tlpCeiling
            self.notes = organisation.notes
            self.createdAt = organisation.createdAt
            self.updatedAt = organisation.updatedAt
            self.assets = assets?.map(AssetOut.init)
            self.contacts = contacts?.map(ContactOut.init)
        }
    }

    struct AssetOut: Codable, Sendable {
        var id: UUID
        var kind: Asset.Kind
        var value: String
        var note: String

        init(_ owned: OwnedAsset) {
            self.id = owned.id
            self.kind = owned.asset.kind
            self.value = owned.asset.value
            self.note = owned.note
        }
    }

    struct ContactOut: Codable, Sendable {
        var id: UUID
        var name: String
        var email: String
        var language: String
        var role: ContactRole
        var pgpKey: String?
        var policy: NotificationPolicy

        init(_ contact: Contact) {
            self.id = contact.id
            self.name = contact.name
            self.email = contact.email
            self.language = contact.language
            self.role = contact.role
            self.pgpKey = contact.pgpKey
            self.policy = contact.policy
        }
    }

    struct OrganisationIn: Decodable {
        var name: String?
        var sector: String?
        var country: String?
        var kind: String?
        var tlpCeiling: String?
        var notes: String?
        static let fields: Set<String> = ["name", "sector", "country", "kind", "tlpCeiling", "notes"]

        /// The draft: given fields over `base` (for PATCH), or over empty values (for POST, where the four
        /// required fields must be given).
        func draft(over base: OrganisationDraft?) throws(AppError) -> OrganisationDraft {
            if base == nil {
                let missing = [("name", self.name), ("sector", self.sector), ("country", self.country), ("kind", self.kind)]
                    .filter { $0.1 == nil }.map(\.0)
                if !missing.isEmpty { throw .invalidFields(missing.map { .init(field: $0, reason: "is required") }) }
            }
            let start = base ?? OrganisationDraft(name: "", sector: "", country: "", kind: "")
            return OrganisationDraft(
                name: self.name ?? start.name, sector: self.sector ?? start.sector, country: self.country ?? start.country,
                kind: self.kind ?? start.kind, tlpCeiling: self.tlpCeiling ?? start.tlpCeiling, notes: self.notes ?? start.notes)
        }
    }

    struct AssetIn: Decodable {
        var kind: String
        var value: String
        var note: String?
        static let fields: Set<String> = ["kind", "value", "note"]
    }

    struct ContactIn: Decodable {
        var name: String?
        var email: String?
        var language: String?
        var role: String?
        var pgpKey: String?
        var frequency: String?
        var minimumSeverity: String?
        var classificationTypes: [String]?
        var feeds: [String]?
        static let fields: Set<String> = [
            "name", "email", "language", "role", "pgpKey", "frequency", "minimumSeverity", "classificationTypes", "feeds",
        ]

        func draft(over base: ContactDraft?) throws(AppError) -> ContactDraft {
            if base == nil {
                let missing = [("name", self.name), ("email", self.email)].filter { $0.1 == nil }.map(\.0)
                if !missing.isEmpty { throw .invalidFields(missing.map { .init(field: $0, reason: "is required") }) }
            }
            let start = base ?? ContactDraft(name: "", email: "")
            return ContactDraft(
                name: self.name ?? start.name, email: self.email ?? start.email, language: self.language ?? start.language,
                role: self.role ?? start.role, pgpKey: self.pgpKey ?? start.pgpKey, frequency: self.frequency ?? start.frequency,
                minimumSeverity: self.minimumSeverity ?? start.minimumSeverity,
                classificationTypes: self.classificationTypes ?? start.classificationTypes, feeds: self.feeds ?? start.feeds)
        }
    }

    struct LookupOut: Codable, Sendable {
        struct Rule: Codable, Sendable {
            var kind: Asset.Kind
            var value: String
        }
        var query: String
        var rule: Rule?
        var organisations: [OrganisationOut]
    }

    struct ImportOut: Codable, Sendable {
        var organisations: Int
        var contacts: Int
        var assets: Int
        var replaced: Bool
    }

    // MARK: organisations

    @Sendable func list(request: Request, context: AppContext) async throws -> JSONResponse<[OrganisationOut]> {
        _ = try context.requireUser()
        let q = String(request.uri.queryParameters["q"] ?? "").lowercased()
        let organisations = try await self.constituency.store.organisations()
        return JSONResponse(value: organisations.filter { q.isEmpty || $0.name.lowercased().contains(q) }.map { OrganisationOut($0) })
    }

    @Sendable func show(request: Request, context: AppContext) async throws -> JSONResponse<OrganisationOut> {
        _ = try context.requireUser()
        let organisation = try await self.constituency.organisation(id: try ConstituencyPagesController.id(context, "id"))
        let store = self.constituency.store
        return JSONResponse(
            value: OrganisationOut(
                organisation, assets: try await store.assets(organisationID: organisation.id),
                contacts: try await store.contacts(organisationID: organisation.id)))
    }

    @Sendable func create(request: Request, context: AppContext) async throws -> JSONResponse<OrganisationOut> {
        let user = try context.requireRole(.analyst)
        let input = try await JSONInput.decode(OrganisationIn.self, from: request, allowedFields: OrganisationIn.fields)
        let organisation = try await self.constituency.createOrganisation(try input.draft(over: nil), by: user.username, address: context.address)
        return JSONResponse(status: .created, value: OrganisationOut(organisation, assets: [], contacts: []))
    }

    @Sendable func update(request: Request, context: AppContext) async throws -> JSONResponse<OrganisationOut> {
        let user = try context.requireRole(.analyst)
        let id = try ConstituencyPagesController.id(context, "id")
        let input = try await JSONInput.decode(OrganisationIn.self, from: request, allowedFields: OrganisationIn.fields)
        let existing = try await self.constituency.organisation(id: id)
        return JSONResponse(value: OrganisationOut(try await self.constituency.updateOrganisation(id: id, try input.draft(over: OrganisationDraft(existing)), by: user.username, address: context.address)))
    }

    @Sendable func delete(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let id = try ConstituencyPagesController.id(context, "id")
        try await self.constituency.deleteOrganisation(id: id, by: user.username, address: context.address)
        return Response(status: .noContent)
    }

    // MARK: assets and contacts

    @Sendable func addAsset(request: Request, context: AppContext) async throws -> JSONResponse<AssetOut> {
        let user = try context.requireRole(.analyst)
        let id = try ConstituencyPagesController.id(context, "id")
        let input = try await JSONInput.decode(AssetIn.self, from: request, allowedFields: AssetIn.fields)
        let owned = try await self.constituency.addAsset(organisationID: id, kind: input.kind, value: input.value, note: input.note ?? "", by: user.username, address: context.address)
        return JSONResponse(status: .created, value: AssetOut(owned))
    }

    @Sendable func removeAsset(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        try await self.constituency.removeAsset(
            id: try ConstituencyPagesController.id(context, "asset"), organisationID: try ConstituencyPagesController.id(context, "id"), by: user.username,
            address: context.address)
        return Response(status: .noContent)
    }

    @Sendable func addContact(request: Request, context: AppContext) async throws -> JSONResponse<ContactOut> {
        let user = try context.requireRole(.analyst)
        let id = try ConstituencyPagesController.id(context, "id")
        let input = try await JSONInput.decode(ContactIn.self, from: request, allowedFields: ContactIn.fields)
        return JSONResponse(status: .created, value: ContactOut(try await self.constituency.addContact(organisationID: id, try input.draft(over: nil), by: user.username, address: context.address)))
    }

    @Sendable func updateContact(request: Request, context: AppContext) async throws -> JSONResponse<ContactOut> {
        let user = try context.requireRole(.analyst)
        let id = try ConstituencyPagesController.id(context, "id")
        let contactID = try ConstituencyPagesController.id(context, "contact")
        let input = try await JSONInput.decode(ContactIn.self, from: request, allowedFields: ContactIn.fields)
        guard let contact = try await self.constituency.store.contacts(organisationID: id).first(where: { $0.id == contactID }) else {
            throw AppError.notFound("no such contact")
        }
        let base = ContactDraft(contact)
        return JSONResponse(
            value: ContactOut(try await self.constituency.updateContact(id: contactID, organisationID: id, try input.draft(over: base), by: user.username, address: context.address)))
    }

    @Sendable func removeContact(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        try await self.constituency.removeContact(
            id: try ConstituencyPagesController.id(context, "contact"), organisationID: try ConstituencyPagesController.id(context, "id"), by: user.username,
            address: context.address)
        return Response(status: .noContent)
    }

    // MARK: lookup, import, export

    @Sendable func lookup(request: Request, context: AppContext) async throws -> JSONResponse<LookupOut> {
        _ = try context.requireUser()
        guard let q = request.uri.queryParameters["q"].map(String.init), !q.isEmpty else {
            throw AppError.invalidFields([.init(field: "q", reason: "is required: an address, AS number, domain or URL")])
        }
        let (query, match) = try await self.constituency.lookup(q)
        return JSONResponse(
            value: LookupOut(
                query: query.description, rule: match.map { .init(kind: $0.rule.kind, value: $0.rule.value) },
                organisations: match?.organisations.map { OrganisationOut($0) } ?? []))
    }

    @Sendable func export(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let query = request.uri.queryParameters
        let formatText = query["format"].map(String.init) ?? "json"
        guard let format = ConstituencyFile.Format(rawValue: formatText) else {
            throw AppError.invalidFields([.init(field: "format", reason: "must be json or csv")])
        }
        let table = try ConstituencyExport.table(query["table"].map(String.init))
        return try await ConstituencyExport(constituency: self.constituency).response(format, table: table)
    }

    static let importLimit = 32 * 1024 * 1024

    @Sendable func importFile(request: Request, context: AppContext) async throws -> JSONResponse<ImportOut> {
        let user = try context.requireRole(.analyst)
        let replaceText = request.uri.queryParameters["replace"].map(String.init) ?? "false"
        guard ["true", "false"].contains(replaceText) else {
            throw AppError.invalidFields([.init(field: "replace", reason: "must be true or false")])
        }
        let replace = replaceText == "true"
        if replace, user.role != .admin { throw AppError.forbidden("replacing the whole constituency needs the admin role") }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let format: ConstituencyFile.Format
        if contentType.hasPrefix("application/json") {
            format = .json
        } else if contentType.hasPrefix("text/csv") {
            format = .csv
        } else {
            throw AppError.unsupportedMediaType("send the file as application/json or text/csv")
        }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: Self.importLimit) } catch { throw AppError.payloadTooLarge(Self.importLimit) }
        let batch = try await ConstituencyImporter(constituency: self.constituency).run(
            Array(buffer.readableBytesView), format: format, replace: replace, actor: user.username, address: context.address, source: "API")
        return JSONResponse(
            value: ImportOut(organisations: batch.organisations.count, contacts: batch.contacts.count, assets: batch.assets.count, replaced: replace))
    }
}
