import Foundation

/// A sentence the core records for people to read later (an incident's timeline entry): the key of its
/// wording in the locale files and the values of its placeholders. Pages say it in the reader's
/// language; the English text is kept beside it for the API and for logs.
///
/// Placeholders named `status`, `*_status`, `severity` or `*_severity` hold the raw value, which pages
/// show under its own label (`incident.status.<value>`, `severity.<value>`).
public struct Phrase: Sendable, Hashable, Codable {
    public var key: String
    public var arguments: [String: String]

    public init(_ key: String, _ arguments: [String: String] = [:]) {
        self.key = key
        self.arguments = arguments
    }

    /// The placeholders as JSON, as stored.
    public var argumentsJSON: String {
        let data = (try? JSONSerialization.data(withJSONObject: self.arguments, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// A stored phrase; `nil` when there is none or it cannot be read (the English text then stands).
    public init?(key: String?, argumentsJSON: String?) {
        guard let key, !key.isEmpty else { return nil }
        let object = argumentsJSON.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: String]
        self.init(key, object ?? [:])
    }
}
