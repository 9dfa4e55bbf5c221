import ConfianzaNetwork
import Crypto
import Foundation

/// Why a field was refused.
public struct EventFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    public var key: String
    public var value: String
    public var reason: String

    public var description: String { "\(self.key) '\(self.value)': \(self.reason)" }
}

/// The types of the harmonised fields, as IntelMQ defines them, and how text becomes a checked value.
public enum Harmonization {
    public enum FieldType: Sendable {
        case ip, port, asn, fqdn, url, dateTime, countryCode, string, lowercase, integer, float, boolean, taxonomy, classificationType,
            tlp, severity, network, base64
    }

    static let fields: [String: FieldType] = {
        var fields: [String: FieldType] = [
            "classification.taxonomy": .taxonomy, "classification.type": .classificationType, "classification.identifier": .lowercase,
            "feed.name": .string, "feed.provider": .string, "feed.code": .string, "feed.url": .url, "feed.documentation": .string,
            "feed.accuracy": .float, "time.source": .dateTime, "time.observation": .dateTime, "protocol.transport": .lowercase,
            "protocol.application": .lowercase, "malware.name": .lowercase, "malware.version": .string, "malware.hash.md5": .lowercase,
            "malware.hash.sha1": .lowercase, "malware.hash.sha256": .lowercase, "severity": .severity, "tlp": .tlp, "comment": .string,
            "event_description.text": .string, "event_description.url": .url, "event_description.target": .string, "raw": .base64,
            "status": .string, "screenshot_url": .url, "product.vulnerabilities": .string, "rtir_id": .integer,
            "product.name": .string, "product.vendor": .string, "product.version": .string, "product.full_name": .string,
            "event_hash": .string, "misp.event_uuid": .lowercase, "misp.attribute_uuid": .lowercase,
            "source.geolocation.cymru_cc": .countryCode, "source.geolocation.geoip_cc": .countryCode,
        ]
        for side in ["source", "destination"] {
            let sideFields: [String: FieldType] = [
                "ip": .ip, "port": .port, "asn": .asn, "as_name": .string, "network": .network, "fqdn": .fqdn, "reverse_dns": .fqdn,
                "domain_suffix": .fqdn, "url": .url, "urlpath": .string, "account": .string, "abuse_contact": .lowercase, "local_ip": .ip,
                "local_hostname": .string, "tor_node": .boolean, "registry": .string, "allocated": .dateTime,
                "geolocation.cc": .countryCode, "geolocation.country": .string, "geolocation.region": .string, "geolocation.state": .string,
                "geolocation.city": .string, "geolocation.latitude": .float, "geolocation.longitude": .float,
            ]
            for (key, type) in sideFields { fields["\(side).\(key)"] = type }
        }
        return fields
    }()

    /// Whether a key may appear in an event.
    public static func isKnown(_ key: String) -> Bool { Self.fields[key] != nil || Self.isExtra(key) }

    static func isExtra(_ key: String) -> Bool {
        guard key.hasPrefix("extra."), key.count > 6 else { return false }
        return key.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 46 || $0 == 45 }
    }

    /// The checked value for `key`, or `nil` when the value stands for "none" (ASN 0, a bare `-`).
    static func value(for key: String, text: String) throws(EventFieldError) -> EventValue? {
        func fail(_ reason: String) -> EventFieldError { EventFieldError(key: key, value: String(text.prefix(200)), reason: reason) }
        // PostgreSQL keeps no NUL in text, and a value cut at one would say less than it did: refused alike everywhere.
        if text.utf8.contains(0) || key.utf8.contains(0) { throw fail("contains a NUL character (U+0000), which is not kept in text") }
        guard let type = Self.fields[key] else {
            if Self.isExtra(key) { return .string(text) }
            throw fail("not a known field (IntelMQ harmonization keys or extra.*)")
        }
        switch type {
        case .ip:
            guard let address = try? IPAddress(text) else { throw fail("not an IP address") }
            let plain = address.unmapped
            if case .v4(0) = plain { throw fail("0.0.0.0 is not an address") }
            // A dotted quad that reads is already in its canonical form (leading zeros are refused).
            if case .v4 = address { return .string(text) }
            return .string(plain.description)
        case .network:
            guard let prefix = try? IPPrefix(text) else { throw fail("not a network (address/length)") }
            return .string(prefix.description)
        case .port:
            guard let port = Int64(text), (0...65535).contains(port) else { throw fail("not a port (0 to 65535)") }
            return .integer(port)
        case .asn:
            var digits = text
            if let first = text.utf8.first, first == 65 || first == 97, digits.uppercased().hasPrefix("AS") { digits.removeFirst(2) }
            guard let asn = Int64(digits), asn >= 0, asn <= 4_294_967_295 else { throw fail("not an AS number") }
            return asn == 0 ? nil : .integer(asn)
        case .fqdn:
            var name = text.hasUppercaseASCII ? text.lowercased() : text
            if name.hasSuffix(".") { name.removeLast() }
            guard !name.isEmpty, !name.utf8.contains(where: { $0 == 58 || $0 == 32 || $0 == 47 }), name.utf8.count <= 253 else {
                throw fail("not a host name")
            }
            return .string(name)
        case .url:
            var url = text
            if url.lowercased().hasPrefix("hxxp") { url = "http" + url.dropFirst(4) }
            guard url.contains("://") || url.contains("."), !url.contains(" ") else { throw fail("not a URL") }
            return .string(url)
        case .dateTime:
            guard let date = EventTime.parse(text) else { throw fail("not a time (YYYY-MM-DD HH:MM:SS in UTC, or ISO 8601 with an offset)") }
            return .string(EventTime.format(date, milliseconds: true))
        case .countryCode:
            let code = text.utf8.count == 2 && text.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) ? text : text.uppercased()
            guard code.count == 2, code.unicodeScalars.allSatisfy({ $0.value >= 65 && $0.value <= 90 }) else {
                throw fail("not a two-letter country code")
            }
            return .string(code)
        case .string: return .string(text)
        case .lowercase: return .string(text.hasUppercaseASCII || !text.utf8.allSatisfy({ $0 < 128 }) ? text.lowercased() : text)
        case .integer:
            guard let number = Int64(text) else { throw fail("not a whole number") }
            return .integer(number)
        case .float:
            guard let number = Double(text), number.isFinite else { throw fail("not a number") }
            return .float(number)
        case .boolean:
            switch text.lowercased() {
            case "true", "1", "yes", "y": return .boolean(true)
            case "false", "0", "no", "n": return .boolean(false)
            default: throw fail("not true or false")
            }
        case .taxonomy:
            guard let taxonomy = Taxonomy.canonicalTaxonomy(text) else { throw fail("not an RSIT taxonomy") }
            return .string(taxonomy)
        case .classificationType:
            guard let type = Taxonomy.canonicalType(text) else { throw fail("not an RSIT classification type") }
            return .string(type)
        case .tlp:
            guard let tlp = TLP(label: text) else { throw fail("not a TLP 2.0 label") }
            return .string(tlp.rawValue)
        case .severity:
            guard let severity = Severity(rawValue: text) ?? Severity(rawValue: text.lowercased()) else { throw fail("not one of critical, high, medium, low, info") }
            return .string(severity.rawValue)
        case .base64:
            guard Data(base64Encoded: text) != nil else { throw fail("not base64") }
            return .string(text)
        }
    }
}

