import ConfianzaCore
import ConfianzaSTIX
import Foundation
import HTTPTypes
import Hummingbird

/// The sharing module's page: our TAXII server's address, its collections (a view per TLP level),
/// which peer may read or add to each, and the peers' tokens. Changing access is for admins: it lets
/// another organisation's tools in.
struct SharingController {
    let store: SharingService.Storage
    let views: Views
    let authenticator: TAXIIAuthenticator
    let collections: CollectionCache

    func addRoutes(to router: Router<AppContext>) {
        router.get("/sharing", use: self.page)
        router.post("/sharing/collections", use: self.addCollection)
        router.post("/sharing/access", use: self.setAccess)
        router.post("/sharing/token", use: self.issueToken)
        router.post("/sharing/revoke", use: self.revokeTokens)
    }

    private func t(_ key: String, _ context: AppContext) -> String { self.views.localizer.text(key, context.language) }

    @Sendable func page(request: Request, context: AppContext) async throws -> Response {
        try await self.render(request: request, context: context)
    }

    private func render(
        request: Request, context: AppContext, flash: Views.Flash? = nil, token: (peer: String, secret: String)? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let user = try context.requireUser()
        let peers = try await self.store.peers()
        let names = Dictionary(peers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        var rows: [[String: Any]] = []
        for collection in try await self.store.collections() {
            let access = try await self.store.grants(collectionID: collection.id).map { grant -> String in
                let rights = [grant.canRead ? self.t("sharing.read", context) : nil, grant.canWrite ? self.t("sharing.write", context) : nil]
                return "\(names[grant.peerID] ?? "?") (\(rights.compactMap { $0 }.joined(separator: ", ")))"
            }
            rows.append([
                "id": collection.id.uuidString.lowercased(), "title": collection.title, "alias": collection.alias ?? "", "tlp": collection.tlp.rawValue,
                "access": access.isEmpty ? "—" : access.joined(separator: "; "),
            ])
        }
        var tokenRows: [[String: Any]] = []
        for peer in peers {
            let live = try await self.store.peerTokens(peerID: peer.id).filter { $0.revokedAt == nil }
            tokenRows.append(["name": peer.name, "ceiling": peer.tlpCeiling.rawValue, "tokens": live.map(\.prefix).joined(separator: ", "), "count": live.count])
        }
        let host = request.head.authority ?? "localhost"
        var data: [String: Any] = [
            "apiRoot": "http://\(host)/taxii2/", "collections": rows, "hasCollections": !rows.isEmpty, "peers": tokenRows, "hasPeers": !peers.isEmpty,
            "peerOptions": peers.map { ["id": $0.id.uuidString, "name": $0.name] }, "objectCount": try await self.store.stixObjectCount(),
            "collectionOptions": rows.map { ["id": $0["id"] ?? "", "title": $0["title"] ?? ""] }, "isAdmin": user.role == .admin,
            "tlps": TLP.allCases.map { ["value": $0.rawValue, "selected": $0 == .green] as [String: Any] },
        ]
        if let token { data["token"] = ["peer": token.peer, "secret": token.secret] }
        return try self.views.page("sharing", title: self.t("sharing.title", context), data: data, context: context, request: request, flash: flash, status: status)
    }

    private func failure(_ text: String, _ request: Request, _ context: AppContext) async throws -> Response {
        try await self.render(request: request, context: context, flash: .init(kind: .error, text: text), status: .unprocessableContent)
    }

    private var service: SharingService { SharingService(store: self.store) }

    /// A refusal, said in the reader's language.
    private func failure(_ error: SharingError, _ request: Request, _ context: AppContext) async throws -> Response {
        let key =
            switch error {
            case .invalid(let field, _): "sharing.error.\(field)"
            case .aliasTaken: "sharing.error.alias_taken"
            case .unknownPeer: "sharing.error.peer"
            case .unknownCollection: "sharing.error.collection"
            }
        return try await self.failure(self.t(key, context), request, context)
    }

    private func uuid(_ name: String, _ context: AppContext) -> UUID? { context.form[name].flatMap(UUID.init(uuidString:)) }

    @Sendable func addCollection(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let form = context.form
        do {
            _ = try await self.service.addCollection(
                title: form["title"] ?? "", tlp: form["tlp"] ?? "", alias: form["alias"] ?? "", description: form["description"] ?? "",
                by: user.username, address: context.address)
        } catch let error as SharingError { return try await self.failure(error, request, context) }
        self.collections.invalidate()
        return Response.redirect(to: "/sharing", type: .normal)
    }

    @Sendable func setAccess(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        guard let peer = self.uuid("peer", context) else { return try await self.failure(self.t("sharing.error.peer", context), request, context) }
        guard let collection = self.uuid("collection", context) else { return try await self.failure(self.t("sharing.error.collection", context), request, context) }
        do {
            try await self.service.setAccess(
                collectionID: collection, peerID: peer, read: context.form["read"] == "on", write: context.form["write"] == "on", by: user.username,
                address: context.address)
        } catch let error as SharingError { return try await self.failure(error, request, context) }
        self.authenticator.invalidate()
        return Response.redirect(to: "/sharing", type: .normal)
    }

    @Sendable func issueToken(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        guard let id = self.uuid("peer", context), let peer = try await self.store.peer(id: id) else {
            return try await self.failure(self.t("sharing.error.peer", context), request, context)
        }
        let secret = try await self.service.issueToken(peerID: peer.id, by: user.username, address: context.address)
        // Shown once, on this answer only (never stored in clear, never in a redirect's URL).
        return try await self.render(request: request, context: context, token: (peer.name, secret))
    }

    @Sendable func revokeTokens(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        guard let peer = self.uuid("peer", context) else { return try await self.failure(self.t("sharing.error.peer", context), request, context) }
        do { _ = try await self.service.revokeTokens(peerID: peer, by: user.username, address: context.address) } catch let error as SharingError {
            return try await self.failure(error, request, context)
        }
        self.authenticator.invalidate()
        return Response.redirect(to: "/sharing", type: .normal)
    }
}
