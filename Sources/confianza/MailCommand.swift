import ArgumentParser
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaStore
import Foundation
import Logging

/// Mail that comes back: replies to notices, filed with their incidents.
struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "File incoming mail with incidents.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "File replies (.eml) with the incident their subject names ([CIRT #42], the tag set with --incident-tag).",
            discussion: "A mail filter can call this for each message it receives. Exits with 1 if a message names no known incident.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The tag in the subjects (default: the incidentTag setting, CIRT).") var tag: String?
        @Argument(help: "Messages (.eml).") var files: [String]

        func validate() throws {
            guard !self.files.isEmpty else { throw ValidationError("give at least one message") }
        }

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let tag = self.tag ?? settings.incidentTag
            var failed = 0
            try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                let incidents = try Runtime.incidents(store, settings)
                for file in self.files {
                    do {
                        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
                        let reply: MailReply
                        do { reply = try MailReply.read(Array(data)) } catch let error as FeedError { throw CLIError("\(file): \(error.description)") }
                        guard let number = reply.incidentNumber(tag: tag) else {
                            throw CLIError("\(file): the subject '\(reply.subject)' names no incident ([\(tag) #number])")
                        }
                        guard let incident = try await store.incident(number: number) else { throw CLIError("\(file): there is no incident #\(number)") }
                        switch try await incidents.addReply(incident.id, from: reply.from, subject: reply.subject, text: reply.text, by: "mail") {
                        case .filed: print("\(file): filed with incident #\(number)")
                        case .held:
                            print("\(file): held for an analyst on incident #\(number): no notice of it went to \(HeldReply.address(reply.from))")
                        }
                    } catch let error as CLIError {
                        failed += 1
                        FileHandle.standardError.write(Data("\(error.description)\n".utf8))
                    }
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
