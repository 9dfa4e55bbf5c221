import Foundation

extension ReportRenderer {
    /// The report as one self-contained HTML page: no script, no external asset; each figure and table
    /// links to the page it comes from (relative to `site`, when given); each table of counts has a bar
    /// chart as inline SVG; the marking heads the page and sits in a footer every printed page repeats.
    /// With `publicPages`, a figure links only where a public page shows it (the knowledge portal, the
    /// published assessments, the self-assessment), since a visitor cannot open the staff pages.
    public func html(_ report: AnnualReport, site: String = "", publicPages: Bool = false) -> String {
        let marking = report.edition.rawValue
        let e = SafeMarkdown.escape
        var out = """
            <!doctype html>
            <html lang="\(self.language.rawValue)">
            <head>
            <meta charset="utf-8">
            <title>\(e(self.t("report.title", ["year": String(report.year)])))</title>
            <style>\(self.stylesheet(report))</style>
            </head>
            <body>
            <p class="marking" id="marking">\(marking)</p>
            <h1>\(e(self.t("report.title", ["year": String(report.year)])))</h1>
            <p>\(e(self.t("report.as_of", ["date": CalendarDay.format(report.asOf)])))</p>
            <p>\(e(report.edition == .clear ? self.t("report.clear_note", ["threshold": String(report.threshold)]) : self.t("report.internal_note", ["marking": marking])))</p>

            """
        func link(_ path: String?, _ text: String) -> String {
            guard let path = publicPages ? path.flatMap(Self.publicPage) : path else { return e(text) }
            return "<a href=\"\(e(site + path))\">\(e(text))</a>"
        }
        for section in report.sections {
            out += "<section id=\"\(e(section.id))\"><h2>\(e(self.t(section.title)))</h2>\n"
            if !section.figures.isEmpty {
                out += "<dl>\n"
                for figure in section.figures {
                    out += "<dt>\(link(figure.link, self.title(figure)))</dt><dd data-figure=\"\(e(figure.id))\">\(e(self.say(figure.value, threshold: report.threshold)))</dd>\n"
                }
                out += "</dl>\n"
            }
            for table in section.tables {
                out += "<h3>\(link(table.link, self.title(table)))</h3>\n"
                let bars = table.rows.compactMap { row -> (String, Int)? in row.values.first?.countValue.map { (self.label(row.label), $0) } }
                if !bars.isEmpty, table.columns.count == 1 {
                    out += Self.bars(id: "\(section.id)-\(table.id)", title: self.t(table.title), items: bars) + "\n"
                }
                out += "<table id=\"\(e(section.id))-\(e(table.id))\"><thead><tr><th>\(e(self.t("report.column.item")))</th>"
                out += table.columns.map { "<th class=\"num\">\(e(self.t($0)))</th>" }.joined() + "</tr></thead><tbody>\n"
                for row in table.rows {
                    out += "<tr data-row=\"\(e(row.key))\"><td>\(e(self.label(row.label)))</td>"
                    out += row.values.map { "<td class=\"num\">\(e(self.say($0, threshold: report.threshold)))</td>" }.joined() + "</tr>\n"
                }
                if table.hasTotal {
                    out += "<tr class=\"total\"><td>\(e(self.t("report.total")))</td>"
                    out += (table.totals ?? table.exactTotals).map { "<td class=\"num\">\(e(self.say($0, threshold: report.threshold)))</td>" }.joined() + "</tr>\n"
                }
                out += "</tbody></table>\n"
            }
            out += "</section>\n"
        }
        out += "<p class=\"marking\">\(marking)</p>\n</body>\n</html>\n"
        return out
    }

    /// The page's one stylesheet (a server serving the page allows exactly it, by its hash).
    public func stylesheet(_ report: AnnualReport) -> String {
        let marking = report.edition.rawValue
        return """

            body { font-family: sans-serif; margin: 2rem auto; max-width: 52rem; color: #1c232b; line-height: 1.4; }
            .marking { font-weight: bold; letter-spacing: 0.05em; }
            table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
            th, td { border-bottom: 1px solid #cfd6de; padding: 0.2rem 0.6rem; text-align: left; }
            td.num, th.num { text-align: right; }
            tr.total td { font-weight: bold; }
            @media print { a { color: inherit; } }
            @page { size: A4; margin: 18mm 16mm 20mm;
              @top-center { content: "\(marking)"; font: bold 9pt sans-serif; }
              @bottom-left { content: "\(marking)"; font: bold 9pt sans-serif; }
              @bottom-right { content: \(self.pageNumbers()); font: 9pt sans-serif; } }

            """
    }

    /// The public page showing what a staff page shows, if there is one.
    static func publicPage(_ path: String) -> String? {
        if path.hasPrefix("/knowledge") { return "/public" + path }
        if path.hasPrefix("/assessment") { return "/public/assessment" }
        if path == "/risk/sme" { return "/self-assessment" }
        return nil
    }

    /// The printed page number as CSS `content` ("Page " counter(page) " of " counter(pages)), from the
    /// reader's language.
    func pageNumbers() -> String {
        let text = self.t("report.page_of", ["page": "\u{1}", "pages": "\u{2}"])
        var parts: [String] = []
        var literal = ""
        func flush() {
            if !literal.isEmpty { parts.append("\"" + literal.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"") }
            literal = ""
        }
        for character in text {
            switch character {
            case "\u{1}": flush(); parts.append("counter(page)")
            case "\u{2}": flush(); parts.append("counter(pages)")
            case "<", ">", "\n": literal.append(" ")
            default: literal.append(character)
            }
        }
        flush()
        return parts.isEmpty ? "counter(page)" : parts.joined(separator: " ")
    }

    /// Horizontal bars of the shown counts (hidden ones have no bar).
    static func bars(id: String, title: String, items: [(String, Int)]) -> String {
        let row = 20
        let width = 520
        let labelWidth = 170
        let largest = max(1, items.map(\.1).max() ?? 1)
        var out = "<svg id=\"chart-\(SafeMarkdown.escape(id))\" role=\"img\" aria-label=\"\(SafeMarkdown.escape(title))\" viewBox=\"0 0 \(width) \(items.count * row + 6)\" width=\"\(width)\" height=\"\(items.count * row + 6)\">"
        for (index, item) in items.enumerated() {
            let y = index * row + 3
            let bar = Int(Double(width - labelWidth - 50) * Double(item.1) / Double(largest))
            out += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 13)\" text-anchor=\"end\" font-size=\"11\">\(SafeMarkdown.escape(String(item.0.prefix(28))))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(max(1, bar))\" height=\"14\" fill=\"#1f5fa8\"></rect>"
            out += "<text x=\"\(labelWidth + max(1, bar) + 4)\" y=\"\(y + 13)\" font-size=\"11\">\(item.1)</text>"
        }
        return out + "</svg>"
    }
}
