import ArgumentParser
import ConfianzaCore
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
            abstract: "Import a knowledge file: all of it (records added, or replaced by id) or, at the first fault (named by entry and field), nothing.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The file: {\"initiatives\": […], \"caseStudies\": […], \"agreements\": […]}.") var file: String

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let text = try AssessCommand.read(self.file)
            let file = self.file
            let base = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do {
                    return try await KnowledgeService(store: store).importFile(text, file: file, by: FeedsCommand.actor(), address: "cli")
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
        @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let clearOnly = self.clearOnly
            let text = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                KnowledgeFile.json(try await store.knowledge(clearOnly: clearOnly)).text
            }
            if let output = self.output {
                guard FileManager.default.createFile(atPath: output, contents: Data((text + "\n").utf8)) else { throw CLIError("cannot write \(output)") }
            } else {
                print(text)
            }
        }
    }
}
