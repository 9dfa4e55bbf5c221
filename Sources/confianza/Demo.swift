import ArgumentParser
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaNetwork
import ConfianzaStore
import ConfianzaSTIX
import Foundation
import Logging

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a fresh demo: a new SQLite database full of realistic synthetic data, served at once.",
        discussion: "The demo database is made anew on each run; it never touches a database the demo did not make.")

    @Option(help: "SQLite file for the demo, recreated on each run.")
    var database = "confianza-demo.db"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @OptionGroup var server: ServerOptions

    static let marker = "created-by"

    func run() async throws {
        var flags = self.server.flags
        flags["database"] = self.database
        flags["logLevel"] = self.logLevel ?? "warning"
        let settings: Settings
        do {
            settings = try Settings.resolve(flags: flags, environment: [:], configFile: nil)
        } catch {
            throw CLIError(error.description)
        }
        guard case .sqlite(let path) = try? DatabaseLocation.parse(settings.database) else {
            throw CLIError("the demo runs on an SQLite file only; give --database a file name")
        }
        let logger = Runtime.logger(settings)
        let registry = Runtime.metricsRegistry()
        try await Self.removeOldDemo(path: path, settings: settings, logger: logger)

        try await Runtime.withStore(settings, logger: logger) { store in
            try await store.setInstanceSetting(Self.marker, to: "confianza demo")
            let constituency = ConstituencyService(store: store)
            let accounts = Runtime.accounts(store, settings)
            let (login, assessed) = try await DemoData.seed(accounts: accounts, constituency: constituency) { admin in
                try await DemoAssessments.seed(service: AssessmentService(store: store), accounts: accounts, admin: admin)
            }
            let knowledge = try await DemoKnowledge.seed(store: store, now: Date())
            let risk = try await DemoRisk.seed(store: store, catalogues: try Runtime.riskCatalogues(settings), now: Date())
            try await Self.ingestDemoReports(store: store, constituency: constituency)
            try await Self.workDemoIncidents(store: store, constituency: constituency)
            let peerToken = try await Self.shareDemoCollections(store: store, producer: settings.incidentTag)

            try await Runtime.serve(store: store, settings: settings, logger: logger, registry: registry) { url in
                // Written straight to the file descriptor: print() would sit in a buffer when piped.
                FileHandle.standardOutput.write(Data(
                    """

                    Confianza demo is running at \(url)
                    Sign in as \(login.username), password \(login.password)
                    National assessments: \(assessed.assessments), of 20 countries; Uruguay's focal point signs in as
                      \(assessed.focalPoint.username), password \(assessed.focalPoint.password)
                    Risk: \(risk.registers) registers, \(risk.cycles) cycles; \(risk.sharedResults) shared SME self-assessments;
                      the public self-assessment is at \(url)/self-assessment
                    Knowledge base: \(knowledge.initiatives) initiatives, \(knowledge.caseStudies) case studies, \(knowledge.agreements) agreements;
                      the public portal is at \(url)/public/knowledge
                    TAXII 2.1: \(url)/taxii2/ (a collection per TLP level); peer CERT.br (demo) signs in with
                      user cert-br and password \(peerToken)
                    Data: \(path) (made anew on each run). Stop with Ctrl-C.


                    """.utf8))
            }
        }
    }

    /// A few days of Shadowserver reports, ingested as `confianza ingest` would.
    static func ingestDemoReports(store: SQLStore, constituency: ConstituencyService) async throws {
        // Addresses inside the demo's networks: a few hosts of the first prefixes.
        var addresses: [IPAddress] = []
        for owned in try await store.assets(organisationID: nil) {
            guard case .prefix(let prefix) = owned.asset, case .v4(let base) = prefix.address, prefix.length >= 20 else { continue }
            addresses.append(.v4(base | 7))
            if addresses.count >= 300 { break }
        }
        // A peer's indicators, imported before the reports so that some events match them.
        let markings: [TLP] = [.green, .amber, .red]
        let indicators = addresses.prefix(3).enumerated().map { index, address in
            Indicator(
                id: "indicator--\(STIXID.uuid5(namespace: STIXID.observableNamespace, name: "demo-indicator-\(index)").uuidString.lowercased())",
                version: "2024-01-01T00:00:00.000Z", name: ["Emotet C2", "Mirai scanner", "Phishing kit host"][index],
                pattern: "[ipv4-addr:value = '\(address)']", patternType: "stix", address: address.description,
                validFrom: Date().addingTimeInterval(-30 * 86400), validUntil: Date().addingTimeInterval(60 * 86400), revoked: false,
                tlp: markings[index], source: "CERT.br (demo)", importedAt: Date())
        }
        _ = try await store.upsertIndicators(indicators)
        let pipeline = IngestPipeline(
            store: store, constituency: constituency, mapping: try ShadowserverMapping.bundled(), incidents: IncidentService(store: store))
        for report in DemoReports.make(now: Date(), addresses: addresses) {
            _ = try await pipeline.ingest(
                fileName: report.fileName, format: .shadowserver(reportType: nil), source: "demo",
                open: { MemoryChunks(Array(report.text.utf8)) })
        }
    }

    /// Incidents in every status, as a team's queue looks mid-week: some grouped from the reports and
    /// worked on, and a few older ones that have missed their due dates.
    static func workDemoIncidents(store: SQLStore, constituency: ConstituencyService) async throws {
        let service = IncidentService(store: store)
        let grouped = try await store.incidents(matching: IncidentQuery(limit: 1000)).sorted { $0.number < $1.number }
        let analysts = ["ana.garcia", "kwame.mensah", "samir.haddad"]
        let paths: [[IncidentStatus]] = [
            [], [.triaged], [.triaged, .inProgress], [.triaged, .waiting], [.triaged, .inProgress, .resolved],
            [.triaged, .inProgress, .resolved, .closed],
        ]
        for (index, incident) in grouped.enumerated() {
            let path = paths[index % paths.count]
            let analyst = analysts[index % analysts.count]
            if !path.isEmpty { try await service.assign(incident.id, to: analyst, by: analyst) }
            for status in path { try await service.move(incident.id, to: status, by: analyst) }
            if path.count >= 2 {
                try await service.addNote(incident.id, "Contacted the organisation's abuse desk; waiting for their confirmation.", by: analyst)
            }
        }
        // Older incidents, opened days ago, that have missed their targets.
        let organisations = try await store.organisations().prefix(3)
        let past = Date().addingTimeInterval(-4 * 86400)
        let earlier = IncidentService(store: store, now: { past })
        let overdue: [(String, String, Severity, [IncidentStatus])] = [
            ("Ransomware at a hospital's file server", "infected-system", .critical, []),
            ("Phishing site imitating a bank", "phishing", .high, [.triaged, .inProgress]),
            ("Defacement of a municipal website", "application-compromise", .high, [.triaged]),
        ]
        for (index, (title, type, severity, path)) in overdue.enumerated() {
            let organisation = organisations.dropFirst(index).first.map { [$0.id] } ?? []
            let incident = try await earlier.create(.init(title: title, type: type, severity: severity, organisations: organisation), by: "ana.garcia")
            for status in path { try await earlier.move(incident.id, to: status, by: "ana.garcia") }
        }
    }

    /// A TAXII collection per TLP level, holding some incidents (at several markings) and the
    /// indicators; a peer who may read them all and add to the GREEN one. Returns the peer's token.
    static func shareDemoCollections(store: SQLStore, producer: String) async throws -> String {
        let sharing = SharingService(store: store)
        var collections: [TLP: TAXIICollection] = [:]
        for tlp in TLP.allCases {
            let alias = String(tlp.rawValue.dropFirst(4)).lowercased().replacingOccurrences(of: "+", with: "-")
            collections[tlp] = try await sharing.addCollection(
                title: "\(producer) \(tlp.rawValue)", tlp: tlp.rawValue, alias: alias, description: "Incidents and indicators shared up to \(tlp.rawValue)",
                by: "demo")
        }
        let service = IncidentService(store: store)
        let taxii = TAXIIService(store: store)
        let bundles = IncidentSharing(store: store, incidents: service, producer: producer)
        let incidents = try await store.incidents(matching: IncidentQuery(limit: 24)).sorted { $0.number < $1.number }
        for (index, incident) in incidents.enumerated() {
            let tlp = TLP.allCases[index % TLP.allCases.count]
            let marked = try await service.setTLP(incident.id, tlp, by: "ana.garcia")
            _ = try await taxii.publish(try await bundles.objects([marked], eventLimit: 50), tlp: tlp)
        }
        let indicators = try await store.indicators(matching: IndicatorQuery(), now: Date())
        let stix: [JSONValue] = indicators.map { indicator in
            .object([
                "type": .string("indicator"), "spec_version": .string("2.1"), "id": .string(indicator.id), "created": .string(indicator.version),
                "modified": .string(indicator.version), "name": .string(indicator.name), "pattern": .string(indicator.pattern),
                "pattern_type": .string(indicator.patternType), "valid_from": .string(EventTime.format(indicator.validFrom).replacingOccurrences(of: "+00:00", with: "Z")),
                "object_marking_refs": .array([.string(STIXMarking.id(indicator.tlp))]),
            ])
        }
        _ = try await taxii.publish(stix + TLP.allCases.map(STIXMarking.definition), tlp: .amber)
        let peer = try await service.savePeer(PeerDraft(name: "CERT.br (demo)", country: "BR", contact: "cert@cert.br.example", tlpCeiling: "TLP:AMBER"))
        for (tlp, collection) in collections {
            try await sharing.setAccess(collectionID: collection.id, peerID: peer.id, read: true, write: tlp == .green, by: "demo")
        }
        let secret = try await sharing.issueToken(peerID: peer.id, by: "demo")
        return secret
    }

    /// Deletes the previous demo database, but only one the demo made.
    static func removeOldDemo(path: String, settings: Settings, logger: Logger) async throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let madeByDemo = try await Runtime.withStore(settings, logger: logger, migrate: false) { store in
            (try? await store.instanceSetting(Self.marker)) == "confianza demo"
        }
        guard madeByDemo else {
            throw CLIError("\(path) exists and was not made by the demo; it is left alone. Give the demo another --database file.")
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = path + suffix
            if FileManager.default.fileExists(atPath: file) {
                do { try FileManager.default.removeItem(atPath: file) } catch { throw CLIError("cannot remove \(file): \(error.localizedDescription)") }
            }
        }
    }
}
