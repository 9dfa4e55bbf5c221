import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The matrices registers are rated on (shipped and the site's own, each drawn and downloadable; an
/// analyst adds one from a file or pasted text), and the statistics of the SME results businesses shared.
struct RiskMatricesController {
    let service: RiskService
    let views: Views

    /// The largest matrix file taken.
    static let maxSize = 256 * 1024

    func addRoutes(to router: Router<AppContext>) {
        router.get("/risk/matrices", use: self.list)
        router.post("/risk/matrices", use: self.add)
        router.get("/risk/matrices/{matrix}", use: self.download)
        router.get("/risk/sme", use: self.statistics)
    }

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        try await self.render(request: request, context: context)
    }

    func render(request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok, source: String = "") async throws -> Response {
        let user = try context.requireUser()
        let p = RiskPresenter(texts: self.views.localizer, language: context.language, catalogues: self.service.catalogues)
        let matrices = try await self.service.matrices()
        let table = RiskTable(
            name: "matrices", columns: ["id", "title", "size", "levels", "custom"],
            rows: matrices.map { m in
                [m.matrix.id, p.matrixName(m.matrix), "\(m.matrix.size)x\(m.matrix.size)", m.matrix.levels.map { "\($0.id) \($0.min)-\($0.max) \($0.colour)" }.joined(separator: "; "), m.custom ? "yes" : "no"]
            })
        if let export = try table.response(for: request) { return export }
        let shown = matrices.map { m -> [String: Any] in
            let empty = StoredCycle(cycle: RiskCycle(organisationID: UUID(), matrixID: m.matrix.id, startedAt: Date()), matrix: m.matrix, matrixSource: "", createdBy: "")
            return [
                "id": m.matrix.id, "name": p.matrixName(m.matrix), "size": m.matrix.size, "custom": m.custom,
                "href": "/risk/matrices/\(m.matrix.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? m.matrix.id)",
                "grid": RiskCharts.heatMap(
                    id: "matrix-\(m.matrix.id.filter { $0.isLetter || $0.isNumber })", title: p.matrixName(m.matrix), matrix: m.matrix,
                    counts: RiskCharts.counts(empty, rating: \.current), language: context.language, likelihoodLabel: p.t("risk.likelihood"),
                    impactLabel: p.t("risk.impact")),
                "levels": m.matrix.levels.map { ["title": p.text($0.title, fallback: $0.id), "colour": $0.colour, "ink": RiskCharts.ink(on: $0.colour), "range": "\($0.min)–\($0.max)"] },
            ]
        }
        let template = RiskCatalogues.bundledMatrixSource("4x4") ?? ""
        let data: [String: Any] = [
            "matrices": shown, "canEdit": user.role.includes(.analyst), "maxKB": Self.maxSize / 1024, "source": source.isEmpty ? template : source,
        ]
        return try self.views.page("risk_matrices", title: p.t("risk.matrices_title"), data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func add(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let texts = self.views.localizer
        let language = context.language
        let text: String
        let name: String
        if let file = context.files.first(where: { $0.field == "file" && !$0.filename.isEmpty }) {
            guard file.data.count <= Self.maxSize else { throw AppError.payloadTooLarge(Self.maxSize) }
            guard let decoded = String(data: file.data, encoding: .utf8) else {
                return try await self.render(
                    request: request, context: context, flash: .init(kind: .error, text: texts.text("risk.matrices.not_utf8", language)), status: .unprocessableContent)
            }
            text = decoded
            name = AssessmentService.safeFilename(file.filename)
        } else {
            text = context.form["source"] ?? ""
            name = "matrix.json"
        }
        guard text.utf8.count <= Self.maxSize else { throw AppError.payloadTooLarge(Self.maxSize) }
        do {
            let matrix = try await self.service.addMatrix(text, file: name, by: user.username, address: context.address)
            return try await self.render(
                request: request, context: context, flash: .init(kind: .ok, text: texts.text("risk.matrices.added", language, ["id": matrix.id])))
        } catch let error as RiskError {
            var message = texts.say(error, language)
            if case .file(.invalid(let file, let path, _)) = error { message = "\(file), \(path): \(message)" }
            return try await self.render(request: request, context: context, flash: .init(kind: .error, text: message), status: .unprocessableContent, source: text)
        }
    }

    @Sendable func download(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        guard let id = context.parameters.get("matrix"), let found = try await self.service.matrices().first(where: { $0.matrix.id == id }) else {
            throw AppError.notFound("matrix")
        }
        let safe = id.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .contentDisposition: "attachment; filename=\"\(safe).json\""],
            body: .init(byteBuffer: ByteBuffer(string: found.source)))
    }

    // MARK: SME statistics

    /// Shared results grouped by sector and size band: how many, the average maturity overall and per
    /// CSF function. Names businesses gave are shown only to staff, never in the groups.
    @Sendable func statistics(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let p = RiskPresenter(texts: self.views.localizer, language: context.language, catalogues: self.service.catalogues)
        let q = self.service.catalogues.sme
        let results = try await self.service.store.smeResults(limit: 100_000)
        let groups = Dictionary(grouping: results) { SMEProfile(size: $0.size, sector: $0.sector) }
        func rank(_ profile: SMEProfile) -> (Int, Int) {
            (q.sectors.firstIndex { $0.id == profile.sector } ?? 99, q.sizes.firstIndex { $0.id == profile.size } ?? 99)
        }
        let ordered = groups.keys.sorted { rank($0) < rank($1) }
        func average(_ values: [Int]) -> Int { values.isEmpty ? 0 : Int((Double(values.reduce(0, +)) / Double(values.count)).rounded()) }
        let functions = CSFCatalogue.functionOrder
        let sector = { (id: String) in q.sectors.first { $0.id == id }.map { p.text($0.title, fallback: id) } ?? id }
        let size = { (id: String) in q.sizes.first { $0.id == id }.map { p.text($0.title, fallback: id) } ?? id }
        let table = RiskTable(
            name: "sme-statistics", columns: ["sector", "size", "results", "percent"] + functions,
            rows: ordered.map { key in
                let items = groups[key] ?? []
                return [key.sector, key.size, String(items.count), String(average(items.map(\.percent)))] + functions.map { f in String(average(items.compactMap { $0.functions[f] })) }
            })
        if let export = try table.response(for: request) { return export }
        let rows = ordered.map { key -> [String: Any] in
            let items = groups[key] ?? []
            return [
                "sector": sector(key.sector), "size": size(key.size), "count": items.count, "percent": average(items.map(\.percent)),
                "functions": functions.map { f in average(items.compactMap { $0.functions[f] }) },
            ]
        }
        let bySector = Dictionary(grouping: results, by: \.sector).map { (sector($0.key), $0.value.count) }.sorted { $0.1 > $1.1 }
        let data: [String: Any] = [
            "rows": rows, "hasRows": !rows.isEmpty, "total": results.count, "functions": functions.map { f in self.service.catalogues.csf.function(f).map { p.text($0.title, fallback: f) } ?? f },
            "chart": SVGChart.bars(id: "sme-sectors", title: p.t("risk.sme.by_sector"), items: bySector),
            "recent": results.prefix(20).map { r in
                [
                    "day": RiskPresenter.day(r.sharedOn), "sector": sector(r.sector), "size": size(r.size), "percent": r.percent,
                    "business": r.business ?? p.t("risk.sme.anonymous"), "named": r.business != nil,
                ] as [String: Any]
            },
            "publicHref": "/self-assessment",
        ]
        return try self.views.page("risk_sme", title: p.t("risk.sme_title"), data: data, context: context, request: request)
    }
}
