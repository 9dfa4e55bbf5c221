import ConfianzaCore
import ConfianzaSTIX
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The TAXII server through HTTP: authentication, media types, paths, errors, and bad input.
@Suite struct TAXIIHTTPTests {
    struct Setup {
        var collection: TAXIICollection
        var peer: Peer
        var token: String
        var readOnlyToken: String
    }

    static func setUp(_ store: any Store) async throws -> Setup {
        let collection = TAXIICollection(title: "Green", alias: "green", tlp: .green, createdAt: Date())
        try await store.insertCollection(collection)
        let hidden = TAXIICollection(title: "Amber", alias: "amber", tlp: .amber, createdAt: Date())
        try await store.insertCollection(hidden)
        let peer = Peer(name: "CERT-A", country: "AR", contact: "a@cert.example", tlpCeiling: .green, createdAt: Date())
        try await store.insertPeer(peer)
        try await store.setGrant(TAXIIGrant(collectionID: collection.id, peerID: peer.id, canRead: true, canWrite: true))
        let reader = Peer(name: "CERT-B", country: "BR", contact: "b@cert.example", tlpCeiling: .amber, createdAt: Date())
        try await store.insertPeer(reader)
        try await store.setGrant(TAXIIGrant(collectionID: collection.id, peerID: reader.id, canRead: true, canWrite: false))
        try await store.insertPeerToken(PeerToken(hash: Secrets.digest("cfp_writer"), peerID: peer.id, prefix: "cfp_w", createdAt: Date()))
        try await store.insertPeerToken(PeerToken(hash: Secrets.digest("cfp_reader"), peerID: reader.id, prefix: "cfp_r", createdAt: Date()))
        return Setup(collection: collection, peer: peer, token: "cfp_writer", readOnlyToken: "cfp_reader")
    }

    static func basic(_ token: String, scheme: String = "Basic") -> HTTPFields {
        [.authorization: "\(scheme) " + Data("someone:\(token)".utf8).base64EncodedString(), .accept: TAXIIMediaType.taxii]
    }

    static func json(_ response: TestResponse) throws -> [String: JSONValue] {
        guard case .object(let fields) = try JSONReader.parse(String(buffer: response.body)) else { throw CancellationError() }
        return fields
    }

    static func envelope(_ objects: [JSONValue]) -> ByteBuffer { ByteBuffer(string: JSONValue.object(["objects": .array(objects)]).text) }

    static func indicator(_ n: Int, tlp: TLP = .green) -> JSONValue {
        .object([
            "type": .string("indicator"), "spec_version": .string("2.1"), "id": .string("indicator--\(String(format: "%08d", n))-0000-4000-8000-000000000000"),
            "created": .string("2024-05-01T00:00:00.000Z"), "modified": .string("2024-05-01T00:00:00.000Z"),
            "pattern": .string("[ipv4-addr:value = '198.51.100.\(n)']"), "pattern_type": .string("stix"), "valid_from": .string("2024-05-01T00:00:00Z"),
            "object_marking_refs": .array([.string(STIXMarking.id(tlp))]),
        ])
    }

    @Test func authenticationAndMediaTypes() async throws {
        try await TestApp.run { client, dependencies in
            let setup = try await Self.setUp(dependencies.store)
            // No credentials, a wrong token, an unknown scheme: 401 as TAXII JSON with both challenges.
            for headers: HTTPFields in [[:], Self.basic("cfp_wrong"), [.authorization: "Digest abc"], [.authorization: "Basic !!!"]] {
                let response = try await client.execute(uri: "/taxii2/", method: .get, headers: headers)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType] == TAXIIMediaType.taxii)
                #expect(response.headers[.wwwAuthenticate]?.contains("Basic") == true && response.headers[.wwwAuthenticate]?.contains("Bearer") == true)
                #expect(try Self.json(response)["http_status"] == .string("401"))
            }
            // Basic in any case (MISP sends `basic`), and Bearer.
            for headers in [Self.basic(setup.token), Self.basic(setup.token, scheme: "basic"), [.authorization: "Bearer \(setup.token)"]] {
                let response = try await client.execute(uri: "/taxii2/", method: .get, headers: headers)
                #expect(response.status == .ok)
                #expect(try Self.json(response)["api_roots"] == .array([.string("/taxii2/root/")]))
            }
            // Staff API tokens work too, and the Basic user must then be the token's owner.
            let ana = try await dependencies.accounts.user(named: "ana")
            let (_, secret) = try await dependencies.accounts.createAPIToken(for: ana, name: "taxii", address: "test")
            #expect(try await client.execute(uri: "/taxii2/root/collections/", method: .get, headers: [.authorization: "Bearer \(secret)"]).status == .ok)
            let wrongUser = Data("vera:\(secret)".utf8).base64EncodedString()
            #expect(try await client.execute(uri: "/taxii2/", method: .get, headers: [.authorization: "Basic \(wrongUser)"]).status == .unauthorized)

