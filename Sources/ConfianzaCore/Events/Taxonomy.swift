import Foundation

/// The ENISA Reference Security Incident Taxonomy (RSIT, version 1003) with IntelMQ's additions: its
/// extra `other` types, both spellings of `unauthori[sz]ed-use-of-resources`, and its legacy aliases.
public enum Taxonomy {
    /// Taxonomy → types, as RSIT lists them.
    public static let types: [String: [String]] = [
        "abusive-content": ["spam", "harmful-speech", "violence"],
        "malicious-code": ["infected-system", "c2-server", "malware-distribution", "malware-configuration"],
        "information-gathering": ["scanner", "sniffing", "social-engineering"],
        "intrusion-attempts": ["ids-alert", "brute-force", "exploit"],
        "intrusions": [
            "privileged-account-compromise", "unprivileged-account-compromise", "application-compromise", "system-compromise", "burglary",
        ],
        "availability": ["dos", "ddos", "misconfiguration", "sabotage", "outage"],
        "information-content-security": [
            "unauthorised-information-access", "unauthorised-information-modification", "data-loss", "data-leak",
        ],
        "fraud": ["unauthorised-use-of-resources", "unauthorized-use-of-resources", "copyright", "masquerade", "phishing"],
        "vulnerable": ["weak-crypto", "ddos-amplifier", "potentially-unwanted-accessible", "information-disclosure", "vulnerable-system"],
        // IntelMQ's types "intentionally not in RSIT" go under other.
        "other": ["other", "undetermined", "blacklist", "dga-domain", "malware", "proxy", "tor"],
        "test": ["test"],
    ]

    /// Each type's taxonomy.
    public static let taxonomyOfType: [String: String] = {
        var map: [String: String] = [:]
        for (taxonomy, types) in Self.types { for type in types { map[type] = taxonomy } }
        return map
    }()

    /// Older names IntelMQ still accepts.
    static let taxonomyAliases: [String: String] = [
        "abusive content": "abusive-content", "information gathering": "information-gathering", "intrusion attempts": "intrusion-attempts",
        "malicious code": "malicious-code", "information content security": "information-content-security",
    ]

    static let typeAliases: [String: String] = [
        "botnet drone": "infected-system", "infected system": "infected-system", "ransomware": "infected-system",
        "c&c": "c2-server", "c2server": "c2-server", "ids alert": "ids-alert", "leak": "data-leak", "vulnerable client": "vulnerable-system",
        "vulnerable service": "vulnerable-system", "unknown": "undetermined",
        "defacement": "application-compromise", "compromised": "system-compromise", "backdoor": "system-compromise",
    ]

    public static func canonicalTaxonomy(_ text: String) -> String? {
        if Self.types[text] != nil { return text }
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if Self.types[value] != nil { return value }
        return Self.taxonomyAliases[value]
    }

    public static func canonicalType(_ text: String) -> String? {
        if Self.taxonomyOfType[text] != nil { return text }
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if Self.taxonomyOfType[value] != nil { return value }
        return Self.typeAliases[value]
    }

    /// Completes a classification as IntelMQ's taxonomy expert does: a type gives its taxonomy; a
    /// taxonomy alone gets the type `undetermined`; nothing gives `other/undetermined`.
    public static func classify(taxonomy: String?, type: String?) -> (taxonomy: String, type: String) {
        if let type, let taxonomy = Self.taxonomyOfType[type] { return (taxonomy, type) }
        if let taxonomy { return (taxonomy, "undetermined") }
        return ("other", "undetermined")
    }
}

