import ConfianzaCore
import ConfianzaFeeds
import ConfianzaSTIX
@testable import ConfianzaServer
import ConfianzaStore
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import Testing

/// Issue 12's smaller items, each with a test that fails on the code before it.
@Suite struct HardeningTests {
    /// After signing in, `next` is followed only when it is a local path: no `//` anywhere, no backslash,
    /// no control character (item 6).
    @Test(arguments: [
        ("/incidents/7", "/incidents/7"), ("/events?ip=198.51.100.0%2F24", "/events?ip=198.51.100.0%2F24"), ("//evil.example/", "/"),
        ("/\\evil.example", "/"), ("https://evil.example/", "/"), ("/a//evil.example", "/"), ("/\t/evil.example", "/"), ("/x\r\nSet-Cookie: a=b", "/"),
        ("/x\u{7F}", "/"), ("", "/"),
    ])
    func signingInGoesOnlyToALocalPath(next: String, expected: String) async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            try await browser.get("/login")
            let response = try await browser.post("/login", [("username", "ana"), ("password", TestApp.password), ("next", next)])
            #expect(response.status == .seeOther)
            #expect(response.location == expected, "\(next.debugDescription)")
        }
    }

    /// Behind a proxy (`--trust-proxy`), the client's address is the right-most `X-Forwarded-For` entry:
    /// the one the proxy appended. The others came from the client, who may write anything (item 6).
    @Test func theAddressIsTheOneTheProxySaw() async throws {
        try await TestApp.run(configuration: ServerConfiguration(trustProxy: true)) { client, dependencies in
            let browser = Browser(client)
            try await browser.get("/login")
            _ = try await browser.post(
                "/login", [("username", "ana"), ("password", "wrong password here")], headers: [HTTPField.Name("X-Forwarded-For")!: "192.0.2.66, 203.0.113.9"])
            let entry = try await dependencies.store.auditEntries(limit: 1, before: nil).first
            #expect(entry?.event.address == "203.0.113.9")
        }
    }

    /// A form sent to a page that needs signing in, without a session, is sent to sign in before its
    /// body is read: an anonymous 9 MB body is not even looked at (item 6).
    @Test func formBodiesAreReadAfterAuthentication() async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            try await browser.get("/login")
            let huge = String(repeating: "a", count: 9 * 1024 * 1024)
            let response = try await browser.post("/constituency/import", [("content", huge)])
            #expect(response.status == .seeOther, "not 413: the body was not read")
            #expect(response.location?.hasPrefix("/login?next=") == true)
        }
    }

    /// Sign-ins in progress from one address are few at a time; beyond them the answer is a line,
    /// before the form is read (item 4).
    @Test func signInsInProgressPerAddressAreBounded() {
        let places = InFlight(limit: 2)
        let first = places.enter("192.0.2.1")
        let second = places.enter("192.0.2.1")
        #expect(first != nil && second != nil)
        #expect(places.enter("192.0.2.1") == nil, "a third at once is turned away")
        #expect(places.enter("192.0.2.2") != nil, "another address is not")
        places.leave("192.0.2.1")
        #expect(places.enter("192.0.2.1") != nil)
    }

    /// `/healthz` says the database is not answering without echoing why (the reason can name hosts,
    /// users and paths: it goes to the log); `/metrics` with a token answers only that token (item 6).
    @Test func healthSaysLittleAndMetricsCanBeRestricted() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-closed-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let closed = try await SQLStore.open(.sqlite(path: path), logger: TestDatabase.logger)
        try await closed.withRunning { _ in }
        let app = buildApplication(configuration: ServerConfiguration(), dependencies: try await TestApp.dependencies(closed))
        try await app.test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .serviceUnavailable)
            let body = String(buffer: health.body)
            #expect(body.contains("not answering") && !body.contains(path) && !body.lowercased().contains("sqlite error"), "\(body)")
        }
        let token = "metrics-token-0123456789"
        try await TestApp.run(configuration: ServerConfiguration(metricsToken: token)) { client, _ in
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong-token-0123456789"]).status == .unauthorized)
            let allowed = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(allowed.status == .ok && String(buffer: allowed.body).contains("confianza_incidents_open"))
        }
        try await TestApp.run { client, _ in
            let open = try await client.execute(uri: "/metrics", method: .get)
            #expect(open.status == .ok, "without a token, as before")
        }
    }

    /// Disabling a user, or resetting a password with its tokens revoked, ends TAXII access at once,
    /// although the server remembers TAXII credentials for a few seconds (item 6).
    @Test func credentialChangesReachTheTAXIICacheAtOnce() async throws {
        try await TestApp.run { client, dependencies in
            let ana = try await dependencies.accounts.user(named: "ana")
            let (_, secret) = try await dependencies.accounts.createAPIToken(for: ana, name: "taxii", address: "test")
            let headers: HTTPFields = [.authorization: "Bearer \(secret)", .accept: TAXIIMediaType.taxii]
            #expect(try await client.execute(uri: "/taxii2/root/collections/", method: .get, headers: headers).status == .ok)
            let admin = Browser(client)
            try await admin.login("root")
            try await admin.get("/admin/users")
            #expect(try await admin.post("/admin/users/ana/reset-password", [("revokeTokens", "on")]).status == .ok)
            #expect(try await client.execute(uri: "/taxii2/root/collections/", method: .get, headers: headers).status == .unauthorized)
            let actions = try await dependencies.store.auditEntries(limit: 3, before: nil).map(\.event.action)
            #expect(actions.prefix(2) == [.userTokensRevoked, .userPasswordReset])

            let vera = try await dependencies.accounts.user(named: "vera")
            let (_, other) = try await dependencies.accounts.createAPIToken(for: vera, name: "taxii", address: "test")
            let veraHeaders: HTTPFields = [.authorization: "Bearer \(other)", .accept: TAXIIMediaType.taxii]
            #expect(try await client.execute(uri: "/taxii2/root/collections/", method: .get, headers: veraHeaders).status == .ok)
            try await admin.get("/admin/users")
            _ = try await admin.post("/admin/users/vera/disable", [])
            #expect(try await client.execute(uri: "/taxii2/root/collections/", method: .get, headers: veraHeaders).status == .unauthorized)
        }
    }

    /// The export streams a whole search, page after page of the database (item 8): 10,500 events, more
    /// than one query of the list returns (10,000), each once, in the list's order.
    @Test func theExportStreamsAWholeSearch() async throws {
        try await TestApp.run { client, dependencies in
            let lines = (0..<10_500).map { n in
                #"{"source.ip":"10.\#(n / 62_500).\#(n / 250 % 250).\#(n % 250 + 1)","classification.type":"scanner","time.source":"2024-05-01T00:\#(String(format: "%02d", n / 60 % 60)):\#(String(format: "%02d", n % 60))+00:00"}"#
            }.joined(separator: "\n") + "\n"
            _ = try await dependencies.ingest.ingest(fileName: "many.jsonl", format: .intelmq, source: "test", open: { MemoryChunks(Array(lines.utf8)) })
            let token = try await makeToken(dependencies, for: "ana")
            let jsonl = try await client.execute(uri: "/api/v1/events/export", method: .get, headers: bearer(token))
            #expect(jsonl.status == .ok)
            let rows = String(buffer: jsonl.body).split(separator: "\n")
            #expect(rows.count == 10_500 && Set(rows).count == 10_500)
            let csv = try await client.execute(uri: "/api/v1/events/export?format=csv&limit=4001", method: .get, headers: bearer(token))
            #expect(String(buffer: csv.body).split(separator: "\r\n").count == 4_002, "a header and 4,001 rows")
            let listed = try await dependencies.store.events(matching: EventQuery(limit: 10_000)).map { $0.event["source.ip"]?.description ?? "" }
            let exported = rows.compactMap { line -> String? in
                guard case .object(let fields) = try? JSONReader.parse(String(line)), case .string(let ip)? = fields["source.ip"] else { return nil }
                return ip
            }
            #expect(Array(exported.prefix(10_000)) == listed, "in the list's order")
        }
    }

    /// The held-reply forms and the API's `revokeTokens` take bad input as a clear refusal that changes
    /// nothing: a held id that is not an id, or not this incident's, a viewer, a wrong JSON type.
    @Test func heldRepliesAndTokenRevocationRefuseBadInput() async throws {
        try await TestApp.run { client, dependencies in
            let service = IncidentService(store: dependencies.store)
            let incident = try await service.create(.init(title: "Phishing", type: "phishing", severity: .high, tlp: .amber), by: "ana")
            let other = try await service.create(.init(title: "Other", type: "phishing", severity: .low, tlp: .amber), by: "ana")
            guard case .held(let heldID) = try await service.addReply(incident.id, from: "x@attacker.example", subject: "RE", text: "close it", by: "mail") else {
                Issue.record("not held")
                return
            }
            let analyst = Browser(client)
            try await analyst.login("ana")
            try await analyst.get("/incidents/\(incident.number)")
            for path in ["/incidents/\(incident.number)/held/not-an-id/file", "/incidents/\(incident.number)/held/\(UUID().uuidString)/discard",
                         "/incidents/\(other.number)/held/\(heldID.uuidString)/file"] {
                let answer = try await analyst.post(path, [])
                #expect(answer.status == .notFound, "\(path): \(answer.status)")
            }
            let viewer = Browser(client)
            try await viewer.login("vera")
            try await viewer.get("/incidents/\(incident.number)")
            #expect(try await viewer.post("/incidents/\(incident.number)/held/\(heldID.uuidString)/file", []).status == .forbidden)
            #expect(try await dependencies.store.heldReplies(incidentID: incident.id).map(\.id) == [heldID], "still held")

            let admin = try await makeToken(dependencies, for: "root")
            let vera = try await dependencies.accounts.user(named: "vera")
            let (_, kept) = try await dependencies.accounts.createAPIToken(for: vera, name: "kept", address: "test")
            for body in [#"{"revokeTokens": "yes"}"#, #"{"revokeTokens": true, "extra": 1}"#, #"{"revokeTokens": tru"#] {
                let answer = try await client.execute(
                    uri: "/api/v1/users/vera/reset-password", method: .post, headers: bearer(admin, json: true), body: ByteBuffer(string: body))
                #expect(answer.status == .badRequest || answer.status == .unprocessableContent, "\(body): \(answer.status)")
            }
            #expect(try await dependencies.accounts.authenticate(bearer: kept) != nil, "nothing was revoked")
            _ = try await dependencies.accounts.login(username: "vera", password: TestApp.password, address: "test")  // password unchanged
        }
    }

    /// An indicator import is audited with who, from where and what it changed (item 6).
    @Test func indicatorImportsAreAudited() async throws {
        try await TestApp.run { client, dependencies in
            let token = try await makeToken(dependencies, for: "ana")
            let bundle = JSONValue.object(["type": .string("bundle"), "id": .string("bundle--00000000-0000-4000-8000-000000000001"),
                                           "objects": .array([TAXIIConformanceTests.version(3, modified: "2024-05-01T00:00:00.000Z")])]).text
            var headers = bearer(token)
            headers[.contentType] = "application/json"
            let response = try await client.execute(uri: "/api/v1/indicators/import?source=feed-x", method: .post, headers: headers, body: ByteBuffer(string: bundle))
            #expect(response.status == .ok)
            let entry = try #require(try await dependencies.store.auditEntries(limit: 1, before: nil).first?.event)
            #expect(entry.action == .indicatorsImported && entry.actor == "ana" && entry.target == "feed-x")
            #expect(entry.detail == "1 added, 0 updated, 0 unchanged, 0 skipped")
        }
    }

    /// The export takes the limits its OpenAPI description states (item 8): up to 100,000, not the
    /// list's 1,000.
    @Test func theExportTakesTheLimitItsDescriptionStates() async throws {
        try await TestApp.run { client, dependencies in
            let token = try await makeToken(dependencies, for: "ana")
            for (limit, status) in [("100000", HTTPResponse.Status.ok), ("1001", .ok), ("1", .ok), ("0", .badRequest), ("100001", .badRequest)] {
                let response = try await client.execute(uri: "/api/v1/events/export?format=csv&limit=\(limit)", method: .get, headers: bearer(token))
                #expect(response.status == status, "limit \(limit)")
            }
            #expect(try await client.execute(uri: "/api/v1/events?limit=1001", method: .get, headers: bearer(token)).status == .badRequest)
        }
    }
}

