import ConfianzaCore
import Foundation

/// How Shadowserver's report columns become event fields.
///
/// The report types are Shadowserver's own schema (the `intelmq.json` it publishes for IntelMQ, read
/// natively by ``ShadowserverSchema``), bundled unchanged and replaceable by a newer one without a release,
/// plus the retired types older files still carry. Confianza's own settings (`Feeds/shadowserver.json`)
/// add the provider's name, the marking, old file names that are renames, and default severities.
public struct ShadowserverMapping: Sendable {
    /// One column read into one key.
    public struct Field: Sendable, Equatable {
        /// The event key; `extra.` alone means `extra.<column>`.
        public var key: String
        public var column: String
        public var conversion: ShadowserverConversion?
        /// A conversion this version does not know (a newer schema): the value is taken as it is.
        public var unknownConversion: String?

        public init(key: String, column: String, conversion: ShadowserverConversion? = nil, unknownConversion: String? = nil) {
            self.key = key
            self.column = column.lowercased()
            self.conversion = conversion
            self.unknownConversion = unknownConversion
        }
    }

    public struct Report: Sendable, Equatable {
        /// The report's file name type (`scan_dns`, `event4_sinkhole_http`).
        public var name: String
        public var feed: String
        public var documentation: String?
        /// Fields every event of the report gets (over what the row says, as IntelMQ does).
        public var constant: [String: String]
        /// Read first; a row whose value here is present but invalid is quarantined.
        public var required: [Field]
        /// An invalid value is kept under `extra.<column>` instead.
        public var optional: [Field]
        /// The severity when the row gives none; `nil`: by taxonomy.
        public var severity: String?
        /// A type Shadowserver no longer sends.
        public var retired: Bool

        public init(
            name: String, feed: String, documentation: String? = nil, constant: [String: String], required: [Field], optional: [Field],
            severity: String? = nil, retired: Bool = false
        ) {
            self.name = name
            self.feed = feed
            self.documentation = documentation
            self.constant = constant
            self.required = required
            self.optional = optional
            self.severity = severity
            self.retired = retired
        }

        /// A report given as column → key tables (a CSV mapping file, or the older Confianza mapping shape).
        public init(
            name: String, feed: String, constant: [String: String], required: [String: String], optional: [String: String], severity: String?
        ) {
            self.init(
                name: name, feed: feed, constant: constant,
                required: required.sorted { $0.key < $1.key }.map { Field(key: $0.value, column: $0.key) },
                optional: optional.sorted { $0.key < $1.key }.map { Field(key: $0.value, column: $0.key) }, severity: severity)
        }
    }

    public var provider: String
    public var tlp: String
    public var aliases: [String: String]
    public var reports: [String: Report]
    /// The schema's revision (its `_meta.date_created`), when it gives one.
    public var revision: String?
    /// Severity by taxonomy, for rows and reports that give none.
    public var severityByTaxonomy: [String: String]
    public var defaultSeverity: String
    /// What loading noticed and let pass (keys or conversions this version does not know).
    public var warnings: [String]

    struct Settings: Decodable {
        var provider: String
        var tlp: String
        var aliases: [String: String]
        var severityByTaxonomy: [String: String]
        var defaultSeverity: String
    }

