import Foundation

/// The knowledge base as a file: `{"initiatives": […], "caseStudies": […], "agreements": […]}`, fields in
/// camelCase, dates `YYYY-MM-DD`, countries ISO 3166-1 alpha-2, `tlp` a TLP 2.0 label. Every field has a
/// documented default except the few required ones; an unknown field is refused, and every fault names
/// its entry and field (`$.agreements[4].parties[1]`). Reading checks everything before anything is kept.
///
/// Defaults: `tlp` TLP:GREEN (nothing is published unless marked CLEAR); initiative `level` national,
/// `status` ongoing; organisation `role` partner; agreement `status` signed and `type` bilateral for two
/// parties, multilateral for more. A party is a country code (`"UY"` or `{"country": "UY"}`) or an
/// organisation (`{"organisation": "OAS"}`). Links are http or https only.
public enum KnowledgeFile {
    public static let defaultTLP = TLP.green
    static let titleLimit = 300
    static let textLimit = 20_000
    static let bodyLimit = 200_000

    // MARK: reading

    public static func read(_ text: String, file: String) throws(DataFileError) -> KnowledgeBase {
        let reader = DataFileReader(file: file)
        let root = try reader.object(try reader.parse(text), "$")
        try Self.known(reader, root, ["initiatives", "caseStudies", "agreements"], "$")
        var base = KnowledgeBase()
        var ids: Set<UUID> = []
        func id(_ fields: [String: JSONValue], _ path: String) throws(DataFileError) -> UUID {
            let value = try RiskRegisterFile.uuid(reader, fields["id"], path + ".id") ?? UUID()
            guard ids.insert(value).inserted else { throw reader.fail(path + ".id", "duplicate", "identifier \"\(value)\" is already used", ["id": value.uuidString]) }
            return value
        }
        for (n, item) in try reader.array(root["initiatives"] ?? .array([]), "$.initiatives").enumerated() {
            let path = "$.initiatives[\(n)]"
            let f = try reader.object(item, path)
            try Self.known(reader, f, ["id", "title", "summary", "description", "level", "countries", "region", "organisations", "pillars", "themes", "status", "startDate", "endDate", "links", "tlp"], path)
            var organisations: [Involvement] = []
            for (k, value) in try reader.array(f["organisations"] ?? .array([]), path + ".organisations").enumerated() {
                let p = "\(path).organisations[\(k)]"
                let o = try reader.object(value, p)
                try Self.known(reader, o, ["name", "role"], p)
                organisations.append(
                    Involvement(name: try Self.line(reader, o["name"], p + ".name", required: true), role: try Self.choice(reader, o["role"], p + ".role", default: .partner)))
            }
            let start = try Self.day(reader, f["startDate"], path + ".startDate")
            let end = try Self.day(reader, f["endDate"], path + ".endDate")
            try Self.order(reader, start, end, path + ".endDate", "startDate")
            var region: String?
            if let written = try Self.optional(reader, f["region"], path + ".region") {
                guard let found = Self.region(written) else {
                    throw reader.fail(path + ".region", "knowledge_region", "\"\(written)\" is not an ITU region (\(Countries.regions.joined(separator: ", ")))", ["value": written])
                }
                region = found
            }
            base.initiatives.append(
                Initiative(
                    id: try id(f, path), title: try Self.line(reader, f["title"], path + ".title", required: true),
                    summary: try Self.long(reader, f["summary"], path + ".summary"), description: try Self.long(reader, f["description"], path + ".description"),
                    level: try Self.choice(reader, f["level"], path + ".level", default: .national),
                    countries: try Self.countries(reader, f["countries"], path + ".countries"), region: region, organisations: organisations,
                    pillars: try Self.choices(reader, f["pillars"], path + ".pillars"), themes: try Self.lines(reader, f["themes"], path + ".themes"),
                    status: try Self.choice(reader, f["status"], path + ".status", default: .ongoing), startDate: start, endDate: end,
                    links: try Self.links(reader, f["links"], path + ".links"), tlp: try Self.tlp(reader, f["tlp"], path + ".tlp")))
        }
        for (n, item) in try reader.array(root["caseStudies"] ?? .array([]), "$.caseStudies").enumerated() {
            let path = "$.caseStudies[\(n)]"
            let f = try reader.object(item, path)
            try Self.known(
                reader, f, ["id", "title", "country", "institutionType", "mandate", "legalBasis", "governance", "funding", "staffing", "services", "lessonsLearned", "body", "links", "tlp"],
                path)
            guard let countryText = try Self.optional(reader, f["country"], path + ".country") else { throw reader.fail(path + ".country", "missing", "this field is required") }
            base.caseStudies.append(
                CaseStudy(
                    id: try id(f, path), title: try Self.line(reader, f["title"], path + ".title", required: true),
                    country: try Self.country(reader, countryText, path + ".country"),
                    institutionType: try Self.required(reader, f["institutionType"], path + ".institutionType"),
                    mandate: try Self.long(reader, f["mandate"], path + ".mandate"), legalBasis: try Self.long(reader, f["legalBasis"], path + ".legalBasis"),
                    governance: try Self.long(reader, f["governance"], path + ".governance"), funding: try Self.long(reader, f["funding"], path + ".funding"),
                    staffing: try Self.long(reader, f["staffing"], path + ".staffing"), services: try Self.lines(reader, f["services"], path + ".services"),
                    lessonsLearned: try Self.long(reader, f["lessonsLearned"], path + ".lessonsLearned"),
                    body: try Self.long(reader, f["body"], path + ".body", limit: Self.bodyLimit), links: try Self.links(reader, f["links"], path + ".links"),
                    tlp: try Self.tlp(reader, f["tlp"], path + ".tlp")))
        }
        for (n, item) in try reader.array(root["agreements"] ?? .array([]), "$.agreements").enumerated() {
            let path = "$.agreements[\(n)]"
            let f = try reader.object(item, path)
            try Self.known(reader, f, ["id", "title", "summary", "type", "parties", "scope", "status", "signedDate", "startDate", "expiryDate", "link", "tlp"], path)
            var parties: [AgreementParty] = []
            for (k, value) in try reader.array(f["parties"], path + ".parties").enumerated() {
                let party = try Self.party(reader, value, "\(path).parties[\(k)]")
                guard !parties.contains(party) else {
                    throw reader.fail("\(path).parties[\(k)]", "knowledge_party_twice", "this party is listed twice")
                }
                parties.append(party)
            }
            guard parties.count >= 2 else { throw reader.fail(path + ".parties", "knowledge_parties", "an agreement has at least two parties") }
            let type: AgreementType = f["type"] == nil || f["type"] == .null ? (parties.count == 2 ? .bilateral : .multilateral) : try Self.choice(reader, f["type"], path + ".type", default: .bilateral)
            if type == .bilateral && parties.count != 2 {
                throw reader.fail(path + ".type", "knowledge_bilateral", "a bilateral agreement has two parties (this one has \(parties.count))", ["count": String(parties.count)])
            }
            var scope: [AgreementScope]
            if case .string? = f["scope"] { scope = [try Self.choice(reader, f["scope"], path + ".scope", default: .informationSharing)] } else {
                scope = try Self.choices(reader, f["scope"], path + ".scope")
            }
            scope = Array(Set(scope)).sorted { $0.rawValue < $1.rawValue }
            let signed = try Self.day(reader, f["signedDate"], path + ".signedDate")
            let start = try Self.day(reader, f["startDate"], path + ".startDate")
            let expiry = try Self.day(reader, f["expiryDate"], path + ".expiryDate")
            try Self.order(reader, signed, start, path + ".startDate", "signedDate")
            try Self.order(reader, start ?? signed, expiry, path + ".expiryDate", start == nil ? "signedDate" : "startDate")
            let link = try Self.optional(reader, f["link"], path + ".link")
            if let link { try Self.checkLink(reader, link, path + ".link") }
            base.agreements.append(
                Agreement(
                    id: try id(f, path), title: try Self.line(reader, f["title"], path + ".title", required: true),
                    summary: try Self.long(reader, f["summary"], path + ".summary"), type: type, parties: parties, scope: scope,
                    status: try Self.choice(reader, f["status"], path + ".status", default: .signed), signedDate: signed, startDate: start, expiryDate: expiry,
                    link: link, tlp: try Self.tlp(reader, f["tlp"], path + ".tlp")))
        }
        return base
    }

