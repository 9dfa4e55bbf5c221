import ConfianzaCore
import Foundation

extension TextCatalogue {
    /// The language's texts (English under them) for templates, with dots in keys turned into
    /// underscores (`nav.home` → `nav_home`), since Mustache reads dots as nesting.
    func templateTable(_ language: Language) -> [String: Any] {
        var table: [String: Any] = [:]
        for (key, entry) in self.merged(language) {
            let name = key.replacingOccurrences(of: ".", with: "_")
            switch entry {
            case .text(let text): table[name] = text
            case .list(let list): table[name] = list
            }
        }
        return table
    }

    /// A refusal in the reader's language: from the locale files where they say it, else the English sentence.
    func say(_ error: any ExplainedError, _ language: Language) -> String {
        error.phrase.map { self.say($0, language) } ?? error.description
    }

    /// A phrase the core recorded, in the reader's language. By their names, placeholders holding raw
    /// values are shown under their labels: `status`/`*_status` (`incident.status.…`), `*_statuses` (a
    /// comma-separated list, joined with "or"), `severity`/`*_severity`, `field` (`field.…`), `state`
    /// (`outbox.…`), `role` (`role.…`), `stage` (`assessment.state.…`).
    func say(_ phrase: Phrase, _ language: Language) -> String {
        var arguments = phrase.arguments
        for (name, value) in phrase.arguments {
            if name == "status" || name.hasSuffix("_status") {
                arguments[name] = self.text("incident.status.\(value)", language)
            } else if name.hasSuffix("_statuses") {
                arguments[name] = value.split(separator: ",").map { self.text("incident.status.\($0)", language) }
                    .joined(separator: self.text("incident.error.or", language))
            } else if name == "severity" || name.hasSuffix("_severity") {
                arguments[name] = self.text("severity.\(value)", language)
            } else if name == "field" || name == "state" || name == "role" || name == "stage" {
                let key = ["field": "field.", "state": "outbox.", "role": "role.", "stage": "assessment.state."][name, default: ""] + value
                let label = self.text(key, language)
                arguments[name] = label == key ? value : label
            }
        }
        return self.text(phrase.key, language, arguments)
    }
}

public enum ViewError: Error, Equatable, CustomStringConvertible {
    case badResource(String, String)
    case missingTemplate(String)

    public var description: String {
        switch self {
        case .badResource(let file, let reason): "\(file) \(reason)"
        case .missingTemplate(let name): "template '\(name)' is missing from the server's resources"
        }
    }
}
