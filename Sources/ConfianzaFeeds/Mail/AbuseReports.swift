import ConfianzaCore
import ConfianzaNetwork
import Foundation

/// An event being built from an abuse report. As for Shadowserver rows: a required value that is
/// missing or invalid refuses the report, with the field and its line; an optional value that does
/// not fit its harmonised field is kept under `extra.*`, never dropped.
struct ReportEvent {
    var event = Event()

    static func extraName(_ field: String) -> String { "extra." + ShadowserverParser.extraName(field.replacingOccurrences(of: "-", with: "_")) }

    mutating func require(_ key: String, _ value: String?, field: String, line: Int) throws(MailError) {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw MailError(line: line, reason: "\(field) is missing") }
        do { try self.event.set(key, text: value) } catch { throw MailError(line: line, reason: "\(field): \(error.description)") }
    }

    mutating func set(_ key: String, _ value: String?, field: String) {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        do { try self.event.set(key, text: value) } catch { self.extra(field, value) }
    }

    mutating func extra(_ field: String, _ value: String?) {
        guard let value, !value.isEmpty else { return }
        try? self.event.set(Self.extraName(field), .string(value))
    }

    mutating func extra(_ field: String, json: JSONValue) {
        try? self.event.set(Self.extraName(field), json.eventValue)
    }

    /// The reported party: an address, a URL, a host name or a mailbox, by the report's own type when
    /// it gives one (`ip-address`, `ipv4`, `ipv6`, `uri`, `url`, `domain`, `email`), else by its shape.
    mutating func source(_ value: String?, kind: String?, field: String, line: Int) throws(MailError) {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { throw MailError(line: line, reason: "\(field) is missing") }
        let key: String
        switch kind?.lowercased() {
        case "ip-address", "ipv4", "ipv6", "ip", "ip_address": key = "source.ip"
        case "uri", "url": key = "source.url"
        case "domain", "fqdn", "hostname", "host": key = "source.fqdn"
        case "email", "e-mail", "mail": key = "source.account"
        case .some(let other) where !other.isEmpty:
            throw MailError(line: line, reason: "\(field) type '\(other)' is not one of ip-address, ipv4, ipv6, uri, domain, email")
        default:
            if (try? IPAddress(value)) != nil {
                key = "source.ip"
            } else if value.contains("://") || value.lowercased().hasPrefix("hxxp") {
                key = "source.url"
            } else if value.contains("@") {
                key = "source.account"
            } else {
                key = "source.fqdn"
            }
        }
        try self.require(key, value, field: field, line: line)
        if key == "source.url", self.event["source.fqdn"] == nil,
            let host = URLComponents(string: self.event["source.url"]?.description ?? "")?.host
        {
            self.set("source.fqdn", host, field: "\(field) host")
        }
    }

    /// Classification, feed, times and `raw`, the same way for every kind of report.
    mutating func finish(
        classification: (taxonomy: String, type: String)?, identifier: String, feedName: String, provider: String?, observedAt: String,
        time: Date?, raw: [UInt8]
    ) -> Event {
        let (taxonomy, type) = classification ?? Taxonomy.classify(taxonomy: nil, type: nil)
        try? self.event.set("classification.taxonomy", text: taxonomy)
        try? self.event.set("classification.type", text: type)
        try? self.event.set("classification.identifier", text: identifier)
        try? self.event.set("feed.name", text: feedName)
        if let provider { try? self.event.set("feed.provider", text: provider) }
        try? self.event.set("time.observation", text: observedAt)
        if let time, self.event["time.source"] == nil { try? self.event.set("time.source", text: EventTime.format(time)) }
        if self.event["severity"] == nil { try? self.event.set("severity", text: AbuseReportTypes.severity(taxonomy: taxonomy)) }
        if self.event["tlp"] == nil { try? self.event.set("tlp", text: "TLP:AMBER") }
        try? self.event.set("raw", text: Data(raw).base64EncodedString())
        return self.event
    }
}

/// Reads the three kinds of abuse report that arrive by e-mail or as files.
enum AbuseReports {
    /// What `raw` keeps: the whole message up to this size, else the report's own part.
    static let rawLimit = 256 * 1024

