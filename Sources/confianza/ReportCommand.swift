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

        func run() async throws {
            var settings = try Runtime.settings(self.global)
            if self.global.logLevel == nil { settings.logLevel = .warning }
            guard (1970...9999).contains(self.year) else { throw CLIError("--year must be a year such as 2026") }
            guard ["json", "md", "html", "pdf"].contains(self.format) else { throw CLIError("--format is json, md, html or pdf") }
            if self.format == "pdf" { guard self.out != nil else { throw CLIError("--format pdf needs --out FILE") } }
            guard let edition = TLP(label: self.tlp), edition == .clear || edition == .amber else { throw CLIError("--tlp is CLEAR or AMBER") }
            guard (1...100).contains(self.threshold) else { throw CLIError("--threshold is 1 to 100") }
            guard let language = Language(rawValue: self.language) else { throw CLIError("--language is en, es or fr") }
            let asOf: Date
            if let text = self.asOf {
                guard let day = CalendarDay.parse(text) else { throw CLIError("--as-of is a date, YYYY-MM-DD") }
                asOf = day
            } else {
                asOf = CalendarDay.parse(CalendarDay.format(Date())) ?? Date()
            }
            guard let start = CalendarDay.parse(String(format: "%04d-01-01", self.year)), let end = CalendarDay.parse(String(format: "%04d-01-01", self.year + 1))
            else { throw CLIError("--year must be a year such as 2026") }
            let clearOnly = edition == .clear
            let inputs = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                try await ReportCommand.inputs(store: store, from: start, to: end, clearOnly: clearOnly)
            }
            var report = AnnualReportBuilder.build(year: self.year, asOf: asOf, inputs: inputs, edition: .amber)
            if clearOnly { report = report.published(threshold: self.threshold) }
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
                try ReportCommand.printPDF(html: text, to: out)
                return
            }
            if let out = self.out {
                guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else { throw CLIError("cannot write \(out)") }
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    /// Every module's figures for `[start, end)`, from records one may publish when `clearOnly`.
    static func inputs(store: SQLStore, from start: Date, to end: Date, clearOnly: Bool) async throws -> AnnualReportInputs {
        let year = start..<end
        var incidents: [Incident] = []
        var offset = 0
        while true {
            let page = try await store.incidents(matching: IncidentQuery(limit: 5000, offset: offset))
            incidents += page.filter { year.contains($0.createdAt) }
            if page.count < 5000 { break }
            offset += page.count
        }
        let sectors = Dictionary(uniqueKeysWithValues: try await store.organisations().map { ($0.id, $0.sector) })
        var cycles: [(organisation: UUID, residualLevels: [Int])] = []
        for header in try await store.cycleHeaders(organisationID: nil).reversed() where year.contains(header.startedAt) {
            if let stored = try await store.cycle(id: header.id) {
                cycles.append((stored.cycle.organisationID, RiskService.levelCounts(stored, rating: \.residual)))
            }
        }
        return AnnualReportInputs(
            incidents: incidents, sectors: sectors, knowledgeAdded: try await store.knowledgeAdded(from: start, to: end, clearOnly: clearOnly),
            network: AgreementNetwork(agreements: try await store.knowledge(clearOnly: clearOnly).agreements),
            smeResults: try await store.smeResults(limit: 1_000_000).filter { year.contains($0.sharedOn) }, riskCycles: cycles)
    }

    /// Prints HTML to PDF with headless Chromium (Debian's `chromium`), the marking in every page's footer
    /// and Chromium's page numbers.
    static func printPDF(html: String, to out: String) throws {
        let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        guard let chromium = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CLIError("PDF needs headless Chromium: install the Debian package chromium (apt-get install chromium), or write --format html and print it")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("report.html")
        try Data(html.utf8).write(to: page)
        let target = URL(fileURLWithPath: out).standardizedFileURL.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--user-data-dir=\(folder.path)/profile",
            "--print-to-pdf=\(target)", page.absoluteString,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: target) else {
            throw CLIError("Chromium could not print the report (exit \(process.terminationStatus))")
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
