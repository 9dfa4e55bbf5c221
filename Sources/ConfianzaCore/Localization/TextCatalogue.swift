import Foundation

/// Every word a user reads, in every language present: page texts, mail templates, messages. Built
/// from locale files (the loader lives with the resources); English must be complete, any other
/// language may be partial and falls back to English key by key.
///
/// Texts hold `{name}` placeholders, filled in by ``text(_:_:_:)``. Mail templates are texts too: the
/// notice is `mail.notice`, the digest `mail.digest`, each starting with a `Subject:` line.
public struct TextCatalogue: Sendable {
    public enum Entry: Sendable, Equatable {
        case text(String)
        case list([String])
    }

    private let tables: [Language: [String: Entry]]
    /// The languages present, English first then by code.
    public let languages: [Language]

    /// - Throws: ``LocaleError/noEnglish`` when English is missing: it is every text's fallback.
    public init(tables: [Language: [String: Entry]]) throws(LocaleError) {
        guard tables[.english] != nil else { throw .noEnglish }
        self.tables = tables
        self.languages = tables.keys.sorted()
    }

    public func has(_ language: Language) -> Bool { self.tables[language] != nil }

    /// The language a contact or user asked for (`es`, `es-419`, `pt_BR`), if present; else English.
    public func language(for tag: String?) -> Language {
        guard let tag, let language = Language(tag: tag), self.has(language) else { return .english }
        return language
    }

    /// Keys present in English but missing in `language`.
    public func missingKeys(in language: Language) -> [String] {
        let english = Set(self.tables[.english]?.keys ?? [:].keys)
        return english.subtracting(self.tables[language]?.keys ?? [:].keys).sorted()
    }

    /// A text with `{name}` placeholders filled in. An unknown key shows as itself, so it is noticed.
    public func text(_ key: String, _ language: Language, _ arguments: [String: String] = [:]) -> String {
        guard case .text(let text) = self.tables[language]?[key] ?? self.tables[.english]?[key] else { return key }
        return Self.fill(text, arguments)
    }

    public func list(_ key: String, _ language: Language) -> [String] {
        guard case .list(let list) = self.tables[language]?[key] ?? self.tables[.english]?[key] else { return [] }
        return list
    }

    /// The language's texts with English under them: what a page template reads.
    public func merged(_ language: Language) -> [String: Entry] {
        var merged = self.tables[.english] ?? [:]
        merged.merge(self.tables[language] ?? [:]) { _, new in new }
        return merged
    }

    /// The language's name in itself, for the language switcher (`language.name` in its file).
    public func nativeName(_ language: Language) -> String {
        guard case .text(let name) = self.tables[language]?["language.name"] else { return language.rawValue }
        return name
    }

    /// A mail template (`mail.notice`, `mail.digest`) filled in: its `Subject:` line, and the body after
    /// the blank line that follows it.
    public func mail(_ key: String, _ language: Language, _ arguments: [String: String]) -> (subject: String, body: String) {
        let text = self.text(key, language, arguments)
        guard text.hasPrefix("Subject:"), let end = text.firstIndex(of: "\n") else { return ("", text) }
        let subject = text[text.index(text.startIndex, offsetBy: "Subject:".count)..<end].trimmingCharacters(in: .whitespaces)
        var body = text[text.index(after: end)...]
        while body.first == "\n" { body = body.dropFirst() }
        return (subject, String(body))
    }

    /// Replaces every `{name}` of `arguments` in one pass, so a value that itself holds `{…}` is left as it is.
    static func fill(_ text: String, _ arguments: [String: String]) -> String {
        guard !arguments.isEmpty, text.contains("{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), let value = arguments[String(after[..<close])] {
                out += value
                rest = after[after.index(after: close)...]
            } else {
                out += "{"
                rest = after
            }
        }
        return out + rest
    }
}

/// Why the locale files could not be read, naming the file and what is wrong.
public enum LocaleError: Error, Equatable, Sendable, CustomStringConvertible {
    case noEnglish
    case badFile(String, String)

    public var description: String {
        switch self {
        case .noEnglish: "the locale files have no English (en): it is every text's fallback"
        case .badFile(let file, let reason): "\(file): \(reason)"
        }
    }
}
