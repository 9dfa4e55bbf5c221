import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// Users and the audit log, for admins.
struct AdminController {
    let accounts: AccountService
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/admin/users", use: self.users)
        router.post("/admin/users", use: self.createUser)
        router.post("/admin/users/:username/role", use: self.changeRole)
        router.post("/admin/users/:username/disable") { request, context in
            try await self.setDisabled(true, request: request, context: context)
        }
        router.post("/admin/users/:username/enable") { request, context in
            try await self.setDisabled(false, request: request, context: context)
        }
        router.post("/admin/users/:username/reset-password", use: self.resetPassword)
        router.get("/admin/audit", use: self.audit)
    }

    @Sendable func users(request: Request, context: AppContext) async throws -> Response {
        try await self.renderUsers(request: request, context: context)
    }

    func renderUsers(
        request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        _ = try context.requireRole(.admin)
        let localizer = self.views.localizer
        let language = context.language
        func roles(selected: Role) -> [[String: Any]] {
            // A focal point is made by an invitation for a country, not by choosing the role here.
            Role.allCases.filter { $0 != .focalPoint || $0 == selected }.map {
                ["value": $0.rawValue, "label": localizer.text("role.\($0.rawValue)", language), "selected": $0 == selected]
            }
        }
        let users = try await self.accounts.store.users().map { user in
            [
                "username": user.username, "displayName": user.displayName,
                "roleLabel": localizer.text("role.\(user.role.rawValue)", language),
                "state": localizer.text(user.disabled ? "users.disabled" : "users.active", language),
                "toggleAction": user.disabled ? "enable" : "disable",
                "toggleLabel": localizer.text(user.disabled ? "users.enable" : "users.disable", language),
                "roles": roles(selected: user.role),
            ] as [String: Any]
        }
        return try self.views.page(
            "users", title: localizer.text("users.title", language),
            data: ["users": users, "newRoles": roles(selected: .analyst)], context: context, request: request, flash: flash,
            status: status)
    }

    /// Runs an account change and shows the users page with its outcome.
    private func change(
        request: Request, context: AppContext, _ body: () async throws -> String
    ) async throws -> Response {
        do {
            let message = try await body()
            return try await self.renderUsers(request: request, context: context, flash: .init(kind: .ok, text: message))
        } catch let error as AccountError {
            let status = AppError.from(error).status
            return try await self.renderUsers(
                request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: status)
        }
    }

    @Sendable func createUser(request: Request, context: AppContext) async throws -> Response {
        let admin = try context.requireRole(.admin)
        guard let role = Role(rawValue: context.form["role"] ?? "") else {
            throw AppError.badRequest("role must be one of admin, analyst, viewer", field: "role")
        }
        return try await self.change(request: request, context: context) {
            let given = context.form["password"] ?? ""
            let password = given.isEmpty ? Secrets.readablePassword() : given
            let user = try await self.accounts.createUser(
                username: context.form["username"] ?? "", displayName: context.form["displayName"], role: role, password: password,
                by: .user(admin), address: context.address)
            return self.views.localizer.text(
                "users.created", context.language, ["user": user.username, "password": given.isEmpty ? password : "••••••"])
        }
    }

    @Sendable func changeRole(request: Request, context: AppContext) async throws -> Response {
        let admin = try context.requireRole(.admin)
        let username = context.parameters.get("username") ?? ""
        guard let role = Role(rawValue: context.form["role"] ?? "") else {
            throw AppError.badRequest("role must be one of admin, analyst, viewer", field: "role")
        }
        return try await self.change(request: request, context: context) {
            let user = try await self.accounts.setRole(username: username, role: role, by: .user(admin), address: context.address)
            return self.views.localizer.text("users.updated", context.language, ["user": user.username])
        }
    }

    func setDisabled(_ disabled: Bool, request: Request, context: AppContext) async throws -> Response {
        let admin = try context.requireRole(.admin)
        let username = context.parameters.get("username") ?? ""
        return try await self.change(request: request, context: context) {
            let user = try await self.accounts.setDisabled(
                username: username, disabled: disabled, by: .user(admin), address: context.address)
            return self.views.localizer.text("users.updated", context.language, ["user": user.username])
        }
    }

    @Sendable func resetPassword(request: Request, context: AppContext) async throws -> Response {
        let admin = try context.requireRole(.admin)
        let username = context.parameters.get("username") ?? ""
        return try await self.change(request: request, context: context) {
            let password = try await self.accounts.resetPassword(
                username: username, revokeTokens: context.form["revokeTokens"] == "on", by: .user(admin), address: context.address)
            return self.views.localizer.text("users.password_reset", context.language, ["user": username, "password": password])
        }
    }

    @Sendable func audit(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireRole(.admin)
        let localizer = self.views.localizer
        let language = context.language
        let before = try AuditQuery.before(request.uri.queryParameters["before"].map(String.init))
        let pageSize = 100
        let entries = try await self.accounts.store.auditEntries(limit: pageSize, before: before)
        let rows = entries.map { entry in
            [
                "when": TimeFormat.minute(entry.event.at), "iso": TimeFormat.iso(entry.event.at),
                "who": entry.event.actor ?? localizer.text("audit.console", language), "action": entry.event.action.rawValue,
                "target": entry.event.target ?? "", "address": entry.event.address ?? "", "detail": entry.event.detail ?? "",
            ]
        }
        var data: [String: Any] = ["entries": rows, "hasEntries": !rows.isEmpty]
        if entries.count == pageSize, let last = entries.last { data["older"] = "/admin/audit?before=\(last.sequence)" }
        return try self.views.page("audit", title: localizer.text("audit.title", language), data: data, context: context, request: request)
    }
}

/// Reading the audit log's paging parameters, for the page and the API alike.
enum AuditQuery {
    static func before(_ value: String?) throws(AppError) -> Int64? {
        guard let value else { return nil }
        guard let number = Int64(value), number > 0 else {
            throw .badRequest("before must be a positive entry number", field: "before")
        }
        return number
    }

    static func limit(_ value: String?) throws(AppError) -> Int {
        guard let value else { return 100 }
        guard let number = Int(value), (1...1000).contains(number) else {
            throw .badRequest("limit must be a number from 1 to 1000", field: "limit")
        }
        return number
    }
}
