import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Cookie names, in one place.
enum CookieName {
    static let session = "confianza_session"
    static let csrf = "confianza_csrf"
    static let language = "confianza_lang"
}

/// Whether any user exists yet. Once one does, the answer never changes (users are disabled, not
/// deleted), so the database is asked only until then.
final class SetupState: Sendable {
    private let hasUsers = Mutex(false)
    let store: any AccountStore

    init(store: any AccountStore) { self.store = store }

    func isSetUp() async throws -> Bool {
        if self.hasUsers.withLock({ $0 }) { return true }
        let count = try await self.store.userCount()
        if count > 0 { self.hasUsers.withLock { $0 = true } }
        return count > 0
    }
}

/// Works out who is asking and in which language, checks the anti-forgery token of every form, and
/// sends people who are not signed in to the login page.
struct IdentityMiddleware: RouterMiddleware {
    typealias Context = AppContext

    let accounts: AccountService
    let configuration: ServerConfiguration
    let setup: SetupState
    let views: Views
    /// Sign-ins in progress per address.
    let signIns = InFlight(limit: 8)

    /// Paths anyone may open. The API authenticates on its own (bearer tokens).
    static func isPublic(_ path: String) -> Bool {
        path == "/login" || path == "/language" || path == "/healthz" || path == "/metrics" || path == "/openapi.json"
            || path.hasPrefix("/invite/") || path == "/public" || path.hasPrefix("/public/") || path == "/self-assessment"
            || path.hasPrefix("/self-assessment/")
            || path.hasPrefix("/static/") || path.hasPrefix("/api/") || path == "/taxii2" || path.hasPrefix("/taxii2/")
    }

