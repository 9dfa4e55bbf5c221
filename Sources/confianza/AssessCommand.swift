import ArgumentParser
import ConfianzaCore
import ConfianzaStore
import Logging
import Foundation

/// `confianza assess …`: the score calculator offline, framework checks, and loading a framework revision.
struct AssessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assess", abstract: "National capacity assessments: score answers, check and load frameworks.",
        subcommands: [Score.self, ValidateFramework.self, LoadFramework.self, Frameworks.self])

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError("\(path): not UTF-8 text") }
        return text
    }

    /// A framework file, or a bundled framework by name (`five-pillars`, `evidence-index`).
    static func framework(_ path: String) throws -> AssessmentFramework {
        let text: String
        let file: String
        if !FileManager.default.fileExists(atPath: path),
            let bundled = AssessmentService.bundledFrameworkFiles().first(where: { $0.name == path + ".json" || $0.name == path })
        {
            text = bundled.text
            file = bundled.name
        } else {
            text = try Self.read(path)
            file = path
        }
        do { return try FrameworkFile.framework(text, file: file) } catch { throw CLIError(error.description) }
    }

    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute a score from a framework and an answers file, offline (no database).",
            discussion: """
                --json prints {"total", "maximum", "tier", "exact", "pillars": {id: n}, "indicators": {id: n}, "questions": {id: n}}, \
                unrounded; indicators and questions are their points in the total. Without it, a table rounded to two decimals. \
                --framework takes a file, or the name of a bundled framework (five-pillars, evidence-index).
                """)
        @Option(help: "The framework file (JSON), or a bundled framework's name.") var framework: String
        @Option(help: "The answers file (JSON).") var answers: String
        @Flag(help: "Print the score as JSON, unrounded.") var json = false

        func run() async throws {
            let framework = try AssessCommand.framework(self.framework)
            let sheet: AnswerSheet
            do { sheet = try FrameworkFile.answers(try AssessCommand.read(self.answers), framework: framework, file: self.answers) } catch let error as AssessmentFileError {
                throw CLIError(error.description)
            }
            let card = Scoring.score(sheet, with: framework)
            if self.json {
                print(card.json.text)
                return
            }
            let country = sheet.country.map { " — \($0)" } ?? ""
            print("\(framework.title.text(.english)) \(framework.edition)\(country)")
            for pillar in card.pillars {
                print("  \(pillar.id.padding(toLength: 24, withPad: " ", startingAt: 0)) \(pillar.score.formatted().leftPad(7)) / \(pillar.max.formatted())")
                for indicator in pillar.indicators {
                    print("    \(indicator.id.padding(toLength: 22, withPad: " ", startingAt: 0)) \(indicator.points.formatted().leftPad(7))")
                }
            }
            print("  total                    \(card.total.formatted().leftPad(7)) / \(card.maximum.formatted())")
            print("  tier                     \(card.tier.map { "\($0.id) (\($0.title.text(.english)))" } ?? "none")")
            if !card.isExact { print("  (weights too fine for exact fractions: computed in floating point)") }
        }
    }

    struct ValidateFramework: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate-framework", abstract: "Check a framework file; prints its outline, or the first fault with its JSON path.")
        @Argument(help: "The framework file (JSON).") var file: String

        func run() async throws {
            let framework = try AssessCommand.framework(self.file)
            let indicators = framework.pillars.reduce(0) { $0 + $1.indicators.count }
            print(
                "\(self.file): framework \(framework.id) edition \(framework.edition): \(framework.pillars.count) pillars, \(indicators) indicators, "
                    + "\(framework.questions.count) questions, maximum \(framework.maximum.formatted()), \(framework.tiers.count) tiers — valid")
        }
    }

    struct LoadFramework: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load-framework",
            abstract: "Load a framework file into the database as its next revision (new weights: validated scores are recomputed, old ones kept).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The framework file (JSON).") var file: String

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let text = try AssessCommand.read(self.file)
            let file = self.file
            let (stored, changes) = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                do {
                    return try await AssessmentService(store: store).loadFramework(text, file: file, by: FeedsCommand.actor(), address: "cli")
                } catch let error as AssessmentError {
                    throw CLIError(error.description)
                }
            }
            print("loaded \(stored.framework.id) \(stored.framework.edition) as revision \(stored.revision)"
                + (changes.isEmpty ? "" : "; methodology changed: \(changes.joined(separator: ", "))"))
        }
    }

    struct Frameworks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the frameworks in the database (newest revision of each).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            let list = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in try await store.frameworks() }
            for stored in list {
                print("\(stored.framework.id)\t\(stored.framework.edition)\trevision \(stored.revision)\t\(stored.framework.title.text(.english))")
            }
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { self.count >= width ? self : String(repeating: " ", count: width - self.count) + self }
}
