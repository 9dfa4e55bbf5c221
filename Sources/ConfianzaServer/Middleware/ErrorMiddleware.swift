import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into an answer the client can use: problem JSON (RFC 9457) for the API and for
/// clients that ask for JSON, a page in the user's language for browsers. Unexpected errors are logged
/// with a reference the user can quote, and never shown raw.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppContext

    let views: Views

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return self.render(error, request: request, context: context)
        }
    }

    /// The answer for an error, as JSON or as a page.
    func render(_ error: any Error, request: Request, context: AppContext) -> Response {
        let (appError, reference) = self.classify(error, context: context)
        if Self.wantsJSON(request) {
            return appError.problemResponse(instance: request.uri.path)
        }
        if case .unauthenticated = appError {
            return Response.redirect(to: "/login", type: .normal)
        }
        // A refusal of a module's rules is said in the reader's language on a page.
        if let explained = error as? any ExplainedError, explained.phrase != nil {
            return self.views.errorPage(
                appError, context: context, request: request, reference: reference, saying: self.views.localizer.say(explained, context.language))
        }
        return self.views.errorPage(appError, context: context, request: request, reference: reference)
    }

    private func classify(_ error: any Error, context: AppContext) -> (AppError, String?) {
        switch error {
        case let error as AppError:
            return (error, nil)
        case let error as AccountError:
            return (AppError.from(error), nil)
        case let error as ConstituencyError:
            return (AppError.from(error), nil)
        case let error as IncidentError:
            return (AppError.from(error), nil)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return (.notFound("there is nothing at this address"), nil)
            case .contentTooLarge: return (.payloadTooLarge(context.maxUploadSize), nil)
            case .methodNotAllowed: return (.badRequest("this method is not allowed here", field: nil), nil)
            default: return (.badRequest(error.body ?? error.status.reasonPhrase, field: nil), nil)
            }
        case let error as StoreError:
            let reference = context.id
            context.logger.error("storage error", metadata: ["error": "\(error)", "reference": "\(reference)"])
            return (.unavailable("the database is not answering; reference \(reference)"), reference)
        default:
            let reference = context.id
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "reference": "\(reference)"])
            return (.unavailable("an unexpected error happened; reference \(reference)"), reference)
        }
    }

    /// API paths always get JSON; elsewhere, JSON when the client prefers it to HTML.
    static func wantsJSON(_ request: Request) -> Bool {
        let path = request.uri.path
        if path.hasPrefix("/api/") || path == "/healthz" || path == "/openapi.json" { return true }
        let accept = request.headers[.accept]?.lowercased() ?? ""
        return (accept.contains("application/json") || accept.contains("application/problem+json")) && !accept.contains("text/html")
    }
}

/// Headers that keep pages from being framed, sniffed or fed scripts from elsewhere.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // A response that set its own policy (a stored document's sandbox, the report's one stylesheet) keeps it.
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] =
                "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        if let referrer = HTTPField.Name("Referrer-Policy") { response.headers[referrer] = "same-origin" }
        if let frameOptions = HTTPField.Name("X-Frame-Options") { response.headers[frameOptions] = "DENY" }
        return response
    }
}
