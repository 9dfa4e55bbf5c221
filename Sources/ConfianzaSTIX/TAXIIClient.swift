import ConfianzaCore
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Why a pull from a peer's TAXII server stopped, with what the server said.
public struct TAXIIClientError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Pulls a collection from a peer's TAXII 2.1 server, page by page, and takes in its indicators.
///
/// Paging follows `next` while sending the same filters again; without `next` it goes on from the
/// page's `X-TAXII-Date-Added-Last`. After each page the last `date_added` taken in is recorded, so a
/// pull that stops (network, crash) resumes where it was, and the next pull fetches only what is new.
/// Tolerates what real servers send: empty `{}` pages, `+00:00` offsets, numeric `http_status`.
public struct TAXIIClient: Sendable {
    public struct Credentials: Sendable {
        public var authorization: String?

        public static func basic(user: String, password: String) -> Credentials {
            Credentials(authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }

        public static func bearer(_ token: String) -> Credentials { Credentials(authorization: "Bearer \(token)") }
        public static let none = Credentials(authorization: nil)
    }

    public struct Summary: Sendable, Equatable {
        public var pages = 0
        public var objects = 0
        public var indicatorsAdded = 0
        public var indicatorsUpdated = 0
        public var indicatorsUnchanged = 0
        /// Objects that are not indicators (kept only as context by the peer).
        public var otherObjects = 0
        /// Indicators that could not be read, with the reason.
        public var refused: [String] = []
        /// Where the next pull starts.
        public var checkpoint: String?
    }

    /// Pulled indicators go to the indicator store; checkpoints to the TAXII store.
    public typealias Storage = any TAXIIStore & IndicatorStore

    let store: Storage
    let collectionURL: URL
    let credentials: Credentials
    let pageSize: Int
    let source: String
    let session: URLSession

    /// `apiRoot` is the peer's API root (`https://peer.example/taxii2/root/`); `collection` its id.
    public init(store: Storage, apiRoot: String, collection: String, credentials: Credentials, pageSize: Int = 500) throws(TAXIIClientError) {
        var root = apiRoot.trimmingCharacters(in: .whitespaces)
        if !root.hasSuffix("/") { root += "/" }
        guard let url = URL(string: root + "collections/" + collection + "/"), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else { throw TAXIIClientError("'\(apiRoot)' is not an http(s) URL of a TAXII API root") }
        guard !collection.isEmpty, collection.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw TAXIIClientError("'\(collection)' is not a collection id")
        }
        self.store = store
        self.collectionURL = url
        self.credentials = credentials
        self.pageSize = max(1, min(pageSize, 1000))
        self.source = "\(root)|\(collection)"
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        // Credentials go in the Authorization header; a challenge means they were refused. Without a
        // delegate that says so, Foundation on Linux waits forever on a 401 with WWW-Authenticate.
        self.session = URLSession(configuration: configuration, delegate: RefuseChallenges(), delegateQueue: nil)
    }

    /// Pulls everything added since the last pull (or since `since`, when given).
    public func pull(since: String? = nil, maxPages: Int = .max, now: @Sendable () -> Date = { Date() }) async throws -> Summary {
        var summary = Summary()
        var checkpoint = since
        if checkpoint == nil { checkpoint = try await self.store.pullCheckpoint(source: self.source) }
        summary.checkpoint = checkpoint
        // While following `next`, the first request's filters are sent again unchanged.
        var requestAddedAfter = checkpoint
        var next: String?
        while summary.pages < maxPages {
            var components = URLComponents(url: self.collectionURL.appendingPathComponent("objects/"), resolvingAgainstBaseURL: false)
            var items = [URLQueryItem(name: "limit", value: String(self.pageSize))]
            if let requestAddedAfter { items.append(URLQueryItem(name: "added_after", value: requestAddedAfter)) }
            if let next { items.append(URLQueryItem(name: "next", value: next)) }
            components?.queryItems = items
            guard let url = components?.url else { throw TAXIIClientError("cannot build the objects URL") }
            let (body, last) = try await self.get(url)
            summary.pages += 1
            guard case .object(let envelope) = body else { throw TAXIIClientError("\(url.absoluteString): the answer is not a TAXII envelope") }
            var objects: [JSONValue] = []
            var more = false
            if case .array(let list)? = envelope["objects"] { objects = list }
            if case .bool(let flag)? = envelope["more"] { more = flag }
            try await self.take(objects, into: &summary, now: now())
            // Progress is recorded only once the page is taken in.
            if let last {
                summary.checkpoint = last
                try await self.store.setPullCheckpoint(source: self.source, addedAfter: last, at: now())
            }
            guard more, !objects.isEmpty else { break }
            if case .string(let token)? = envelope["next"], !token.isEmpty {
                next = token
            } else if let last {
                next = nil
                requestAddedAfter = last
            } else {
                throw TAXIIClientError("the server says there is more but gives neither next nor X-TAXII-Date-Added-Last: cannot page")
            }
        }
        return summary
    }

