import ArgumentParser
import ConfianzaCollectors
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaStore
import Foundation
import Logging

/// Feeds Confianza fetches itself, and the Shadowserver schema it reads reports with.
struct FeedsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feeds", abstract: "Feeds Confianza fetches itself (URL, IMAP mailbox, Shadowserver's API), and the Shadowserver schema.",
        discussion: """
            A feed added here is fetched on its schedule by `confianza serve` (with several servers on one \
            PostgreSQL each fetch runs once), or now with `confianza feeds run NAME`. What it fetches is \
            ingested as ordinary runs. Secrets are read from a file or an environment variable, never from \
            the command line, and are never shown again.
            """,
        subcommands: [Add.self, List.self, Remove.self, Enable.self, Disable.self, Run.self, Health.self, ShadowserverSchemaCommand.self])

    static func actor() -> String { ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli" }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a feed to fetch.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Its name (unique; the runs of a URL feed carry it).") var name: String
        @Option(help: "http, imap or shadowserver.") var kind: String
        @Option(help: "https://… for http (a public:FEED format's own when left out); imaps://host:993/INBOX for imap; the API's base (default Shadowserver's) for shadowserver.")
        var url: String = ""
        @Option(help: "auto, shadowserver, shadowserver:TYPE, intelmq, mail, xarf, n6 or public:FEED (see `confianza feeds add --help`).")
        var format: String = ""
        @Option(help: "User name (IMAP), API key (Shadowserver) or basic-auth user (http).") var user: String = ""
        @Option(help: "A file holding the password, secret or bearer token.") var secretFile: String?
        @Option(help: "An environment variable holding it.") var secretEnv: String?
        @Option(help: "How often: 30m, 6h, 1d, 7d.") var every: String = "1d"
        @Option(help: "Largest answer or message, in megabytes.") var maxMb: String = "200"
        @Option(help: "Time limit of one fetch, in seconds.") var timeout: String = "300"
        @Option(help: "IMAP: the folder ingested messages move to (default Confianza/Done).") var done: String = ""
        @Option(help: "Shadowserver: the report lists to fetch, comma-separated (default all the account's).") var reports: String = ""

        func run() async throws {
            var secret = ""
            if let file = self.secretFile {
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read the secret file \(file)") }
                secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            } else if let variable = self.secretEnv {
                guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { throw CLIError("\(variable) is not set") }
                secret = value
            }
            let draft = FeedSourceDraft(
                name: self.name, kind: self.kind, location: self.url, format: self.format, username: self.user, secret: secret, every: self.every,
                maxMegabytes: self.maxMb, timeoutSeconds: self.timeout, done: self.done, reports: self.reports)
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do {
                    let source = try await FeedSourceService(store: store).add(
                        draft, publicFeed: PublicFeeds.address, by: FeedsCommand.actor(), address: "cli")
                    print("added \(source.name): \(source.kind.rawValue) \(source.location), format \(source.format), every \(source.everySeconds) s")
                } catch let error as FeedSourceError {
                    throw CLIError(error.description)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The feeds fetched, with their last fetch.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "JSON for scripts.") var json = false

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let sources = try await store.feedSources()
                if self.json {
                    let items: [JSONValue] = sources.map { source in
                        var object: [String: JSONValue] = [
                            "name": .string(source.name), "kind": .string(source.kind.rawValue), "location": .string(source.location),
                            "format": .string(source.format), "every": .integer(Int64(source.everySeconds)), "enabled": .bool(source.enabled),
                            "hasSecret": .bool(source.hasSecret),
                        ]
                        if let date = source.state.lastDeliveryAt { object["lastDelivery"] = .string(EventTime.format(date)) }
                        if let date = source.state.lastAttemptAt { object["lastAttempt"] = .string(EventTime.format(date)) }
                        if let date = source.state.nextRunAt { object["nextRun"] = .string(EventTime.format(date)) }
                        if let error = source.state.lastError { object["lastError"] = .string(error) }
                        return .object(object)
                    }
                    print(JSONValue.array(items).text)
                    return
                }
                if sources.isEmpty { print("no feeds: add one with `confianza feeds add`") }
                for source in sources {
                    let last = source.state.lastAttemptAt.map { EventTime.format($0) } ?? "never"
                    let status = source.state.lastError.map { "failed: \($0)" } ?? (source.state.lastAttemptAt == nil ? "not fetched yet" : "ok")
                    print("\(source.name) [\(source.kind.rawValue)\(source.enabled ? "" : ", off")] \(source.location) (\(source.format), every \(source.everySeconds) s): last fetch \(last), \(status)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop fetching a feed (its runs and events stay).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The feed's name.") var name: String

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do { try await FeedSourceService(store: store).remove(named: self.name, by: FeedsCommand.actor(), address: "cli") } catch let error as FeedSourceError {
                    throw CLIError(error.description)
                }
                print("removed \(self.name)")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch a feed on its schedule again (from now).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The feed's name.") var name: String
        func run() async throws { try await FeedsCommand.set(self.global, self.name, true) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop fetching a feed on its schedule (it stays configured).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The feed's name.") var name: String
        func run() async throws { try await FeedsCommand.set(self.global, self.name, false) }
    }

    static func set(_ global: GlobalOptions, _ name: String, _ enabled: Bool) async throws {
        var settings = try Runtime.settings(global)
        if global.logLevel == nil { settings.logLevel = .warning }
        try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
            do { _ = try await FeedSourceService(store: store).setEnabled(named: name, enabled, by: FeedsCommand.actor(), address: "cli") } catch let error as FeedSourceError {
                throw CLIError(error.description)
            }
            print("\(name): \(enabled ? "on" : "off")")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch a feed now (or every feed that is due, with --due), whatever its schedule.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The feed's name.") var name: String?
        @Flag(help: "Every feed whose time has come.") var due = false

        func validate() throws {
            guard (self.name != nil) != self.due else { throw ValidationError("name a feed, or give --due") }
        }

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let logger = Runtime.logger(settings)
            var failed = false
            try await Runtime.withStore(settings, logger: logger) { store in
                let collector = try Runtime.collector(store, settings, logger: logger)
                defer { Task { await collector.http.shutdown() } }
                var fetches: [(String, FeedFetch)] = []
                if let name = self.name {
                    guard let source = try await store.feedSource(named: name) else { throw CLIError("no feed named '\(name)'") }
                    do { fetches.append((name, try await collector.run(source))) } catch let error as CollectorError {
                        throw CLIError("\(name): \(error.description)")
                    }
                } else {
                    let names = Dictionary(try await store.feedSources().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
                    fetches = try await collector.runDue().map { (names[$0.feedID] ?? "?", $0) }
                }
                await collector.http.shutdown()
                for (name, fetch) in fetches {
                    let seconds = String(format: "%.1f", fetch.finishedAt.timeIntervalSince(fetch.startedAt))
                    print("\(name): \(fetch.outcome.rawValue), \(fetch.runs.count) runs, \(fetch.bytes) bytes (\(seconds) s)\(fetch.detail.map { ": \($0)" } ?? "")")
                    if fetch.outcome == .failed { failed = true }
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each feed's last delivery, events in 30 days, quarantine rate; silent daily feeds flagged.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            var silent = false
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let now = Date()
                let report = FeedHealth.report(
                    days: try await store.feedDays(since: now.addingTimeInterval(-Double(FeedHealth.days) * 86400)), sources: try await store.feedSources(),
                    now: now)
                for feed in report {
                    let last = feed.lastDelivery.map { EventTime.format($0) } ?? "never"
                    let rate = String(format: "%.1f %%", feed.quarantineRate * 100)
                    print("\(feed.silent ? "SILENT " : "")\(feed.feed): last delivery \(last), \(feed.events) events in \(FeedHealth.days) days, \(rate) quarantined")
                    silent = silent || feed.silent
                }
            }
            if silent { throw ExitCode(2) }
        }
    }

    struct ShadowserverSchemaCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shadowserver-schema",
            abstract: "Load a newer Shadowserver report schema (its intelmq.json) for every server on this database, without a release.",
            discussion: """
                Shadowserver publishes the schema at https://interchange.shadowserver.org/intelmq/v1/schema and in \
                github.com/The-Shadowserver-Foundation/report_schema. The file is checked whole before it is \
                stored; ingests take it up from their next file. --check only checks it.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The schema file (intelmq.json).") var file: String
        @Flag(help: "Only check the file and say what would change.") var check = false

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: self.file) else { throw CLIError("cannot read \(self.file)") }
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let loaded: ShadowserverMapping
            do { loaded = try ShadowserverMapping.bundled(schema: data, source: (self.file as NSString).lastPathComponent) } catch {
                throw CLIError(error.description)
            }
            let bundled = try Runtime.mapping(Settings())
            let before = Set(bundled.reports.filter { !$0.value.retired }.keys)
            let after = Set(loaded.reports.filter { !$0.value.retired }.keys)
            let changed = after.intersection(before).filter { bundled.reports[$0] != loaded.reports[$0] }
            print("\(self.file): Shadowserver schema \(loaded.revision ?? "(no date)"), \(after.count) report types")
            print("  against the bundled schema \(bundled.revision ?? "?"): \(after.subtracting(before).count) new, \(changed.count) changed, \(before.subtracting(after).count) no longer listed (still read, as retired types are)")
            for type in after.subtracting(before).sorted() { print("  new: \(type)") }
            for warning in loaded.warnings { print("  note: \(warning)") }
            if self.check { return }
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                try await store.saveFeedSchema(
                    StoredFeedSchema(
                        name: ShadowserverMapping.storedSchemaName, revision: loaded.revision, content: data, loadedAt: Date(), loadedBy: FeedsCommand.actor()))
                try await store.appendAudit(
                    AuditEvent(
                        at: Date(), actor: FeedsCommand.actor(), action: .feedSchemaLoaded, target: "shadowserver", address: "cli",
                        detail: "\(loaded.revision ?? "no date"), \(after.count) report types"))
            }
            print("loaded: every ingest on this database reads Shadowserver reports with it from its next file")
        }
    }
}
