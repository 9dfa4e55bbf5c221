/// A CSV cell a spreadsheet will not run as a formula: one starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return gets a `'` first (OWASP's list). Every CSV Confianza writes goes through it.
public enum SpreadsheetCell {
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    public static func guarded(_ value: String) -> String {
        guard let first = value.first, Self.formulaStarts.contains(first) else { return value }
        return "'" + value
    }

    /// The value a guarded cell stands for, so that a file Confianza wrote reads back the same.
    public static func unguarded(_ value: String) -> String {
        guard value.first == "'", let second = value.dropFirst().first, Self.formulaStarts.contains(second) else { return value }
        return String(value.dropFirst())
    }
}
