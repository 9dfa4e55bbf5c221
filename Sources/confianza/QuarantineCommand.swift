import ArgumentParser
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaStore
import Foundation
import Logging

/// What was kept aside while ingesting, and reading it again once a mapping is fixed.
struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Show a run's quarantined lines, or read them again after fixing a mapping.",
        subcommands: [Show.self, Reprocess.self])

    /// A run by id, or the latest run of a file (by its path or name).
    static func run(_ text: String, store: any Store) async throws -> IngestRun {
        if let id = UUID(uuidString: text) {
            guard let run = try await store.ingestRun(id: id) else { throw CLIError("no ingest run \(text)") }
            return run
        }
        let name = (text as NSString).lastPathComponent
        let runs = try await store.ingestRuns(limit: 100_000)
        guard let run = runs.first(where: { $0.fileName == text || ($0.fileName as NSString).lastPathComponent == name }) else {
            throw CLIError("no ingest run of a file named \(name): give the run's id (confianza ingest --json prints it)")
        }
        return run
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a run's quarantined records: line, reason and raw text.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The run's id, or the file's name (its latest run).") var run: String
        @Flag(help: "One JSON object per record.") var json = false

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let run = try await QuarantineCommand.run(self.run, store: store)
                if !self.json {
                    let c = run.counts
                    print("\(run.fileName) [\(run.format), \(run.feed)]: \(c.quarantined) of \(c.read) lines quarantined")
                }
                var after = 0
                while true {
                    let page = try await store.quarantined(runID: run.id, afterLine: after, limit: 1000)
                    guard let last = page.last else { break }
                    after = last.line
                    for record in page {
                        if self.json {
                            let object: [String: Any] = ["line": record.line, "reason": record.reason, "raw": record.raw]
                            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                            FileHandle.standardOutput.write(data + Data("\n".utf8))
                        } else {
                            print("line \(record.line): \(record.reason)\n  \(record.raw.prefix(300).replacingOccurrences(of: "\n", with: "\n  "))")
                        }
                    }
                }
            }
        }
    }

    struct Reprocess: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a run's quarantined records again with the mapping as it is now.",
            discussion: """
                Records that now read become events (or raise the count of the same event) and leave the quarantine; the others
                stay with today's reason. The run's counts still add up: lines read = stored + duplicates + quarantined. Fix a
                Shadowserver report type with --shadowserver-mapping FILE; a CSV feed needs --format csv:MAPPING.json again.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The run's id, or the file's name (its latest run).") var run: String
        @Option(help: "Read as this format instead of the run's (shadowserver:REPORT_TYPE, intelmq, mail, xarf, n6, public:FEED, csv:MAPPING.json).")
        var format: String?
        @Flag(help: "Print the summary as JSON.") var json = false

        func run() async throws {
            let format: FeedFormat?
            do { format = try self.format.map(FeedFormat.init) } catch { throw CLIError(error.description) }
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let mapping = try Runtime.mapping(settings)
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let run = try await QuarantineCommand.run(self.run, store: store)
                let pipeline = IngestPipeline(
                    store: store, constituency: ConstituencyService(store: store), mapping: mapping, incidents: try Runtime.incidents(store, settings),
                    mappingFromSchema: Runtime.mappingFromSchema(settings))
                let summary: ReprocessSummary
                do { summary = try await pipeline.reprocess(runID: run.id, format: format) } catch let error as IngestError {
                    throw CLIError(error.description)
                }
                try await store.appendAudit(
                    AuditEvent(
                        at: Date(), actor: ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli",
                        action: .quarantineReprocessed, target: run.fileName,
                        detail: "\(summary.resolved) of \(summary.examined) records read, \(summary.stillQuarantined) still quarantined"))
                if self.json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    FileHandle.standardOutput.write(try encoder.encode(summary) + Data("\n".utf8))
                } else {
                    let c = summary.counts
                    print(
                        "\(run.fileName): \(summary.resolved) of \(summary.examined) quarantined records now read, \(summary.stillQuarantined) still quarantined;"
                            + " \(c.read) lines read = \(c.stored) stored + \(c.duplicates) duplicates + \(c.quarantined) quarantined")
                }
            }
        }
    }
}