    /// One e-mail message: an ARF feedback report (RFC 5965, with RFC 6430/6591 types), an X-ARF 0.2
    /// report (`report.txt`), or an XARF v4 JSON report sent as a part or as the body.
    static func event(message bytes: ArraySlice<UInt8>, line: Int, feedName: String?, observedAt: String) throws(MailError) -> Event {
        let message = MIMEPart(bytes, line: line)
        guard !message.headers.isEmpty else {
            throw MailError(line: line, reason: "not an e-mail message: it has no header lines (Name: value) before the body")
        }
        let parts = try message.allParts()
        if let feedback = parts.first(where: { $0.contentType.type == "message/feedback-report" }) {
            return try Self.arf(message: message, feedback: feedback, parts: parts, feedName: feedName, observedAt: observedAt, whole: bytes)
        }
        let report = parts.first { $0.fileName?.lowercased() == "report.txt" }
            ?? parts.first { part in
                part.contentType.type == "text/plain" && ((try? part.text()).map { $0.contains("Report-Type:") && $0.contains("Source:") } ?? false)
            }
        if let report {
            return try Self.xarf02(message: message, report: report, parts: parts, feedName: feedName, observedAt: observedAt, whole: bytes)
        }
        for part in parts where part.isLeaf {
            let name = part.fileName?.lowercased() ?? ""
            guard part.contentType.type == "application/json" || name.hasSuffix(".json") || part.contentType.type == "text/plain" else { continue }
            guard let text = try? part.text(), text.contains("xarf_version") else { continue }
            let raw = bytes.count <= Self.rawLimit ? Array(bytes) : Array(text.utf8)
            return try Self.xarf4(json: text, line: part.bodyLine, feedName: feedName, observedAt: observedAt, raw: raw)
        }
        throw MailError(
            line: line,
            reason: "not an abuse report: no message/feedback-report part (ARF), no report.txt (X-ARF 0.2) and no XARF v4 JSON")
    }

    // MARK: ARF

    /// RFC 5965 feedback types, with RFC 6430's `not-spam` and RFC 6591's `auth-failure`.
    static let feedbackTypes: [String: (taxonomy: String, type: String)] = [
        "abuse": ("abusive-content", "spam"), "fraud": ("fraud", "phishing"), "virus": ("malicious-code", "malware-distribution"),
        "other": ("abusive-content", "undetermined"), "not-spam": ("other", "other"), "auth-failure": ("fraud", "masquerade"),
    ]

    static func arf(
        message: MIMEPart, feedback: MIMEPart, parts: [MIMEPart], feedName: String?, observedAt: String, whole: ArraySlice<UInt8>
    ) throws(MailError) -> Event {
        let body = try feedback.decodedBody()
        let fields = MIMEPart(body[...], line: feedback.bodyLine)
        func line(_ name: String) -> Int { fields.headers(name).first?.line ?? feedback.bodyLine }
        var report = ReportEvent()
        for required in ["Feedback-Type", "User-Agent", "Version"] {
            let found = fields.headers(required)
            guard !found.isEmpty else { throw MailError(line: feedback.bodyLine, reason: "the feedback report has no \(required) field") }
            guard found.count == 1 else { throw MailError(line: found[1].line, reason: "\(required) appears \(found.count) times; RFC 5965 allows it once") }
        }
        let feedbackType = (fields.header("Feedback-Type") ?? "").lowercased()
        guard !feedbackType.isEmpty, feedbackType.allSatisfy({ $0.isLetter || $0 == "-" }) else {
            throw MailError(line: line("Feedback-Type"), reason: "Feedback-Type '\(feedbackType)' is not a feedback type (abuse, fraud, virus, other, not-spam, auth-failure)")
        }
        let version = fields.header("Version") ?? ""
        guard version == "1" || version == "0.1" else { throw MailError(line: line("Version"), reason: "Version '\(version)': only 1 (and the draft 0.1) exist") }
        if let ip = fields.header("Source-IP") {
            do { try report.event.set("source.ip", text: ip) } catch {
                throw MailError(line: line("Source-IP"), reason: "Source-IP: \(error.description)")
            }
        }
        let domains = fields.headers("Reported-Domain").map(\.value)
        let uris = fields.headers("Reported-Uri").map(\.value)
        report.set("source.fqdn", domains.first, field: "reported_domain")
        report.set("source.url", uris.first.map(Self.unbracketed), field: "reported_uri")
        guard report.event["source.ip"] != nil || report.event["source.fqdn"] != nil || report.event["source.url"] != nil else {
            throw MailError(line: feedback.bodyLine, reason: "the feedback report names no source: no Source-IP, Reported-Domain or Reported-Uri")
        }
        report.set("source.port", fields.header("Source-Port"), field: "source_port")
        if domains.count > 1 { report.extra("reported_domains", domains.joined(separator: " ")) }
        if uris.count > 1 { report.extra("reported_uris", uris.map(Self.unbracketed).joined(separator: " ")) }
        let arrival = fields.header("Arrival-Date") ?? fields.header("Received-Date")
        let time = arrival.flatMap(MailDate.parse) ?? message.header("Date").flatMap(MailDate.parse)
        if let arrival, MailDate.parse(arrival) == nil { report.extra("arrival_date", arrival) }
        let mapped: Set<String> = ["source-ip", "reported-domain", "reported-uri", "source-port", "arrival-date", "received-date"]
        var extras: [String: [String]] = [:]
        for field in fields.headers where !mapped.contains(field.name.lowercased()) {
            extras[field.name.lowercased(), default: []].append(field.value)
        }
        for (name, values) in extras { report.extra(name, values.joined(separator: " | ")) }
        if let original = parts.first(where: { ["message/rfc822", "text/rfc822-headers", "message/rfc822-headers"].contains($0.contentType.type) }) {
            let headers = MIMEPart(original.body, line: original.bodyLine)
            report.extra("original_subject", headers.header("Subject"))
            report.extra("original_message_id", headers.header("Message-ID"))
            report.extra("original_from", headers.header("From"))
        }
        try? report.event.set("protocol.application", text: "smtp")
        let raw = whole.count <= Self.rawLimit ? Array(whole) : body
        return report.finish(
            classification: Self.feedbackTypes[feedbackType] ?? ("other", "undetermined"), identifier: "arf-\(feedbackType)",
            feedName: feedName ?? "ARF", provider: Self.domain(ofAddress: message.header("From")), observedAt: observedAt, time: time,
            raw: raw)
    }

