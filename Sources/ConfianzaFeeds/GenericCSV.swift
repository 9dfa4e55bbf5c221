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
/// The file's first row names the columns, unless `names` gives them (a file without a header row).
/// `columns` maps them to harmonization keys (others are kept as `extra.<column>`); `required` columns
/// must be present and valid in every row; `constant` fields go into every event; `delimiter` (default
/// `,`), `comment` (lines starting with it are skipped, as `#` in many public lists), `tlp` (default
/// `TLP:AMBER`), `severity` (default `info`), `skipInitialSpace` (blanks after a delimiter skipped),
/// `url` (where it is published) and `documentation` (a page about it, in each event's `feed.documentation`)
/// are optional. The public feeds Confianza knows are such files (`Resources/Feeds/public/`).
public struct GenericCSVMapping: Sendable {
    public var feed: String
    public var delimiter: UInt8
    /// The column names of a file without a header row.
    public var names: [String]?
    public var comment: String?
    /// Blanks after a delimiter are skipped (`a, "b"`).
    public var skipInitialSpace: Bool = false
    /// The bundled public feed it is (`public:<name>`), if it is one.
    public var publicName: String?
    /// Where the feed is published (bundled public feeds).
    public var url: String?
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
        var names: [String]?
        var comment: String?
        var url: String?
        var documentation: String?
        var skipInitialSpace: Bool?
    }

    /// Reads and checks a mapping file; refusals name the file and what is wrong.
    public static func load(_ url: URL) throws(FeedError) -> GenericCSVMapping {
        let name = url.lastPathComponent
        guard let data = try? Data(contentsOf: url) else { throw .badMapping(name, "cannot be read") }
        return try Self.read(data, source: name)
    }

    /// Reads and checks a mapping given as bytes.
    public static func read(_ data: Data, source name: String) throws(FeedError) -> GenericCSVMapping {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw .badMapping(name, "is not a mapping (a JSON object with feed, columns and optionally required, constant, delimiter, tlp, severity, names, comment)")
        }
        let delimiter = file.delimiter ?? ","
        let tab = delimiter == "\\t" ? "\t" : delimiter
        guard tab.utf8.count == 1, let byte = tab.utf8.first, byte != UInt8(ascii: "\""), byte != 10, byte != 13 else {
            throw .badMapping(name, "delimiter must be one character, not a quote or a line break")
        }
        guard !file.feed.trimmingCharacters(in: .whitespaces).isEmpty else { throw .badMapping(name, "feed is empty") }
        let columns = Dictionary(file.columns.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        let names = file.names?.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let names {
            guard !names.isEmpty, !names.contains(where: \.isEmpty), Set(names).count == names.count else {
                throw .badMapping(name, "names must be distinct, non-empty column names")
            }
            if let unknown = columns.keys.sorted().first(where: { !names.contains($0) }) {
                throw .badMapping(name, "column '\(unknown)' is not one of names")
            }
        }
        if let comment = file.comment, comment.isEmpty || comment.count > 4 { throw .badMapping(name, "comment must be 1 to 4 characters") }
        let required = Set((file.required ?? []).map { $0.lowercased() })
        if let unknown = required.first(where: { columns[$0] == nil }) {
            throw .badMapping(name, "required column '\(unknown)' is not in columns")
        }
        var report = ShadowserverMapping.Report(
            name: "csv", feed: file.feed, constant: file.constant ?? [:], required: columns.filter { required.contains($0.key) },
            optional: columns.filter { !required.contains($0.key) }, severity: file.severity ?? "info")
        if let documentation = file.documentation {
            guard URL(string: documentation)?.scheme?.hasPrefix("http") == true else { throw .badMapping(name, "documentation must be an http(s) URL") }
            report.documentation = documentation
        }
        let mapping = try ShadowserverMapping.make(
            provider: file.provider ?? file.feed, tlp: file.tlp ?? TLP.amber.rawValue, aliases: [:], reports: ["csv": report], source: name)
        return GenericCSVMapping(
            feed: file.feed, delimiter: byte, names: names, comment: file.comment, skipInitialSpace: file.skipInitialSpace ?? false, publicName: nil,
            url: file.url, mapping: mapping)
    }
}

/// The public feeds CIRTs use most, each a bundled mapping (`Resources/Feeds/public/<name>.json`): read with
/// `--format public:<name>`, or fetched by a URL collector with that format.
public enum PublicFeeds {
    /// Every bundled public feed, by name.
    public static let all: [String: GenericCSVMapping] = {
        guard let directory = Bundle.module.url(forResource: "public", withExtension: nil, subdirectory: "Feeds"),
            let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        else { return [:] }
        var feeds: [String: GenericCSVMapping] = [:]
        for file in files where file.pathExtension == "json" {
            let name = file.deletingPathExtension().lastPathComponent
            // A bundled file that does not read is a bug the tests catch; it is left out here.
            guard var mapping = try? GenericCSVMapping.load(file) else { continue }
            mapping.publicName = name
            feeds[name] = mapping
        }
        return feeds
    }()

    /// Where a bundled public feed is published; `nil` when there is none of that name.
    public static func address(_ name: String) -> String? { Self.all[name].map { $0.url ?? "" } }

    public static func mapping(_ name: String) throws(FeedError) -> GenericCSVMapping {
        guard let mapping = Self.all[name] else {
            throw .unknownFormat("no public feed named '\(name)': \(Self.all.keys.sorted().joined(separator: ", "))")
        }
        return mapping
    }
}
