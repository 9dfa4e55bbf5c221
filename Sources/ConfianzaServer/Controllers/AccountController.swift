import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// A user's own account: language, password, API tokens.
struct AccountController {
    let accounts: AccountService
    let views: Views
    let configuration: ServerConfiguration

    func addRoutes(to router: Router<AppContext>) {
        router.get("/account", use: self.show)
        router.post("/account/language", use: self.setLanguage)
        router.post("/account/password", use: self.changePassword)
        router.post("/account/tokens", use: self.createToken)
        router.post("/account/tokens/:id/revoke", use: self.revokeToken)
    }

    @Sendable func show(request: Request, context: AppContext) async throws -> Response {
        let flash: Views.Flash? =
            request.uri.queryParameters["saved"] != nil
            ? .init(kind: .ok, text: self.views.localizer.text("account.saved", context.language)) : nil
        return try await self.render(request: request, context: context, flash: flash)
    }

    func render(
        request: Request, context: AppContext, flash: Views.Flash? = nil, newToken: (name: String, secret: String)? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let user = try context.requireSignedIn()
        let localizer = self.views.localizer
        let language = context.language
        let tokens = try await self.accounts.store.tokens(userID: user.id).map { token in
            [
                "id": token.id.uuidString, "name": token.name, "prefix": token.prefix, "created": TimeFormat.minute(token.createdAt),
                "lastUsed": token.lastUsedAt.map(TimeFormat.minute) ?? localizer.text("account.never", language),
                "state": localizer.text(token.revokedAt == nil ? "account.token_active" : "account.token_revoked", language),
                "active": token.revokedAt == nil,
            ] as [String: Any]
        }
        var data: [String: Any] = [
            "user": ["username": user.username, "roleLabel": localizer.text("role.\(user.role.rawValue)", language)],
            "hasLanguage": user.language != nil,
            "languages": localizer.languages.map {
                ["code": $0.rawValue, "name": localizer.nativeName($0), "chosen": $0 == user.language] as [String: Any]
            },
            "tokens": tokens, "hasTokens": !tokens.isEmpty,
        ]
        if let newToken { data["newToken"] = ["name": newToken.name, "secret": newToken.secret] }
        return try self.views.page(
            "account", title: localizer.text("account.title", language), data: data, context: context, request: request,
            flash: flash, status: status)
    }

    @Sendable func setLanguage(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireSignedIn()
        let code = context.form["language"] ?? ""
        let language: Language?
        if code.isEmpty {
            language = nil
        } else if let chosen = Language(rawValue: code), self.views.localizer.has(chosen) {
            language = chosen
        } else {
            let codes = self.views.localizer.languages.map(\.rawValue).joined(separator: ", ")
            throw AppError.badRequest("language must be empty or one of \(codes)", field: "language")
        }
        _ = try await self.accounts.setLanguage(user: user, language: language)
        var response = Response.redirect(to: "/account?saved=1", type: .normal)
        if language == nil {
            response.setCookie(Cookie(name: CookieName.language, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax))
        }
        return response
    }

    @Sendable func changePassword(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireSignedIn()
        do {
            try await self.accounts.changePassword(
                user: user, current: context.form["currentPassword"] ?? "", new: context.form["newPassword"] ?? "",
                address: context.address)
        } catch let error as AccountError {
            return try await self.render(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .badRequest)
        }
        var response = Response.redirect(to: "/login?password-changed=1", type: .normal)
        response.setCookie(IdentityMiddleware.expiredSessionCookie(secure: self.configuration.secureCookies))
        return response
    }

    @Sendable func createToken(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireSignedIn()
        do {
            let (token, secret) = try await self.accounts.createAPIToken(for: user, name: context.form["name"] ?? "", address: context.address)
            return try await self.render(request: request, context: context, newToken: (token.name, secret))
        } catch let error as AccountError {
            return try await self.render(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .badRequest)
        }
    }

    @Sendable func revokeToken(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireSignedIn()
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw AppError.notFound("no such token")
        }
        try await self.accounts.revokeAPIToken(id: id, of: user, address: context.address)
        return Response.redirect(to: "/account?saved=1", type: .normal)
    }
}
