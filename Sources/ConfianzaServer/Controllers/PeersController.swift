import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The registry of peer CIRTs: who they are, their TLP ceiling, their TAXII server. The TAXII
/// credential is written, never shown.
struct PeersController {
    let store: any PeerStore
    let incidents: IncidentService
    let accounts: AccountService
    let views: Views

    func addRoutes(to router: Router<AppContext>) {
        router.get("/peers", use: self.list)
        router.post("/peers", use: self.create)
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.get("/peers", use: self.apiList)
        api.post("/peers", use: self.apiCreate)
    }

    private func t(_ key: String, _ context: AppContext) -> String { self.views.localizer.text(key, context.language) }

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        try await self.render(request: request, context: context)
    }

    private func render(request: Request, context: AppContext, flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok, form: FormFields = FormFields())
        async throws -> Response
    {
        let user = try context.requireUser()
        let peers = try await self.store.peers().map { peer -> [String: Any] in
            [
                "name": peer.name, "country": peer.country, "contact": peer.contact, "tlp": peer.tlpCeiling.rawValue, "taxii": peer.taxiiURL ?? "",
                "collection": peer.taxiiCollection ?? "", "hasCredential": peer.taxiiSecret != nil,
            ]
        }
        let data: [String: Any] = [
            "peers": peers, "hasPeers": !peers.isEmpty, "canEdit": user.role.includes(.analyst),
            "form": ["name": form["name"] ?? "", "country": form["country"] ?? "", "contact": form["contact"] ?? "", "taxiiURL": form["taxiiURL"] ?? "",
                     "taxiiCollection": form["taxiiCollection"] ?? "", "taxiiUsername": form["taxiiUsername"] ?? ""],
            "tlps": TLP.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == (form["tlpCeiling"] ?? TLP.amber.rawValue)] as [String: Any] },
        ]
        return try self.views.page("peers", title: self.t("peers.title", context), data: data, context: context, request: request, flash: flash, status: status)
    }

    @Sendable func create(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let form = context.form
        do {
            _ = try await self.incidents.savePeer(
                PeerDraft(
                    name: form["name"] ?? "", country: form["country"] ?? "", contact: form["contact"] ?? "", tlpCeiling: form["tlpCeiling"] ?? "",
                    taxiiURL: form["taxiiURL"] ?? "", taxiiCollection: form["taxiiCollection"] ?? "", taxiiUsername: form["taxiiUsername"] ?? "",
                    taxiiSecret: form["taxiiSecret"] ?? ""), by: user.username, address: context.address)
            return Response.redirect(to: "/peers", type: .normal)
        } catch let error as IncidentError {
            return try await self.render(request: request, context: context, flash: .init(kind: .error, text: self.views.localizer.say(error, context.language)), status: .unprocessableContent, form: form)
        } catch StoreError.duplicate {
            return try await self.render(
                request: request, context: context, flash: .init(kind: .error, text: "a peer named '\(form["name"] ?? "")' is already recorded"), status: .conflict,
                form: form)
        }
    }

    struct PeerOut: Codable, Sendable {
        var id: UUID
        var name: String
        var country: String
        var contact: String
        var tlpCeiling: String
        var taxiiURL: String?
        var taxiiCollection: String?
        var taxiiUsername: String?
        var hasCredential: Bool

        init(_ peer: Peer) {
            self.id = peer.id
            self.name = peer.name
            self.country = peer.country
            self.contact = peer.contact
            self.tlpCeiling = peer.tlpCeiling.rawValue
            self.taxiiURL = peer.taxiiURL
            self.taxiiCollection = peer.taxiiCollection
            self.taxiiUsername = peer.taxiiUsername
            self.hasCredential = peer.taxiiSecret != nil
        }
    }

    @Sendable func apiList(request: Request, context: AppContext) async throws -> JSONResponse<[PeerOut]> {
        _ = try context.requireUser()
        return JSONResponse(value: try await self.store.peers().map(PeerOut.init))
    }

    struct PeerIn: Decodable {
        var name: String
        var country: String
        var contact: String
        var tlpCeiling: String?
        var taxiiURL: String?
        var taxiiCollection: String?
        var taxiiUsername: String?
        var taxiiSecret: String?
        static let fields: Set<String> = ["name", "country", "contact", "tlpCeiling", "taxiiURL", "taxiiCollection", "taxiiUsername", "taxiiSecret"]
    }

    @Sendable func apiCreate(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let input = try await JSONInput.decode(PeerIn.self, from: request, allowedFields: PeerIn.fields)
        let peer: Peer
        do {
            peer = try await self.incidents.savePeer(
                PeerDraft(
                    name: input.name, country: input.country, contact: input.contact, tlpCeiling: input.tlpCeiling ?? "TLP:AMBER", taxiiURL: input.taxiiURL ?? "",
                    taxiiCollection: input.taxiiCollection ?? "", taxiiUsername: input.taxiiUsername ?? "", taxiiSecret: input.taxiiSecret ?? ""),
                by: user.username, address: context.address)
        } catch StoreError.duplicate {
            throw AppError.conflict("a peer named '\(input.name)' is already recorded", field: "name")
        }
        return try JSONResponse(status: .created, value: PeerOut(peer)).response(from: request, context: context)
    }
}
