import Foundation

/// Prints a report's HTML to PDF with headless Chromium (Debian's `chromium`): the page's own `@page`
/// rules put the marking at the top and bottom of every page and the page numbers at the bottom.
public enum ReportPDF {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case chromiumMissing
        case printFailed(status: Int32)
        case cannotWrite(String)

        public var description: String {
            switch self {
            case .chromiumMissing:
                "PDF needs headless Chromium: install the Debian package chromium (apt-get install chromium), or write HTML and print it"
            case .printFailed(let status): "Chromium could not print the report (exit \(status))"
            case .cannotWrite(let reason): "the PDF cannot be written: \(reason)"
            }
        }
    }

    static let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]

    /// Whether a Chromium to print with is installed.
    public static var isAvailable: Bool { Self.candidates.contains { FileManager.default.isExecutableFile(atPath: $0) } }

    /// The PDF of `html`.
    public static func print(html: String) async throws(Failure) -> Data {
        guard let chromium = Self.candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { throw .chromiumMissing }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("report.html")
        let target = folder.appendingPathComponent("report.pdf")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(html.utf8).write(to: page)
        } catch {
            throw .cannotWrite(error.localizedDescription)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-pdf-header-footer",
            "--user-data-dir=\(folder.path)/profile", "--print-to-pdf=\(target.path)", page.absoluteString,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status: Int32 = await withCheckedContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(returning: -1)
            }
        }
        guard status == 0, let data = FileManager.default.contents(atPath: target.path), data.starts(with: Data("%PDF".utf8)) else {
            throw .printFailed(status: status)
        }
        return data
    }
}
