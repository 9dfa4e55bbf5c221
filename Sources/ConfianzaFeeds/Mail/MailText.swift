import ConfianzaCore
import Foundation

/// Dates as e-mail writes them (RFC 5322 §3.3, with the obsolete zone names of §4.3):
/// `Mon, 03 Feb 2025 02:13:35 +0100`, `8 Mar 2005 14:00:00 EDT`, and ISO 8601 as a fallback.
enum MailDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    ]

    static func parse(_ text: String) -> Date? {
        var value = text.trimmingCharacters(in: .whitespaces)
        if let comment = value.firstIndex(of: "(") { value = value[..<comment].trimmingCharacters(in: .whitespaces) }
        if let comma = value.firstIndex(of: ",") { value = String(value[value.index(after: comma)...]) }
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.count >= 4, let day = Int(words[0]), (1...31).contains(day),
            let month = Self.months.firstIndex(of: words[1].prefix(3).lowercased()), var year = Int(words[2])
        else { return EventTime.parse(text) }
        if words[2].count == 2 { year += year < 50 ? 2000 : 1900 } else if words[2].count == 3 { year += 1900 }
        let time = words[3].split(separator: ":").map { Int($0) }
        guard time.count == 2 || time.count == 3, let hour = time[0], let minute = time[1], hour < 24, minute < 60 else { return nil }
        let second = time.count == 3 ? time[2] ?? 99 : 0
        guard second < 61 else { return nil }
        var offset = 0
        if words.count > 4 {
            let zone = words[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let digits = Int(zone.dropFirst()) {
                offset = ((digits / 100) * 3600 + (digits % 100) * 60) * (sign == "-" ? -1 : 1)
            } else if let hours = Self.zones[zone.lowercased()] {
                offset = hours * 3600
            } else {
                return nil
            }
        }
        var components = DateComponents()
        components.year = year
        components.month = month + 1
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = second
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date.addingTimeInterval(TimeInterval(-offset))
    }
}

/// The flat YAML of an X-ARF 0.2 `report.txt`: `Key: value` lines, values plain or quoted, indented
/// lines continuing the value before them, `#` comments and `---` / `...` markers. Anything else
/// (lists, nested maps) is refused with its line, since X-ARF 0.2 reports have none.
enum FlatYAML {
    struct Entry: Sendable {
        var key: String
        var value: String
        var line: Int
    }

    static func parse(_ text: String, firstLine: Int) throws(MailError) -> [Entry] {
        var entries: [Entry] = []
        var number = firstLine - 1
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed == "---" || trimmed == "..." { continue }
            if let first = line.first, first == " " || first == "\t" {
                guard !entries.isEmpty else { throw MailError(line: number, reason: "report.txt: an indented line before any field") }
                let last = entries.count - 1
                entries[last].value += (entries[last].value.isEmpty ? "" : " ") + trimmed
                continue
            }
            if trimmed.hasPrefix("- ") || trimmed == "-" {
                throw MailError(line: number, reason: "report.txt: a list item; X-ARF 0.2 reports are flat 'Key: value' lines")
            }
            guard let colon = line.firstIndex(of: ":"), colon > line.startIndex else {
                throw MailError(line: number, reason: "report.txt: '\(trimmed.prefix(80))' is not a 'Key: value' line")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                value = String(value.dropFirst().dropLast())
                if quote == "\"" { value = value.replacingOccurrences(of: "\\\"", with: "\"") } else { value = value.replacingOccurrences(of: "''", with: "'") }
            } else if value == "|" || value == ">" {
                value = ""
            }
            entries.append(Entry(key: key, value: value, line: number))
        }
        return entries
    }
}

/// Abuse-report types (X-ARF 0.2 `Report-Type`, XARF v4 `type`) in RSIT, with `_` read as `-`.
enum AbuseReportTypes {
    static let rsit: [String: (taxonomy: String, type: String)] = [
        "login-attack": ("intrusion-attempts", "brute-force"), "brute-force": ("intrusion-attempts", "brute-force"),
        "malware-attack": ("malicious-code", "infected-system"), "infected-host": ("malicious-code", "infected-system"),
        "botnet": ("malicious-code", "infected-system"), "bot": ("malicious-code", "infected-system"),
        "c2": ("malicious-code", "c2-server"), "cnc": ("malicious-code", "c2-server"),
        "malware": ("malicious-code", "malware-distribution"),
        "ddos": ("availability", "ddos"), "dos": ("availability", "dos"),
        "port-scan": ("information-gathering", "scanner"), "portscan": ("information-gathering", "scanner"),
        "reconnaissance": ("information-gathering", "scanner"), "vulnerability-scan": ("information-gathering", "scanner"),
        "sql-injection": ("intrusion-attempts", "exploit"), "exploit": ("intrusion-attempts", "exploit"),
        "ids-alert": ("intrusion-attempts", "ids-alert"),
        "phishing": ("fraud", "phishing"), "phishing-site": ("fraud", "phishing"),
        "fraud": ("fraud", "masquerade"), "brand-infringement": ("fraud", "masquerade"), "suspicious-registration": ("fraud", "masquerade"),
        "copyright": ("fraud", "copyright"), "cyberlocker": ("fraud", "copyright"), "link-site": ("fraud", "copyright"),
        "p2p": ("fraud", "copyright"), "ugc-platform": ("fraud", "copyright"), "usenet": ("fraud", "copyright"),
        "exposed-data": ("information-content-security", "data-leak"),
        "csam": ("abusive-content", "violence"), "csem": ("abusive-content", "violence"),
        "remote-compromise": ("intrusions", "system-compromise"), "compromised-server": ("intrusions", "system-compromise"),
        "spam": ("abusive-content", "spam"), "bulk-messaging": ("abusive-content", "spam"),
        "blocklist": ("other", "blacklist"), "threat-intelligence": ("other", "other"), "scraping": ("other", "other"),
        "cve": ("vulnerable", "vulnerable-system"), "misconfiguration": ("vulnerable", "vulnerable-system"),
        "open-service": ("vulnerable", "potentially-unwanted-accessible"),
    ]

    static func classify(_ type: String) -> (taxonomy: String, type: String)? {
        Self.rsit[type.lowercased().replacingOccurrences(of: "_", with: "-")]
    }

    /// What a report of this class usually weighs; the analyst can change it.
    static func severity(taxonomy: String) -> String {
        switch taxonomy {
        case "intrusions", "malicious-code", "fraud", "information-content-security": "high"
        case "intrusion-attempts", "availability", "vulnerable": "medium"
        case "abusive-content", "information-gathering": "low"
        default: "info"
        }
    }
}