    static func unbracketed(_ text: String) -> String {
        text.hasPrefix("<") && text.hasSuffix(">") ? String(text.dropFirst().dropLast()) : text
    }

    /// `Name <abuse@isp.example>` → `isp.example`.
    static func domain(ofAddress text: String?) -> String? {
        guard let text, let at = text.lastIndex(of: "@") else { return nil }
        let domain = text[text.index(after: at)...].prefix { $0 != ">" && $0 != " " && $0 != ")" }
        return domain.isEmpty ? nil : domain.lowercased()
    }

    // MARK: X-ARF 0.2

    static func xarf02(
        message: MIMEPart, report part: MIMEPart, parts: [MIMEPart], feedName: String?, observedAt: String, whole: ArraySlice<UInt8>
    ) throws(MailError) -> Event {
        let text = try part.text()
        let entries = try FlatYAML.parse(text, firstLine: part.bodyLine)
        var fields: [String: FlatYAML.Entry] = [:]
        for entry in entries {
            let name = entry.key.lowercased()
            if let earlier = fields[name] {
                throw MailError(line: entry.line, reason: "report.txt: \(entry.key) appears twice (first on line \(earlier.line))")
            }
            fields[name] = entry
        }
        func value(_ name: String) -> String? { fields[name.lowercased()]?.value }
        func line(_ name: String) -> Int { fields[name.lowercased()]?.line ?? part.bodyLine }
        for required in ["Report-Type", "Source", "Date"] where (value(required) ?? "").isEmpty {
            throw MailError(line: part.bodyLine, reason: "report.txt has no \(required)")
        }
        var report = ReportEvent()
        try report.source(value("Source"), kind: value("Source-Type"), field: "Source", line: line("Source"))
        guard let time = value("Date").flatMap(MailDate.parse) else {
            throw MailError(line: line("Date"), reason: "report.txt: Date '\(value("Date") ?? "")' is not an e-mail date (Mon, 03 Feb 2025 02:13:35 +0100)")
        }
        report.set("destination.port", value("Port"), field: "port")
        report.set("protocol.application", value("Service"), field: "service")
        report.set("destination.ip", value("Destination"), field: "destination")
        report.set("tlp", value("TLP"), field: "tlp")
        let mapped: Set<String> = ["source", "source-type", "date", "port", "service", "destination", "tlp"]
        for entry in entries where !mapped.contains(entry.key.lowercased()) { report.extra(entry.key.lowercased(), entry.value) }
        // The evidence (a log, the message complained about): its first lines help whoever reads the event.
        if let evidence = parts.first(where: { $0.isLeaf && $0.fileName != nil && $0.fileName?.lowercased() != "report.txt" }),
            let text = try? evidence.text()
        {
            report.extra("evidence", String(text.prefix(4096)))
        }
        let reportType = value("Report-Type") ?? ""
        let raw = whole.count <= Self.rawLimit ? Array(whole) : Array(text.utf8)
        return report.finish(
            classification: AbuseReportTypes.classify(reportType), identifier: reportType.lowercased(), feedName: feedName ?? "X-ARF",
            provider: Self.domain(ofAddress: value("Reported-From") ?? message.header("From")), observedAt: observedAt, time: time, raw: raw)
    }

