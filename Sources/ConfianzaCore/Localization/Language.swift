import Foundation

/// A language Confianza may speak, by its ISO 639 code (`en`, `es`, `fr`, `ar`, …).
///
/// Which languages are spoken is data, not code: the locale files present (bundled, and any a site adds
/// with `--locales DIR`) make the list (see ``TextCatalogue``). English is the fallback for a missing text.
public struct Language: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// A lowercase ISO 639-1 or 639-2 code: two or three letters. Anything else is `nil`.
    public init?(rawValue: String) {
        let code = rawValue.lowercased()
        guard (2...3).contains(code.count), code.allSatisfy({ $0 >= "a" && $0 <= "z" }) else { return nil }
        self.rawValue = code
    }

    private init(known code: String) { self.rawValue = code }

    /// The fallback: every text exists in English.
    public static let english = Language(known: "en")
    public static let spanish = Language(known: "es")
    public static let french = Language(known: "fr")

    /// The language of a tag such as `es-419` or `pt_BR`: its primary subtag, if it is a language code.
    public init?(tag: String) {
        guard let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first else { return nil }
        self.init(rawValue: String(primary))
    }

    public var description: String { self.rawValue }

    /// English first, then by code: the order of the language switcher.
    public static func < (lhs: Language, rhs: Language) -> Bool {
        if lhs == .english || rhs == .english { return lhs == .english && rhs != .english }
        return lhs.rawValue < rhs.rawValue
    }

    public init(from decoder: any Decoder) throws {
        let code = try decoder.singleValueContainer().decode(String.self)
        guard let language = Language(rawValue: code) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(code)' is not a language code"))
        }
        self = language
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    /// Picks the best of `available` from an HTTP `Accept-Language` header (RFC 9110 §12.5.4).
    ///
    /// Ranges are matched on their primary subtag (`es-419` matches Spanish); `q=0` excludes; ties keep
    /// header order; `*` means English. Returns `nil` when nothing available is acceptable.
    public static func negotiate(acceptLanguage header: String?, among available: [Language]) -> Language? {
        guard let header, !header.isEmpty else { return nil }
        var candidates: [(language: Language, quality: Double, order: Int)] = []
        for (order, part) in header.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let range = pieces.first, !range.isEmpty else { continue }
            var quality = 1.0
            for parameter in pieces.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0].lowercased() == "q" {
                    guard let q = Double(pair[1]), q >= 0, q <= 1 else { quality = 0; break }
                    quality = q
                }
            }
            guard quality > 0 else { continue }
            if range == "*" {
                if available.contains(.english) { candidates.append((.english, quality, order)) }
            } else if let language = Language(tag: range), available.contains(language) {
                candidates.append((language, quality, order))
            }
        }
        return candidates.sorted { $0.quality != $1.quality ? $0.quality > $1.quality : $0.order < $1.order }.first?.language
    }
}
