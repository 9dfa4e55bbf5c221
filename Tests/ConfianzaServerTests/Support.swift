import ConfianzaCore
import ConfianzaFeeds
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import NIOCore
import NIOFoundationEssentialsCompat
import Prometheus
import Synchronization
import Testing

/// Metrics go to one registry for the whole test process (the metrics system is bootstrapped once).
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

enum TestViews {
    static func load() async throws -> Views { try await Views.load() }
}

/// The HTTP application on one store, driven through Hummingbird's test client.
struct TestApp {
    static let password = "correct horse battery"

    static func dependencies(_ store: any Store, views: Views? = nil) async throws -> ServerDependencies {
        var logger = Logger(label: "confianza.test.http")
        logger.logLevel = .critical
        let constituency = ConstituencyService(store: store)
        return ServerDependencies(
            store: store, accounts: AccountService(store: store, hasher: BcryptHasher(cost: 4)), constituency: constituency,
            ingest: IngestPipeline(
                store: store, constituency: constituency, mapping: try ShadowserverMapping.bundled(), incidents: IncidentService(store: store)),
            views: views == nil ? try await TestViews.load() : views!, metrics: TestMetrics.registry, logger: logger, risk: try RiskCatalogues.bundled())
    }

    /// Runs `body` with a client for an app on a fresh store, with users `root` (admin), `ana`
    /// (analyst) and `vera` (viewer) unless `seedUsers` is false.
    static func run(
        _ backend: TestBackend = .sqlite, seedUsers: Bool = true,
        configuration: ServerConfiguration = ServerConfiguration(), views: Views? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol, ServerDependencies) async throws -> Void
    ) async throws {
        try await TestDatabase.withStore(backend) { store in
            let dependencies = try await Self.dependencies(store, views: views)
            if seedUsers { try await Self.seed(dependencies.accounts) }
            let app = buildApplication(configuration: configuration, dependencies: dependencies)
            try await app.test(.router) { client in try await body(client, dependencies) }
        }
    }

    static func seed(_ accounts: AccountService) async throws {
        _ = try await accounts.createUser(username: "root", role: .admin, password: Self.password, by: .console, address: "cli")
        _ = try await accounts.createUser(username: "ana", displayName: "Ana García", role: .analyst, password: Self.password, by: .console, address: "cli")
        _ = try await accounts.createUser(username: "vera", role: .viewer, password: Self.password, by: .console, address: "cli")
    }
}

/// A browser's cookie jar and a few habits: follow what the server says, send forms with the
/// anti-forgery token the last page carried.
final class Browser: Sendable {
    let client: any TestClientProtocol
    private let state = Mutex<(cookies: [String: String], csrf: String?)>(([:], nil))

    init(_ client: any TestClientProtocol) { self.client = client }

    var cookies: [String: String] { self.state.withLock { $0.cookies } }
    var csrf: String? { self.state.withLock { $0.csrf } }

    func setCookie(_ name: String, _ value: String) { self.state.withLock { $0.cookies[name] = value } }

    @discardableResult
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await self.send(uri, method: .get, headers: headers, body: nil)
    }

    /// Posts a form; `_csrf` is added from the last page unless given.
    @discardableResult
    func post(_ uri: String, _ fields: [(String, String)], headers: HTTPFields = [:], csrf: String? = nil) async throws -> TestResponse {
        let token = csrf ?? self.csrf ?? ""
        let all = fields + (fields.contains { $0.0 == "_csrf" } ? [] : [("_csrf", token)])
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await self.send(uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        let jar = self.cookies
        if !jar.isEmpty, headers[.cookie] == nil {
            headers[.cookie] = jar.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        }
        let response = try await self.client.execute(uri: uri, method: method, headers: headers, body: body)
        self.state.withLock { state in
            for header in response.headers[values: .setCookie] {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let name = String(pair[0])
                let value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty || header.contains("Max-Age=0") { state.cookies[name] = nil } else { state.cookies[name] = value }
            }
            if let token = Self.csrfToken(in: String(buffer: response.body)) { state.csrf = token }
        }
        return response
    }

    /// Signs in through the login form.
    @discardableResult
    func login(_ username: String, _ password: String = TestApp.password) async throws -> TestResponse {
        try await self.get("/login")
        let response = try await self.post("/login", [("username", username), ("password", password), ("next", "/")])
        // Follow the redirect, as a browser does: the next page carries the session's form token.
        if response.status == .seeOther, let location = response.location { try await self.get(location) }
        return response
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension TestResponse {
    var text: String { String(buffer: self.body) }
    var location: String? { self.headers[.location] }

    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: self.body))
        return try #require(object as? [String: Any])
    }

    func jsonArray() throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: self.body))
        return try #require(object as? [[String: Any]])
    }
}

/// Makes an API token for a user and returns its secret.
func makeToken(_ dependencies: ServerDependencies, for username: String) async throws -> String {
    let user = try await dependencies.accounts.user(named: username)
    return try await dependencies.accounts.createAPIToken(for: user, name: "test", address: "test").1
}

func bearer(_ secret: String, json: Bool = false) -> HTTPFields {
    var headers: HTTPFields = [.authorization: "Bearer \(secret)"]
    if json { headers[.contentType] = "application/json" }
    return headers
}
