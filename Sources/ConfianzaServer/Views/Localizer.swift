import ConfianzaCore
import Foundation

/// The texts of the pages in every language, read from `Locales/<code>.json`. A key missing in one
/// language falls back to English, so a half-done translation still shows every page.
public struct Localizer: Sendable {
    enum Entry: Sendable, Equatable {
        case text(String)
        case list([String])
    }

    private let tables: [Language: [String: Entry]]

    /// Loads every language's table from `directory`.
    ///
    /// - Throws: ``ViewError/badResource(_:_:)`` naming the file and what is wrong with it.
    public init(directory: URL) throws {
        var tables: [Language: [String: Entry]] = [:]
        for language in Language.allCases {
            let file = directory.appendingPathComponent("\(language.rawValue).json")
            let data: Data
            do { data = try Data(contentsOf: file) } catch { throw ViewError.badResource(file.path, "cannot be read") }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ViewError.badResource(file.path, "is not a JSON object")
            }
            var table: [String: Entry] = [:]
            for (key, value) in object {
                if let text = value as? String {
                    table[key] = .text(text)
                } else if let list = value as? [String] {
                    table[key] = .list(list)
                } else {
                    throw ViewError.badResource(file.path, "key '\(key)' is neither a text nor a list of texts")
                }
            }
            tables[language] = table
        }
        self.tables = tables
    }

    /// Keys present in English but missing in `language`.
    public func missingKeys(in language: Language) -> [String] {
        let english = Set(self.tables[.english]?.keys ?? [:].keys)
        return english.subtracting(self.tables[language]?.keys ?? [:].keys).sorted()
    }

    /// A text with `{name}` placeholders filled in. An unknown key shows as itself, so it is noticed.
    public func text(_ key: String, _ language: Language, _ arguments: [String: String] = [:]) -> String {
        guard case .text(var text) = self.tables[language]?[key] ?? self.tables[.english]?[key] else { return key }
        for (name, value) in arguments { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    public func list(_ key: String, _ language: Language) -> [String] {
        guard case .list(let list) = self.tables[language]?[key] ?? self.tables[.english]?[key] else { return [] }
        return list
    }

    /// The whole table for templates, with dots in keys turned into underscores (`nav.home` → `nav_home`),
    /// since Mustache reads dots as nesting.
    func templateTable(_ language: Language) -> [String: Any] {
        var merged = self.tables[.english] ?? [:]
        merged.merge(self.tables[language] ?? [:]) { _, new in new }
        var table: [String: Any] = [:]
        for (key, entry) in merged {
            let name = key.replacingOccurrences(of: ".", with: "_")
            switch entry {
            case .text(let text): table[name] = text
            case .list(let list): table[name] = list
            }
        }
        return table
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
