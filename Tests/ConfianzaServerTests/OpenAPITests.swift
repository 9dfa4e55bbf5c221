import ConfianzaCore
@testable import ConfianzaServer
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

/// The document is kept one file per module and merged at load; a path or schema described twice, or
/// a file that is not a JSON object, stops the load naming the file.
@Suite struct OpenAPIFilesTests {
    static func folder(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for (name, content) in files { try Data(content.utf8).write(to: root.appendingPathComponent(name)) }
        return root
    }

    static let base = #"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {"schemas": {"Problem": {}}}}"#

    @Test func modulesAreMergedIntoOneDocument() throws {
        let root = try Self.folder([
            "openapi.json": Self.base, "a.json": #"{"paths": {"/a": {}}, "components": {"schemas": {"A": {}}}}"#, "b.json": #"{"paths": {"/b": {}}}"#,
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.load(root)) as? [String: Any])
        #expect((document["paths"] as? [String: Any])?.keys.sorted() == ["/a", "/b"])
        #expect(((document["components"] as? [String: Any])?["schemas"] as? [String: Any])?.keys.sorted() == ["A", "Problem"])
    }

    @Test(arguments: [
        (["a.json": #"{"paths": {"/a": {}}}"#, "b.json": #"{"paths": {"/a": {}}}"#], "b.json describes /a, which a.json describes too"),
        (["a.json": #"{"components": {"schemas": {"Problem": {}}}}"#], "defines components.schemas.Problem, which openapi.json defines too"),
        (["a.json": #"{"paths": {"/a": {}}"#], "a.json cannot be read as a JSON object"),
        (["a.json": #"["/a"]"#], "a.json cannot be read as a JSON object"),
        (["a.json": #"{"info": {}}"#], "may hold only paths and components"),
        (["a.json": #"{"components": {"schemas": []}}"#], "components.schemas is not an object"),
    ])
    func badFilesStopTheLoad(files: [String: String], reason: String) throws {
        let root = try Self.folder(files.merging(["openapi.json": Self.base]) { mine, _ in mine })
        defer { try? FileManager.default.removeItem(at: root) }
        do {
            _ = try OpenAPIDocument.load(root)
            Issue.record("accepted: \(files)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }
}