            // Accept: versionless, json and */* are served; another TAXII version or HTML is not.
            for accept in ["application/taxii+json", "application/json", "*/*", "application/taxii+json;version=2.1"] {
                var headers = Self.basic(setup.token)
                headers[.accept] = accept
                #expect(try await client.execute(uri: "/taxii2/root/", method: .get, headers: headers).status == .ok, "\(accept)")
            }
            for accept in ["application/taxii+json;version=2.0", "text/html"] {
                var headers = Self.basic(setup.token)
                headers[.accept] = accept
                let response = try await client.execute(uri: "/taxii2/root/", method: .get, headers: headers)
                #expect(response.status == .notAcceptable)
                #expect(response.headers[.contentType] == TAXIIMediaType.taxii)
            }
            // With and without trailing slashes, no redirect.
            for path in ["/taxii2", "/taxii2/root", "/taxii2/root/collections", "/taxii2/root/collections/green", "/taxii2/root/collections/green/objects"] {
                #expect(try await client.execute(uri: path, method: .get, headers: Self.basic(setup.token)).status == .ok, "\(path)")
                #expect(try await client.execute(uri: path + "/", method: .get, headers: Self.basic(setup.token)).status == .ok, "\(path)/")
            }
            // Unknown endpoints and methods are TAXII errors too.
            for (path, method) in [("/taxii2/nothing/", HTTPRequest.Method.get), ("/taxii2/root/collections/", .post), ("/taxii2/root/", .patch)] {
                let response = try await client.execute(uri: path, method: method, headers: Self.basic(setup.token))
                #expect(response.status.code >= 400 && response.status.code < 500, "\(method) \(path)")
                #expect(response.headers[.contentType] == TAXIIMediaType.taxii, "\(method) \(path)")
            }
        }
    }

    @Test func rightsPerCollection() async throws {
        try await TestApp.run { client, dependencies in
            let setup = try await Self.setUp(dependencies.store)
            let collections = try Self.json(try await client.execute(uri: "/taxii2/root/collections/", method: .get, headers: Self.basic(setup.readOnlyToken)))
            guard case .array(let list)? = collections["collections"], case .object(let only)? = list.first else { throw CancellationError() }
            #expect(list.count == 1, "a peer sees only the collections it has rights on")
            #expect(only["can_read"] == .bool(true) && only["can_write"] == .bool(false))
            #expect(only["id"] == .string(setup.collection.id.uuidString.lowercased()))
            // The collection it has no rights on does not exist for it.
            #expect(try await client.execute(uri: "/taxii2/root/collections/amber/", method: .get, headers: Self.basic(setup.readOnlyToken)).status == .notFound)
            // Reading but not writing.
            let post = try await client.execute(
                uri: "/taxii2/root/collections/green/objects/", method: .post,
                headers: Self.basic(setup.readOnlyToken).merging([.contentType: TAXIIMediaType.taxii]), body: Self.envelope([Self.indicator(1)]))
            #expect(post.status == .forbidden)
            // The writer adds; the reader reads it; the status belongs to the writer only.
            let added = try await client.execute(
                uri: "/taxii2/root/collections/green/objects/", method: .post, headers: Self.basic(setup.token).merging([.contentType: TAXIIMediaType.taxii]),
                body: Self.envelope([Self.indicator(1), Self.indicator(2, tlp: .amber), .string("nonsense")]))
            #expect(added.status == .accepted)
            let status = try Self.json(added)
            #expect(status["total_count"] == .integer(3) && status["success_count"] == .integer(1) && status["failure_count"] == .integer(2))
            #expect(status["pending_count"] == .integer(0) && status["status"] == .string("complete"))
            guard case .string(let statusID)? = status["id"] else { throw CancellationError() }
            #expect(try await client.execute(uri: "/taxii2/root/status/\(statusID)/", method: .get, headers: Self.basic(setup.token)).status == .ok)
            #expect(try await client.execute(uri: "/taxii2/root/status/\(statusID)/", method: .get, headers: Self.basic(setup.readOnlyToken)).status == .notFound)
            let page = try await client.execute(uri: "/taxii2/root/collections/green/objects/", method: .get, headers: Self.basic(setup.readOnlyToken))
            #expect(page.headers[TAXIIHeaderNames.first] != nil && page.headers[TAXIIHeaderNames.last] != nil)
            guard case .array(let objects)? = try Self.json(page)["objects"] else { throw CancellationError() }
            #expect(objects.count == 1)
            // The indicator sent is now matched against events.
            #expect(try await dependencies.store.indicator(id: "indicator--00000001-0000-4000-8000-000000000000")?.source == "TAXII: CERT-A")
            // Another source's indicator cannot be replaced (or revoked) by sending its id with a newer version.
            var theirs = try #require(try await dependencies.store.indicator(id: "indicator--00000001-0000-4000-8000-000000000000"))
            theirs.id = "indicator--00000009-0000-4000-8000-000000000000"
            theirs.source = "CERT.br file"
            _ = try await dependencies.store.upsertIndicators([theirs])
            guard case .object(var revoking) = Self.indicator(9) else { throw CancellationError() }
            revoking["modified"] = .string("2030-01-01T00:00:00.000Z")
            revoking["revoked"] = .bool(true)
            let override = try await client.execute(
                uri: "/taxii2/root/collections/green/objects/", method: .post, headers: Self.basic(setup.token).merging([.contentType: TAXIIMediaType.taxii]),
                body: Self.envelope([.object(revoking)]))
            #expect(override.status == .accepted)
            #expect(try await dependencies.store.indicator(id: theirs.id)?.revoked == false, "still the other source's, unrevoked")
            // The reader may not delete; the writer may.
            let path = "/taxii2/root/collections/green/objects/indicator--00000001-0000-4000-8000-000000000000/"
            #expect(try await client.execute(uri: path, method: .delete, headers: Self.basic(setup.readOnlyToken)).status == .forbidden)
            #expect(try await client.execute(uri: path, method: .delete, headers: Self.basic(setup.token)).status == .ok)
            #expect(try await client.execute(uri: path, method: .get, headers: Self.basic(setup.token)).status == .notFound)
        }
    }

    @Test func badInputIsAClearErrorAndChangesNothing() async throws {
        try await TestApp.run { client, dependencies in
            let setup = try await Self.setUp(dependencies.store)
            let objects = "/taxii2/root/collections/green/objects/"
            for query in [
                "?limit=0", "?limit=x", "?limit=", "?next=zzz", "?next=", "?added_after=yesterday", "?match[version]=sometime", "?match[type]=",
                "?match[type]=Bad Type", "?limit=1&limit=2", "?colour=red", "?match%5Bid%5D=%ZZ",
            ] {
                let response = try await client.execute(uri: objects + query, method: .get, headers: Self.basic(setup.token))
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.headers[.contentType] == TAXIIMediaType.taxii)
                let body = try Self.json(response)
                #expect(body["title"] != nil && body["description"] != nil, "\(query)")
            }
            // Versions take no match[id]; manifest takes no match[foo].
            #expect(try await client.execute(uri: objects + "indicator--x/versions/?match[id]=a", method: .get, headers: Self.basic(setup.token)).status == .badRequest)
            let post = Self.basic(setup.token).merging([.contentType: TAXIIMediaType.taxii])
            let bodies: [(String, HTTPResponse.Status)] = [
                ("", .badRequest), ("{\"objects\": [", .badRequest), ("[]", .unprocessableContent), ("{}", .unprocessableContent),
                ("{\"objects\": 5}", .unprocessableContent), ("{\"objects\": [1, \"x\", null]}", .accepted),
            ]
            for (body, expected) in bodies {
                let response = try await client.execute(uri: objects, method: .post, headers: post, body: ByteBuffer(string: body))
                #expect(response.status == expected, "\(body)")
                #expect(response.headers[.contentType] == TAXIIMediaType.taxii)
            }
            // Not UTF-8; the wrong content type; too large.
            #expect(try await client.execute(uri: objects, method: .post, headers: post, body: ByteBuffer(bytes: [0x7B, 0xFF, 0xFE, 0x7D])).status == .badRequest)
            #expect(
                try await client.execute(uri: objects, method: .post, headers: Self.basic(setup.token).merging([.contentType: "text/csv"]), body: Self.envelope([]))
                    .status == .unsupportedMediaType)
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: TAXIIService.maxContentLength + 10)
            #expect(try await client.execute(uri: objects, method: .post, headers: post, body: huge).status == .contentTooLarge)
            // Objects with wrong types or missing fields are each refused with a reason; nothing was stored.
            var bad = Self.indicator(3)
            if case .object(var fields) = bad {
                fields["created"] = .integer(5)
                bad = .object(fields)
            }
            let response = try await client.execute(uri: objects, method: .post, headers: post, body: Self.envelope([bad, .object(["id": .string("indicator--1")])]))
            let status = try Self.json(response)
            #expect(status["failure_count"] == .integer(2) && status["success_count"] == .integer(0))
            #expect(try await dependencies.store.stixObjectCount() == 0)
        }
    }
}

