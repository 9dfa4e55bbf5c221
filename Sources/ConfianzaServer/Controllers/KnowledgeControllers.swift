import ConfianzaCore
import ConfianzaFeeds
import Foundation
import HTTPTypes
import Hummingbird

/// The public portal of the knowledge base: search, records and the agreements network, built from
/// TLP:CLEAR records only — the store is asked for nothing else.
struct KnowledgePublicController {
    let pages: KnowledgePages

    init(service: KnowledgeService, views: Views) {
        self.pages = KnowledgePages(service: service, views: views, clearOnly: true, base: "/public/knowledge")
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get("/public/knowledge", use: self.search)
        router.get("/public/knowledge/network", use: self.network)
        router.get("/public/knowledge/{kind}/{id}", use: self.record)
    }

    @Sendable func search(request: Request, context: AppContext) async throws -> Response { try await self.pages.search(request: request, context: context) }
    @Sendable func network(request: Request, context: AppContext) async throws -> Response { try await self.pages.network(request: request, context: context) }
    @Sendable func record(request: Request, context: AppContext) async throws -> Response {
        try await self.pages.record(request: request, context: context, canEdit: false)
    }
}

/// The knowledge base for staff: every record with its marking, import (file or pasted text), export,
/// adding a record through a form (the same checks as a file), removing one.
struct KnowledgeController {
    let pages: KnowledgePages
    let service: KnowledgeService
    let views: Views

    /// The largest file taken.
    static let maxSize = 8 * 1024 * 1024

    init(service: KnowledgeService, views: Views) {
        self.service = service
        self.views = views
        self.pages = KnowledgePages(service: service, views: views, clearOnly: false, base: "/knowledge")
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get("/knowledge", use: self.search)
        router.get("/knowledge/network", use: self.network)
        router.get("/knowledge/export", use: self.export)
        router.post("/knowledge/import", use: self.importFile)
        router.get("/knowledge/new", use: self.newForm)
        router.post("/knowledge/new", use: self.create)
        router.get("/knowledge/{kind}/{id}", use: self.record)
        router.post("/knowledge/{kind}/{id}/delete", use: self.delete)
    }

    @Sendable func search(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        return try await self.pages.search(request: request, context: context, extra: ["canEdit": user.role.includes(.analyst), "maxMB": Self.maxSize / 1024 / 1024])
    }

    @Sendable func network(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        return try await self.pages.network(request: request, context: context)
    }

    @Sendable func record(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        return try await self.pages.record(request: request, context: context, canEdit: user.role.includes(.analyst))
    }

