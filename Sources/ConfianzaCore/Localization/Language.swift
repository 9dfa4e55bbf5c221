import Foundation

/// The languages Confianza speaks. English is the fallback.
public enum Language: String, Sendable, Codable, CaseIterable {
    case english = "en"
    case spanish = "es"

    /// The language's name in itself, for the language switcher.
    public var nativeName: String {
        switch self {
        case .english: "English"
        case .spanish: "Español"
        }
    }

    /// Picks the best supported language from an HTTP `Accept-Language` header (RFC 9110 §12.5.4).
    ///
    /// Ranges are matched on their primary subtag (`es-419` matches Spanish); `q=0` excludes; ties keep
    /// header order. Returns `nil` when nothing supported is acceptable.
    public static func negotiate(acceptLanguage header: String?) -> Language? {
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
            let primary = range.split(separator: "-").first.map { $0.lowercased() } ?? ""
            if range == "*" {
                candidates.append((.english, quality, order))
            } else if let language = Language(rawValue: primary) {
                candidates.append((language, quality, order))
            }
        }
        return candidates.sorted { $0.quality != $1.quality ? $0.quality > $1.quality : $0.order < $1.order }.first?.language
    }
}
