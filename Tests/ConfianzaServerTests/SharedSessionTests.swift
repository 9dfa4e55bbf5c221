import ConfianzaCore
import ConfianzaServer
import ConfianzaStore
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Two server processes on one database: a session made on one is valid on the other, and a logout on
/// either ends it on both. Each app has its own store (its own connections), as separate processes do.
@Suite struct SharedSessionTests {
    static func withTwoApps(
        on location: DatabaseLocation,
        _ body: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void
    ) async throws {
        let first = try await SQLStore.open(location, logger: TestDatabase.logger)
        let second = try await SQLStore.open(location, logger: TestDatabase.logger)
        try await first.withRunning(connectTimeout: TestDatabase.connectTimeout) { first in
            try await TestApp.seed(try await TestApp.dependencies(first).accounts)
            try await second.withRunning(connectTimeout: TestDatabase.connectTimeout) { second in
                let appA = buildApplication(configuration: ServerConfiguration(), dependencies: try await TestApp.dependencies(first))
                let appB = buildApplication(configuration: ServerConfiguration(), dependencies: try await TestApp.dependencies(second))
                try await appA.test(.router) { clientA in
                    try await appB.test(.router) { clientB in try await body(clientA, clientB) }
                }
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aSessionMadeOnOneServerWorksOnTheOther(backend: TestBackend) async throws {
        let check: @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void = { clientA, clientB in
            let browserA = Browser(clientA)
            #expect(try await browserA.login("ana").status == .seeOther)
            let session = try #require(browserA.cookies["confianza_session"])

            let browserB = Browser(clientB)
            browserB.setCookie("confianza_session", session)
            let home = try await browserB.get("/")
            #expect(home.status == .ok)
            #expect(home.text.contains("Welcome, Ana García."))

            // Logging out on B ends the session on A too.
            #expect(try await browserB.post("/logout", []).status == .seeOther)
            #expect(try await browserA.get("/").status == .seeOther)
        }
        if backend == .postgres {
            try await TestDatabase.withPostgresDatabase { location in try await Self.withTwoApps(on: location, check) }
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-shared-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try await Self.withTwoApps(on: .sqlite(path: directory.appendingPathComponent("shared.db").path), check)
        }
    }
}
