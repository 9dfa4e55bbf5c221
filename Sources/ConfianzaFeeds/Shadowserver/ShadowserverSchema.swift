import ConfianzaCore
import Foundation

/// Reads Shadowserver's report schema, the JSON file it publishes for IntelMQ (`intelmq.json` in
/// github.com/The-Shadowserver-Foundation/report_schema):
///
/// ```json
/// {"_meta": {"date_created": "2026-03-24T15:31:20Z", "change_log": ["Added scan6_msrpc."]},
///  "scan_dns": {"feed_name": "DNS-Open-Resolvers", "file_name": "scan_dns", "url": "https://…",
///    "constant_fields": {"classification.taxonomy": "vulnerable", …},
///    "required_fields": [["time.source", "timestamp", "add_UTC_to_timestamp"], ["source.ip", "ip", "validate_ip"]],
///    "optional_fields": [["extra.", "tag", "validate_to_none"], ["destination.url", "http_url", "convert_http_host_and_url", true]]}}
/// ```
///
/// Each field is `[key, column]`, `[key, column, conversion]` or `[key, column, conversion, true]` (the
/// conversion also reads the row); the key `extra.` keeps the value as `extra.<column>`, and `false`
/// ignores the column. Reports are keyed by `file_name`, the type in the report's file name.
public enum ShadowserverSchema {
    public struct Contents: Sendable {
        public var reports: [String: ShadowserverMapping.Report]
        public var revision: String?
        public var changeLog: [String]
        public var warnings: [String]
    }

    /// The schema in `data`; refusals name the file (`source`), the report and what is wrong.
    public static func read(_ data: Data, source name: String) throws(FeedError) -> Contents {
        guard !data.isEmpty else { throw .badMapping(name, "is empty, not a Shadowserver report schema") }
        let top: JSONValue
        do { top = try JSONReader.parse(String(decoding: data, as: UTF8.self)) } catch {
            throw .badMapping(name, "is not JSON (\(error)), so not a Shadowserver report schema")
        }
        guard case .object(let entries) = top else {
            throw .badMapping(name, "is not a Shadowserver report schema: it must be a JSON object of report types")
        }
        var contents = Contents(reports: [:], revision: nil, changeLog: [], warnings: [])
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            if key == "_meta" {
                if case .object(let meta) = value {
                    if case .string(let date)? = meta["date_created"] { contents.revision = date }
                    if case .array(let log)? = meta["change_log"] {
                        contents.changeLog = log.compactMap { if case .string(let line) = $0 { line } else { nil } }
                    }
                }
                continue
            }
            let report = try Self.report(key, value, source: name, warnings: &contents.warnings)
            if let earlier = contents.reports[report.name] {
                throw .badMapping(name, "reports \(earlier.feed) and \(key) both have the file name \(report.name)")
            }
            contents.reports[report.name] = report
        }
        guard !contents.reports.isEmpty else {
            throw .badMapping(name, "has no report types: a Shadowserver report schema maps each report's file name to its fields")
        }
        return contents
    }

    private static func report(
        _ key: String, _ value: JSONValue, source name: String, warnings: inout [String]
    ) throws(FeedError) -> ShadowserverMapping.Report {
        guard case .object(let object) = value else { throw .badMapping(name, "report \(key) is not an object") }
        func text(_ field: String, required: Bool = true) throws(FeedError) -> String? {
            switch object[field] {
            case .string(let text)? where !text.trimmingCharacters(in: .whitespaces).isEmpty: return text
            case nil where !required, .null? where !required: return nil
            default: throw .badMapping(name, "report \(key): \(field) must be a non-empty string")
            }
        }
        guard let feed = try text("feed_name"), let fileName = try text("file_name")?.lowercased() else {
            throw .badMapping(name, "report \(key): feed_name and file_name are needed")
        }
        guard fileName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw .badMapping(name, "report \(key): file_name '\(fileName)' is not a report type (letters, digits and _)")
        }
        var constant: [String: String] = [:]
        switch object["constant_fields"] {
        case .object(let constants)?:
            for (field, value) in constants {
                guard case .string(let text) = value else { throw .badMapping(name, "report \(key): constant \(field) must be a string") }
                if Harmonization.isKnown(field) {
                    constant[field] = text
                } else {
                    warnings.append("report \(fileName): constant \(field) is not a harmonization key here; kept as extra.\(field)")
                    constant["extra." + field] = text
                }
            }
        case nil, .null?: break
        default: throw .badMapping(name, "report \(key): constant_fields must be an object")
        }
        let required = try Self.fields(object["required_fields"], "required_fields", report: key, file: fileName, source: name, warnings: &warnings)
        let optional = try Self.fields(object["optional_fields"], "optional_fields", report: key, file: fileName, source: name, warnings: &warnings)
        var retired = false
        if case .bool(let flag)? = object["retired"] { retired = flag }
        return ShadowserverMapping.Report(
            name: fileName, feed: feed, documentation: try text("url", required: false), constant: constant, required: required,
            optional: optional, severity: nil, retired: retired)
    }

    private static func fields(
        _ value: JSONValue?, _ section: String, report: String, file: String, source name: String, warnings: inout [String]
    ) throws(FeedError) -> [ShadowserverMapping.Field] {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value else { throw .badMapping(name, "report \(report): \(section) must be a list") }
        var fields: [ShadowserverMapping.Field] = []
        for (position, item) in items.enumerated() {
            let place = "report \(report): \(section)[\(position)]"
            guard case .array(let parts) = item, (2...4).contains(parts.count) else {
                throw .badMapping(name, "\(place) must be [key, column] with an optional conversion and row flag")
            }
            guard case .string(let column) = parts[1], !column.isEmpty else { throw .badMapping(name, "\(place): the column must be a string") }
            var key: String
            switch parts[0] {
            case .string(let text) where !text.isEmpty: key = text
            case .bool(false): continue  // a column the schema says to ignore: kept under extra like any unmapped one
            default: throw .badMapping(name, "\(place): the key must be a string (or false)")
            }
            if key != "extra.", !Harmonization.isKnown(key) {
                warnings.append("report \(file): \(key) (column \(column)) is not a harmonization key here; kept as extra.\(key)")
                key = "extra." + key
                guard Harmonization.isKnown(key) else { throw .badMapping(name, "\(place): '\(parts[0])' cannot be a key") }
            }
            var conversion: ShadowserverConversion?
            var unknown: String?
            if parts.count >= 3 {
                switch parts[2] {
                case .string(let text):
                    conversion = ShadowserverConversion(rawValue: text)
                    if conversion == nil {
                        unknown = text
                        warnings.append("report \(file): conversion \(text) (column \(column)) is unknown here; the value is taken as it is")
                    }
                case .null: break
                default: throw .badMapping(name, "\(place): the conversion must be a function name")
                }
            }
            if parts.count == 4, case .bool = parts[3] {} else if parts.count == 4 {
                throw .badMapping(name, "\(place): the fourth item must be true or false")
            }
            fields.append(ShadowserverMapping.Field(key: key, column: column, conversion: conversion, unknownConversion: unknown))
        }
        return fields
    }
}
