import ConfianzaCore
import ConfianzaSTIX
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The TAXII 2.1 server under `/taxii2/`: discovery, one API root (`/taxii2/root/`), its collections,
/// manifests, objects, versions and statuses. Every answer, errors included, is
/// `application/taxii+json;version=2.1`; paths work with and without their trailing slash.
struct TAXIIController {
    static let apiRoot = "/taxii2/root/"
    static let pageBytes = 8 * 1024 * 1024

    let store: TAXIIService.Storage
    let service: TAXIIService
    let title: String
    let authenticator: TAXIIAuthenticator
    let collectionCache: CollectionCache

    init(store: TAXIIService.Storage, title: String, authenticator: TAXIIAuthenticator, collections: CollectionCache) {
        self.store = store
        self.service = TAXIIService(store: store)
        self.title = title
        self.authenticator = authenticator
        self.collectionCache = collections
    }

    func addRoutes(to router: Router<AppContext>) {
        let taxii = router.group("/taxii2").add(middleware: TAXIIMiddleware(authenticator: self.authenticator))
        taxii.get("", use: self.discovery)
        taxii.get("root", use: self.apiRootInformation)
        taxii.get("root/status/:status", use: self.status)
        taxii.get("root/collections", use: self.collections)
        taxii.get("root/collections/:collection", use: self.collection)
        taxii.get("root/collections/:collection/manifest", use: self.manifest)
        taxii.get("root/collections/:collection/objects", use: self.objects)
        taxii.post("root/collections/:collection/objects", use: self.add)
        taxii.get("root/collections/:collection/objects/:object", use: self.object)
        taxii.delete("root/collections/:collection/objects/:object", use: self.delete)
        taxii.get("root/collections/:collection/objects/:object/versions", use: self.versions)
        // Anything else under /taxii2 is answered as a TAXII error by the TAXIIFallbackMiddleware.
    }

    // MARK: discovery and API root

    @Sendable func discovery(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireTAXII()
        return Self.respond(
            JSONValue.object([
                "title": .string(self.title), "description": .string("TAXII 2.1 server of \(self.title) (Confianza)"),
                "default": .string(Self.apiRoot), "api_roots": .array([.string(Self.apiRoot)]),
            ]).text)
    }

    @Sendable func apiRootInformation(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireTAXII()
        return Self.respond(
            JSONValue.object([
                "title": .string(self.title), "description": .string("Indicators, observations and incidents shared under TLP 2.0"),
                "versions": .array([.string(TAXIIMediaType.taxii)]), "max_content_length": .integer(Int64(TAXIIService.maxContentLength)),
            ]).text)
    }

    @Sendable func status(request: Request, context: AppContext) async throws -> Response {
        let requester = try context.requireTAXII()
        let text = context.parameters.get("status") ?? ""
        // Only the one who sent the objects may read their status; to anyone else it does not exist.
        guard let id = UUID(uuidString: text), let status = try await self.store.status(id: id), status.requester == requester.name else {
            throw TAXIIError.notFound("no status \(text.prefix(60)) of yours")
        }
        return Self.respond(TAXIIBody.status(status))
    }

    // MARK: collections

    @Sendable func collections(request: Request, context: AppContext) async throws -> Response {
        let requester = try context.requireTAXII()
        let visible = try await self.collectionCache.collections().filter(requester.knows)
        let list = visible.map { TAXIIBody.collection($0, canRead: requester.canRead($0), canWrite: requester.canWrite($0)) }
        return Self.respond(JSONValue.object(list.isEmpty ? [:] : ["collections": .array(list)]).text)
    }

    /// The collection in the path (by id or alias), if this requester may know of it.
    private func requireCollection(_ context: AppContext, _ requester: TAXIIRequester) async throws -> TAXIICollection {
        let key = context.parameters.get("collection") ?? ""
        let found = try await self.collectionCache.collections().first { $0.isNamed(key) }
        guard let collection = found, requester.knows(collection) else { throw TAXIIError.notFound("no collection \(key.prefix(60))") }
        return collection
    }

