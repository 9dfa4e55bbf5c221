import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The JSON API under `/api/v1`, authenticated by bearer tokens.
struct APIController {
    let accounts: AccountService

    func addRoutes(to router: Router<AppContext>) {
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.get("/me", use: self.me)
        api.get("/users", use: self.listUsers)
        api.post("/users", use: self.createUser)
        api.patch("/users/:username", use: self.updateUser)
        api.post("/users/:username/reset-password", use: self.resetPassword)
        api.get("/tokens", use: self.listTokens)
        api.post("/tokens", use: self.createToken)
        api.delete("/tokens/:id", use: self.revokeToken)
        api.get("/audit", use: self.audit)
    }

    // MARK: shapes

    struct UserOut: Codable, Sendable {
        var username: String
        var displayName: String
        var role: Role
        var disabled: Bool
        var language: Language?
        var createdAt: Date

        init(_ user: User) {
            self.username = user.username
            self.displayName = user.displayName
            self.role = user.role
            self.disabled = user.disabled
            self.language = user.language
            self.createdAt = user.createdAt
        }
    }

    struct TokenOut: Codable, Sendable {
        var id: UUID
        var name: String
        var prefix: String
        var createdAt: Date
        var lastUsedAt: Date?
        var revokedAt: Date?

        init(_ token: APIToken) {
            self.id = token.id
            self.name = token.name
            self.prefix = token.prefix
            self.createdAt = token.createdAt
            self.lastUsedAt = token.lastUsedAt
            self.revokedAt = token.revokedAt
        }
    }

    struct CreateUser: Decodable {
        var username: String
        var displayName: String?
        var role: String
        var password: String?
        static let fields: Set<String> = ["username", "displayName", "role", "password"]
    }

    struct CreatedUser: Codable, Sendable {
        var user: UserOut
        /// Present when the server generated the password; shown once.
        var password: String?
    }

    struct UpdateUser: Decodable {
        var role: String?
        var disabled: Bool?
        static let fields: Set<String> = ["role", "disabled"]
    }

    struct ResetPassword: Decodable {
        var password: String?
        var revokeTokens: Bool?
        static let fields: Set<String> = ["password", "revokeTokens"]
    }

    struct NewPassword: Codable, Sendable { var password: String }

    struct CreateToken: Decodable {
        var name: String
        static let fields: Set<String> = ["name"]
    }

    struct CreatedToken: Codable, Sendable {
        var token: TokenOut
        /// The secret to send as `Authorization: Bearer …`; shown once.
        var secret: String
    }

    struct AuditOut: Codable, Sendable {
        struct Entry: Codable, Sendable {
            var sequence: Int64
            var at: Date
            var actor: String?
            var action: String
            var target: String?
            var address: String?
            var detail: String?
        }
        var entries: [Entry]
        /// Pass as `before` to read older entries; absent on the last page.
        var next: Int64?
    }

    static func role(_ text: String) throws(AppError) -> Role {
        guard let role = Role(rawValue: text) else {
            throw .invalidFields([.init(field: "role", reason: "must be one of admin, analyst, viewer")])
        }
        return role
    }

    // MARK: handlers

    @Sendable func me(request: Request, context: AppContext) async throws -> JSONResponse<UserOut> {
        JSONResponse(value: UserOut(try context.requireUser()))
    }

    @Sendable func listUsers(request: Request, context: AppContext) async throws -> JSONResponse<[UserOut]> {
        _ = try context.requireRole(.admin)
        return JSONResponse(value: try await self.accounts.store.users().map(UserOut.init))
    }

    @Sendable func createUser(request: Request, context: AppContext) async throws -> JSONResponse<CreatedUser> {
        let admin = try context.requireRole(.admin)
        let input = try await JSONInput.decode(CreateUser.self, from: request, allowedFields: CreateUser.fields)
        let role = try Self.role(input.role)
        let password = input.password ?? Secrets.readablePassword()
        let user = try await self.accounts.createUser(
            username: input.username, displayName: input.displayName, role: role, password: password, by: .user(admin),
            address: context.address)
        return JSONResponse(status: .created, value: CreatedUser(user: UserOut(user), password: input.password == nil ? password : nil))
    }

    @Sendable func updateUser(request: Request, context: AppContext) async throws -> JSONResponse<UserOut> {
        let admin = try context.requireRole(.admin)
        let username = context.parameters.get("username") ?? ""
        let input = try await JSONInput.decode(UpdateUser.self, from: request, allowedFields: UpdateUser.fields)
        let role = try input.role.map(Self.role)
        var user = try await self.accounts.user(named: username)
        if let role { user = try await self.accounts.setRole(username: username, role: role, by: .user(admin), address: context.address) }
        if let disabled = input.disabled {
            user = try await self.accounts.setDisabled(username: username, disabled: disabled, by: .user(admin), address: context.address)
        }
        return JSONResponse(value: UserOut(user))
    }

    @Sendable func resetPassword(request: Request, context: AppContext) async throws -> JSONResponse<NewPassword> {
        let admin = try context.requireRole(.admin)
        let username = context.parameters.get("username") ?? ""
        let input = try await JSONInput.decode(ResetPassword.self, from: request, allowedFields: ResetPassword.fields)
        let password = try await self.accounts.resetPassword(
            username: username, newPassword: input.password, revokeTokens: input.revokeTokens ?? false, by: .user(admin), address: context.address)
        return JSONResponse(value: NewPassword(password: password))
    }

    @Sendable func listTokens(request: Request, context: AppContext) async throws -> JSONResponse<[TokenOut]> {
        let user = try context.requireUser()
        return JSONResponse(value: try await self.accounts.store.tokens(userID: user.id).map(TokenOut.init))
    }

    @Sendable func createToken(request: Request, context: AppContext) async throws -> JSONResponse<CreatedToken> {
        let user = try context.requireUser()
        let input = try await JSONInput.decode(CreateToken.self, from: request, allowedFields: CreateToken.fields)
        let (token, secret) = try await self.accounts.createAPIToken(for: user, name: input.name, address: context.address)
        return JSONResponse(status: .created, value: CreatedToken(token: TokenOut(token), secret: secret))
    }

    @Sendable func revokeToken(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireUser()
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw AppError.notFound("no such active token")
        }
        try await self.accounts.revokeAPIToken(id: id, of: user, address: context.address)
        return Response(status: .noContent)
    }

    @Sendable func audit(request: Request, context: AppContext) async throws -> JSONResponse<AuditOut> {
        _ = try context.requireRole(.admin)
        let query = request.uri.queryParameters
        let limit = try AuditQuery.limit(query["limit"].map(String.init))
        let before = try AuditQuery.before(query["before"].map(String.init))
        let entries = try await self.accounts.store.auditEntries(limit: limit, before: before)
        return JSONResponse(
            value: AuditOut(
                entries: entries.map {
                    .init(
                        sequence: $0.sequence, at: $0.event.at, actor: $0.event.actor, action: $0.event.action.rawValue,
                        target: $0.event.target, address: $0.event.address, detail: $0.event.detail)
                }, next: entries.count == limit ? entries.last?.sequence : nil))
    }
}

/// Authenticates API requests by `Authorization: Bearer <token>`.
struct BearerMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let accounts: AccountService

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw AppError.unauthenticated
        }
        let secret = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard let user = try await self.accounts.authenticate(bearer: secret) else { throw AppError.unauthenticated }
        var context = context
        context.user = user
        if let language = user.language { context.language = language }
        return try await next(request, context)
    }
}
