import ConfianzaCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The annual report as a page: staff make it for any year, edition and language, download it as HTML,
/// Markdown, JSON or PDF, and publish its public edition; anyone reads what was published on
/// `/public/reports`, in their language.
struct ReportsController {
    let service: ReportService
    let views: Views
    /// Public editions printed once per language and content: a visitor cannot make the server start
    /// Chromium again and again.
    let printed = PrintedReports()

    static let formats = ["html", "md", "json", "pdf"]

    func addRoutes(to router: Router<AppContext>) {
        router.get("/reports", use: self.index)
        router.get("/reports/annual", use: self.annual)
        router.post("/reports/publish", use: self.publish)
        router.post("/reports/{year}/unpublish", use: self.unpublish)
        router.get("/public/reports", use: self.publicList)
        router.get("/public/reports/{year}", use: self.publicReport)
    }

    func t(_ key: String, _ context: AppContext, _ arguments: [String: String] = [:]) -> String {
        self.views.localizer.text(key, context.language, arguments)
    }

    func today() -> String { CalendarDay.format(Date()) }

    // MARK: staff

    @Sendable func index(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        return try await self.renderIndex(request: request, context: context, values: [:])
    }

    func renderIndex(request: Request, context: AppContext, values: [String: String], flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        let user = try context.requireUser()
        let published = try await self.service.store.publishedReports()
        let year = values["year"] ?? String(self.today().prefix(4))
        let edition = values["tlp"] ?? "CLEAR"
        let language = values["language"] ?? context.language.rawValue
        let data: [String: Any] = [
            "year": year, "asOf": values["as_of"] ?? self.today(), "threshold": values["threshold"] ?? String(AnnualReport.defaultThreshold),
            "clearChecked": edition.uppercased().hasSuffix("CLEAR"), "amberChecked": edition.uppercased().hasSuffix("AMBER"),
            "languages": self.views.localizer.languages.map { language_ in
                ["code": language_.rawValue, "name": self.views.localizer.nativeName(language_), "selected": language_.rawValue == language] as [String: Any]
            },
            "pdf": ReportPDF.isAvailable, "canPublish": user.role.includes(.analyst),
            "hasPublished": !published.isEmpty,
            "published": published.map { report in
                [
                    "year": String(report.year), "asOf": CalendarDay.format(report.asOf), "threshold": String(report.threshold),
                    "by": report.publishedBy, "at": CalendarDay.format(report.publishedAt), "href": "/public/reports/\(report.year)",
                    "unpublish": "/reports/\(report.year)/unpublish",
                ] as [String: Any]
            },
        ]
        return try self.views.page("reports", title: self.t("reports.title", context), data: data, context: context, request: request, flash: flash, status: status)
    }

    /// `?year&tlp&as_of&threshold&language&format`: the report itself, or the page again saying what is wrong.
    @Sendable func annual(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let query = request.uri.queryParameters
        var values: [String: String] = [:]
        for name in ["year", "tlp", "as_of", "threshold", "language", "format"] { values[name] = query.get(name).map(Self.plain) }
        do {
            let format = values["format"].flatMap { $0.isEmpty ? nil : $0 } ?? "html"
            guard Self.formats.contains(format) else { throw ReportError.format(String(format.prefix(20))) }
            let asked = try ReportRequest.parse(
                year: values["year"], edition: values["tlp"], asOf: values["as_of"], threshold: values["threshold"], today: Date())
            let report = try await self.service.report(asked)
            return try await self.deliver(report, format: format, language: self.language(values["language"], context), context: context)
        } catch let error as ReportError {
            return try await self.renderIndex(
                request: request, context: context, values: values, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
                status: .unprocessableContent)
        } catch let error as ReportPDF.Failure {
            return try await self.renderIndex(
                request: request, context: context, values: values, flash: .init(kind: .error, text: self.pdfFailure(error, context)), status: .serviceUnavailable)
        }
    }

