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

    /// A refusal of the incident rules in the reader's language: from the locale files where they say
    /// it, else the English sentence.
    func say(_ error: IncidentError, _ language: Language) -> String {
        guard let (key, arguments) = error.message else { return error.description }
        var filled = arguments
        switch error {
        case .transition:
            // Status names as the reader calls them.
            func label(_ status: String) -> String { self.text("incident.status.\(status)", language) }
            filled["from"] = label(arguments["from"] ?? "")
            filled["to"] = label(arguments["to"] ?? "")
            filled["allowed"] = (arguments["allowed"] ?? "").split(separator: ",").map { label(String($0)) }
                .joined(separator: self.text("incident.error.or", language))
        case .invalid:
            if let status = arguments["status"] { filled["status"] = self.text("incident.status.\(status)", language) }
            if let state = arguments["state"] { filled["state"] = self.text("outbox.\(state)", language) }
        case .notFound: break
        }
        return self.text(key, language, filled)
    }
}

extension TextCatalogue {
    /// A phrase the core recorded, in the reader's language: status and severity values under their labels.
    func say(_ phrase: Phrase, _ language: Language) -> String {
        var arguments = phrase.arguments
        for (name, value) in phrase.arguments {
            if name == "status" || name.hasSuffix("_status") {
                arguments[name] = self.text("incident.status.\(value)", language)
            } else if name == "severity" || name.hasSuffix("_severity") {
                arguments[name] = self.text("severity.\(value)", language)
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