/// Every bounded integer query parameter the OpenAPI document states is taken at its bounds (API and
/// pages), and refused just past them by the API: the document and the server cannot drift apart
/// unnoticed (issue 12, item 8).
@Suite struct DocumentedBoundsTests {
    @Test func everyDocumentedBoundIsKept() async throws {
        try await TestApp.run { client, dependencies in
            let token = try await makeToken(dependencies, for: "root")
            let browser = Browser(client)
            try await browser.login("root")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: dependencies.views.openAPI)) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var checked = 0
            for (path, operations) in paths.sorted(by: { $0.key < $1.key }) where !path.contains("{") {
                guard let get = operations["get"] as? [String: Any], let parameters = get["parameters"] as? [[String: Any]] else { continue }
                for parameter in parameters where parameter["in"] as? String == "query" {
                    guard let name = parameter["name"] as? String, let schema = parameter["schema"] as? [String: Any],
                        schema["type"] as? String == "integer"
                    else { continue }
                    var cases: [(Int, Bool)] = []
                    if let minimum = schema["minimum"] as? Int { cases += [(minimum, true), (minimum - 1, false)] }
                    if let maximum = schema["maximum"] as? Int { cases += [(maximum, true), (maximum + 1, false)] }
                    for (value, accepted) in cases {
                        let uri = "\(path)?\(name)=\(value)"
                        let response =
                            path.hasPrefix("/api/")
                            ? try await client.execute(uri: uri, method: .get, headers: bearer(token)) : try await browser.get(uri)
                        if accepted {
                            #expect(response.status == .ok, "\(uri) is within the documented bounds")
                        } else if path.hasPrefix("/api/") {
                            // The API refuses; a page may read a page number below 1 as the first page.
                            #expect(response.status == .badRequest || response.status == .unprocessableContent, "\(uri) is outside them: \(response.status)")
                        }
                        checked += 1
                    }
                }
            }
            #expect(checked >= 20, "the document states bounds on the lists' limits and offsets")
        }
    }
}

