import ArgumentParser
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaStore
import Foundation
import Logging

struct ConstituencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "constituency", abstract: "Import and export the constituency (organisations, contacts, networks).",
        subcommands: [Import.self, Export.self])

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv }
    enum Table: String, ExpressibleByArgument, CaseIterable { case organisations, assets, contacts }

    static func quiet(_ global: GlobalOptions) throws -> (Settings, Logger) {
        var settings = try Runtime.settings(global)
        if global.logLevel == nil { settings.logLevel = .warning }
        return (settings, Runtime.logger(settings))
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a file's organisations, contacts or networks; all or nothing.",
            discussion: """
                JSON (as `export` writes it) holds the whole constituency; with --replace it takes the place of
                what is stored. CSV files hold one table each, told apart by their header row:
                  organisations: name,sector,country,kind[,tlp_ceiling][,notes]
                  assets:        organisation,kind,value[,note]        (kind: prefix, asn, domain, country)
                  contacts:      organisation,name,email[,language][,role][,frequency][,minimum_severity][,classification_types][,feeds][,pgp_key]
                One bad row rejects the file with its line and the reason, and nothing is changed.
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The file to import, or - for standard input.") var file: String
        @Option(help: "json or csv (default: from the file's extension or content).") var format: Format?
        @Flag(help: "Replace the whole constituency with the file's (JSON only).") var replace = false

        func run() async throws {
            let bytes: [UInt8]
            if self.file == "-" {
                bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: self.file) else { throw CLIError("cannot read \(self.file)") }
                bytes = Array(data)
            }
            let format = self.format.flatMap { ConstituencyFile.Format(rawValue: $0.rawValue) }
                ?? ConstituencyFile.Format.detect(fileName: self.file, bytes: bytes)
            let (settings, logger) = try ConstituencyCommand.quiet(self.global)
            let batch = try await Runtime.withStore(settings, logger: logger) { store in
                let existing = ConstituencyFile.Existing(
                    organisations: try await store.organisations(), contacts: try await store.contacts(organisationID: nil),
                    assets: try await store.assets(organisationID: nil))
                let batch: ConstituencyBatch
                do {
                    batch = try ConstituencyFile.read(bytes, format: format, existing: existing, replace: self.replace, now: Date())
                } catch let error as ConstituencyFileError {
                    throw CLIError("\(self.file): \(error.description)")
                }
                do {
                    try await ConstituencyService(store: store).importBatch(batch, replace: self.replace)
                } catch let error as ConstituencyError {
                    throw CLIError("\(self.file): \(error.description)")
                }
                try await store.appendAudit(
                    AuditEvent(
                        at: Date(), actor: nil, action: self.replace ? .constituencyReplaced : .constituencyImported, target: self.file,
                        address: "cli",
                        detail: "\(batch.organisations.count) organisations, \(batch.contacts.count) contacts, \(batch.assets.count) assets"))
                return batch
            }
            print(
                "\(self.replace ? "Replaced the constituency with" : "Imported") \(batch.organisations.count) organisations, "
                    + "\(batch.contacts.count) contacts and \(batch.assets.count) assets from \(self.file).")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the constituency as JSON (all of it) or one CSV table.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "json or csv.") var format: Format = .json
        @Option(help: "With --format csv: organisations, assets or contacts.") var table: Table = .organisations
        @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            let (settings, logger) = try ConstituencyCommand.quiet(self.global)
            let bytes = try await Runtime.withStore(settings, logger: logger) { store in
                let organisations = try await store.organisations()
                let contacts = try await store.contacts(organisationID: nil)
                let assets = try await store.assets(organisationID: nil)
                switch self.format {
                case .json: return ConstituencyFile.exportJSON(organisations: organisations, contacts: contacts, assets: assets)
                case .csv:
                    let table = ConstituencyFile.Table(rawValue: self.table.rawValue) ?? .organisations
                    return ConstituencyFile.exportCSV(table, organisations: organisations, contacts: contacts, assets: assets)
                }
            }
            if let output = self.output {
                guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else { throw CLIError("cannot write \(output)") }
            } else {
                FileHandle.standardOutput.write(Data(bytes))
            }
        }
    }
}

struct Lookup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Who is responsible for an address, AS number, domain or URL, and by which rule.",
        discussion: "Exits 0 when an organisation answers, 1 when none does.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "198.51.100.7, 2001:db8::1, AS64500, www.example.org or https://example.org/path") var query: String
    @Flag(help: "Print JSON.") var json = false

    struct Answer: Codable {
        struct Owner: Codable {
            var name: String
            var sector: String
            var country: String
            var tlpCeiling: String
            var contacts: [String]
        }
        var query: String
        var rule: String?
        var organisations: [Owner]
    }

    func run() async throws {
        let (settings, logger) = try ConstituencyCommand.quiet(self.global)
        let answer = try await Runtime.withStore(settings, logger: logger) { store in
            let (query, match): (LookupQuery, ConstituencyMatch?)
            do { (query, match) = try await ConstituencyService(store: store).lookup(self.query) } catch let error as ConstituencyError {
                throw CLIError(error.description)
            }
            var owners: [Answer.Owner] = []
            for organisation in match?.organisations ?? [] {
                let contacts = try await store.contacts(organisationID: organisation.id).map {
                    "\($0.name) <\($0.email)> (\($0.role.rawValue), \($0.language), \($0.policy.frequency.rawValue))"
                }
                owners.append(
                    Answer.Owner(
                        name: organisation.name, sector: organisation.sector.rawValue, country: organisation.country,
                        tlpCeiling: organisation.tlpCeiling.rawValue, contacts: contacts))
            }
            return Answer(query: query.description, rule: match.map { $0.rule.description }, organisations: owners)
        }
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(answer) + Data("\n".utf8))
        } else if let rule = answer.rule {
            for owner in answer.organisations {
                print("\(answer.query) → \(owner.name) (\(owner.sector), \(owner.country); TLP ceiling \(owner.tlpCeiling))")
                for contact in owner.contacts { print("  contact: \(contact)") }
            }
            print("  rule: \(rule)")
        } else {
            print("\(answer.query): no organisation of the constituency is responsible")
        }
        if answer.rule == nil { throw ExitCode(1) }
    }
}
