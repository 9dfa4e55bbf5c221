import ConfianzaCore
import ConfianzaNetwork
import Foundation

/// The conversions Shadowserver's schema names, with the meaning IntelMQ gives them, except that a value
/// that does not convert is never dropped: the parser keeps it under `extra.<column>` (or quarantines
/// the row when the field is required).
public enum ShadowserverConversion: String, Sendable, CaseIterable {
    case addUTC = "add_UTC_to_timestamp"
    case convertBool = "convert_bool"
    case validateToNone = "validate_to_none"
    case convertInt = "convert_int"
    case convertFloat = "convert_float"
    case httpHostAndURL = "convert_http_host_and_url"
    case invalidateZero = "invalidate_zero"
    case validateIP = "validate_ip"
    case validateNetwork = "validate_network"
    case validateFQDN = "validate_fqdn"
    case convertDate = "convert_date"
    case convertDateUTC = "convert_date_utc"
    case forceBase64 = "force_base64"
    case exchangeTaxonomy = "scan_exchange_taxonomy"
    case exchangeType = "scan_exchange_type"
    case exchangeIdentifier = "scan_exchange_identifier"
    case categoryOrDetail = "category_or_detail"
    case cveFromTag = "extract_cve_from_tag"
    case torNode = "set_tor_node"

    public enum Result: Equatable, Sendable {
        /// The value to store.
        case value(EventValue)
        /// The cell stands for "nothing" (`0`, `unknown`, `0.0.0.0`, a network in an address column).
        case nothing
        /// The cell says something that is not what the conversion expects.
        case invalid(String)
    }

    /// Converts a non-empty cell; `cell` reads another column of the same row (`nil` when the report has none).
    public func apply(_ value: String, cell: (String) -> String?) -> Result {
        switch self {
        case .addUTC, .convertDateUTC:
            guard let date = EventTime.parse(value) else { return .invalid("not a time (YYYY-MM-DD HH:MM:SS, UTC)") }
            return .value(.string(EventTime.format(date)))
        case .convertDate:
            guard let date = EventTime.parse(value) ?? Self.httpDate(value) else { return .invalid("not a date") }
            return .value(.string(EventTime.format(date)))
        case .convertBool:
            switch value.lowercased() {
            case "y", "yes", "true", "enabled", "1": return .value(.boolean(true))
            case "n", "no", "false", "disabled", "0": return .value(.boolean(false))
            default: return .nothing
            }
        case .validateToNone:
            return value == "0" || value == "unknown" ? .nothing : .value(.string(value))
        case .convertInt:
            guard let number = Int64(value.trimmingCharacters(in: .whitespaces)) else { return .invalid("not a whole number") }
            return .value(.integer(number))
        case .invalidateZero:
            guard let number = Int64(value.trimmingCharacters(in: .whitespaces)) else { return .invalid("not a whole number") }
            return number == 0 ? .nothing : .value(.integer(number))
        case .convertFloat:
            guard let number = Double(value.trimmingCharacters(in: .whitespaces)), number.isFinite else { return .invalid("not a number") }
            return .value(.float(number))
        case .validateIP:
            if value == "0.0.0.0" || value.contains("/") { return .nothing }
            return (try? IPAddress(value.trimmingCharacters(in: .whitespaces))) == nil ? .invalid("not an IP address") : .value(.string(value))
        case .validateNetwork:
            guard value.contains("/") else { return .nothing }
            return (try? IPPrefix(value.trimmingCharacters(in: .whitespaces))) == nil ? .invalid("not a network") : .value(.string(value))
        case .validateFQDN:
            return Self.isHostName(value) ? .value(.string(value)) : .invalid("not a host name")
        case .forceBase64:
            if Data(base64Encoded: value) != nil { return .value(.string(value)) }
            return .value(.string(Data(value.utf8).base64EncodedString()))
        case .exchangeTaxonomy: return .value(.string(value.contains("webshell") ? "intrusions" : "vulnerable"))
        case .exchangeType: return .value(.string(value.contains("webshell") ? "system-compromise" : "vulnerable-system"))
        case .exchangeIdentifier:
            return .value(.string(value.contains("webshell") ? "exchange-server-webshell" : "vulnerable-exchange-server"))
        case .categoryOrDetail:
            let category = cell("category") ?? ""
            let text = category.isEmpty ? (cell("detail") ?? "") : category
            return text.isEmpty ? .nothing : .value(.string(text))
        case .cveFromTag:
            let cves = Set(value.split(separator: ";").map(String.init).filter(Self.isCVE))
            return cves.isEmpty ? .nothing : .value(.string(cves.sorted().joined(separator: ";")))
        case .torNode:
            return .value(.boolean(true))
        case .httpHostAndURL:
            return .value(.string(Self.url(value, cell: cell)))
        }
    }

    /// A URL from a host column and a path or request column, as Shadowserver splits them: the host from
    /// `cc_dns`, `http_host`, `hostname` or `ip`, the path from `url` or `http_url` (a whole request line
    /// is cut to its path), the scheme from `application` when it is http or https.
    static func url(_ value: String, cell: (String) -> String?) -> String {
        var host = cell("cc_dns") ?? ""
        for column in ["http_host", "hostname", "ip"] where host.isEmpty { host = cell(column) ?? "" }
        let path = cell("url") ?? cell("http_url") ?? ""
        guard !host.isEmpty, !path.isEmpty else { return value }
        var trimmed = Substring(path)
        if let slash = trimmed.firstIndex(of: "/") { trimmed = trimmed[slash...] } else { trimmed = "" }
        if let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) { trimmed = trimmed[..<space] }
        let application = cell("application").flatMap { ["http", "https"].contains($0) ? $0 : nil } ?? "http"
        return "\(application)://\(host)\(trimmed)"
    }

    static func isCVE(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "cve" && !parts[1].isEmpty && !parts[2].isEmpty
            && parts[1].allSatisfy(\.isASCII) && parts[1].allSatisfy(\.isNumber) && parts[2].allSatisfy(\.isASCII) && parts[2].allSatisfy(\.isNumber)
    }

    static func isHostName(_ value: String) -> Bool {
        var name = Substring(value)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253, (try? IPAddress(String(name))) == nil else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63
                && label.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 || $0 >= 128 }
        }
    }

    /// `Sun, 01 May 2022 10:00:00 GMT` (the HTTP date headers some reports carry).
    static func httpDate(_ value: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }
}
