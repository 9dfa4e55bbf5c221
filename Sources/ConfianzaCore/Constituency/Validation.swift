import Foundation

/// Checks and normalises the fields of constituency data. Each refusal names the field and says why.
public enum Validation {
    /// ISO 3166-1 alpha-2 codes (the 249 officially assigned).
    static let countries: Set<String> = Set(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD
        CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF
        GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
        KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
        NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
        SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
        VN VU WF WS YE YT ZA ZM ZW
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    public static func country(_ text: String, field: String = "country") throws(ConstituencyError) -> String {
        let code = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard Self.countries.contains(code) else {
            throw .invalid(field: field, value: text, reason: .init("constituency.error.country", english: "not an ISO 3166-1 alpha-2 country code (such as UY, KE, ES)"))
        }
        return code
    }

    /// A name or free text of at most `limit` characters, without control characters (tabs and
    /// newlines are allowed in notes only).
    public static func text(_ text: String, field: String, limit: Int, required: Bool = true, multiline: Bool = false)
        throws(ConstituencyError) -> String
    {
        let value = multiline ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text.trimmingCharacters(in: .whitespaces)
        if required && value.isEmpty { throw .invalid(field: field, value: text, reason: .init("constituency.error.required", english: "is required")) }
        if value.count > limit { throw .invalid(field: field, value: String(text.prefix(40)) + "…", reason: .init("constituency.error.too_long", english: "use at most \(limit) characters", ["limit": String(limit)])) }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\n", "\r", "\t"] : []
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowed.contains($0) }) {
            throw .invalid(field: field, value: text, reason: .init("constituency.error.control", english: "control characters are not allowed"))
        }
        return value
    }

    /// `AS64500`, `as64500` or `64500`; 1 to 4294967295.
    public static func asn(_ text: String) throws(ConstituencyError) -> UInt32 {
        var digits = text.trimmingCharacters(in: .whitespaces)
        if digits.uppercased().hasPrefix("AS") { digits.removeFirst(2) }
        guard !digits.isEmpty, digits.count <= 10, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = UInt32(digits), number > 0
        else { throw .invalid(field: "value", value: text, reason: .init("constituency.error.asn", english: "not an AS number (AS1 to AS4294967295)")) }
        return number
    }

    /// A host or domain name in ASCII (internationalised names in their `xn--` form), lower-cased,
    /// without a trailing dot.
    public static func domain(_ text: String, field: String = "value") throws(ConstituencyError) -> String {
        var name = text.trimmingCharacters(in: .whitespaces).lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { throw .invalid(field: field, value: text, reason: .init("constituency.error.empty", english: "is empty")) }
        guard name.unicodeScalars.allSatisfy(\.isASCII) else {
            throw .invalid(field: field, value: text, reason: .init("constituency.error.punycode", english: "write internationalised names in their xn-- (punycode) form"))
        }
        guard name.utf8.count <= 253 else { throw .invalid(field: field, value: text, reason: .init("constituency.error.domain_long", english: "a domain name has at most 253 characters")) }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.count) else {
                throw .invalid(field: field, value: text, reason: .init("constituency.error.label_length", english: "each label between dots has 1 to 63 characters"))
            }
            guard label.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else {
                throw .invalid(field: field, value: text, reason: .init("constituency.error.label_characters", english: "use letters, digits, '-' and '_' only"))
            }
            guard label.first != "-", label.last != "-" else {
                throw .invalid(field: field, value: text, reason: .init("constituency.error.label_hyphen", english: "a label may not start or end with '-'"))
            }
        }
        if labels.count == 4, labels.allSatisfy({ $0.allSatisfy(\.isNumber) }) {
            throw .invalid(field: field, value: text, reason: .init("constituency.error.address_not_domain", english: "this is an IP address: record it as a prefix"))
        }
        return name
    }

    /// An e-mail address: `local@domain`, lower-cased domain.
    public static func email(_ text: String) throws(ConstituencyError) -> String {
        let value = text.trimmingCharacters(in: .whitespaces)
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
            parts[0].unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && !"()<>,;:\\\"[]".unicodeScalars.contains($0) })
        else { throw .invalid(field: "email", value: text, reason: .init("constituency.error.email", english: "not an e-mail address (name@example.org)")) }
        let domain: String
        do { domain = try Self.domain(String(parts[1]), field: "email") } catch {
            throw .invalid(field: "email", value: text, reason: .init("constituency.error.email", english: "not an e-mail address (name@example.org)"))
        }
        guard domain.contains(".") else { throw .invalid(field: "email", value: text, reason: .init("constituency.error.email_domain", english: "the domain has no dot")) }
        return "\(parts[0])@\(domain)"
    }

    /// An ISO 639-1 language code: two lower-case letters.
    public static func language(_ text: String) throws(ConstituencyError) -> String {
        let code = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard code.count == 2, code.unicodeScalars.allSatisfy({ $0.value >= 97 && $0.value <= 122 }) else {
            throw .invalid(field: "language", value: text, reason: .init("constituency.error.language", english: "use an ISO 639-1 code such as en, es, fr, ar"))
        }
        return code
    }

    public static func pgpKey(_ text: String?) throws(ConstituencyError) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        guard text.hasPrefix("-----BEGIN PGP PUBLIC KEY BLOCK-----"), text.hasSuffix("-----END PGP PUBLIC KEY BLOCK-----") else {
            throw .invalid(field: "pgpKey", value: String(text.prefix(40)), reason: .init("constituency.error.pgp", english: "paste an ASCII-armoured OpenPGP public key block"))
        }
        guard text.utf8.count <= 64 * 1024 else { throw .invalid(field: "pgpKey", value: "…", reason: .init("constituency.error.pgp_large", english: "is larger than 64 KiB")) }
        return text
    }

    /// Classification types and feed names: lower-case words with digits, '-', '_' or '.'.
    public static func tokens(_ items: [String], field: String) throws(ConstituencyError) -> [String] {
        var result: [String] = []
        for item in items {
            let token = item.trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty else { continue }
            guard token.count <= 100, token.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) })
            else { throw .invalid(field: field, value: token, reason: .init("constituency.error.token", english: "use letters, digits, '-', '_' or '.'")) }
            if !result.contains(token) { result.append(token) }
        }
        return result
    }

    static func enumValue<T: RawRepresentable & CaseIterable>(_ text: String, _ type: T.Type, field: String) throws(ConstituencyError) -> T
    where T.RawValue == String {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let result = T(rawValue: value) else {
            throw .invalid(field: field, value: text, reason: .init("constituency.error.choice", english: "use one of \(T.allCases.map(\.rawValue).joined(separator: ", "))", ["choices": T.allCases.map(\.rawValue).joined(separator: ", ")]))
        }
        return result
    }

    public static func sector(_ text: String) throws(ConstituencyError) -> Sector { try Self.enumValue(text, Sector.self, field: "sector") }
    public static func kind(_ text: String) throws(ConstituencyError) -> OrganisationKind {
        try Self.enumValue(text, OrganisationKind.self, field: "kind")
    }
    public static func role(_ text: String) throws(ConstituencyError) -> ContactRole { try Self.enumValue(text, ContactRole.self, field: "role") }
    public static func frequency(_ text: String) throws(ConstituencyError) -> NotificationFrequency {
        try Self.enumValue(text, NotificationFrequency.self, field: "frequency")
    }
    public static func severity(_ text: String, field: String = "minimumSeverity") throws(ConstituencyError) -> Severity {
        try Self.enumValue(text, Severity.self, field: field)
    }
    public static func tlp(_ text: String, field: String = "tlpCeiling") throws(ConstituencyError) -> TLP {
        guard let tlp = TLP(label: text) else {
            throw .invalid(field: field, value: text, reason: .init("constituency.error.tlp", english: "use TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED"))
        }
        return tlp
    }
}
