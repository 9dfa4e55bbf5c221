import ArgumentParser
import ConfianzaCore
import Foundation
import Logging
import ServiceLifecycle

/// `confianza retention run [--dry-run]`: applies the retention policy now (`serve` does it once a day).
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "How long data is kept, and taking away what is older.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the retention policy now (--dry-run: only count what would go).",
            discussion: """
                The policy is --retention (default events=180d,quarantine=30d,mail=90d). Events attached to an \
                incident or sighted by an indicator stay; incidents and the audit log are kept for good. The run is \
                recorded and audit-logged.
                """)
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Count what would go, and change nothing.") var dryRun = false
        @Flag(help: "Print the counts as JSON.") var json = false

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let policy = settings.retention
            let dryRun = self.dryRun
            let run = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                try await RetentionService(store: store, policy: policy).run(dryRun: dryRun, by: FeedsCommand.actor(), address: "cli")
            }
            let c = run.counts
            if self.json {
                let object: JSONValue = .object([
                    "dryRun": .bool(run.dryRun), "policy": .string(run.policy), "events": .integer(Int64(c.events)),
                    "eventsKeptAsEvidence": .integer(Int64(c.eventsKept)), "quarantinedLines": .integer(Int64(c.quarantine)),
                    "mailBodies": .integer(Int64(c.mailBodies)), "seconds": .double(run.seconds),
                ])
                print(object.text)
                return
            }
            let verb = run.dryRun ? "would take away" : "took away"
            print(
                "retention (\(run.policy)) \(verb): \(c.events) events (\(c.eventsKept) older ones kept as incident evidence), "
                    + "\(c.quarantine) quarantined lines, \(c.mailBodies) sent mail bodies, in \(String(format: "%.1f", run.seconds)) s")
        }
    }
}

/// Applies the retention policy inside `serve` once a day (the first look a minute after start, then
/// hourly: with several servers on one database, the first to find it due runs it).
struct RetentionScheduler: Service {
    let service: RetentionService
    let logger: Logger
    var firstLook: Duration = .seconds(60)
    var interval: Duration = .seconds(3600)

    func run() async throws {
        var wait = self.firstLook
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pause = wait
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
            wait = self.interval
            do {
                guard try await self.service.isDue() else { continue }
                let run = try await self.service.run(dryRun: false, by: nil, address: "serve")
                self.logger.notice(
                    "retention applied",
                    metadata: ["events": "\(run.counts.events)", "kept as evidence": "\(run.counts.eventsKept)",
                               "quarantined lines": "\(run.counts.quarantine)", "mail bodies": "\(run.counts.mailBodies)",
                               "seconds": "\(run.seconds)"])
            } catch {
                self.logger.error("retention failed: \(error)")
            }
        }
    }
}