    // MARK: fields

    /// An ITU region by its id, in any case, with spaces or hyphens (`Arab States`, `asia pacific`).
    static func region(_ text: String) -> String? {
        let key = text.lowercased().replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "_", with: "-")
        return Countries.regions.first { $0 == key }
    }

    static func known(_ reader: DataFileReader, _ fields: [String: JSONValue], _ names: Set<String>, _ path: String) throws(DataFileError) {
        if let unknown = fields.keys.sorted().first(where: { !names.contains($0) }) {
            throw reader.fail("\(path).\(unknown)", "unknown_field", "unknown field \"\(unknown)\"", ["field": unknown])
        }
    }

    static func optional(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            let trimmed = text.trimmed()
            return trimmed.isEmpty ? nil : trimmed
        default: throw reader.fail(path, "string", "expected a text")
        }
    }

    static func line(_ reader: DataFileReader, _ value: JSONValue?, _ path: String, required: Bool = false) throws(DataFileError) -> String {
        guard let text = try Self.optional(reader, value, path) else {
            if required { throw reader.fail(path, "missing", "this field is required") }
            return ""
        }
        guard text.count <= Self.titleLimit, !text.contains(where: { $0.isNewline || ($0.asciiValue.map { $0 < 32 } ?? false) }) else {
            throw reader.fail(path, "knowledge_line", "one line of at most \(Self.titleLimit) characters", ["limit": String(Self.titleLimit)])
        }
        return text
    }

    static func long(_ reader: DataFileReader, _ value: JSONValue?, _ path: String, limit: Int = Self.textLimit) throws(DataFileError) -> String {
        guard let text = try Self.optional(reader, value, path) else { return "" }
        guard text.count <= limit else { throw reader.fail(path, "knowledge_long", "at most \(limit) characters", ["limit": String(limit)]) }
        guard !text.unicodeScalars.contains(where: { $0.value < 32 && $0 != "\n" && $0 != "\t" && $0 != "\r" }) else {
            throw reader.fail(path, "knowledge_control", "a control character is not text")
        }
        return text
    }

    static func lines(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> [String] {
        var result: [String] = []
        for (n, item) in try reader.array(value ?? .array([]), path).enumerated() {
            let text = try Self.line(reader, item, "\(path)[\(n)]", required: true)
            if !result.contains(text) { result.append(text) }
        }
        return result
    }

    static func choice<T: RawRepresentable & CaseIterable>(_ reader: DataFileReader, _ value: JSONValue?, _ path: String, default fallback: T) throws(DataFileError) -> T
    where T.RawValue == String {
        guard let text = try Self.optional(reader, value, path) else { return fallback }
        guard let found = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw reader.fail(path, "knowledge_choice", "\"\(text)\" is not one of \(allowed)", ["value": text, "allowed": allowed])
        }
        return found
    }

    static func required<T: RawRepresentable & CaseIterable>(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> T
    where T.RawValue == String {
        guard let first = T.allCases.first, try Self.optional(reader, value, path) != nil else { throw reader.fail(path, "missing", "this field is required") }
        return try Self.choice(reader, value, path, default: first)
    }

    static func choices<T: RawRepresentable & CaseIterable & Hashable>(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> [T]
    where T.RawValue == String {
        var result: [T] = []
        for (n, item) in try reader.array(value ?? .array([]), path).enumerated() {
            guard let first = T.allCases.first else { break }
            let found: T = try Self.choice(reader, item, "\(path)[\(n)]", default: first)
            if !result.contains(found) { result.append(found) }
        }
        return result
    }

    static func country(_ reader: DataFileReader, _ text: String, _ path: String) throws(DataFileError) -> String {
        guard let code = Countries.normalise(text) else {
            throw reader.fail(path, "knowledge_country", "\"\(text)\" is not an ISO 3166-1 alpha-2 country code (such as UY, KE, ES)", ["value": text])
        }
        return code
    }

    static func countries(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> [String] {
        var result: [String] = []
        for (n, item) in try reader.array(value ?? .array([]), path).enumerated() {
            let code = try Self.country(reader, try reader.string(item, "\(path)[\(n)]"), "\(path)[\(n)]")
            if !result.contains(code) { result.append(code) }
        }
        return result
    }

    static func party(_ reader: DataFileReader, _ value: JSONValue, _ path: String) throws(DataFileError) -> AgreementParty {
        switch value {
        case .string(let text):
            guard let code = Countries.normalise(text) else {
                throw reader.fail(
                    path, "knowledge_party", "\"\(text)\" is not a country code; write an organisation as {\"organisation\": \"…\"}", ["value": text])
            }
            return .country(code)
        case .object(let fields):
            // {"country": "UY"}, {"organisation": "OAS"} (or "organization"), or {"type": "country"|"organisation", "code"/"name": …}.
            try Self.known(reader, fields, ["country", "organisation", "organization", "type", "code", "name"], path)
            let organisationKey = fields["organisation"] != nil ? "organisation" : "organization"
            if let code = try Self.optional(reader, fields["country"], path + ".country"), fields[organisationKey] == nil {
                return .country(try Self.country(reader, code, path + ".country"))
            }
            if let name = try Self.optional(reader, fields[organisationKey], path + "." + organisationKey), fields["country"] == nil {
                return .organisation(try Self.line(reader, .string(name), path + "." + organisationKey, required: true))
            }
            if let type = try Self.optional(reader, fields["type"], path + ".type")?.lowercased() {
                if type == "country", let code = try Self.optional(reader, fields["code"] ?? fields["name"], path + ".code") {
                    return .country(try Self.country(reader, code, path + ".code"))
                }
                if type == "organisation" || type == "organization", let name = try Self.optional(reader, fields["name"], path + ".name") {
                    return .organisation(try Self.line(reader, .string(name), path + ".name", required: true))
                }
            }
            throw reader.fail(path, "knowledge_party", "a party is {\"country\": \"UY\"} or {\"organisation\": \"…\"}", ["value": ""])
        default:
            throw reader.fail(path, "knowledge_party", "a party is a country code or {\"organisation\": \"…\"}", ["value": ""])
        }
    }

    static func tlp(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> TLP {
        guard let text = try Self.optional(reader, value, path) else { return Self.defaultTLP }
        guard let tlp = TLP(label: text) else {
            throw reader.fail(path, "knowledge_tlp", "\"\(text)\" is not a TLP 2.0 label (TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)", ["value": text])
        }
        return tlp
    }

    /// A `YYYY-MM-DD` day, as midnight UTC.
    static func day(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> Date? {
        guard let text = try Self.optional(reader, value, path) else { return nil }
        if let date = CalendarDay.parse(text) { return date }
        // A full time (2024-05-01T00:00:00Z) is kept to its day, in UTC.
        if text.count > 10, let time = EventTime.parse(text), let date = CalendarDay.parse(CalendarDay.format(time)) { return date }
        throw reader.fail(path, "knowledge_date", "\"\(text)\" is not a date: write YYYY-MM-DD", ["value": text])
    }

    static func order(_ reader: DataFileReader, _ first: Date?, _ second: Date?, _ path: String, _ earlier: String) throws(DataFileError) {
        if let first, let second, second < first {
            throw reader.fail(path, "knowledge_order", "this date is before \(earlier)", ["field": earlier])
        }
    }

    static func links(_ reader: DataFileReader, _ value: JSONValue?, _ path: String) throws(DataFileError) -> [String] {
        var result: [String] = []
        for (n, item) in try reader.array(value ?? .array([]), path).enumerated() {
            let link = try reader.string(item, "\(path)[\(n)]").trimmed(.whitespaces)
            try Self.checkLink(reader, link, "\(path)[\(n)]")
            if !result.contains(link) { result.append(link) }
        }
        return result
    }

    static func checkLink(_ reader: DataFileReader, _ link: String, _ path: String) throws(DataFileError) {
        guard link.count <= 2000, let url = URL(string: link), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http", url.host?.isEmpty == false else {
            throw reader.fail(path, "knowledge_link", "\"\(link.prefix(80))\" is not an http or https link", ["value": String(link.prefix(80))])
        }
    }
}

/// Calendar days, `YYYY-MM-DD`, as midnight UTC.
public enum CalendarDay {
    public static func parse(_ text: String) -> Date? {
        let parts = text.trimmed(.whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...9999).contains(y)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let components = DateComponents(year: y, month: m, day: d)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }

    public static func format(_ date: Date) -> String { String(EventTime.format(date).prefix(10)) }
}