    private func requireReadable(_ context: AppContext) async throws -> (TAXIIRequester, TAXIICollection) {
        let requester = try context.requireTAXII()
        let collection = try await self.requireCollection(context, requester)
        guard requester.canRead(collection) else { throw TAXIIError.forbidden("you may add to collection \(collection.title) but not read it") }
        return (requester, collection)
    }

    @Sendable func collection(request: Request, context: AppContext) async throws -> Response {
        let requester = try context.requireTAXII()
        let collection = try await self.requireCollection(context, requester)
        return Self.respond(TAXIIBody.collection(collection, canRead: requester.canRead(collection), canWrite: requester.canWrite(collection)).text)
    }

    // MARK: lists

    /// Runs a list query: one more row than the page, to know whether there are more.
    private func page(
        _ request: Request, _ endpoint: TAXIIFilters.Endpoint, visibility: STIXVisibility, id: String? = nil
    ) async throws -> (records: ArraySlice<STIXObjectRecord>, more: Bool, bound: Int64?) {
        var query = try TAXIIFilters.query(Self.parameters(request), endpoint: endpoint, visibility: visibility)
        if let id { query.ids = [id] }
        query.pageOnly = endpoint == .objects || endpoint == .object
        let limit = query.limit
        query.limit = limit + 1
        let records = try await self.store.stixObjects(query)
        // A page also stops at about `pageBytes` of objects (at least one), so that a few huge objects
        // cannot make one answer hold gigabytes; `more` and `next` carry on from there.
        var count = 0
        var bytes = 0
        for record in records.prefix(limit) {
            bytes += record.json.utf8.count
            if count > 0, bytes > Self.pageBytes { break }
            count += 1
        }
        return (records.prefix(count), records.count > count, query.lowerBound)
    }

    @Sendable func manifest(request: Request, context: AppContext) async throws -> Response {
        let (requester, collection) = try await self.requireReadable(context)
        let page = try await self.page(request, .manifest, visibility: requester.visibility(in: collection))
        return Self.respond(TAXIIBody.manifest(page.records, more: page.more), dates: page.records, emptyAt: page.bound)
    }

    @Sendable func objects(request: Request, context: AppContext) async throws -> Response {
        let (requester, collection) = try await self.requireReadable(context)
        let page = try await self.page(request, .objects, visibility: requester.visibility(in: collection))
        return Self.respondObjects(page.records, more: page.more, emptyAt: page.bound)
    }

    @Sendable func object(request: Request, context: AppContext) async throws -> Response {
        let page = try await self.objectPage(request, context, .object)
        return Self.respondObjects(page.records, more: page.more, emptyAt: page.bound)
    }

    @Sendable func versions(request: Request, context: AppContext) async throws -> Response {
        let page = try await self.objectPage(request, context, .versions)
        return Self.respond(TAXIIBody.versions(page.records, more: page.more), dates: page.records, emptyAt: page.bound)
    }

    /// A page of the object in the path: 404, the same whether it is absent or not for this requester.
    private func objectPage(
        _ request: Request, _ context: AppContext, _ endpoint: TAXIIFilters.Endpoint
    ) async throws -> (records: ArraySlice<STIXObjectRecord>, more: Bool, bound: Int64?) {
        let (requester, collection) = try await self.requireReadable(context)
        let page = try await self.page(request, endpoint, visibility: requester.visibility(in: collection), id: context.parameters.get("object") ?? "")
        guard !page.records.isEmpty else { throw TAXIIError.notFound("no object with that id in this collection matches the request") }
        return page
    }

    // MARK: changes

