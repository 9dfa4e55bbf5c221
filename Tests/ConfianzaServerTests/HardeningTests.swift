import ConfianzaCore
import ConfianzaSTIX
import ConfianzaServer
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
}