/// TAXII as the specification says (issue 12, item 7): an answer with nothing to return leaves `objects`
/// out, and `match[version]` takes several values, or-ed.
@Suite struct TAXIIConformanceTests {
    static func version(_ n: Int, modified: String) -> JSONValue {
        .object([
            "type": .string("indicator"), "spec_version": .string("2.1"), "id": .string("indicator--\(String(format: "%08d", n))-0000-4000-8000-000000000000"),
            "created": .string("2024-05-01T00:00:00.000Z"), "modified": .string(modified),
            "pattern": .string("[ipv4-addr:value = '198.51.100.\(n)']"), "pattern_type": .string("stix"), "valid_from": .string("2024-05-01T00:00:00Z"),
            "object_marking_refs": .array([.string(STIXMarking.id(.green))]),
        ])
    }

    @Test func emptyAnswersLeaveObjectsOutAndVersionsAreOred() async throws {
        try await TestApp.run { client, dependencies in
            let setup = try await TAXIIHTTPTests.setUp(dependencies.store)
            let base = "/taxii2/root/collections/\(setup.collection.id.uuidString.lowercased())/"
            let headers = TAXIIHTTPTests.basic(setup.token)
            for endpoint in ["objects/", "manifest/"] {
                let empty = try await client.execute(uri: base + endpoint, method: .get, headers: headers)
                #expect(empty.status == .ok)
                #expect(try TAXIIHTTPTests.json(empty)["objects"] == nil, "\(endpoint): nothing to return, no objects member")
                #expect(try TAXIIHTTPTests.json(empty)["more"] == .bool(false))
            }
            var post = headers
            post[.contentType] = TAXIIMediaType.taxii
            for modified in ["2024-05-01T00:00:00.000Z", "2024-05-02T00:00:00.000Z", "2024-05-03T00:00:00.000Z"] {
                let added = try await client.execute(
                    uri: base + "objects/", method: .post, headers: post, body: TAXIIHTTPTests.envelope([Self.version(1, modified: modified)]))
                #expect(added.status == .accepted)
            }
            func versions(_ match: String) async throws -> [String] {
                let page = try await client.execute(uri: base + "objects/?match[version]=\(match)", method: .get, headers: headers)
                #expect(page.status == .ok, "\(match)")
                guard case .array(let objects)? = try TAXIIHTTPTests.json(page)["objects"] else { return [] }
                return objects.compactMap { if case .object(let o) = $0, case .string(let m)? = o["modified"] { m } else { nil } }.sorted()
            }
            #expect(try await versions("first,last") == ["2024-05-01T00:00:00.000Z", "2024-05-03T00:00:00.000Z"])
            #expect(try await versions("last,2024-05-02T00:00:00.000Z") == ["2024-05-02T00:00:00.000Z", "2024-05-03T00:00:00.000Z"])
            #expect(try await versions("first,all").count == 3, "all is all")
            #expect(try await versions("last") == ["2024-05-03T00:00:00.000Z"])
            let bad = try await client.execute(uri: base + "objects/?match[version]=first,soon", method: .get, headers: headers)
            #expect(bad.status == .badRequest)
        }
    }

