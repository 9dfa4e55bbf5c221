import ArgumentParser
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaStore
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read feed files into events: parse, de-duplicate, route to the constituency, store, account for every line.",
        discussion: """
            Each file's summary says: lines read = events stored + duplicates + quarantined. Quarantined lines keep their raw
            text, line and reason. Ingesting the same file again changes nothing; a run cut short goes on where it stopped.
            Shadowserver report types come from the file name (YYYY-MM-DD-<type>-….csv) unless --format shadowserver:<type>.
            With --format auto (the default) each file's format is guessed from its name and first bytes: e-mail (.eml, .mbox
            or header lines) is read as abuse reports (ARF, X-ARF 0.2, XARF v4), JSON as XARF v4 or IntelMQ, the rest as
            Shadowserver CSV.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Feed files.") var files: [String]
    @Option(help: "auto (default), shadowserver, shadowserver:REPORT_TYPE, intelmq (JSON lines), mail (ARF, X-ARF e-mail or mbox), xarf (XARF v4 JSON), n6 (CERT.pl n6 JSON), public:FEED (a bundled public list), or csv:MAPPING.json.")
    var format: String = "auto"
    @Option(help: "Feed name for the events (default: the report's).") var feed: String?
    @Flag(help: "Print one JSON summary per file.") var json = false
    @Option(help: "Records per stored batch.") var batchSize: Int = 5000
    @Flag(inversion: .prefixedNo, help: "Group the new events into incidents (the grouping rule: per organisation, type and day).")
    var incidents = true

    func validate() throws {
        guard !self.files.isEmpty else { throw ValidationError("give at least one file") }
        guard (1...100_000).contains(self.batchSize) else { throw ValidationError("--batch-size must be from 1 to 100000") }
    }

    func run() async throws {
        let given: FeedFormat?
        do { given = self.format.lowercased() == "auto" ? nil : try FeedFormat(self.format) } catch { throw CLIError(error.description) }
        var settings = try Runtime.settings(self.global)
        let mapping = try Runtime.mapping(settings)
        if self.global.logLevel == nil { settings.logLevel = .warning }
        let logger = Runtime.logger(settings)
        let showProgress = !self.json && isatty(STDERR_FILENO) == 1
        var failed = 0
        try await Runtime.withStore(settings, logger: logger) { store in
            let pipeline = IngestPipeline(
                store: store, constituency: ConstituencyService(store: store), mapping: mapping, batchSize: self.batchSize,
                incidents: self.incidents ? try Runtime.incidents(store, settings) : nil, mappingFromSchema: Runtime.mappingFromSchema(settings))
            for file in self.files {
                let started = ContinuousClock.now
                do {
                    _ = try FileChunks(path: file)
                    let format = given ?? FeedFormat.guess(path: file)
                    let summary = try await pipeline.ingest(
                        fileName: file, format: format, feed: self.feed, source: "cli",
                        open: { try FileChunks(path: file) },
                        progress: { counts in
                            if showProgress {
                                FileHandle.standardError.write(Data("\r\(file): \(counts.read) lines…".utf8))
                            }
                        })
                    if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    self.report(summary, seconds: Self.seconds(since: started))
                } catch let error as FeedError {
                    failed += 1
                    FileHandle.standardError.write(Data("\(file): \(error.description)\n".utf8))
                }
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }

    func report(_ summary: IngestSummary, seconds: Double) {
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(summary) { FileHandle.standardOutput.write(data + Data("\n".utf8)) }
            return
        }
        let c = summary.counts
        if summary.alreadyIngested {
            print("\(summary.file): already ingested (\(c.read) lines read = \(c.stored) stored + \(c.duplicates) duplicates + \(c.quarantined) quarantined); nothing changed")
            return
        }
        let rate = seconds > 0 ? Int(Double(c.read) / seconds) : 0
        var line = "\(summary.file) [\(summary.feed)]: \(c.read) lines read = \(c.stored) events stored + \(c.duplicates) duplicates + "
            + "\(c.quarantined) quarantined (\(String(format: "%.1f", seconds)) s, \(rate) lines/s)"
        if summary.resumedAfterLine > 0 { line += "; resumed after line \(summary.resumedAfterLine)" }
        if c.quarantined > 0 { line += "\n  see the quarantined lines: confianza quarantine show \(summary.run.uuidString)" }
        print(line)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