/// Event times: UTC, written as IntelMQ does (`2024-05-01T00:14:34+00:00`).
public enum EventTime {
    /// Reads `2024-05-01 00:14:34` (UTC), `2024-05-01T00:14:34Z`, `…+02:00`, with optional fractions.
    public static func parse(_ text: String) -> Date? {
        if let date = Self.parseFast(Array(text.utf8)) { return date }
        var value = text.trimmingCharacters(in: .whitespaces)
        guard value.utf8.count <= 64 else { return nil }
        if value.count == 10 { value += "T00:00:00Z" }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Foundation's reader takes years of any length (and wraps the huge ones): only years 1 to 9999,
        // which every format here writes with four digits, are times.
        guard let date = plain.date(from: value) ?? fractional.date(from: value), Self.range.contains(date) else { return nil }
        return date
    }

    /// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    static let range = Date(timeIntervalSince1970: -62_135_596_800)...Date(timeIntervalSince1970: 253_402_300_799)

    /// The forms feeds use most, read without a formatter: `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SSZ`
    /// and `…+HH:MM` / `…-HH:MM`.
    static func parseFast(_ b: [UInt8]) -> Date? {
        guard b.count == 19 || b.count == 20 || b.count == 25 else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let d = Int(b[index]) - 48
                guard d >= 0, d <= 9 else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard b[4] == 45, b[7] == 45, b[10] == 32 || b[10] == 84, b[13] == 58, b[16] == 58,
            let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10), let hour = digits(11..<13),
            let minute = digits(14..<16), let second = digits(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var offset = 0
        if b.count == 19 {
            guard b[10] == 32 || b[10] == 84 else { return nil }
        } else if b.count == 20 {
            guard b[19] == 90 else { return nil }
        } else {
            guard b[19] == 43 || b[19] == 45, b[22] == 58, let oh = digits(20..<22), let om = digits(23..<25), oh < 24, om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (b[19] == 43 ? 1 : -1)
        }
        // Days since 1970-01-01 from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        guard Self.daysInMonth(year, month) >= day else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + hour * 3600 + minute * 60 + second - offset))
    }

    /// A year outside 1000–9999 with at least four digits and its sign (rare: kept off the common path).
    static func padded(_ year: Int64) -> String {
        let digits = "\(abs(year))"
        return (year < 0 ? "-" : "") + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Year, month and day of a count of days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    public static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// ISO 8601 in UTC, to the second; with `milliseconds`, a time that has them keeps them
    /// (`…T23:59:59.999+00:00`): an event's own times are written so, and a source's fraction of a
    /// second is not lost on the way through.
    public static func format(_ date: Date, milliseconds: Bool = false) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let fraction = milliseconds ? (millis % 1000 + 1000) % 1000 : 0
        let seconds = milliseconds ? (millis - fraction) / 1000 : Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        let (year, month, day) = Self.civil(days: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        // Four digits, as ISO 8601 writes years 0 to 9999; others (which `parse` does not give) keep their sign and digits.
        let yearText = (1000...9999).contains(year) ? "\(year)" : Self.padded(year)
        let fractionText = fraction == 0 ? "" : "." + String(String(fraction + 1000).dropFirst())
        return "\(yearText)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))\(fractionText)+00:00"
    }
}
