import ArgumentParser
import ConfianzaCore
import ConfianzaSTIX
import ConfianzaStore
import Foundation
import Logging

/// STIX 2.1 out of Confianza.
struct STIXCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stix", abstract: "Write STIX 2.1 bundles.", subcommands: [Export.self, Import.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write incidents with their events as one STIX 2.1 bundle (TLP 2.0 markings, nothing above --ceiling).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("incident"), help: "An incident's number (repeat for several).") var incidents: [Int] = []
        @Option(help: "The receiver's TLP ceiling: objects marked above it are left out.") var ceiling: String = "TLP:RED"
        @Option(help: "Write here instead of standard output.") var out: String?
        @Option(help: "Our team's name in the bundle (default: the incidentTag setting).") var producer: String?

        func validate() throws {
            guard !self.incidents.isEmpty else { throw ValidationError("name at least one --incident") }
            guard TLP(label: self.ceiling) != nil else { throw ValidationError("--ceiling must be a TLP 2.0 label") }
        }

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let ceiling = TLP(label: self.ceiling) ?? .red
            let producer = self.producer ?? settings.incidentTag
            let bundle = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                var incidents: [Incident] = []
                for number in self.incidents {
                    guard let incident = try await store.incident(number: number) else { throw CLIError("there is no incident #\(number)") }
                    incidents.append(incident)
                }
                return try await IncidentSharing(store: store, incidents: IncidentService(store: store), producer: producer)
                    .bundle(incidents, ceiling: ceiling)
            }
            let data = Data((bundle.text + "\n").utf8)
            if let out = self.out {
                do { try data.write(to: URL(fileURLWithPath: out)) } catch { throw CLIError("cannot write \(out): \(error.localizedDescription)") }
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read the indicators of STIX 2.1 bundles (all or nothing per file); incoming events are matched against them.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Bundles (.json).") var files: [String]
        @Option(help: "Where they came from (default: the file's name).") var source: String?

        func validate() throws {
            guard !self.files.isEmpty else { throw ValidationError("give at least one bundle") }
        }

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            var failed = 0
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                for file in self.files {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        failed += 1
                        FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
                        continue
                    }
                    guard let text = String(data: data, encoding: .utf8) else {
                        failed += 1
                        FileHandle.standardError.write(Data("\(file): not UTF-8\n".utf8))
                        continue
                    }
                    let result = Result { () throws(STIXImportError) in
                        try STIXImporter.indicators(from: text, source: self.source ?? (file as NSString).lastPathComponent, now: Date())
                    }
                    guard case .success(let read) = result else {
                        if case .failure(let error) = result { FileHandle.standardError.write(Data("\(file): \(error.description)\n".utf8)) }
                        failed += 1
                        continue
                    }
                    let counts = try await store.upsertIndicators(read.indicators)
                    try await store.appendAudit(
                        AuditEvent(
                            at: Date(), actor: nil, action: .indicatorsImported, target: self.source ?? (file as NSString).lastPathComponent, address: "cli",
                            detail: "\(counts.added) added, \(counts.replaced) updated, \(counts.unchanged) unchanged, \(read.skipped) skipped"))
                    print("\(file): \(counts.added) indicators added, \(counts.replaced) updated, \(counts.unchanged) unchanged; \(read.skipped) other objects skipped")
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
