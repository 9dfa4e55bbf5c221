import ConfianzaCore
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat
import Testing

@Suite struct OpenAPITests {
    /// `/users/:username` in the router is `/users/{username}` in OpenAPI.
    static func openAPIPath(_ routerPath: String) -> String {
        routerPath.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
    }

    @Test func everyRouteIsInTheDocumentAndNothingElse() async throws {
        try await TestDatabase.withStore(.sqlite) { store in
            let dependencies = try await TestApp.dependencies(store)
            let router = buildRouter(configuration: ServerConfiguration(), dependencies: dependencies)
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(buffer: dependencies.views.openAPI)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths {
                for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            // TAXII 2.1 (under /taxii2) is specified by OASIS, not by this document.
            let routes = Set(
                router.routes.filter { !$0.path.description.hasPrefix("/taxii2") }.map { "\($0.method.rawValue) \(Self.openAPIPath($0.path.description))" })
            #expect(routes.count > 30)
            #expect(routes.subtracting(documented).sorted() == [], "routes missing from openapi.json")
            #expect(documented.subtracting(routes).sorted() == [], "documented paths with no route")
        }
    }
}