    /// The whole base as JSON, or one table as CSV (`?format=csv&table=initiatives|case-studies|agreements`).
    @Sendable func export(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let base = try await self.service.store.knowledge(clearOnly: false)
        let parameters = request.uri.queryParameters
        switch parameters.get("format") ?? "json" {
        case "json":
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .contentDisposition: "attachment; filename=\"knowledge.json\""],
                body: .init(byteBuffer: ByteBuffer(string: KnowledgeFile.json(base).text)))
        case "csv":
            let tables: [String: KnowledgeKind] = ["initiatives": .initiative, "case-studies": .caseStudy, "agreements": .agreement]
            let name = parameters.get("table") ?? "initiatives"
            guard let kind = tables[name] else { throw AppError.badRequest("table must be initiatives, case-studies or agreements", field: "table") }
            return Response(
                status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name).csv\""],
                body: .init(byteBuffer: ByteBuffer(string: KnowledgeCSV.write(kind, base))))
        case let other:
            throw AppError.badRequest("format must be json or csv, not \(other)", field: "format")
        }
    }

    func refusal(_ error: KnowledgeError, _ context: AppContext) -> String {
        var message = self.views.localizer.say(error, context.language)
        if case .file(.invalid(let file, let path, _)) = error { message = "\(file), \(path): \(message)" }
        return message
    }

    @Sendable func importFile(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let text: String
        let name: String
        if let file = context.files.first(where: { $0.field == "file" && !$0.filename.isEmpty }) {
            guard file.data.count <= Self.maxSize else { throw AppError.payloadTooLarge(Self.maxSize) }
            guard let decoded = String(data: file.data, encoding: .utf8) else {
                return try await self.pages.search(
                    request: request, context: context, extra: ["canEdit": true],
                    flash: .init(kind: .error, text: self.pages.t("knowledge.import.not_utf8", context)), status: .unprocessableContent)
            }
            text = decoded
            name = AssessmentService.safeFilename(file.filename)
        } else {
            text = context.form["source"] ?? ""
            name = "knowledge.json"
        }
        do {
            let base: KnowledgeBase
            if !text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
                do { base = try KnowledgeCSV.read(Array(text.utf8)) } catch {
                    return try await self.pages.search(
                        request: request, context: context, extra: ["canEdit": true], flash: .init(kind: .error, text: "\(name), \(error.description)"),
                        status: .unprocessableContent)
                }
                try await self.service.importBase(base, file: name, by: user.username, address: context.address)
            } else {
                base = try await self.service.importFile(text, file: name, by: user.username, address: context.address)
            }
            let message = self.pages.t(
                "knowledge.import.done", context,
                ["initiatives": String(base.initiatives.count), "cases": String(base.caseStudies.count), "agreements": String(base.agreements.count)])
            return try await self.pages.search(request: request, context: context, extra: ["canEdit": true], flash: .init(kind: .ok, text: message))
        } catch let error as KnowledgeError {
            return try await self.pages.search(
                request: request, context: context, extra: ["canEdit": true], flash: .init(kind: .error, text: self.refusal(error, context)), status: .unprocessableContent)
        }
    }

    @Sendable func delete(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let (kind, id) = try KnowledgePages.ids(context)
        do { try await self.service.delete(kind: kind, id: id, by: user.username, address: context.address) } catch KnowledgeError.notFound {
            throw AppError.notFound("record")
        }
        return Response.redirect(to: "/knowledge", type: .normal)
    }

    // MARK: adding a record

    @Sendable func newForm(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.analyst)
        let kind = request.uri.queryParameters.get("kind").flatMap(KnowledgeKind.init(rawValue:)) ?? .initiative
        return try self.renderForm(kind: kind, values: [:], request: request, context: context)
    }

    func renderForm(kind: KnowledgeKind, values: [String: String], request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok)
        throws -> Response
    {
        func options<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ key: String, _ field: String, fallback: String) -> [[String: Any]] where T.RawValue == String {
            T.allCases.map { ["id": $0.rawValue, "title": self.pages.t("\(key).\($0.rawValue)", context), "selected": (values[field] ?? fallback) == $0.rawValue] }
        }
        let data: [String: Any] = [
            "kind": kind.rawValue, "isInitiative": kind == .initiative, "isCase": kind == .caseStudy, "isAgreement": kind == .agreement,
            "kindTitle": self.pages.t("knowledge.kind.\(kind.rawValue)", context), "values": values,
            "levels": options(KnowledgeLevel.self, "knowledge.level", "level", fallback: "national"),
            "initiativeStatuses": options(InitiativeStatus.self, "knowledge.status", "status", fallback: "ongoing"),
            "agreementStatuses": options(AgreementStatus.self, "knowledge.status", "status", fallback: "signed"),
            "institutions": options(InstitutionType.self, "knowledge.institution", "institutionType", fallback: "national-cirt"),
            "pillars": GCAPillar.allCases.map { ["id": $0.rawValue, "title": self.pages.t("knowledge.pillar.\($0.rawValue)", context), "checked": values["pillar.\($0.rawValue)"] == "on"] },
            "scopes": AgreementScope.allCases.map { ["id": $0.rawValue, "title": self.pages.t("knowledge.scope.\($0.rawValue)", context), "checked": values["scope.\($0.rawValue)"] == "on"] },
            "regions": Countries.regions.map { ["id": $0, "title": self.pages.region($0, context), "selected": values["region"] == $0] as [String: Any] },
            "tlps": TLP.allCases.map { ["id": $0.rawValue, "selected": (values["tlp"] ?? KnowledgeFile.defaultTLP.rawValue) == $0.rawValue] as [String: Any] },
        ]
        return try self.views.page(
            "knowledge_form", title: self.pages.t("knowledge.new.title", context, ["kind": self.pages.t("knowledge.kind.\(kind.rawValue)", context)]), data: data,
            context: context, request: request, flash: flash, status: status)
    }

    @Sendable func create(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let form = context.form.values
        guard let kind = form["kind"].flatMap(KnowledgeKind.init(rawValue:)) else { throw AppError.badRequest("kind must be initiative, case-study or agreement", field: "kind") }
        let entry = KnowledgeForm.entry(kind: kind, form: form)
        let key = kind == .initiative ? "initiatives" : kind == .caseStudy ? "caseStudies" : "agreements"
        let text = JSONValue.object([key: .array([entry])]).text
        let base: KnowledgeBase
        do { base = try KnowledgeFile.read(text, file: self.pages.t("knowledge.new.form", context)) } catch {
            return try self.renderForm(
                kind: kind, values: form, request: request, context: context, flash: .init(kind: .error, text: self.refusal(.file(error), context)),
                status: .unprocessableContent)
        }
        try await self.service.save(base, by: user.username, address: context.address)
        let id = (base.initiatives.map(\.id) + base.caseStudies.map(\.id) + base.agreements.map(\.id)).first?.uuidString ?? ""
        return Response.redirect(to: "/knowledge/\(kind.rawValue)/\(id)", type: .normal)
    }
}

