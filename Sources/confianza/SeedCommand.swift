import ArgumentParser
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaNetwork
import ConfianzaStore
import Foundation
import Logging

/// `confianza seed`: a national-size synthetic dataset in an empty database (SQLite or PostgreSQL), for
/// the page benchmark and anyone who wants to see Confianza at that size.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill an empty database with a national-size synthetic dataset (organisations, networks, contacts, incidents, events).",
        discussion: """
            --scale national: 20,000 organisations, about 100,000 networks and 40,000 contacts, 100,000 incidents over two years in \
            every status with timelines and notices, 2,000,000 events from daily Shadowserver reports. --scale tenth: a tenth of each. \
            The same --seed gives the same data. Refuses a database that already holds organisations or incidents.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "national or tenth.") var scale: String = "national"
    @Option(help: "The seed of the generator.") var seed: UInt64 = 130
    @Option(help: "Organisations (overrides the scale).") var organisations: Int?
    @Option(help: "Incidents (overrides the scale).") var incidents: Int?
    @Option(help: "Events (overrides the scale).") var events: Int?
    @Option(help: "Days of history (default 730).") var days: Int?

    func run() async throws {
        var settings = try Runtime.settings(self.global)
        if self.global.logLevel == nil { settings.logLevel = .warning }
        var scale: NationalScale
        switch self.scale {
        case "national": scale = .national
        case "tenth": scale = NationalScale(organisations: 2_000, incidents: 10_000, events: 200_000)
        default: throw CLIError("--scale is national or tenth")
        }
        if let n = self.organisations { scale.organisations = n }
        if let n = self.incidents { scale.incidents = n }
        if let n = self.events { scale.events = n }
        if let n = self.days { scale.days = n }
        guard scale.organisations >= 1, scale.incidents >= 0, scale.events >= 0, (1...3650).contains(scale.days) else {
            throw CLIError("--organisations must be at least 1, --incidents and --events at least 0, --days 1 to 3650")
        }
        let mapping = try Runtime.mapping(settings)
        let now = Date()
        try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
            guard try await store.holdsNoConstituencyOrIncidents() else {
                throw CLIError("the database already holds organisations or incidents; seed an empty one")
            }
            var clock = Date()
            func lap(_ what: String) {
                print("\(what) in \(String(format: "%.1f", Date().timeIntervalSince(clock))) s")
                clock = Date()
            }
            let batch = NationalDataset.constituency(seed: self.seed, scale: scale, now: now)
            let constituency = ConstituencyService(store: store)
            try await constituency.importBatch(batch, replace: false)
            lap("\(batch.organisations.count) organisations, \(batch.assets.count) assets, \(batch.contacts.count) contacts")

            let networks = batch.assets.compactMap { owned -> IPPrefix? in
                if case .prefix(let prefix) = owned.asset, case .v4 = prefix.address { return prefix }
                return nil
            }
            var stored = 0
            for day in 0..<scale.days where scale.events > 0 {
                let date = now.addingTimeInterval(-Double(scale.days - day) * 86400)
                let count = scale.events / scale.days + (day < scale.events % scale.days ? 1 : 0)
                let pipeline = IngestPipeline(store: store, constituency: constituency, mapping: mapping, now: { date.addingTimeInterval(86400) })
                for report in NationalReports.day(date, events: count, networks: networks, seed: self.seed &+ UInt64(day)) {
                    let summary = try await pipeline.ingest(
                        fileName: report.fileName, format: .shadowserver(reportType: nil), source: "seed", open: { MemoryChunks(Array(report.text.utf8)) })
                    stored += summary.counts.stored
                }
            }
            lap("\(stored) events over \(scale.days) days")

            var contacts: [UUID: [Contact]] = [:]
            for contact in batch.contacts { contacts[contact.organisationID, default: []].append(contact) }
            var first = 0
            while first < scale.incidents {
                let chunk = NationalDataset.incidents(
                    seed: self.seed, scale: scale, organisations: batch.organisations, contacts: contacts, now: now, first: first, count: 2000)
                try await store.importIncidents(chunk)
                first += chunk.count
            }
            lap("\(scale.incidents) incidents")
            try await store.settleAfterBulkLoad()
        }
    }
}