    // MARK: XARF v4

    static func xarf4(json text: String, line: Int, feedName: String?, observedAt: String, raw: [UInt8]) throws(MailError) -> Event {
        let object: [String: JSONValue]
        do {
            guard case .object(let fields) = try JSONReader.parse(text) else { throw MailError(line: line, reason: "the XARF report is not a JSON object") }
            object = fields
        } catch let error as JSONReader.Failure {
            throw MailError(line: line, reason: "the XARF report is not JSON: \(error.description)")
        } catch let error as MailError {
            throw error
        } catch {
            throw MailError(line: line, reason: "the XARF report is not JSON")
        }
        return try Self.xarf4(object: object, line: line, feedName: feedName, observedAt: observedAt, raw: raw)
    }

    static func xarf4(object: [String: JSONValue], line: Int, feedName: String?, observedAt: String, raw: [UInt8]) throws(MailError) -> Event {
        func string(_ key: String) -> String? {
            switch object[key] {
            case .string(let text): text
            case .integer(let number): String(number)
            case .double(let number): String(number)
            default: nil
            }
        }
        guard let version = string("xarf_version") else { throw MailError(line: line, reason: "xarf_version is missing: not an XARF v4 report") }
        guard version.hasPrefix("4") else { throw MailError(line: line, reason: "xarf_version '\(version)': only XARF v4 is read as JSON") }
        for required in ["category", "type", "source_identifier", "timestamp"] where string(required) == nil {
            throw MailError(line: line, reason: "\(required) is missing or not a string")
        }
        var report = ReportEvent()
        try report.source(string("source_identifier"), kind: string("source_type"), field: "source_identifier", line: line)
        let timestamp = string("timestamp") ?? ""
        guard let reported = EventTime.parse(timestamp) else {
            throw MailError(line: line, reason: "timestamp '\(timestamp)' is not an ISO 8601 time")
        }
        let first = string("first_seen").flatMap(EventTime.parse)
        report.set("source.port", string("source_port"), field: "source_port")
        report.set("destination.ip", string("destination_ip"), field: "destination_ip")
        report.set("destination.port", string("destination_port"), field: "destination_port")
        report.set("protocol.transport", string("protocol"), field: "protocol")
        report.set("protocol.application", string("service"), field: "service")
        if report.event["source.url"] == nil { report.set("source.url", string("url"), field: "url") }
        let mapped: Set<String> = [
            "source_identifier", "source_type", "source_port", "destination_ip", "destination_port", "protocol", "service", "evidence", "type",
        ]
        for key in object.keys.sorted() where !mapped.contains(key) {
            guard let value = object[key] else { continue }
            if case .string(let text) = value { report.extra(key, text) } else if case .null = value {} else { report.extra(key, json: value) }
        }
        if case .array(let items) = object["evidence"] {
            // Descriptions and hashes; the payloads stay in `raw`.
            let described: [JSONValue] = items.map { item in
                guard case .object(var fields) = item else { return item }
                fields["payload"] = nil
                return .object(fields)
            }
            report.extra("evidence", json: .array(described))
        }
        var provider: String?
        if case .object(let reporter) = object["reporter"], case .string(let org) = reporter["org"] { provider = org }
        let category = (string("category") ?? "").lowercased()
        let type = (string("type") ?? "").lowercased()
        return report.finish(
            classification: AbuseReportTypes.classify(type), identifier: "\(category)/\(type)", feedName: feedName ?? "XARF",
            provider: provider, observedAt: observedAt, time: first ?? reported, raw: raw)
    }
}