/// A form's fields as a file entry, so a record added by hand passes the same checks as an import.
enum KnowledgeForm {
    static func split(_ text: String?, by separators: Set<Character> = [",", ";", "\n"]) -> [JSONValue] {
        (text ?? "").split(whereSeparator: { separators.contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map(JSONValue.string)
    }

    static func entry(kind: KnowledgeKind, form: [String: String]) -> JSONValue {
        func text(_ name: String) -> JSONValue { form[name].map { .string($0) } ?? .null }
        var fields: [String: JSONValue] = ["title": text("title"), "tlp": text("tlp")]
        switch kind {
        case .initiative:
            fields["summary"] = text("summary")
            fields["description"] = text("description")
            fields["level"] = text("level")
            fields["status"] = text("status")
            fields["region"] = (form["region"] ?? "").isEmpty ? .null : text("region")
            fields["countries"] = .array(Self.split(form["countries"], by: [",", ";", " ", "\n"]))
            fields["themes"] = .array(Self.split(form["themes"]))
            fields["links"] = .array(Self.split(form["links"], by: ["\n", " "]))
            fields["startDate"] = text("startDate")
            fields["endDate"] = text("endDate")
            fields["pillars"] = .array(GCAPillar.allCases.filter { form["pillar.\($0.rawValue)"] == "on" }.map { .string($0.rawValue) })
            // One organisation a line: "Name | role" (role: funder, implementer, beneficiary, partner).
            fields["organisations"] = .array((form["organisations"] ?? "").split(separator: "\n").compactMap { line in
                let parts = line.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard let name = parts.first, !name.isEmpty else { return nil }
                return .object(["name": .string(name), "role": parts.count > 1 ? .string(parts[1]) : .null])
            })
        case .caseStudy:
            for name in ["country", "institutionType", "mandate", "legalBasis", "governance", "funding", "staffing", "lessonsLearned", "body"] { fields[name] = text(name) }
            fields["services"] = .array(Self.split(form["services"]))
            fields["links"] = .array(Self.split(form["links"], by: ["\n", " "]))
        case .agreement:
            fields["summary"] = text("summary")
            fields["status"] = text("status")
            for name in ["signedDate", "startDate", "expiryDate", "link"] { fields[name] = (form[name] ?? "").isEmpty ? .null : text(name) }
            fields["scope"] = .array(AgreementScope.allCases.filter { form["scope.\($0.rawValue)"] == "on" }.map { .string($0.rawValue) })
            // Parties, comma or line separated: a two-letter entry is a country code, anything longer an organisation.
            fields["parties"] = .array(Self.split(form["parties"]).map { value in
                guard case .string(let party) = value else { return value }
                if party.lowercased().hasPrefix("org:") { return .object(["organisation": .string(String(party.dropFirst(4)).trimmingCharacters(in: .whitespaces))]) }
                return party.count == 2 ? .string(party) : .object(["organisation": .string(party)])
            })
        }
        return .object(fields)
    }
}
