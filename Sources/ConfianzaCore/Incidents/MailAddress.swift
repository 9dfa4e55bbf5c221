import Foundation

/// E-mail addresses as headers write them.
public enum MailAddress {
    /// `Name <a@b>` → `a@b`; a bare address as it is, without surrounding spaces.
    public static func bare(_ text: String) -> String {
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            return String(text[text.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
        }
        return text.trimmingCharacters(in: .whitespaces)
    }
}