extension TAXIIHTTPTests {
    /// Pages stop at about 8 MB of objects, whatever the limit: huge objects come a few at a time.
    @Test func hugeObjectsComeAFewPerPage() async throws {
        try await TestApp.run { client, dependencies in
            let setup = try await Self.setUp(dependencies.store)
            let post = Self.basic(setup.token).merging([.contentType: TAXIIMediaType.taxii])
            for n in 1...3 {
                guard case .object(var fields) = Self.indicator(n) else { throw CancellationError() }
                fields["description"] = .string(String(repeating: "x", count: 3_000_000))
                let response = try await client.execute(uri: "/taxii2/root/collections/green/objects/", method: .post, headers: post, body: Self.envelope([.object(fields)]))
                #expect(try Self.json(response)["success_count"] == .integer(1))
            }
            let first = try Self.json(try await client.execute(uri: "/taxii2/root/collections/green/objects/?limit=10", method: .get, headers: Self.basic(setup.token)))
            guard case .array(let page)? = first["objects"], case .string(let next)? = first["next"] else { throw CancellationError() }
            #expect(page.count == 2 && first["more"] == .bool(true))
            let second = try Self.json(
                try await client.execute(uri: "/taxii2/root/collections/green/objects/?limit=10&next=\(next)", method: .get, headers: Self.basic(setup.token)))
            guard case .array(let rest)? = second["objects"] else { throw CancellationError() }
            #expect(rest.count == 1 && second["more"] == .bool(false))
        }
    }