    @Sendable func add(request: Request, context: AppContext) async throws -> Response {
        let requester = try context.requireTAXII()
        let collection = try await self.requireCollection(context, requester)
        guard requester.canWrite(collection) else { throw TAXIIError.forbidden("you may not add objects to collection \(collection.title)") }
        let contentType = request.headers[.contentType]
        guard TAXIIMediaType.readable(contentType) else { throw TAXIIError.unsupportedMediaType(String((contentType ?? "none").prefix(100))) }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > TAXIIService.maxContentLength {
            throw TAXIIError.tooLarge(limit: TAXIIService.maxContentLength)
        }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: TAXIIService.maxContentLength) } catch {
            throw TAXIIError.tooLarge(limit: TAXIIService.maxContentLength)
        }
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else { throw TAXIIError.badRequest("the body is not UTF-8") }
        let status = try await self.service.add(text, to: collection, by: requester)
        return Self.respond(TAXIIBody.status(status), status: .accepted)
    }

    @Sendable func delete(request: Request, context: AppContext) async throws -> Response {
        let (requester, collection) = try await self.requireReadable(context)
        guard requester.canWrite(collection) else { throw TAXIIError.forbidden("you may not delete from collection \(collection.title)") }
        let id = context.parameters.get("object") ?? ""
        let filters = try TAXIIFilters.query(Self.parameters(request), endpoint: .delete, visibility: requester.visibility(in: collection))
        // What this requester can see of it decides between 404 (nothing) and 403 (not theirs).
        var probe = filters
        probe.ids = [id]
        probe.limit = 1000
        let visible = try await self.store.stixObjects(probe)
        guard !visible.isEmpty else { throw TAXIIError.notFound("no object with that id in this collection matches the request") }
        // A peer deletes only its own versions (the others stay for everyone else).
        if let peer = requester.peer, !visible.contains(where: { $0.sourcePeer == peer.id }) {
            throw TAXIIError.forbidden("only objects your organisation added can be deleted")
        }
        _ = try await self.store.deleteSTIXObject(
            id: id, visibility: filters.visibility, sentBy: requester.peer?.id, versions: filters.versions, specVersions: filters.specVersions)
        return Self.respond("{}")
    }

    // MARK: helpers

    /// Query parameters as given, in order, decoded (`match%5Bid%5D` is `match[id]`).
    static func parameters(_ request: Request) throws(TAXIIError) -> [(String, String)] {
        guard let query = request.uri.query, !query.isEmpty else { return [] }
        guard query.utf8.count <= 16384 else { throw .badRequest("the query string is too long") }
        var pairs: [(String, String)] = []
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) throws(TAXIIError) -> String {
                guard let value = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw .badRequest("the query string is badly encoded near '\(text.prefix(40))'")
                }
                return value
            }
            pairs.append((try decode(parts[0]), try decode(parts.count > 1 ? parts[1] : "")))
        }
        return pairs
    }

    /// A TAXII answer. A list's page carries `X-TAXII-Date-Added-First/Last`; an empty page carries the
    /// position asked from (`emptyAt`, or the beginning) in both, so that a client that moves its
    /// `added_after` to the header (OpenCTI does, and moves it to "now" when the header is missing,
    /// which would skip what is added meanwhile) stays where it was.
    static func respond(
        _ body: String, status: HTTPResponse.Status = .ok, dates: ArraySlice<STIXObjectRecord>? = nil, emptyAt: Int64? = nil
    ) -> Response {
        var headers: HTTPFields = [.contentType: TAXIIMediaType.taxii]
        if let dates, let first = dates.first, let last = dates.last {
            headers[TAXIIHeader.first] = STIXObjects.text(micros: first.dateAdded)
            headers[TAXIIHeader.last] = STIXObjects.text(micros: last.dateAdded)
        } else if dates != nil {
            let position = STIXObjects.text(micros: emptyAt ?? 0)
            headers[TAXIIHeader.first] = position
            headers[TAXIIHeader.last] = position
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A page of objects, written straight into the response buffer.
    static func respondObjects(_ records: ArraySlice<STIXObjectRecord>, more: Bool, emptyAt: Int64?) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(records.reduce(96) { $0 + $1.json.utf8.count + 1 })
        buffer.writeString(TAXIIBody.objectsHead(records, more: more))
        var first = true
        for record in records {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            first = false
            buffer.writeString(record.json)
        }
        buffer.writeString(TAXIIBody.objectsTail(records))
        var response = Self.respond("", dates: records, emptyAt: emptyAt)
        response.body = .init(byteBuffer: buffer)
        return response
    }
}