    static func resource(_ name: String) throws(FeedError) -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Feeds"),
            let data = try? Data(contentsOf: url)
        else { throw .badMapping("\(name).json", "is missing from the program's resources") }
        return data
    }

    /// The name a loaded Shadowserver schema is stored under.
    public static let storedSchemaName = "shadowserver"

    /// The bundled schema with its retired types and Confianza's settings.
    public static func bundled() throws(FeedError) -> ShadowserverMapping {
        try Self.bundled(schema: try Self.resource("shadowserver-schema"), source: "shadowserver-schema.json")
    }

    /// A given schema (a newer one a site loaded) with the bundled retired types and settings.
    public static func bundled(schema data: Data, source name: String) throws(FeedError) -> ShadowserverMapping {
        let settings: Settings
        do { settings = try JSONDecoder().decode(Settings.self, from: try Self.resource("shadowserver")) } catch let error as FeedError {
            throw error
        } catch { throw .badMapping("shadowserver.json", "is not valid: \(error)") }
        let current = try ShadowserverSchema.read(data, source: name)
        let retired = try ShadowserverSchema.read(try Self.resource("shadowserver-retired"), source: "shadowserver-retired.json")
        var reports = current.reports
        for (type, report) in retired.reports where reports[type] == nil { reports[type] = report }
        var mapping = try Self.make(
            provider: settings.provider, tlp: settings.tlp, aliases: settings.aliases, reports: reports, source: name)
        mapping.revision = current.revision
        mapping.severityByTaxonomy = settings.severityByTaxonomy
        mapping.defaultSeverity = settings.defaultSeverity
        mapping.warnings = current.warnings + retired.warnings
        return mapping
    }

    /// This mapping with a site's own file laid over it: report types added or replaced. The file is in
    /// Shadowserver's schema format, or in the older Confianza shape (`{"reports": {type: {feed, constant,
    /// required, optional, severity}}, "aliases": …}`).
    public func adding(contentsOf url: URL) throws(FeedError) -> ShadowserverMapping {
        let name = url.lastPathComponent
        guard let data = try? Data(contentsOf: url) else { throw .badMapping(url.path, "cannot be read") }
        var reports = self.reports
        var aliases = self.aliases
        if let older = try? JSONDecoder().decode(OlderFile.self, from: data) {
            for (type, entry) in older.reports {
                reports[type.lowercased()] = Report(
                    name: type.lowercased(), feed: entry.feed, constant: entry.constant ?? [:], required: entry.required ?? [:],
                    optional: entry.optional ?? [:], severity: entry.severity)
            }
            aliases.merge(older.aliases ?? [:]) { _, site in site }
        } else {
            let schema = try ShadowserverSchema.read(data, source: name)
            reports.merge(schema.reports) { _, site in site }
        }
        var mapping = try Self.make(provider: self.provider, tlp: self.tlp, aliases: aliases, reports: reports, source: name)
        mapping.revision = self.revision
        mapping.severityByTaxonomy = self.severityByTaxonomy
        mapping.defaultSeverity = self.defaultSeverity
        mapping.warnings = self.warnings
        return mapping
    }

    private struct OlderFile: Decodable {
        struct Entry: Decodable {
            var feed: String
            var constant: [String: String]?
            var required: [String: String]?
            var optional: [String: String]?
            var severity: String?
        }
        var aliases: [String: String]?
        var reports: [String: Entry]
    }

    /// Checks a mapping given as values: every key a harmonization key (or `extra.`), every constant and
    /// severity valid, every alias pointing to a report.
    public static func make(
        provider: String, tlp: String, aliases: [String: String], reports entries: [String: Report], source name: String
    ) throws(FeedError) -> ShadowserverMapping {
        guard TLP(label: tlp) != nil else { throw .badMapping(name, "tlp '\(tlp)' is not a TLP 2.0 label") }
        var reports: [String: Report] = [:]
        for (type, entry) in entries {
            let place = entries.count == 1 && type == "csv" ? "" : "report \(type), "
            for field in entry.required + entry.optional where field.key != "extra." && !Harmonization.isKnown(field.key) {
                throw .badMapping(name, "\(place)column \(field.column): '\(field.key)' is not a harmonization key")
            }
            var probe = Event()
            for (key, value) in entry.constant {
                do { try probe.set(key, text: value) } catch { throw .badMapping(name, "\(place)\(error.description)") }
            }
            if let severity = entry.severity, Severity(rawValue: severity) == nil { throw .badMapping(name, "\(place)severity '\(severity)'") }
            var report = entry
            report.name = type
            reports[type] = report
        }
        for (alias, target) in aliases where reports[target] == nil {
            throw .badMapping(name, "alias \(alias) points to unknown report \(target)")
        }
        return ShadowserverMapping(
            provider: provider, tlp: tlp, aliases: aliases, reports: reports, revision: nil, severityByTaxonomy: [:], defaultSeverity: "info",
            warnings: [])
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

    /// The severity of an event whose row and report give none.
    public func severity(report: Report?, taxonomy: String?) -> String {
        report?.severity ?? taxonomy.flatMap { self.severityByTaxonomy[$0] } ?? self.defaultSeverity
    }
}
