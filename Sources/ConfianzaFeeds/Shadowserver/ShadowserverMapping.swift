import ConfianzaCore
import Foundation

/// How Shadowserver's report columns become event fields, read from a data file
/// (`Resources/shadowserver.json`), so report types can be added or fixed without a release.
public struct ShadowserverMapping: Sendable {
    public struct Report: Sendable, Equatable {
        public var name: String
        public var feed: String
        /// Fields every event of the report gets.
        public var constant: [String: String]
        /// Column → key; a row whose required column is empty or invalid is quarantined.
        public var required: [String: String]
        /// Column → key; an invalid value is kept under `extra.<column>` instead.
        public var optional: [String: String]
        /// The severity when the row gives none.
        public var severity: String
    }

    public var provider: String
    public var tlp: String
    public var aliases: [String: String]
    public var reports: [String: Report]

    private struct File: Decodable {
        struct Entry: Decodable {
            var feed: String
            var constant: [String: String]
            var required: [String: String]
            var optional: [String: String]
            var severity: String
        }
        var provider: String
        var tlp: String
        var aliases: [String: String]
        var reports: [String: Entry]
    }

    /// The mapping that ships with Confianza.
    public static func bundled() throws(FeedError) -> ShadowserverMapping {
        guard let url = Bundle.module.url(forResource: "shadowserver", withExtension: "json") else {
            throw .badMapping("shadowserver.json", "is missing from the program's resources")
        }
        return try Self.load(url)
    }

    /// Reads and checks a mapping file: every key must be a harmonization key and every constant valid.
    public static func load(_ url: URL) throws(FeedError) -> ShadowserverMapping {
        let name = url.lastPathComponent
        guard let data = try? Data(contentsOf: url) else { throw .badMapping(name, "cannot be read") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch { throw .badMapping(name, "is not a valid mapping: \(error)") }
        let reports = file.reports.mapValues {
            Report(name: "", feed: $0.feed, constant: $0.constant, required: $0.required, optional: $0.optional, severity: $0.severity)
        }
        return try Self.make(provider: file.provider, tlp: file.tlp, aliases: file.aliases, reports: reports, source: name)
    }

    /// This mapping with a site's own file laid over it: report types added or replaced, aliases added.
    /// The file has the bundled file's shape; `provider`, `tlp` and `aliases` may be left out.
    public func adding(contentsOf url: URL) throws(FeedError) -> ShadowserverMapping {
        struct Additions: Decodable {
            var provider: String?
            var tlp: String?
            var aliases: [String: String]?
            var reports: [String: File.Entry]
        }
        let name = url.lastPathComponent
        guard let data = try? Data(contentsOf: url) else { throw .badMapping(url.path, "cannot be read") }
        let file: Additions
        do { file = try JSONDecoder().decode(Additions.self, from: data) } catch {
            throw .badMapping(name, "is not a mapping file like the bundled shadowserver.json (with at least \"reports\"): \(error)")
        }
        var reports = self.reports
        for (type, entry) in file.reports {
            reports[type] = Report(
                name: type, feed: entry.feed, constant: entry.constant, required: entry.required, optional: entry.optional, severity: entry.severity)
        }
        return try Self.make(
            provider: file.provider ?? self.provider, tlp: file.tlp ?? self.tlp,
            aliases: self.aliases.merging(file.aliases ?? [:]) { _, site in site }, reports: reports, source: name)
    }

    /// Checks a mapping given as values (reports keyed by type; their `name` is set from the key).
    public static func make(
        provider: String, tlp: String, aliases: [String: String], reports entries: [String: Report], source name: String
    ) throws(FeedError) -> ShadowserverMapping {
        guard TLP(label: tlp) != nil else { throw .badMapping(name, "tlp '\(tlp)' is not a TLP 2.0 label") }
        var reports: [String: Report] = [:]
        for (type, entry) in entries {
            let place = entries.count == 1 && type == "csv" ? "" : "report \(type), "
            for (column, key) in entry.required.merging(entry.optional, uniquingKeysWith: { a, _ in a }) where !Harmonization.isKnown(key) {
                throw .badMapping(name, "\(place)column \(column): '\(key)' is not a harmonization key")
            }
            var probe = Event()
            for (key, value) in entry.constant {
                do { try probe.set(key, text: value) } catch { throw .badMapping(name, "\(place)\(error.description)") }
            }
            guard Severity(rawValue: entry.severity) != nil else { throw .badMapping(name, "\(place)severity '\(entry.severity)'") }
            var report = entry
            report.name = type
            reports[type] = report
        }
        for (alias, target) in aliases where reports[target] == nil {
            throw .badMapping(name, "alias \(alias) points to unknown report \(target)")
        }
        return ShadowserverMapping(provider: provider, tlp: tlp, aliases: aliases, reports: reports)
    }

    /// The report type named in a Shadowserver file name, `YYYY-MM-DD-<type>-….csv`, with old names
    /// turned into current ones. `nil` when the name has no type.
    public func reportType(fileName: String) -> String? {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        guard base.lowercased().hasSuffix(".csv") else { return nil }
        var parts = base.dropLast(4).split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 4, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            (parts[0] + parts[1] + parts[2]).allSatisfy(\.isNumber)
        {
            parts.removeFirst(3)
        }
        guard let type = parts.first, !type.isEmpty, type.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return self.canonical(type.lowercased())
    }

    /// The current name of a report type (aliases resolved).
    public func canonical(_ type: String) -> String { self.aliases[type] ?? type }
}
