import ConfianzaCore
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct APITests {
    @Test(arguments: TestBackend.available)
    func theAPINeedsAValidBearerToken(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let none = try await client.execute(uri: "/api/v1/me", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer realm=\"confianza\"")
            #expect(none.headers[.contentType] == "application/problem+json")
            #expect(try none.json()["type"] as? String == "urn:confianza:problem:unauthenticated")
            for header in ["Bearer cfz_nope", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer", "cfz_x"] {
                #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: header]).status == .unauthorized)
            }
            let secret = try await makeToken(dependencies, for: "ana")
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(secret))
            #expect(me.status == .ok)
            #expect(try me.json()["username"] as? String == "ana")
            #expect(try me.json()["role"] as? String == "analyst")
        }
    }

    @Test(arguments: TestBackend.available)
    func adminsManageUsersThroughTheAPI(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let admin = try await makeToken(dependencies, for: "root")
            let analyst = try await makeToken(dependencies, for: "ana")
            #expect(try await client.execute(uri: "/api/v1/users", method: .get, headers: bearer(analyst)).status == .forbidden)

            let list = try await client.execute(uri: "/api/v1/users", method: .get, headers: bearer(admin))
            #expect(try list.jsonArray().compactMap { $0["username"] as? String } == ["ana", "root", "vera"])

            let created = try await client.execute(
                uri: "/api/v1/users", method: .post, headers: bearer(admin, json: true),
                body: ByteBuffer(string: #"{"username":"kwame","role":"analyst","displayName":"Kwame Mensah"}"#))
            #expect(created.status == .created)
            let password = try #require(try created.json()["password"] as? String)
            _ = try await dependencies.accounts.login(username: "kwame", password: password, address: "test")

            let patched = try await client.execute(
                uri: "/api/v1/users/kwame", method: .patch, headers: bearer(admin, json: true),
                body: ByteBuffer(string: #"{"role":"viewer","disabled":true}"#))
            #expect(patched.status == .ok)
            #expect(try patched.json()["role"] as? String == "viewer")
            #expect(try patched.json()["disabled"] as? Bool == true)

            let duplicate = try await client.execute(
                uri: "/api/v1/users", method: .post, headers: bearer(admin, json: true),
                body: ByteBuffer(string: #"{"username":"kwame","role":"analyst"}"#))
            #expect(duplicate.status == .conflict)

            let reset = try await client.execute(
                uri: "/api/v1/users/kwame/reset-password", method: .post, headers: bearer(admin, json: true),
                body: ByteBuffer(string: #"{"password":"a fresh long phrase"}"#))
            #expect(try reset.json()["password"] as? String == "a fresh long phrase")

            let missing = try await client.execute(
                uri: "/api/v1/users/ghost", method: .patch, headers: bearer(admin, json: true), body: ByteBuffer(string: #"{"disabled":true}"#))
            #expect(missing.status == .notFound)

            let audit = try await client.execute(uri: "/api/v1/audit?limit=3", method: .get, headers: bearer(admin))
            let entries = try #require(try audit.json()["entries"] as? [[String: Any]])
            #expect(entries.compactMap { $0["action"] as? String } == ["user.password-reset", "user.disabled", "user.role-changed"])
            #expect(try audit.json()["next"] as? Int != nil)
            #expect(try await client.execute(uri: "/api/v1/audit?limit=0", method: .get, headers: bearer(admin)).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/audit?before=x", method: .get, headers: bearer(analyst)).status == .forbidden)
        }
    }

    @Test func tokensAreMadeListedAndRevokedThroughTheAPI() async throws {
        try await TestApp.run { client, dependencies in
            let first = try await makeToken(dependencies, for: "ana")
            let made = try await client.execute(
                uri: "/api/v1/tokens", method: .post, headers: bearer(first, json: true), body: ByteBuffer(string: #"{"name":"MISP"}"#))
            #expect(made.status == .created)
            let secret = try #require(try made.json()["secret"] as? String)
            let token = try #require(try made.json()["token"] as? [String: Any])
            let id = try #require(token["id"] as? String)
            let list = try await client.execute(uri: "/api/v1/tokens", method: .get, headers: bearer(secret))
            #expect(try list.jsonArray().count == 2)
            #expect(!list.text.contains(secret), "secrets are never listed")
            #expect(try await client.execute(uri: "/api/v1/tokens/\(id)", method: .delete, headers: bearer(first)).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/tokens/\(id)", method: .delete, headers: bearer(first)).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(secret)).status == .unauthorized)
            let vera = try await makeToken(dependencies, for: "vera")
            let other = try await client.execute(uri: "/api/v1/tokens/\(UUID().uuidString)", method: .delete, headers: bearer(vera))
            #expect(other.status == .notFound)
        }
    }

    /// Every kind of malformed body gets a 4xx problem that names what is wrong, and nothing changes.
    @Test(arguments: [
        (#"{"username":"x","role":"analyst""#, "application/json", 400, nil as String?),  // truncated
        (#"{"username":42,"role":"analyst"}"#, "application/json", 400, "username"),  // wrong type
        (#"{"username":"newbie"}"#, "application/json", 400, "role"),  // missing field
        (#"{"username":"newbie","role":"overlord"}"#, "application/json", 400, "role"),  // bad value
        (#"{"username":"newbie","role":"viewer","colour":"blue"}"#, "application/json", 400, "colour"),  // unknown field
        (#"{"username":null,"role":"viewer"}"#, "application/json", 400, "username"),  // null
        (#"["username","role"]"#, "application/json", 400, nil),  // not an object
        ("", "application/json", 400, nil),  // empty
        (#"{"username":"newbie","role":"viewer"}"#, "text/plain", 415, nil),  // wrong media type
        (#"{"username":"Bad Name!","role":"viewer"}"#, "application/json", 400, "username"),  // invalid value
        (#"{"username":"newbie","role":"viewer","password":"short"}"#, "application/json", 400, "password"),  // weak password
    ])
    func malformedBodiesAreRefusedNamingTheField(body: String, contentType: String, status: Int, field: String?) async throws {
        try await TestApp.run { client, dependencies in
            let admin = try await makeToken(dependencies, for: "root")
            var headers = bearer(admin)
            headers[.contentType] = contentType
            let response = try await client.execute(uri: "/api/v1/users", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(Int(response.status.code) == status)
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try response.json()
            #expect(problem["status"] as? Int == status)
            #expect((problem["detail"] as? String)?.isEmpty == false)
            if let field {
                let errors = try #require(problem["errors"] as? [[String: Any]])
                #expect(errors.contains { $0["field"] as? String == field }, "\(errors)")
            }
            #expect(try await dependencies.store.userCount() == 3)
        }
    }

    @Test func hugeAndBadlyEncodedBodiesAreRefused() async throws {
        try await TestApp.run { client, dependencies in
            let admin = try await makeToken(dependencies, for: "root")
            let huge = #"{"username":""# + String(repeating: "a", count: 70_000) + #"","role":"viewer"}"#
            let tooBig = try await client.execute(
                uri: "/api/v1/users", method: .post, headers: bearer(admin, json: true), body: ByteBuffer(string: huge))
            #expect(tooBig.status == .contentTooLarge)
            let latin1: [UInt8] = Array(#"{"username":"jos"#.utf8) + [0xe9] + Array(#"","role":"viewer"}"#.utf8)
            let badUTF8 = try await client.execute(
                uri: "/api/v1/users", method: .post, headers: bearer(admin, json: true), body: ByteBuffer(bytes: latin1))
            #expect(badUTF8.status == .badRequest)
            #expect(try badUTF8.json()["detail"] as? String == "the body is not valid UTF-8")
            #expect(try await dependencies.store.userCount() == 3)
        }
    }

    @Test func healthAndMetricsAnswer() async throws {
        try await TestApp.run(.sqlite) { client, _ in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(try health.json()["database"] as? String == "sqlite")
            _ = try await client.execute(uri: "/login", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(metrics.text.contains("confianza_db_pool_size{backend=\"sqlite\"} 1"))
            #expect(metrics.text.contains("confianza_db_pool_in_use{backend=\"sqlite\"}"))
            #expect(metrics.text.contains("http_server_request_duration"), "request latencies are recorded")
        }
    }
}