    @Sendable func publish(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let form = context.form.values
        do {
            let asked = try ReportRequest.parse(year: form["year"], edition: "CLEAR", asOf: form["as_of"], threshold: form["threshold"], today: Date())
            _ = try await self.service.publish(asked, by: user.username, address: context.address)
            return try await self.renderIndex(
                request: request, context: context, values: form, flash: .init(kind: .ok, text: self.t("reports.published_done", context, ["year": String(asked.year)])))
        } catch let error as ReportError {
            return try await self.renderIndex(
                request: request, context: context, values: form, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)),
                status: .unprocessableContent)
        }
    }

    @Sendable func unpublish(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        guard let year = context.parameters.get("year").flatMap(Int.init) else { throw AppError.notFound("report") }
        do { try await self.service.unpublish(year: year, by: user.username, address: context.address) } catch ReportError.notPublished { throw AppError.notFound("report") }
        return Response.redirect(to: "/reports", type: .normal)
    }

    // MARK: public

    @Sendable func publicList(request: Request, context: AppContext) async throws -> Response {
        let published = try await self.service.store.publishedReports()
        let data: [String: Any] = [
            "hasPublished": !published.isEmpty,
            "published": published.map { report in
                let base = "/public/reports/\(report.year)"
                return [
                    "year": String(report.year), "asOf": CalendarDay.format(report.asOf), "href": base,
                    "md": base + "?format=md", "json": base + "?format=json", "pdf": base + "?format=pdf",
                ] as [String: Any]
            },
            "pdfAvailable": ReportPDF.isAvailable,
        ]
        return try self.views.page("public_reports", title: self.t("reports.public_title", context), data: data, context: context, request: request)
    }

    /// A published public edition, in the visitor's language (or `?language=`), as `?format=html|md|json|pdf`.
    @Sendable func publicReport(request: Request, context: AppContext) async throws -> Response {
        guard let year = context.parameters.get("year").flatMap(Int.init), let report = try await self.service.store.publishedReport(year: year) else {
            throw AppError.notFound("report")
        }
        let query = request.uri.queryParameters
        let format = query.get("format").map(Self.plain) ?? "html"
        guard Self.formats.contains(format) else { throw AppError.badRequest(ReportError.format(String(format.prefix(20))).description, field: "format") }
        do {
            let language = self.language(query.get("language"), context)
            if format == "pdf" {
                let html = ReportRenderer(texts: self.views.localizer, language: language).html(report, publicPages: true)
                let key = "\(year)|\(language.rawValue)|" + Data(SHA256.hash(data: Data(html.utf8))).base64EncodedString()
                let pdf = try await self.printed.pdf(key: key) { try await ReportPDF.print(html: html) }
                return Self.download(ByteBuffer(bytes: pdf), "application/pdf", name: Self.fileName(report, language), ext: "pdf")
            }
            return try await self.deliver(report, format: format, language: language, context: context, publicPages: true)
        } catch let error as ReportPDF.Failure {
            throw AppError.unavailable(error.description)
        }
    }

    // MARK: delivery

    static func plain(_ value: String) -> String { value.replacingOccurrences(of: "+", with: " ").trimmingCharacters(in: .whitespaces) }

    func language(_ code: String?, _ context: AppContext) -> Language {
        guard let code, let language = Language(rawValue: code), self.views.localizer.languages.contains(language) else { return context.language }
        return language
    }

    func pdfFailure(_ error: ReportPDF.Failure, _ context: AppContext) -> String {
        switch error {
        case .chromiumMissing: self.t("reports.pdf_missing", context)
        case .printFailed, .cannotWrite: self.t("reports.pdf_failed", context)
        }
    }

    static func fileName(_ report: AnnualReport, _ language: Language) -> String {
        "confianza-report-\(report.year)-\(report.edition == .clear ? "CLEAR" : "AMBER")-\(language.rawValue)"
    }

    static func download(_ body: ByteBuffer, _ type: String, name: String, ext: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-store", .contentDisposition: "attachment; filename=\"\(name).\(ext)\""],
            body: .init(byteBuffer: body))
    }

    /// The report in a format: HTML shown as its own self-contained page (its one stylesheet allowed by
    /// hash, nothing else), the others as downloads named after the year and edition.
    func deliver(_ report: AnnualReport, format: String, language: Language, context: AppContext, publicPages: Bool = false) async throws -> Response {
        let renderer = ReportRenderer(texts: self.views.localizer, language: language)
        let name = Self.fileName(report, language)
        func download(_ body: ByteBuffer, _ type: String, _ ext: String) -> Response { Self.download(body, type, name: name, ext: ext) }
        switch format {
        case "md": return download(ByteBuffer(string: renderer.markdown(report)), "text/markdown; charset=utf-8", "md")
        case "json": return download(ByteBuffer(string: ReportRenderer.pretty(ReportRenderer.json(report)) + "\n"), "application/json; charset=utf-8", "json")
        case "pdf":
            let pdf = try await ReportPDF.print(html: renderer.html(report, publicPages: publicPages))
            return download(ByteBuffer(bytes: pdf), "application/pdf", "pdf")
        default:
            let style = Data(renderer.stylesheet(report).utf8)
            let hash = Data(SHA256.hash(data: style)).base64EncodedString()
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
            headers[.contentSecurityPolicy] =
                "default-src 'none'; style-src 'sha256-\(hash)'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: renderer.html(report, publicPages: publicPages))))
        }
    }
}

/// PDFs of public editions, each printed once (concurrent requests for the same one wait for the same
/// print); a handful are kept, the oldest dropped first.
actor PrintedReports {
    private var kept: [(key: String, pdf: Data)] = []
    private var printing: [String: Task<Data, any Error>] = [:]
    static let capacity = 12

    func pdf(key: String, make: @escaping @Sendable () async throws -> Data) async throws -> Data {
        if let done = self.kept.first(where: { $0.key == key }) { return done.pdf }
        if let running = self.printing[key] { return try await running.value }
        let task = Task { try await make() }
        self.printing[key] = task
        defer { self.printing[key] = nil }
        let pdf = try await task.value
        self.kept.append((key, pdf))
        if self.kept.count > Self.capacity { self.kept.removeFirst() }
        return pdf
    }
}