    static let formLimit = 64 * 1024
    /// Forms that carry a pasted file may be larger.
    static let largeFormLimit = 8 * 1024 * 1024
    static let largeForms: Set<String> = ["/constituency/import", "/assessment/frameworks", "/risk/matrices", "/knowledge/import"]
    /// Forms that upload a file (`multipart/form-data`): an evidence document, with room for the form around it.
    static let uploadLimit = EvidenceDocuments.maxSize + 64 * 1024
    static func isUpload(_ path: String) -> Bool {
        (path.hasPrefix("/assessment/") && path.hasSuffix("/evidence/document")) || path == "/assessment/frameworks" || path == "/risk/matrices" || path == "/knowledge/import"
    }

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        do {
            return try await self.identify(request, context: &context, next: next)
        } catch {
            // Errors of this middleware itself (a forged form, the database gone); the routes' own
            // errors were answered by the ErrorMiddleware inside.
            return ErrorMiddleware(views: self.views).render(error, request: request, context: context)
        }
    }

    private func identify(
        _ request: Request, context: inout AppContext, next: (Request, AppContext) async throws -> Response
    ) async throws -> Response {
        var request = request
        if self.configuration.trustProxy, let name = HTTPField.Name("X-Forwarded-For"), let forwarded = request.headers[name] {
            // The proxy appends the address it saw: the right-most entry. Those to its left came from the client, who may write anything.
            let last = forwarded.split(separator: ",").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            if !last.isEmpty { context.address = last }
        }
        let path = request.uri.path
        let cookies = request.cookies
        let texts = self.views.localizer
        context.language =
            cookies[CookieName.language].flatMap { Language(rawValue: $0.value) }.flatMap { texts.has($0) ? $0 : nil }
            ?? Language.negotiate(acceptLanguage: request.headers[.acceptLanguage], among: texts.languages) ?? .english
        if path.hasPrefix("/api/") || path == "/taxii2" || path.hasPrefix("/taxii2/") { return try await next(request, context) }

        // The anonymous anti-forgery token (double-submit cookie), replaced by the session's once signed in.
        var newCSRFCookie: String?
        if let existing = cookies[CookieName.csrf]?.value, existing.count == 43 {
            context.csrfToken = existing
        } else {
            let token = Secrets.randomToken()
            context.csrfToken = token
            newCSRFCookie = token
        }

        var staleSession = false
        if let token = cookies[CookieName.session]?.value {
            if let (user, session) = try await self.accounts.authenticate(sessionToken: token) {
                context.user = user
                context.session = session
                context.sessionToken = token
                context.csrfToken = session.csrfToken
                if let language = user.language { context.language = language }
            } else {
                staleSession = true
            }
        }

        var response: Response
        if !Self.isPublic(path) || path == "/login", try await !self.setup.isSetUp() {
            response = try self.views.page(
                "setup", title: self.views.localizer.text("setup.title", context.language),
                data: ["command": self.configuration.firstAdminCommand], context: context, request: request,
                status: .serviceUnavailable)
        } else if context.user == nil, !Self.isPublic(path) {
            // Not signed in: sent to sign in before a byte of a form's body is read.
            var target = "/login?next=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
            if staleSession { target += "&expired=1" }
            response = Response.redirect(to: target, type: .normal)
        } else if request.method == .post, path == "/login" {
            // Sign-ins in progress from one address are few at a time: beyond that a flood is turned
            // away here, before its form is read, at the cost of a line.
            guard let place = self.signIns.enter(context.address) else {
                var busy = Response(
                    status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8", .retryAfter: "5"],
                    body: .init(byteBuffer: ByteBuffer(string: self.views.localizer.text("login.busy", context.language) + "\n")))
                busy.headers[.cacheControl] = "no-store"
                return busy
            }
            defer { self.signIns.leave(place) }
            try await self.readForm(&request, into: &context)
            response = try await next(request, context)
        } else {
            if request.method == .post { try await self.readForm(&request, into: &context) }
            response = try await next(request, context)
        }

        if let newCSRFCookie {
            response.setCookie(
                Cookie(
                    name: CookieName.csrf, value: newCSRFCookie, path: "/", secure: self.configuration.secureCookies,
                    httpOnly: true, sameSite: .strict))
        }
        if staleSession && context.user == nil {
            response.setCookie(Self.expiredSessionCookie(secure: self.configuration.secureCookies))
        }
        return response
    }

    /// Reads a submitted form, refusing it unless it carries this page's anti-forgery token and comes
    /// from this site.
    private func readForm(_ request: inout Request, into context: inout AppContext) async throws {
        if let origin = request.headers[.origin], origin != "null",
            let originHost = URLComponents(string: origin)?.host, let host = request.head.authority
        {
            let requestHost = host.split(separator: ":").first.map(String.init) ?? host
            guard originHost.lowercased() == requestHost.lowercased() else { throw AppError.csrf }
        }
        let rawContentType = request.headers[.contentType] ?? ""
        let contentType = rawContentType.lowercased()
        if Self.isUpload(request.uri.path), let boundary = MultipartForm.boundary(contentType: rawContentType) {
            let buffer: ByteBuffer
            do {
                buffer = try await request.collectBody(upTo: Self.uploadLimit)
            } catch {
                throw AppError.payloadTooLarge(Self.uploadLimit)
            }
            let parsed = try MultipartForm.parse(buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? [], boundary: boundary)
            context.form = FormFields(values: parsed.fields)
            context.files = parsed.files
            guard let sent = context.form["_csrf"], Secrets.constantTimeEquals(sent, context.csrfToken) else { throw AppError.csrf }
            return
        }
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw AppError.unsupportedMediaType("forms must be sent as application/x-www-form-urlencoded")
        }
        let limit = Self.largeForms.contains(request.uri.path) ? Self.largeFormLimit : Self.formLimit
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw AppError.payloadTooLarge(limit)
        }
        guard let text = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes),
            text.utf8.count == buffer.readableBytes
        else { throw AppError.badRequest("the form is not valid UTF-8", field: nil) }
        context.form = try FormFields.parse(text)
        guard let sent = context.form["_csrf"], Secrets.constantTimeEquals(sent, context.csrfToken) else {
            throw AppError.csrf
        }
    }

    static func expiredSessionCookie(secure: Bool) -> Cookie {
        Cookie(name: CookieName.session, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}

/// Requests in progress per key (a client's address), at most `limit` each.
final class InFlight: Sendable {
    let limit: Int
    private let counts = Mutex<[String: Int]>([:])

    init(limit: Int) { self.limit = limit }

    /// A place for `key`, or `nil` when it already has `limit` in progress.
    func enter(_ key: String) -> String? {
        self.counts.withLock { counts in
            let current = counts[key, default: 0]
            guard current < self.limit else { return nil }
            counts[key] = current + 1
            return key
        }
    }

    func leave(_ key: String) {
        self.counts.withLock { counts in
            let left = counts[key, default: 1] - 1
            counts[key] = left > 0 ? left : nil
        }
    }
}
