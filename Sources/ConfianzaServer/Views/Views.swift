import ConfianzaCore
import ConfianzaLocales
import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import NIOCore

/// Renders pages: a page template inside the one layout, in the request's language.
public struct Views: Sendable {
    let library: MustacheLibrary
    /// Every text of the pages, in every language present.
    public let localizer: TextCatalogue
    /// The texts as templates name them, made once per language (1,600 keys: made per page, they were
    /// a good part of every page's time).
    let templateTables: TemplateTables
    let stylesheet: ByteBuffer
    public let openAPI: ByteBuffer

    /// Loads templates, the stylesheet and the OpenAPI document from the module's resources; the texts
    /// are the bundled locale files unless others are given (a site's `--locales DIR` laid over them).
    public static func load(texts: TextCatalogue? = nil) async throws -> Views {
        guard let root = Bundle.module.resourceURL else { throw ViewError.missingTemplate("(resource bundle)") }
        return try await Views(resources: root, texts: try texts ?? LocaleFiles.load())
    }

    init(resources root: URL, texts: TextCatalogue) async throws {
        let templates = root.appendingPathComponent("Templates")
        self.library = try await MustacheLibrary(directory: templates.path)
        self.localizer = texts
        self.templateTables = TemplateTables(texts)
        let css = root.appendingPathComponent("Static/app.css")
        guard let cssData = try? Data(contentsOf: css) else { throw ViewError.badResource(css.path, "cannot be read") }
        let openAPIData = try OpenAPIDocument.load(root.appendingPathComponent("OpenAPI"))
        self.stylesheet = ByteBuffer(bytes: cssData)
        self.openAPI = ByteBuffer(bytes: openAPIData)
        // Every template the pages render is there and parsed, and nothing else lies in the folder unused.
        for name in Self.templates where self.library.getTemplate(named: name) == nil {
            throw ViewError.missingTemplate(name)
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: templates.path)) ?? []
        for file in files where file.hasSuffix(".mustache") && !Self.templates.contains(String(file.dropLast(".mustache".count))) {
            throw ViewError.badResource(templates.appendingPathComponent(file).path, "is a template no page renders")
        }
    }

    /// Every template the server renders.
    static let templates: Set<String> = [
        "layout", "login", "setup", "home", "module", "account", "users", "audit", "error", "constituency", "organisation",
        "organisation_form", "contact_form", "constituency_import", "feeds", "feed_sources", "feed_source", "feed_health", "ingest_run", "events", "event", "incidents", "incident",
        "incident_new", "incident_dashboard", "indicators", "peers", "sharing", "retention", "assessments", "assessment", "assessment_pillar",
        "assessment_score", "assessment_country", "invite", "public_assessments", "assessment_frameworks", "risk_index", "risk_cycle", "risk_scenario",
        "risk_compare", "risk_matrices", "risk_sme", "sme_start", "sme_step", "sme_plan", "knowledge_search", "knowledge_record", "knowledge_network", "knowledge_form",
        "reports", "public_reports",
    ]

    /// Each language's ``TextCatalogue/templateTable(_:)``, made when the views load. Never changed
    /// after, so shared between requests as it is (the tables hold only strings and lists of strings).
    final class TemplateTables: @unchecked Sendable {
        private let tables: [Language: [String: Any]]
        private let catalogue: TextCatalogue

        init(_ catalogue: TextCatalogue) {
            self.catalogue = catalogue
            self.tables = Dictionary(uniqueKeysWithValues: catalogue.languages.map { ($0, catalogue.templateTable($0)) })
        }

        func table(_ language: Language) -> [String: Any] {
            self.tables[language] ?? self.catalogue.templateTable(language)
        }
    }

    /// A flash message shown at the top of a page.
    struct Flash {
        enum Kind: String { case info, ok, error }
        var kind: Kind
        var text: String
    }

    /// Renders `template` with typed data inside the layout: the template opens with `{{#page}}`, and
    /// reads `page`'s stored properties by name (the texts `t` and the form token `csrf` beside them).
    func page<Page: Sendable>(
        _ template: String, title: String, page: Page, context: AppContext, request: Request, flash: Flash? = nil, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        try self.page(template, title: title, data: ["page": page], context: context, request: request, flash: flash, status: status)
    }

    /// Renders `template` with `data` inside the layout.
    func page(
        _ template: String, title: String, data: [String: Any] = [:], context: AppContext, request: Request,
        flash: Flash? = nil, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let language = context.language
        let t = self.templateTables.table(language)
        var pageData = data.mapValues(TemplateData.prepared)
        pageData["t"] = t
        pageData["csrf"] = context.csrfToken
        guard let content = self.library.render(pageData, withTemplate: template) else {
            throw ViewError.missingTemplate(template)
        }
        var layout: [String: Any] = [
            "lang": language.rawValue, "dir": self.localizer.text("language.direction", language) == "rtl" ? "rtl" : "ltr", "title": title, "t": t, "csrf": context.csrfToken, "content": content,
            "path": AuthController.safeNext(request.uri.description),
            "languages": self.localizer.languages.map {
                ["code": $0.rawValue, "name": self.localizer.nativeName($0), "selected": $0 == language] as [String: Any]
            },
        ]
        if let flash { layout["flash"] = ["kind": flash.kind.rawValue, "text": flash.text] }
        if let user = context.user {
            let roleLabel = self.localizer.text("role.\(user.role.rawValue)", language)
            layout["user"] = [
                "signedInAs": self.localizer.text("signed_in_as", language, ["name": user.displayName, "role": roleLabel])
            ]
            layout["nav"] = Self.navigation(for: user).map { item in
                [
                    "href": item.href, "label": self.localizer.text(item.key, language),
                    "current": item.href == "/" ? request.uri.path == "/" : request.uri.path.hasPrefix(item.href),
                ] as [String: Any]
            }
        }
        guard let html = self.library.render(layout, withTemplate: "layout") else { throw ViewError.missingTemplate("layout") }
        return Self.html(html, status: status)
    }

    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The modules of PRODUCT.md, in the order of the navigation.
    static let modules = ["constituency", "feeds", "incidents", "sharing", "assessment", "risk", "knowledge", "reports"]
    /// The modules that work today; the others describe what they will do.
    static let builtModules: Set<String> = ["constituency", "feeds", "incidents", "sharing", "assessment", "risk", "knowledge", "reports"]

    static func navigation(for user: User) -> [(href: String, key: String)] {
        if user.role == .focalPoint { return [("/assessment", "nav.assessment"), ("/account", "nav.account")] }
        var items: [(href: String, key: String)] = [("/", "nav.home")]
        items += Self.modules.map { ("/\($0)", "nav.\($0)") }
        items.append(("/account", "nav.account"))
        if user.role == .admin {
            items.append(("/admin/users", "nav.users"))
            items.append(("/admin/audit", "nav.audit"))
            items.append(("/admin/retention", "nav.retention"))
        }
        return items
    }

    /// An error as a page, in the request's language; `saying` is the refusal already said in it.
    func errorPage(_ error: AppError, context: AppContext, request: Request, reference: String?, saying: String? = nil) -> Response {
        let language = context.language
        let heading: String
        let message: String
        switch error {
        case .notFound:
            heading = self.localizer.text("error.not_found.title", language)
            message = self.localizer.text("error.not_found.body", language)
        case .forbidden:
            heading = self.localizer.text("error.forbidden.title", language)
            message = self.localizer.text("error.forbidden.body", language)
        case .csrf:
            heading = self.localizer.text("error.title", language)
            message = self.localizer.text("error.csrf", language)
        default:
            heading = self.localizer.text("error.title", language)
            message = saying ?? error.detail
        }
        var data: [String: Any] = ["heading": heading, "message": message]
        if let reference { data["reference"] = reference }
        if let page = try? self.page("error", title: heading, data: data, context: context, request: request, status: error.status) {
            return page
        }
        return Self.html("<!doctype html><title>\(error.status.code)</title><p>\(error.status.reasonPhrase)</p>", status: error.status)
    }
}

