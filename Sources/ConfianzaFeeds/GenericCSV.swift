import ConfianzaCore
import Foundation

/// A CSV feed described by a small mapping file its user writes:
///
/// ```json
/// {
///   "feed": "Partner blocklist",
///   "provider": "Partner CERT",
///   "delimiter": ";",
///   "tlp": "TLP:GREEN",
///   "columns": {"ip": "source.ip", "seen": "time.source", "port": "source.port", "comment": "comment"},
///   "required": ["ip", "seen"],
///   "constant": {"classification.type": "blacklist"},
///   "severity": "low"
/// }
/// ```
///
/// The file's first row names the columns. `columns` maps them to harmonization keys (others are kept
/// as `extra.<column>`); `required` columns must be present and valid in every row; `constant` fields
/// go into every event; `delimiter` (default `,`), `tlp` (default `TLP:AMBER`) and `severity` (default
/// `info`) are optional.
public struct GenericCSVMapping: Sendable {
    public var feed: String
    public var delimiter: UInt8
    /// The mapping in the form the column-mapped parser reads.
    public var mapping: ShadowserverMapping

    private struct File: Decodable {
        var feed: String
        var provider: String?
        var delimiter: String?
        var tlp: String?
        var columns: [String: String]
        var required: [String]?
        var constant: [String: String]?
        var severity: String?
    }

    /// Reads and checks a mapping file; refusals name the file and what is wrong.
    public static func load(_ url: URL) throws(FeedError) -> GenericCSVMapping {
        let name = url.lastPathComponent
        guard let data = try? Data(contentsOf: url) else { throw .badMapping(name, "cannot be read") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw .badMapping(name, "is not a mapping (a JSON object with feed, columns and optionally required, constant, delimiter, tlp, severity)")
        }
        let delimiter = file.delimiter ?? ","
        guard delimiter.utf8.count == 1, let byte = delimiter.utf8.first, byte != UInt8(ascii: "\""), byte != 10, byte != 13 else {
            throw .badMapping(name, "delimiter must be one character, not a quote or a line break")
        }
        guard !file.feed.trimmingCharacters(in: .whitespaces).isEmpty else { throw .badMapping(name, "feed is empty") }
        let columns = Dictionary(uniqueKeysWithValues: file.columns.map { ($0.key.lowercased(), $0.value) })
        let required = Set((file.required ?? []).map { $0.lowercased() })
        if let unknown = required.first(where: { columns[$0] == nil }) {
            throw .badMapping(name, "required column '\(unknown)' is not in columns")
        }
        let report = ShadowserverMapping.Report(
            name: "csv", feed: file.feed, constant: file.constant ?? [:], required: columns.filter { required.contains($0.key) },
            optional: columns.filter { !required.contains($0.key) }, severity: file.severity ?? "info")
        let mapping = try ShadowserverMapping.make(
            provider: file.provider ?? file.feed, tlp: file.tlp ?? TLP.amber.rawValue, aliases: [:], reports: ["csv": report], source: name)
        return GenericCSVMapping(feed: file.feed, delimiter: byte, mapping: mapping)
    }
}
