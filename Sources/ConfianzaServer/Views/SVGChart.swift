import Foundation

/// Bar charts drawn on the server as inline SVG: no script, no external assets, readable by screen
/// readers (a title, and each bar's label and value as text).
enum SVGChart {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Horizontal bars, one row per item, longest bar at full width.
    static func bars(id: String, title: String, items: [(String, Int)], width: Int = 560) -> String {
        let row = 22
        let labelWidth = 190
        let height = max(1, items.count) * row + 8
        let largest = max(1, items.map(\.1).max() ?? 1)
        var out = "<svg id=\"\(id)\" class=\"chart\" role=\"img\" aria-labelledby=\"\(id)-title\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">"
        out += "<title id=\"\(id)-title\">\(Self.escape(title))</title>"
        for (index, (label, value)) in items.enumerated() {
            let y = index * row + 4
            let barWidth = Int(Double(width - labelWidth - 60) * Double(value) / Double(largest))
            out += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 14)\" text-anchor=\"end\" font-size=\"12\">\(Self.escape(String(label.prefix(30))))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(max(1, barWidth))\" height=\"16\" fill=\"#1f5fa8\"></rect>"
            out += "<text x=\"\(labelWidth + max(1, barWidth) + 6)\" y=\"\(y + 14)\" font-size=\"12\">\(value)</text>"
        }
        return out + "</svg>"
    }

    /// One small bar per value (a feed's events per day), the tallest at full height; a day without any
    /// is a thin baseline mark, so a silent stretch shows.
    static func sparkline(id: String, values: [Int], title: String, width: Int = 150, height: Int = 28) -> String {
        let largest = max(1, values.max() ?? 1)
        let step = Double(width) / Double(max(1, values.count))
        var out = "<svg id=\"\(id)\" class=\"sparkline\" role=\"img\" aria-labelledby=\"\(id)-title\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\">"
        out += "<title id=\"\(id)-title\">\(Self.escape(title))</title>"
        for (index, value) in values.enumerated() {
            let barHeight = value == 0 ? 1 : max(2, Int(Double(height - 2) * Double(value) / Double(largest)))
            let x = String(format: "%.1f", Double(index) * step)
            let w = String(format: "%.1f", max(1, step - 1))
            out += "<rect x=\"\(x)\" y=\"\(height - barHeight)\" width=\"\(w)\" height=\"\(barHeight)\" fill=\"\(value == 0 ? "#b8c2cc" : "#1f5fa8")\"><title>\(value)</title></rect>"
        }
        return out + "</svg>"
    }
}
