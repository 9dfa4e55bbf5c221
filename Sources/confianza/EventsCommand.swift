import ArgumentParser
import ConfianzaCore
import ConfianzaSTIX
import ConfianzaStore
import Foundation
import Logging

/// The events stored, for scripts and bridges (IntelMQ, n6): the same filters and formats as
/// `GET /api/v1/events/export`.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Events for scripts and bridges.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a search's events as IntelMQ JSON lines, CSV or a STIX 2.1 bundle (newest first).",
            discussion: """
                JSON lines and CSV are written as they are read, a page at a time, so any number of events takes \
                little memory; a STIX bundle is one document (at most 100,000 events).
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "jsonl, csv or stix.") var format: String = "jsonl"
        @Option(help: "Only this feed (its name).") var feed: String?
        @Option(help: "Only this RSIT taxonomy.") var taxonomy: String?
        @Option(help: "Only this RSIT classification type.") var type: String?
        @Option(help: "Only this severity: critical, high, medium, low or info.") var severity: String?
        @Option(help: "Only events whose source is this address or in this network (192.0.2.0/24).") var ip: String?
        @Option(help: "Only this AS (64500 or AS64500).") var asn: String?
        @Option(help: "Seen since this day (2024-05-01) or time.") var from: String?
        @Option(help: "Seen before this day (the whole day included) or time.") var to: String?
        @Option(help: "Only events routed to this organisation (its id).") var organisation: String?
        @Option(help: "At most this many events (default: all).") var limit: Int?
        @Option(help: "For STIX: the receiver's TLP ceiling; objects marked above it are left out.") var ceiling: String = "TLP:RED"
        @Option(help: "Write here instead of standard output.") var out: String?

        func validate() throws {
            guard ["jsonl", "csv", "stix"].contains(self.format) else { throw ValidationError("--format must be jsonl, csv or stix") }
            guard TLP(label: self.ceiling) != nil else { throw ValidationError("--ceiling must be a TLP 2.0 label") }
            if let limit = self.limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
        }

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let values: [String: String?] = [
                "feed": self.feed, "taxonomy": self.taxonomy, "type": self.type, "severity": self.severity, "ip": self.ip, "asn": self.asn,
                "from": self.from, "to": self.to, "organisation": self.organisation,
            ]
            var query: EventQuery
            do { query = try EventQuery.parse({ values[$0] ?? nil }, maximumLimit: Int.max) } catch { throw CLIError("--\(error.field ?? "filter"): \(error.reason)") }
            query.limit = self.limit ?? (self.format == "stix" ? 100_000 : Int.max)
            if self.format == "stix" { query.limit = min(query.limit, 100_000) }
            let output: FileHandle
            if let out = self.out {
                guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                    throw CLIError("cannot write \(out)")
                }
                output = handle
            } else {
                output = FileHandle.standardOutput
            }
            defer { if self.out != nil { try? output.close() } }
            let format = self.format
            let ceiling = TLP(label: self.ceiling) ?? .red
            let producer = settings.incidentTag
            let finalQuery = query
            let written = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store -> Int in
                guard let exportFormat = EventsExport.Format(rawValue: format) else {
                    var stix = finalQuery
                    stix.limit = min(finalQuery.limit, 100_000)
                    let events = try await store.events(matching: stix)
                    let bundle = STIXExporter(producer: producer).bundle(events: events, organisations: try await store.organisations(), ceiling: ceiling, now: Date())
                    output.write(Data((bundle.text + "\n").utf8))
                    return events.count
                }
                return try await EventsExport.write(finalQuery, exportFormat, from: store) { text in output.write(Data(text.utf8)) }
            }
            if self.out != nil { print("\(written) events written to \(self.out ?? "")") }
        }
    }
}
