import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The frameworks in use, each file downloadable as loaded, and (for admins) loading a new revision:
/// new weights recompute the validated scores and keep the old ones beside them.
struct AssessmentFrameworksController {
    let service: AssessmentService
    let views: Views

    /// The largest framework file taken.
    static let maxSize = 2 * 1024 * 1024

    func addRoutes(to router: Router<AppContext>) {
        router.get("/assessment/frameworks", use: self.list)
        router.post("/assessment/frameworks", use: self.load)
        router.get("/assessment/frameworks/{framework}/{edition}", use: self.download)
    }

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        try await self.render(request: request, context: context)
    }

    func render(request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try context.requireUser()
        let p = AssessmentPresenter(texts: self.views.localizer, language: context.language)
        let frameworks = try await self.service.store.frameworks().map { stored -> [String: Any] in
            let framework = stored.framework
            return [
                "name": p.frameworkName(framework), "id": framework.id, "edition": framework.edition, "revision": stored.revision,
                "loaded": TimeFormat.minute(stored.loadedAt), "by": stored.loadedBy, "pillars": framework.pillars.count,
                "indicators": framework.pillars.reduce(0) { $0 + $1.indicators.count }, "questions": framework.questions.count,
                "maximum": framework.maximum.formatted(), "tiers": framework.tiers.map { "\(p.tier($0)) ≥ \($0.min.formatted())" }.joined(separator: "; "),
                "rule": framework.evidenceRule == .publicLink ? p.t("assessment.frameworks.public_link") : "", "hasRule": framework.evidenceRule == .publicLink,
                "href": "/assessment/frameworks/\(Self.encode(framework.id))/\(Self.encode(framework.edition))",
            ]
        }
        let data: [String: Any] = ["frameworks": frameworks, "isAdmin": user.role == .admin, "maxMB": Self.maxSize / 1024 / 1024]
        return try self.views.page(
            "assessment_frameworks", title: p.t("assessment.frameworks.title"), data: data, context: context, request: request, flash: flash, status: status)
    }

    static func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_"))) ?? text }

    @Sendable func load(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let texts = self.views.localizer
        let language = context.language
        let file = context.files.first { $0.field == "file" && !$0.filename.isEmpty }
        let text: String
        let name: String
        if let file {
            guard file.data.count <= Self.maxSize else { throw AppError.payloadTooLarge(Self.maxSize) }
            guard let decoded = String(data: file.data, encoding: .utf8) else {
                return try await self.render(
                    request: request, context: context, flash: .init(kind: .error, text: texts.text("assessment.frameworks.not_utf8", language)),
                    status: .unprocessableContent)
            }
            text = decoded
            name = AssessmentService.safeFilename(file.filename)
        } else {
            text = context.form["source"] ?? ""
            name = "framework.json"
        }
        do {
            let (stored, changes) = try await self.service.loadFramework(text, file: name, by: user.username, address: context.address)
            let message = texts.text(
                changes.isEmpty ? "assessment.frameworks.loaded" : "assessment.frameworks.loaded_changes", language,
                ["name": "\(stored.framework.id) \(stored.framework.edition)", "revision": String(stored.revision), "changes": changes.joined(separator: ", ")])
            return try await self.render(request: request, context: context, flash: .init(kind: .ok, text: message))
        } catch let error as AssessmentError {
            // The place in the file (a JSON path or a line) is shown as it is: it names the file, not a word.
            var message = texts.say(error, language)
            if case .file(let fileError) = error {
                switch fileError {
                case .invalid(let file, let path, _): message = "\(file), \(path): \(message)"
                case .notJSON: break
                }
            }
            return try await self.render(request: request, context: context, flash: .init(kind: .error, text: message), status: .unprocessableContent)
        }
    }

    @Sendable func download(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        guard let id = context.parameters.get("framework"), let edition = context.parameters.get("edition"),
            let stored = try await self.service.store.framework(id: id, edition: edition, revision: nil)
        else { throw AppError.notFound("framework") }
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/json; charset=utf-8",
                .contentDisposition: "attachment; filename=\"\(Self.encode(id))-\(Self.encode(edition))-r\(stored.revision).json\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: stored.framework.source)))
    }
}
