import ConfianzaCore
import Foundation
import Testing

/// `String.trimmed(_:)` is Foundation's `trimmingCharacters(in:)` with a shortcut: the same answer
/// for every kind of text, blank or not, ASCII or not.
@Suite struct TrimmedTests {
    static let samples = [
        "", " ", "\n", "\t\r\n ", "a", " a", "a ", "\ta\n", "title", "Ministerio de Salud", "\u{00A0}Salud\u{00A0}", "\u{2003}x\u{3000}",
        "é", " é ", "\u{2028}line\u{2029}", "x\u{0085}", "~", "!~", "{\"a\": 1}\n", "\u{1F600}", " \u{1F600} ", "a\u{0301}", "\u{0007}bell\u{0007}",
    ]

    @Test(arguments: samples)
    func sameAsFoundation(text: String) {
        #expect(text.trimmed() == text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(text.trimmed(.whitespaces) == text.trimmingCharacters(in: .whitespaces))
    }
}
