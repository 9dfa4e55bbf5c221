import ArgumentParser
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaStore
import Foundation
import Logging

/// `confianza knowledge`: the knowledge base as a file.
struct KnowledgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knowledge", abstract: "The knowledge base (initiatives, case studies, agreements): import and export it as JSON.",
        subcommands: [Import.self, Export.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a knowledge file (JSON, or one CSV table): all of it (records added, or replaced by id) or, at the first fault (named by entry and field, or line and column), nothing.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The file: {\"initiatives\": […], \"caseStudies\": […], \"agreements\": […]}.") var file: String

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let text = try AssessCommand.read(self.file)
            let file = self.file
            var csv: KnowledgeBase?
            if !text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
                do { csv = try KnowledgeCSV.read(Array(text.utf8)) } catch { throw CLIError("\(file), \(error.description)") }
            }
            let table = csv
            let base = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do {
                    let service = KnowledgeService(store: store)
                    if let table {
                        try await service.importBase(table, file: file, by: FeedsCommand.actor(), address: "cli")
                        return table
                    }
                    return try await service.importFile(text, file: file, by: FeedsCommand.actor(), address: "cli")
                } catch let error as KnowledgeError {
                    throw CLIError(error.description)
                }
            }
            print("imported \(base.initiatives.count) initiatives, \(base.caseStudies.count) case studies, \(base.agreements.count) agreements from \(file)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the knowledge base as the JSON file `import` reads.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Only TLP:CLEAR records (what the public portal shows).") var clearOnly = false
        @Option(help: "csv: one table (--table initiatives, case-studies or agreements) instead of the JSON file.") var format: String = "json"
        @Option(help: "With --format csv: initiatives, case-studies or agreements.") var table: String = "initiatives"
        @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let clearOnly = self.clearOnly
            guard ["json", "csv"].contains(self.format) else { throw CLIError("--format is json or csv") }
            let tables: [String: KnowledgeKind] = ["initiatives": .initiative, "case-studies": .caseStudy, "agreements": .agreement]
            guard let kind = tables[self.table] else { throw CLIError("--table is initiatives, case-studies or agreements") }
            let csv = self.format == "csv"
            let text = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let base = try await store.knowledge(clearOnly: clearOnly)
                return csv ? KnowledgeCSV.write(kind, base) : KnowledgeFile.json(base).text
            }
            if let output = self.output {
                guard FileManager.default.createFile(atPath: output, contents: Data((text + "\n").utf8)) else { throw CLIError("cannot write \(output)") }
            } else {
                print(text)
            }
        }
    }
}
