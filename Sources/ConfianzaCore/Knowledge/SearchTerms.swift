import Foundation

/// The words a search matches on, made by the application rather than the database: lower case,
/// accents folded, and a light stemmer for English, Spanish and French (plural and common suffixes, so
/// *incidents*, *incidentes* and *incident* meet, and so do *cooperation*, *cooperación* and
/// *coopération*). SQLite's FTS5 and PostgreSQL's full-text search then index and match these terms as
/// they are, so the same query finds the same records on both databases; only the ranking differs.
public enum SearchTerms {
    /// Longest first; each is removed only when at least three letters remain.
    static let suffixes = [
        "aciones", "iciones", "ations", "ements", "amente", "ciones", "acion", "ation", "ement", "mente", "ments", "ances", "ences", "ities",
        "cion", "sion", "tion", "ment", "ance", "ence", "ites", "idad", "ingly", "ings", "edly", "ing", "ite", "ity", "eux", "aux", "es", "ed", "s",
    ]

    /// Words too common to search on, in the three languages.
    static let stopWords: Set<String> = [
        "the", "and", "for", "with", "from", "that", "this", "are", "was", "los", "las", "del", "con", "por", "para", "una", "que", "les", "des",
        "pour", "dans", "sur", "une", "est", "par", "aux", "and", "of", "to", "in", "on", "a", "an", "el", "la", "de", "y", "en", "le", "et", "du", "au",
    ]

    /// The term of one word.
    public static func stem(_ word: String) -> String {
        var w = word.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
        guard w.count > 3, w.allSatisfy({ $0.isLetter }) else { return w }
        if w.hasSuffix("ies"), !w.hasSuffix("ities"), w.count >= 6 {
            w.removeLast(2)  // strategies → strategi
        } else {
            for suffix in Self.suffixes where w.hasSuffix(suffix) && w.count - suffix.count >= 3 {
                w.removeLast(suffix.count)
                break
            }
        }
        // strategy, stratégie, incidente: the final vowel is dropped (y read as i).
        if w.hasSuffix("y") { w = String(w.dropLast()) + "i" }
        if let last = w.last, "aeo".contains(last), w.count > 4 { w.removeLast() }
        // A doubled final consonant left by the cut (planning → plann) is one.
        if let last = w.last, w.count > 3, w.dropLast().last == last, !"aeiou".contains(last) { w.removeLast() }
        return w
    }

    /// The words of a text, each once per position, in order (letters and digits; everything else splits).
    public static func words(_ text: String) -> [String] {
        text.split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// The indexed terms of a text: stems, stop words left out, at most `limit` of them.
    public static func terms(_ text: String, limit: Int = 20_000) -> [String] {
        var result: [String] = []
        for word in Self.words(text) {
            let lower = word.lowercased()
            guard !Self.stopWords.contains(lower), word.count <= 60 else { continue }
            result.append(Self.stem(word))
            if result.count >= limit { break }
        }
        return result
    }

    /// The terms of a query: each once, at most 12 (a longer query is cut, not refused).
    public static func query(_ text: String) -> [String] {
        var seen: [String] = []
        for term in Self.terms(String(text.prefix(500))) where !seen.contains(term) {
            seen.append(term)
            if seen.count == 12 { break }
        }
        return seen
    }

    /// A short piece of `text` around the first word matching one of `terms`, with the matching words
    /// marked: `(before, match, after)` runs, ready to escape and wrap in `<mark>`. Computed from the
    /// text itself, so both databases give the same snippet.
    public static func snippet(_ text: String, terms: [String], width: Int = 160) -> [(text: String, marked: Bool)] {
        let wanted = Set(terms)
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        var ranges: [Range<String.Index>] = []
        var index = flat.startIndex
        while index < flat.endIndex {
            guard flat[index].isLetter || flat[index].isNumber else {
                index = flat.index(after: index)
                continue
            }
            var end = index
            while end < flat.endIndex, flat[end].isLetter || flat[end].isNumber { end = flat.index(after: end) }
            if wanted.contains(Self.stem(String(flat[index..<end]))) { ranges.append(index..<end) }
            index = end
        }
        guard let first = ranges.first else {
            let cut = String(flat.prefix(width))
            return cut.isEmpty ? [] : [(cut + (flat.count > width ? "…" : ""), false)]
        }
        let start = flat.index(first.lowerBound, offsetBy: -min(40, flat.distance(from: flat.startIndex, to: first.lowerBound)))
        let stop = flat.index(start, offsetBy: min(width, flat.distance(from: start, to: flat.endIndex)))
        var parts: [(text: String, marked: Bool)] = []
        var cursor = start
        if start > flat.startIndex { parts.append(("…", false)) }
        for range in ranges where range.lowerBound >= start && range.upperBound <= stop {
            if cursor < range.lowerBound { parts.append((String(flat[cursor..<range.lowerBound]), false)) }
            parts.append((String(flat[range]), true))
            cursor = range.upperBound
        }
        if cursor < stop { parts.append((String(flat[cursor..<stop]), false)) }
        if stop < flat.endIndex { parts.append(("…", false)) }
        return parts
    }
}