    /// The attack the issue reproduced (item 1): a peer with write access POSTs one of our objects' ids
    /// with `modified` in 2099, a new pattern and `revoked: true`. Another peer still reads ours from the
    /// object, versions, objects and manifest endpoints; the sender reads its own copy beside ours.
    @Test func aPeerCannotRewriteWhatOthersRead() async throws {
        try await TestApp.run { client, dependencies in
            let setup = try await TAXIIHTTPTests.setUp(dependencies.store)
            let ours = Self.version(7, modified: "2024-05-01T00:00:00.000Z")
            _ = try await TAXIIService(store: dependencies.store).publish([ours], tlp: .green)
            guard case .object(var forged) = Self.version(7, modified: "2099-01-01T00:00:00.000Z") else { return }
            forged["revoked"] = .bool(true)
            forged["pattern"] = .string("[ipv4-addr:value = '203.0.113.1']")
            var post = TAXIIHTTPTests.basic(setup.token)
            post[.contentType] = TAXIIMediaType.taxii
            let base = "/taxii2/root/collections/green/"
            let added = try await client.execute(uri: base + "objects/", method: .post, headers: post, body: TAXIIHTTPTests.envelope([.object(forged)]))
            #expect(try TAXIIHTTPTests.json(added)["success_count"] == .integer(1))
            let id = "indicator--00000007-0000-4000-8000-000000000000"
            func read(_ path: String, _ token: String) async throws -> String {
                String(buffer: try await client.execute(uri: base + path, method: .get, headers: TAXIIHTTPTests.basic(token)).body)
            }
            for path in ["objects/\(id)/", "objects/", "manifest/", "objects/\(id)/versions/", "objects/?match[version]=all"] {
                let answer = try await read(path, setup.readOnlyToken)
                #expect(answer.contains("2024-05-01T00:00:00.000Z"), "\(path)")
                #expect(!answer.contains("2099") && !answer.contains("revoked"), "\(path): another peer's version is not ours")
            }
            let own = try await read("objects/\(id)/versions/", setup.token)
            #expect(own.contains("2099-01-01T00:00:00.000Z") && own.contains("2024-05-01T00:00:00.000Z"), "the sender reads its copy and ours")
        }
    }

