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

/// An error whose refusal pages can say in the reader's language: `description` is the English
/// sentence (command line, API, logs), ``phrase`` the same in the locale files' words where they have it.
public protocol ExplainedError: Error, Sendable, CustomStringConvertible {
    var phrase: Phrase? { get }
}

/// Why a value was refused: an English sentence, and, where the locale files have it, the key of the
/// same sentence in every language with its placeholders. Two refusals are equal when they say the
/// same thing in English. A plain string literal is a refusal with English only.
public struct Refusal: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public let key: String?
    public let english: String
    public let arguments: [String: String]

    public init(_ key: String, english: String, _ arguments: [String: String] = [:]) {
        self.key = key
        self.english = english
        self.arguments = arguments
    }

    public init(stringLiteral value: String) {
        self.key = nil
        self.english = value
        self.arguments = [:]
    }

    public init(stringInterpolation: DefaultStringInterpolation) {
        self.init(stringLiteral: String(stringInterpolation: stringInterpolation))
    }

    public var description: String { self.english }
    public static func == (lhs: Refusal, rhs: Refusal) -> Bool { lhs.english == rhs.english }

    /// The refusal as a phrase, with more placeholders (the field, the value).
    public func phrase(_ more: [String: String]) -> Phrase? {
        self.key.map { Phrase($0, self.arguments.merging(more) { mine, _ in mine }) }
    }
}
