import Foundation

/// Markdown for case-study bodies, rendered so that nothing in it can act: headings, paragraphs, lists,
/// quotes, code, emphasis and links. Raw HTML is shown as the text it is (escaped, never interpreted);
/// a link is kept only when it is http, https or mailto, and then with `rel="nofollow noopener"`; any
/// other link (`javascript:`, `data:`, relative) is shown as its text alone.
public enum SafeMarkdown {
    public static func html(_ markdown: String) -> String {
        let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        var out = ""
        var paragraph: [String] = []
        var list: (ordered: Bool, items: [String])?
        var quote: [String] = []
        var index = 0

        func flushParagraph() {
            if !paragraph.isEmpty { out += "<p>" + Self.inline(paragraph.joined(separator: " ")) + "</p>\n" }
            paragraph = []
        }
        func flushList() {
            if let current = list {
                let tag = current.ordered ? "ol" : "ul"
                out += "<\(tag)>" + current.items.map { "<li>" + Self.inline($0) + "</li>" }.joined() + "</\(tag)>\n"
            }
            list = nil
        }
        func flushQuote() {
            if !quote.isEmpty { out += "<blockquote><p>" + Self.inline(quote.joined(separator: " ")) + "</p></blockquote>\n" }
            quote = []
        }
        func flushAll() {
            flushParagraph()
            flushList()
            flushQuote()
        }

        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            index += 1
            if trimmed.hasPrefix("```") {
                flushAll()
                var code: [String] = []
                while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                    code.append(lines[index])
                    index += 1
                }
                index += 1
                out += "<pre><code>" + Self.escape(code.joined(separator: "\n")) + "</code></pre>\n"
                continue
            }
            if trimmed.isEmpty {
                flushAll()
                continue
            }
            if let level = Self.heading(trimmed) {
                flushAll()
                let text = trimmed.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
                let tag = "h\(min(6, level + 2))"
                out += "<\(tag)>" + Self.inline(text) + "</\(tag)>\n"
                continue
            }
            if trimmed.hasPrefix(">") {
                flushParagraph()
                flushList()
                quote.append(String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces))
                continue
            }
            if let item = Self.listItem(trimmed) {
                flushParagraph()
                flushQuote()
                if list == nil || list?.ordered != item.ordered {
                    flushList()
                    list = (item.ordered, [])
                }
                list?.items.append(item.text)
                continue
            }
            if list != nil, line.hasPrefix("  "), var current = list, !current.items.isEmpty {
                current.items[current.items.count - 1] += " " + trimmed
                list = current
                continue
            }
            flushList()
            flushQuote()
            paragraph.append(trimmed)
        }
        flushAll()
        return out
    }

    static func heading(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return hashes
    }

    static func listItem(_ line: String) -> (ordered: Bool, text: String)? {
        if line.hasPrefix("- ") || line.hasPrefix("* ") || line.hasPrefix("+ ") { return (false, String(line.dropFirst(2))) }
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, digits.count <= 9, line.dropFirst(digits.count).hasPrefix(". ") { return (true, String(line.dropFirst(digits.count + 2))) }
        return nil
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Whether a link may be followed: http, https or mailto, with no control character or space.
    static func safeURL(_ text: String) -> String? {
        let link = text.trimmingCharacters(in: .whitespaces)
        guard !link.isEmpty, link.count <= 2000, !link.unicodeScalars.contains(where: { $0.value <= 32 || $0.value == 127 }) else { return nil }
        let lower = link.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:") else { return nil }
        if lower.hasPrefix("http"), URL(string: link)?.host?.isEmpty != false { return nil }
        return link
    }

    /// Inline text: `code`, [links](url), **strong**, *emphasis* and _emphasis_; everything else escaped.
    static func inline(_ text: String) -> String {
        let chars = Array(text)
        var out = ""
        var i = 0
        func find(_ marker: String, from start: Int) -> Int? {
            let m = Array(marker)
            var j = start
            while j + m.count <= chars.count {
                if Array(chars[j..<j + m.count]) == m { return j }
                j += 1
            }
            return nil
        }
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count, "\\`*_[]()#+-.!>".contains(chars[i + 1]) {
                out += Self.escape(String(chars[i + 1]))
                i += 2
                continue
            }
            if c == "`", let end = find("`", from: i + 1) {
                out += "<code>" + Self.escape(String(chars[(i + 1)..<end])) + "</code>"
                i = end + 1
                continue
            }
            if c == "[", let close = find("](", from: i + 1), let end = find(")", from: close + 2) {
                let label = String(chars[(i + 1)..<close])
                let target = String(chars[(close + 2)..<end])
                if let url = Self.safeURL(target) {
                    out += "<a href=\"\(Self.escape(url))\" rel=\"nofollow noopener\">" + Self.inline(label) + "</a>"
                } else {
                    out += Self.inline(label)
                }
                i = end + 1
                continue
            }
            if c == "*", i + 1 < chars.count, chars[i + 1] == "*", let end = find("**", from: i + 2), end > i + 2 {
                out += "<strong>" + Self.inline(String(chars[(i + 2)..<end])) + "</strong>"
                i = end + 2
                continue
            }
            if c == "*" || c == "_", i + 1 < chars.count, !chars[i + 1].isWhitespace, let end = find(String(c), from: i + 1), end > i + 1,
                !(c == "_" && i > 0 && (chars[i - 1].isLetter || chars[i - 1].isNumber))
            {
                out += "<em>" + Self.inline(String(chars[(i + 1)..<end])) + "</em>"
                i = end + 1
                continue
            }
            out += Self.escape(String(c))
            i += 1
        }
        return out
    }
}