    /// The sharing page: an admin adds a collection, lets a peer read it, issues a token the peer's
    /// client then uses, and revokes it (at once, not after the credential cache's lifetime).
    @Test func theSharingPageManagesAccess() async throws {
        try await TestApp.run { client, dependencies in
            let peer = Peer(name: "CERT-C", country: "CL", contact: "c@cert.example", tlpCeiling: .amber, createdAt: Date())
            try await dependencies.store.insertPeer(peer)
            let analyst = Browser(client)
            try await analyst.login("ana")
            #expect(try await analyst.get("/sharing").status == .ok)
            #expect(try await analyst.post("/sharing/token", [("peer", peer.id.uuidString)]).status == .forbidden)

            let admin = Browser(client)
            try await admin.login("root")
            #expect(try await admin.post("/sharing/collections", [("title", "Green"), ("tlp", "TLP:GREEN"), ("alias", "bad alias!")]).status == .unprocessableContent)
            #expect(try await admin.post("/sharing/collections", [("title", ""), ("tlp", "TLP:GREEN")]).status == .unprocessableContent)
            #expect(try await admin.post("/sharing/collections", [("title", "Green"), ("tlp", "TLP:PURPLE")]).status == .unprocessableContent)
            #expect(try await admin.post("/sharing/collections", [("title", "Green"), ("tlp", "TLP:GREEN"), ("alias", "green")]).status == .seeOther)
            let collection = try #require(try await dependencies.store.collections().first)
            #expect(try await admin.post("/sharing/access", [("peer", "nobody"), ("collection", collection.id.uuidString), ("read", "on")]).status == .unprocessableContent)
            #expect(try await admin.post("/sharing/access", [("peer", peer.id.uuidString), ("collection", collection.id.uuidString), ("read", "on")]).status == .seeOther)
            let issued = try await admin.post("/sharing/token", [("peer", peer.id.uuidString)])
            #expect(issued.status == .ok)
            let secret = try #require(issued.text.firstRange(of: /cfp_[A-Za-z0-9_-]+/).map { String(issued.text[$0]) })
            let page = try await client.execute(uri: "/taxii2/root/collections/", method: .get, headers: Self.basic(secret))
            #expect(page.status == .ok && String(buffer: page.body).contains("\"can_read\":true"))
            #expect(try await admin.get("/sharing").text.contains("CERT-C (read)"))
            #expect(try await admin.post("/sharing/revoke", [("peer", peer.id.uuidString)]).status == .seeOther)
            #expect(try await client.execute(uri: "/taxii2/root/collections/", method: .get, headers: Self.basic(secret)).status == .unauthorized)
            let actions = try await dependencies.store.auditEntries(limit: 10, before: nil).map(\.event.action)
            #expect([.taxiiCollectionAdded, .taxiiGrant, .taxiiTokenIssued, .taxiiTokenRevoked].allSatisfy(actions.contains))
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var merged = self
        for field in other { merged[field.name] = field.value }
        return merged
    }
}

enum TAXIIHeaderNames {
    static let first = HTTPField.Name("X-TAXII-Date-Added-First")!
    static let last = HTTPField.Name("X-TAXII-Date-Added-Last")!
}
