import ArgumentParser
import ConfianzaCore
import ConfianzaLocales
import ConfianzaStore
import Foundation
import Logging

/// `confianza report`: the annual report to Council, and the differences between two years' reports.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "The annual report to Council (JSON or Markdown, public or internal edition), and the diff of two reports.",
        subcommands: [Annual.self, Diff.self])

    struct Annual: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the annual report: every module's figures for a year. The public edition (TLP:CLEAR, the default) hides small counts.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The year reported on.") var year: Int
        @Option(help: "json, md, html or pdf (pdf through headless Chromium).") var format: String = "json"
        @Option(help: "CLEAR (public, the default) or AMBER (internal).") var tlp: String = "CLEAR"
        @Option(help: "The generation date the report states, YYYY-MM-DD (default: today); the same date gives the same bytes.") var asOf: String?
        @Option(help: "Counts below this are hidden in the public edition.") var threshold: Int = AnnualReport.defaultThreshold
        @Option(help: "The language of the report (en, es, fr).") var language: String = "en"
        @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var out: String?

        static func option(_ error: ReportError) -> String {
            switch error {
            case .year: "year"
            case .edition: "tlp"
            case .asOf: "as-of"
            case .threshold: "threshold"
            case .format, .notPublished: "format"
            }
        }

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            guard ["json", "md", "html", "pdf"].contains(self.format) else { throw CLIError("--format is json, md, html or pdf") }
            if self.format == "pdf" { guard self.out != nil else { throw CLIError("--format pdf needs --out FILE") } }
            guard let language = Language(rawValue: self.language) else { throw CLIError("--language is en, es or fr") }
            let request: ReportRequest
            do {
                request = try ReportRequest.parse(year: String(self.year), edition: self.tlp, asOf: self.asOf, threshold: String(self.threshold), today: Date())
            } catch {
                throw CLIError("--\(Self.option(error)): \(error.description)")
            }
            let sme: SMEQuestionnaire
            do { sme = try RiskCatalogues.bundled().sme } catch { throw CLIError("the bundled risk data cannot be read: \(error)") }
            let report = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                try await ReportService(store: store, sme: sme).report(request)
            }
            let texts: TextCatalogue
            do { texts = try LocaleFiles.load() } catch { throw CLIError("the bundled locale files cannot be read: \(error)") }
            let renderer = ReportRenderer(texts: texts, language: language)
            let text: String
            switch self.format {
            case "json": text = ReportRenderer.pretty(ReportRenderer.json(report)) + "\n"
            case "md": text = renderer.markdown(report)
            default: text = renderer.html(report)
            }
            if self.format == "pdf", let out = self.out {
                let pdf: Data
                do { pdf = try await ReportPDF.print(html: text) } catch { throw CLIError(error.description) }
                guard FileManager.default.createFile(atPath: out, contents: pdf) else { throw CLIError("cannot write \(out)") }
                return
            }
            if let out = self.out {
                guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else { throw CLIError("cannot write \(out)") }
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List what changed between two reports written with --format json: each figure, row and total.")
        @Argument(help: "The earlier report (JSON).") var before: String
        @Argument(help: "The later report (JSON).") var after: String

        func run() async throws {
            func read(_ path: String) throws -> JSONValue {
                let text = try AssessCommand.read(path)
                do { return try JSONReader.parse(text) } catch { throw CLIError("\(path): not valid JSON (\(error.reason))") }
            }
            let changes = ReportDiff.compare(try read(self.before), try read(self.after))
            if changes.isEmpty { print("no differences") }
            for change in changes { print("\(change.path): \(change.before ?? "—") → \(change.after ?? "—")") }
        }
    }
}
