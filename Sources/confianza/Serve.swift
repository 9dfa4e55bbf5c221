import ArgumentParser
import ConfianzaCore
import ConfianzaStore
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the web interface and the API until stopped (Ctrl-C or SIGTERM).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var server: ServerOptions
    @Option(help: "A folder to watch for feed files (Shadowserver reports named as Shadowserver names them); processed files go to done/ or failed/ inside it.")
    var inbox: String?

    func run() async throws {
        let settings = try Runtime.settings(self.global, self.server)
        let logger = Runtime.logger(settings)
        let registry = Runtime.metricsRegistry()
        try await Runtime.withStore(settings, logger: logger) { store in
            logger.info("database ready", metadata: ["database": "\(store.location)"])
            try await Runtime.serve(store: store, settings: settings, logger: logger, registry: registry, inbox: self.inbox) { url in
                logger.notice("Confianza is listening", metadata: ["url": "\(url)"])
            }
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring the database schema up to date, then exit.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let settings = try Runtime.settings(self.global)
        let logger = Runtime.logger(settings)
        try await Runtime.withStore(settings, logger: logger, migrate: false) { store in
            let before = try await store.schemaVersion()
            let applied: [Int]
            do { applied = try await store.migrate() } catch let error as StoreError { throw CLIError(error.description) }
            if applied.isEmpty {
                print("\(store.location) is at schema version \(before), the newest this program knows.")
            } else {
                print("\(store.location): schema version \(before) → \(applied.last ?? before).")
            }
        }
    }
}
