import ArgumentParser
import ConfianzaCore
import ConfianzaStore
import Foundation
import Logging

/// `confianza risk`: risk registers as files, and the data they stand on checked from the command line.
struct RiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk", abstract: "Risk registers: export and import them as files (format confianza-risk), check a matrix file.",
        subcommands: [Export.self, Import.self, ValidateMatrix.self])


    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every register (or one organisation's) with all its cycles, each carrying its matrix, as JSON.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this organisation (its id or exact name).") var organisation: String?
        @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let catalogues = try Runtime.riskCatalogues(settings)
            let wanted = self.organisation
            let text = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let service = RiskService(store: store, catalogues: catalogues)
                var id: UUID?
                if let wanted {
                    let organisations = try await store.organisations()
                    guard
                        let found = UUID(uuidString: wanted).flatMap({ id in organisations.first { $0.id == id } })
                            ?? organisations.first(where: { $0.name.compare(wanted, options: [.caseInsensitive, .diacriticInsensitive]) == .orderedSame })
                    else { throw CLIError("there is no organisation \"\(wanted)\" in the constituency") }
                    id = found.id
                }
                return try await service.exportRegisters(organisationID: id).text
            }
            if let output = self.output {
                guard FileManager.default.createFile(atPath: output, contents: Data((text + "\n").utf8)) else { throw CLIError("cannot write \(output)") }
            } else {
                print(text)
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a register file: all of it or, at the first fault (named by its JSON path), nothing.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The register file (JSON, as `risk export` writes it).") var file: String

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let catalogues = try Runtime.riskCatalogues(settings)
            let text = try AssessCommand.read(self.file)
            let file = self.file
            let count = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do {
                    return try await RiskService(store: store, catalogues: catalogues).importRegisters(text, file: file, by: FeedsCommand.actor(), address: "cli")
                } catch let error as RiskError {
                    throw CLIError(error.description)
                }
            }
            print("imported \(count) cycle\(count == 1 ? "" : "s") from \(file)")
        }
    }

    struct ValidateMatrix: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate-matrix", abstract: "Check a risk matrix file; prints its levels, or the first fault with its JSON path.")
        @Argument(help: "The matrix file (JSON).") var file: String

        func run() async throws {
            let text = try AssessCommand.read(self.file)
            do {
                let matrix = try RiskMatrix.load(text, file: self.file)
                let levels = matrix.levels.map { "\($0.id) \($0.min)–\($0.max) \($0.colour)" }.joined(separator: ", ")
                print("\(self.file): matrix \(matrix.id), \(matrix.size)×\(matrix.size), levels \(levels) — valid")
            } catch {
                throw CLIError(error.description)
            }
        }
    }
}
