import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// Signing in and out, and choosing the language.
struct AuthController {
    let accounts: AccountService
    let views: Views
    let configuration: ServerConfiguration

    func addRoutes(to router: Router<AppContext>) {
        router.get("/login", use: self.loginForm)
        router.post("/login", use: self.login)
        router.post("/logout", use: self.logout)
        router.post("/language", use: self.chooseLanguage)
    }

    /// Only same-site paths are followed after login, never another site.
    /// Where to go after signing in: a local path only (no scheme, no host, no `//` or `\\` anywhere, no
    /// control character), else the overview.
    static func safeNext(_ value: String?) -> String {
        guard let value, value.hasPrefix("/"), !value.contains("//"), !value.contains("\\"), value.utf8.count < 512,
            !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{7F}" })
        else { return "/" }
        return value
    }

    @Sendable func loginForm(request: Request, context: AppContext) async throws -> Response {
        if context.user != nil { return Response.redirect(to: "/", type: .normal) }
        let query = request.uri.queryParameters
        var flash: Views.Flash?
        if query["expired"] != nil { flash = .init(kind: .info, text: self.views.localizer.text("login.expired", context.language)) }
        if query["signed-out"] != nil { flash = .init(kind: .ok, text: self.views.localizer.text("login.signed_out", context.language)) }
        if query["password-changed"] != nil {
            flash = .init(kind: .ok, text: self.views.localizer.text("account.password_changed", context.language))
        }
        return try self.views.page(
            "login", title: self.views.localizer.text("login.title", context.language),
            data: ["next": Self.safeNext(query["next"].map(String.init)), "username": ""], context: context, request: request,
            flash: flash)
    }

    @Sendable func login(request: Request, context: AppContext) async throws -> Response {
        let username = context.form["username"] ?? ""
        let password = context.form["password"] ?? ""
        let next = Self.safeNext(context.form["next"])
        let signIn: AccountService.SignIn
        do {
            guard !username.isEmpty, !password.isEmpty, username.count <= 64, password.utf8.count <= 200 else {
                throw AccountError.invalidCredentials
            }
            signIn = try await self.accounts.login(username: username, password: password, address: context.address)
        } catch let error as AccountError {
            let status: HTTPResponse.Status
            var retryAfter: Int?
            switch error {
            case .rateLimited(let seconds):
                status = .tooManyRequests
                retryAfter = seconds
            case .busy:
                status = .serviceUnavailable
                retryAfter = 5
            default: status = .unauthorized
            }
            let text = self.views.localizer.say(error.phrase ?? Phrase("login.failed"), context.language)
            var response = try self.views.page(
                "login", title: self.views.localizer.text("login.title", context.language),
                data: ["next": next, "username": String(username.prefix(64))], context: context, request: request,
                flash: .init(kind: .error, text: text), status: status)
            if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
        var response = Response.redirect(to: next, type: .normal)
        response.setCookie(
            Cookie(
                name: CookieName.session, value: signIn.cookieToken, path: "/", secure: self.configuration.secureCookies,
                httpOnly: true, sameSite: .lax))
        return response
    }

    @Sendable func logout(request: Request, context: AppContext) async throws -> Response {
        if let user = context.user, let token = context.sessionToken {
            try await self.accounts.logout(sessionToken: token, user: user, address: context.address)
        }
        var response = Response.redirect(to: "/login?signed-out=1", type: .normal)
        response.setCookie(IdentityMiddleware.expiredSessionCookie(secure: self.configuration.secureCookies))
        return response
    }

    @Sendable func chooseLanguage(request: Request, context: AppContext) async throws -> Response {
        guard let code = context.form["language"], let language = Language(rawValue: code), self.views.localizer.has(language) else {
            let codes = self.views.localizer.languages.map(\.rawValue).joined(separator: ", ")
            throw AppError.badRequest("language must be one of \(codes)", field: "language")
        }
        if let user = context.user {
            _ = try await self.accounts.setLanguage(user: user, language: language)
        }
        var response = Response.redirect(to: Self.safeNext(context.form["next"]), type: .normal)
        response.setCookie(
            Cookie(
                name: CookieName.language, value: language.rawValue, maxAge: 365 * 24 * 3600, path: "/",
                secure: self.configuration.secureCookies, httpOnly: true, sameSite: .lax))
        return response
    }
}