enum TAXIIHeader {
    // Both names are valid header names: the force-unwrap-free fallback is never taken.
    static let first = HTTPField.Name("X-TAXII-Date-Added-First") ?? .contentLocation
    static let last = HTTPField.Name("X-TAXII-Date-Added-Last") ?? .contentLocation
}

extension AppContext {
    /// The TAXII requester the ``TAXIIMiddleware`` found.
    func requireTAXII() throws(TAXIIError) -> TAXIIRequester {
        guard let requester = self.taxiiRequester else { throw .unauthorized }
        return requester
    }
}

/// Authenticates TAXII requests and turns every error under `/taxii2/` into a TAXII error message.
struct TAXIIMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let authenticator: TAXIIAuthenticator

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        do {
            guard TAXIIMediaType.acceptable(request.headers[.accept]) else { throw TAXIIError.notAcceptable }
            var context = context
            guard let requester = try await self.authenticator.requester(authorization: request.headers[.authorization]) else {
                throw TAXIIError.unauthorized
            }
            context.taxiiRequester = requester
            return try await next(request, context)
        } catch let error as TAXIIError {
            return Self.response(error)
        } catch let error as HTTPError where error.status == .notFound {
            return Self.response(TAXIIFallbackMiddleware.notFound(request.uri.path))
        } catch {
            context.logger.error("TAXII request failed: \(error)", metadata: ["path": .string(request.uri.path)])
            return Self.response(.internalError)
        }
    }

    static func response(_ error: TAXIIError) -> Response {
        var response = TAXIIController.respond(error.body.text, status: HTTPResponse.Status(code: error.status))
        if error == .unauthorized {
            response.headers[.wwwAuthenticate] = "Basic realm=\"TAXII\", Bearer realm=\"TAXII\""
        }
        return response
    }
}

/// Answers under `/taxii2/` that did not reach a TAXII route (a method no route has, say) as TAXII
/// errors too: clients read every answer as TAXII JSON.
struct TAXIIFallbackMiddleware: RouterMiddleware {
    typealias Context = AppContext

    static func notFound(_ path: String) -> TAXIIError {
        .notFound("no TAXII endpoint at \(path.prefix(200)); the API root is \(TAXIIController.apiRoot)")
    }

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/taxii2" || path.hasPrefix("/taxii2/") else { return try await next(request, context) }
        let response: Response
        do { response = try await next(request, context) } catch let error as HTTPError {
            return TAXIIMiddleware.response(error.status == .notFound ? Self.notFound(path) : .methodNotAllowed)
        }
        if response.headers[.contentType] == TAXIIMediaType.taxii { return response }
        switch response.status {
        case .notFound: return TAXIIMiddleware.response(Self.notFound(path))
        case .methodNotAllowed: return TAXIIMiddleware.response(.methodNotAllowed)
        default: return response.status.code >= 400 ? TAXIIMiddleware.response(.internalError) : response
        }
    }
}

/// The collections, read again at most every few seconds: every TAXII request names one, and they
/// change seldom (a new collection shows within ``lifetime``).
final class CollectionCache: Sendable {
    static let lifetime: TimeInterval = 5
    let store: any TAXIIStore
    private let cached = Mutex<([TAXIICollection], Date)?>(nil)

    init(store: any TAXIIStore) { self.store = store }

    func collections() async throws -> [TAXIICollection] {
        let now = Date()
        if let (list, at) = self.cached.withLock({ $0 }), now.timeIntervalSince(at) < Self.lifetime { return list }
        let list = try await self.store.collections()
        self.cached.withLock { $0 = (list, now) }
        return list
    }

