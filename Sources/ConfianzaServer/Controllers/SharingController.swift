import ConfianzaCore
import ConfianzaSTIX
import Foundation
import HTTPTypes
import Hummingbird

/// The sharing module's page: our TAXII server's address, its collections (a view per TLP level),
/// which peer may read or add to each, and the peers' tokens. Changing access is for admins: it lets
/// another organisation's tools in.
struct SharingController {
    let store: any Store
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

    private func peer(_ context: AppContext) async throws -> Peer? {
        guard let text = context.form["peer"], let id = UUID(uuidString: text) else { return nil }
        return try await self.store.peer(id: id)
    }

    @Sendable func addCollection(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        let form = context.form
        let title = (form["title"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !title.isEmpty, title.count <= 200 else { return try await self.failure(self.t("sharing.error.title", context), request, context) }
        guard let tlp = TLP(label: form["tlp"] ?? "") else { return try await self.failure(self.t("sharing.error.tlp", context), request, context) }
        let aliasText = (form["alias"] ?? "").trimmingCharacters(in: .whitespaces)
        guard aliasText.count <= 60, aliasText.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            return try await self.failure(self.t("sharing.error.alias", context), request, context)
        }
        let collection = TAXIICollection(
            title: title, description: String((form["description"] ?? "").prefix(1000)), alias: aliasText.isEmpty ? nil : aliasText, tlp: tlp,
            createdAt: Date())
        do { try await self.store.insertCollection(collection) } catch StoreError.duplicate {
            return try await self.failure(self.t("sharing.error.alias_taken", context), request, context)
        }
        try await self.store.appendAudit(
            AuditEvent(at: Date(), actor: user.username, action: .taxiiCollectionAdded, target: title, address: context.address, detail: tlp.rawValue))
        self.collections.invalidate()
        return Response.redirect(to: "/sharing", type: .normal)
    }

    @Sendable func setAccess(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        guard let peer = try await self.peer(context) else { return try await self.failure(self.t("sharing.error.peer", context), request, context) }
        guard let text = context.form["collection"], let id = UUID(uuidString: text), let collection = try await self.store.collection(id: id) else {
            return try await self.failure(self.t("sharing.error.collection", context), request, context)
        }
        let read = context.form["read"] == "on"
        let write = context.form["write"] == "on"
        try await self.store.setGrant(TAXIIGrant(collectionID: collection.id, peerID: peer.id, canRead: read, canWrite: write))
        try await self.store.appendAudit(
            AuditEvent(
                at: Date(), actor: user.username, action: .taxiiGrant, target: "collection \(collection.title)", address: context.address,
                detail: "\(peer.name): read \(read), write \(write)"))
        self.authenticator.invalidate()
        return Response.redirect(to: "/sharing", type: .normal)
    }

    @Sendable func issueToken(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        guard let peer = try await self.peer(context) else { return try await self.failure(self.t("sharing.error.peer", context), request, context) }
        let secret = "cfp_" + Secrets.randomToken()
        try await self.store.insertPeerToken(PeerToken(hash: Secrets.digest(secret), peerID: peer.id, prefix: String(secret.prefix(10)), createdAt: Date()))
        try await self.store.appendAudit(
            AuditEvent(at: Date(), actor: user.username, action: .taxiiTokenIssued, target: "peer \(peer.name)", address: context.address, detail: String(secret.prefix(10))))
        // Shown once, on this answer only (never stored in clear, never in a redirect's URL).
        return try await self.render(request: request, context: context, token: (peer.name, secret))
    }

    @Sendable func revokeTokens(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.admin)
        guard let peer = try await self.peer(context) else { return try await self.failure(self.t("sharing.error.peer", context), request, context) }
        let count = try await self.store.revokePeerTokens(peerID: peer.id, at: Date())
        try await self.store.appendAudit(
            AuditEvent(at: Date(), actor: user.username, action: .taxiiTokenRevoked, target: "peer \(peer.name)", address: context.address, detail: "\(count) tokens"))
        self.authenticator.invalidate()
        return Response.redirect(to: "/sharing", type: .normal)
    }
}