    /// For any one reader the manifest and the objects listing name the same (id, version) pairs, and
    /// each manifest record fetched by its id and version returns that object: an observable (no
    /// `modified`) is named by its date_added in both.
    @Test func manifestAndObjectsNameTheSamePairs() async throws {
        try await TestApp.run { client, dependencies in
            let setup = try await TAXIIHTTPTests.setUp(dependencies.store)
            let address: JSONValue = .object([
                "type": .string("ipv4-addr"), "spec_version": .string("2.1"), "id": .string(STIXID.observable("ipv4-addr", value: "198.51.100.9")),
                "value": .string("198.51.100.9"),
            ])
            let identity: JSONValue = .object([
                "type": .string("identity"), "spec_version": .string("2.1"), "id": .string("identity--00000000-0000-4000-8000-0000000000c1"),
                "created": .string("2024-05-01T00:00:00Z"), "name": .string("CIRT"), "identity_class": .string("organization"),
            ])
            _ = try await TAXIIService(store: dependencies.store).publish(
                [address, identity, Self.version(1, modified: "2024-05-01T00:00:00.000Z"), Self.version(1, modified: "2024-05-02T00:00:00.000Z"),
                 Self.version(2, modified: "2024-05-01T00:00:00.000Z")], tlp: .green)
            for token in [setup.token, setup.readOnlyToken] {
                for match in ["last", "all", "first"] {
                    func pairs(_ endpoint: String) async throws -> [String] {
                        var found: [String] = []
                        var next: String?
                        repeat {
                            let uri = "/taxii2/root/collections/green/\(endpoint)/?limit=2&match[version]=\(match)" + (next.map { "&next=\($0)" } ?? "")
                            let page = try TAXIIHTTPTests.json(try await client.execute(uri: uri, method: .get, headers: TAXIIHTTPTests.basic(token)))
                            if case .array(let items)? = page["objects"] {
                                for case .object(let item) in items {
                                    guard case .string(let id)? = item["id"] else { continue }
                                    var version = ""
                                    for key in ["version", "modified", "created"] {
                                        if version.isEmpty, case .string(let text)? = item[key] { version = text }
                                    }
                                    found.append("\(id) \(version)")
                                }
                            }
                            next = page["next"].flatMap { if case .string(let text) = $0 { text } else { nil } }
                        } while next != nil
                        return found
                    }
                    let manifest = try await pairs("manifest")
                    let objects = try await pairs("objects")
                    #expect(manifest.count == objects.count && !manifest.isEmpty, "\(match)")
                    // Observables carry no version: compare ids there, and every pair elsewhere.
                    #expect(manifest.map { $0.hasPrefix("ipv4-addr") ? String($0.prefix { $0 != " " }) : $0 }
                        == objects.map { $0.hasPrefix("ipv4-addr") ? String($0.prefix { $0 != " " }) : $0 }, "\(match)")
                    for record in manifest {
                        let parts = record.split(separator: " ")
                        let uri = "/taxii2/root/collections/green/objects/\(parts[0])/?match[version]=\(parts[1])"
                        let page = try TAXIIHTTPTests.json(try await client.execute(uri: uri, method: .get, headers: TAXIIHTTPTests.basic(token)))
                        guard case .array(let items)? = page["objects"] else {
                            Issue.record("\(record): the manifest names it, the object endpoint does not return it")
                            continue
                        }
                        #expect(items.count == 1, "\(record)")
                    }
                }
            }
        }
    }
}