    /// Forgets the list (a collection was added here).
    func invalidate() { self.cached.withLock { $0 = nil } }
}

/// Finds who a TAXII request comes from. HTTP Basic (any user name, the token as password; the
/// scheme in any case, as MISP sends `basic`) and Bearer are read. A staff API token (`cfz_…`) stands
/// for its user; any other token must be one issued to a peer. Answers are remembered for a few
/// seconds so that a client paging through a collection costs one token lookup, not one per page;
/// a user disabled, a token revoked or a right changed empties the cache: at once when done by this
/// process, within a second when done by another (the command line).
final class TAXIIAuthenticator: Sendable {
    static let cacheLifetime: TimeInterval = 10
    static let cacheSize = 1000

    let store: any TAXIIStore & PeerStore
    let accounts: AccountService
    private let cache = Mutex<[String: (TAXIIRequester, Date)]>([:])

    init(store: any TAXIIStore & PeerStore, accounts: AccountService) {
        self.store = store
        self.accounts = accounts
    }

    /// Forgets every remembered answer (rights or tokens changed here).
    func invalidate() { self.cache.withLock { $0 = [:] } }

    /// What the cache was filled under: changes made in this process (seen at once) and the database's
    /// epoch (changes by other processes, such as `confianza user disable`, read at most once a second).
    private let seen = Mutex<(here: Int64, epoch: Int64, checked: Date)>((0, 0, .distantPast))

    /// Empties the cache when a credential or right changed since it was filled.
    private func forgetWhatChanged(now: Date) async throws {
        let store = self.accounts.store
        let here = store.credentialChangesHere
        let (changedHere, due) = self.seen.withLock { ($0.here != here, now.timeIntervalSince($0.checked) >= 1) }
        var epoch: Int64?
        if due { epoch = try await store.credentialEpoch() }
        let stale = self.seen.withLock { seen -> Bool in
            var stale = changedHere
            seen.here = here
            if let epoch {
                stale = stale || epoch != seen.epoch
                seen.epoch = epoch
                seen.checked = now
            }
            return stale
        }
        if stale { self.invalidate() }
    }

    func requester(authorization: String?) async throws -> TAXIIRequester? {
        guard let authorization, authorization.utf8.count <= 1024 else { return nil }
        let key = Secrets.digest(authorization)
        let now = Date()
        try await self.forgetWhatChanged(now: now)
        if let cached = self.cache.withLock({ $0[key] }), now.timeIntervalSince(cached.1) < Self.cacheLifetime { return cached.0 }
        guard let requester = try await self.lookup(authorization) else { return nil }
        self.cache.withLock { cache in
            if cache.count >= Self.cacheSize { cache = cache.filter { now.timeIntervalSince($0.value.1) < Self.cacheLifetime } }
            if cache.count < Self.cacheSize { cache[key] = (requester, now) }
        }
        return requester
    }

    private func lookup(_ authorization: String) async throws -> TAXIIRequester? {
        let parts = authorization.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        var user: String?
        let secret: String
        switch scheme {
        case "bearer":
            secret = parts[1].trimmingCharacters(in: .whitespaces)
        case "basic":
            guard let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            user = String(text[..<colon])
            secret = String(text[text.index(after: colon)...])
        default:
            return nil
        }
        guard !secret.isEmpty, secret.count <= 200 else { return nil }
        if secret.hasPrefix("cfz_") {
            // Staff only: a focal point's token opens their assessments, nothing shared.
            guard let account = try await self.accounts.authenticate(bearer: secret), account.role.includes(.viewer) else { return nil }
            if let user, !user.isEmpty, user != account.username { return nil }
            return .staff(username: account.username, mayWrite: account.role.includes(.analyst))
        }
        guard let token = try await self.store.peerToken(hash: Secrets.digest(secret)), let peer = try await self.store.peer(id: token.peerID) else {
            return nil
        }
        return .peer(peer, grants: try await self.store.grants(peerID: peer.id))
    }
}