/// Page data as the templates read it fastest. The template engine finds a struct's field by reflecting
/// on the struct at every lookup (and every lookup inside a row first asks the row, then the page): 50
/// incident rows made half of the queue's time. Here each struct is reflected on once and becomes a
/// dictionary, which the engine reads by key. Values that render as text (strings, numbers, dates,
/// anything `CustomStringConvertible`) and the engine's own kinds stay as they are; a field that is
/// `nil` is left out, as the engine treated it before (not found, so looked up further out).
enum TemplateData {
    static func prepared(_ value: Any) -> Any {
        switch value {
        case is String, is Substring, is Bool, is Int, is Int64, is Double, is MustacheLambda: return value
        case let dictionary as [String: Any]: return dictionary.mapValues(Self.prepared)
        case let array as [Any]: return array.map(Self.prepared)
        case is any CustomStringConvertible, is any MustacheParent, is any MustacheCustomRepresentation, is any MustacheTransformable: return value
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct?, .class?:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label, let field = Self.unwrapped(child.value) else { continue }
                fields[label] = Self.prepared(field)
            }
            return fields
        case .optional?:
            return Self.unwrapped(value).map(Self.prepared) ?? value
        default:
            return value
        }
    }

    /// The value an optional holds (through any depth), `nil` for none; anything else as it is.
    private static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        guard let wrapped = mirror.children.first?.value else { return nil }
        return Self.unwrapped(wrapped)
    }
}