    /// What a peer's server said of objects we sent.
    public struct PushResult: Sendable, Equatable {
        public var accepted: Int
        public var pending: Int
        /// Each refused object with the server's reason.
        public var refused: [String]
    }

    /// Sends objects to the peer's collection (what "share with peer" does when the peer has a TAXII
    /// server): one envelope, and the server's status read back. Throws when the server refuses the
    /// request as a whole.
    public func push(_ objects: [JSONValue]) async throws -> PushResult {
        let body = Data(JSONValue.object(["objects": .array(objects)]).text.utf8)
        guard body.count <= 10 * 1024 * 1024 else { throw TAXIIClientError("the bundle is larger than 10 MB: share fewer events") }
        var request = URLRequest(url: self.collectionURL.appendingPathComponent("objects/"))
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = 30
        request.setValue(TAXIIMediaType.taxii, forHTTPHeaderField: "Accept")
        request.setValue(TAXIIMediaType.taxii, forHTTPHeaderField: "Content-Type")
        if let authorization = self.credentials.authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (json, http) = try await self.send(request)
        guard http.statusCode == 200 || http.statusCode == 202 else {
            throw TAXIIClientError("\(self.collectionURL.absoluteString): HTTP \(http.statusCode) to our objects")
        }
        guard case .object(let fields)? = json else { throw TAXIIClientError("\(self.collectionURL.absoluteString): the answer is not a TAXII status") }
        func count(_ key: String) -> Int {
            if case .integer(let value)? = fields[key] { return Int(value) }
            return 0
        }
        var refused: [String] = []
        if case .array(let failures)? = fields["failures"] {
            for case .object(let failure) in failures {
                var line = "?"
                if case .string(let id)? = failure["id"] { line = id }
                if case .string(let message)? = failure["message"] { line += ": \(message)" }
                refused.append(line)
            }
        }
        return PushResult(accepted: count("success_count"), pending: count("pending_count"), refused: refused)
    }

    /// Sends a request; returns its JSON (if any) and status, or throws with the server's reason.
    private func send(_ request: URLRequest) async throws -> (JSONValue?, HTTPURLResponse) {
        let url = request.url?.absoluteString ?? "the server"
        let data: Data
        let response: URLResponse
        do { (data, response) = try await self.session.data(for: request) } catch let error as URLError where error.code == .cancelled {
            throw TAXIIClientError("\(url): HTTP 401: the server refused the credentials (check the user and token given)")
        } catch {
            throw TAXIIClientError("\(request.url?.host ?? "the server"): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { throw TAXIIClientError("\(url): not an HTTP answer") }
        let json = try? JSONReader.parse(String(decoding: data, as: UTF8.self))
        guard (200..<300).contains(http.statusCode) else {
            var reason = "HTTP \(http.statusCode)"
            if case .object(let error)? = json {
                if case .string(let title)? = error["title"] { reason += " \(title)" }
                if case .string(let description)? = error["description"] { reason += ": \(description)" }
            }
            if http.statusCode == 401 { reason += " (check the user and token given)" }
            throw TAXIIClientError("\(url): \(reason)")
        }
        return (json, http)
    }

    private func take(_ objects: [JSONValue], into summary: inout Summary, now: Date) async throws {
        summary.objects += objects.count
        let read = STIXImporter.indicators(in: objects, source: "TAXII \(self.collectionURL.absoluteString)", now: now)
        summary.otherObjects += read.skipped
        summary.refused += read.refused.map(\.description)
        let own = try await TAXIIService.onlyFromTheirSource(read.indicators, store: self.store)
        summary.indicatorsUnchanged += read.indicators.count - own.count
        guard !own.isEmpty else { return }
        let counts = try await self.store.upsertIndicators(own)
        summary.indicatorsAdded += counts.added
        summary.indicatorsUpdated += counts.replaced
        summary.indicatorsUnchanged += counts.unchanged
    }

    /// GETs a TAXII resource: its JSON, and its `X-TAXII-Date-Added-Last` header.
    private func get(_ url: URL) async throws -> (JSONValue, String?) {
        var request = URLRequest(url: url)
        request.setValue(TAXIIMediaType.taxii, forHTTPHeaderField: "Accept")
        if let authorization = self.credentials.authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (json, http) = try await self.send(request)
        let contentType = http.value(forHTTPHeaderField: "Content-Type") ?? ""
        guard contentType.lowercased().contains("json") else { throw TAXIIClientError("\(url.absoluteString): answered \(contentType), not TAXII JSON") }
        guard let json else { throw TAXIIClientError("\(url.absoluteString): the answer is not JSON") }
        var last = http.value(forHTTPHeaderField: "X-TAXII-Date-Added-Last")
        if let value = last, STIXObjects.micros(value) == nil { last = nil }
        return (json, last)
    }
}

/// Turns an authentication challenge into a refusal (see ``TAXIIClient``).
final class RefuseChallenges: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}
