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

    /// Bars of a share of a maximum (a pillar's score out of its points): label, the value as shown, and the share 0…1.
    static func shares(id: String, title: String, items: [(label: String, value: String, share: Double)], width: Int = 560) -> String {
        let row = 24
        let labelWidth = 200
        let barSpace = width - labelWidth - 110
        let height = max(1, items.count) * row + 8
        var out = "<svg id=\"\(id)\" class=\"chart shares\" role=\"img\" aria-labelledby=\"\(id)-title\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" preserveAspectRatio=\"xMinYMin meet\">"
        out += "<title id=\"\(id)-title\">\(Self.escape(title))</title>"
        for (index, item) in items.enumerated() {
            let y = index * row + 4
            let share = min(1, max(0, item.share.isFinite ? item.share : 0))
            let barWidth = Int((Double(barSpace) * share).rounded())
            out += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\" font-size=\"12\">\(Self.escape(String(item.label.prefix(32))))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(barSpace)\" height=\"16\" fill=\"#e3e8ee\"></rect>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(max(0, barWidth))\" height=\"16\" fill=\"#1f5fa8\"></rect>"
            out += "<text x=\"\(labelWidth + barSpace + 6)\" y=\"\(y + 15)\" font-size=\"12\">\(Self.escape(item.value))</text>"
        }
        return out + "</svg>"
    }

    /// A radar chart: one axis per item, the polygon of the shares (0…1), with rings at quarters. Laid
    /// out the same way every time (the first axis points up, the others clockwise).
    static func radar(id: String, title: String, items: [(label: String, share: Double)], size: Int = 360) -> String {
        // Room either side for the labels: the drawing is wider than it is tall.
        let margin = 110.0
        let centerY = Double(size) / 2
        let center = centerY + margin
        let radius = centerY - 40
        let count = max(3, items.count)
        func point(_ index: Int, _ share: Double) -> (Double, Double) {
            let angle = -Double.pi / 2 + 2 * Double.pi * Double(index) / Double(count)
            return (center + radius * share * cos(angle), centerY + radius * share * sin(angle))
        }
        func format(_ p: (Double, Double)) -> String { String(format: "%.1f,%.1f", p.0, p.1) }
        var out = "<svg id=\"\(id)\" class=\"chart radar\" role=\"img\" aria-labelledby=\"\(id)-title\" viewBox=\"0 0 \(size + Int(2 * margin)) \(size)\" width=\"\(size + Int(2 * margin))\" height=\"\(size)\">"
        out += "<title id=\"\(id)-title\">\(Self.escape(title))</title>"
        for ring in [0.25, 0.5, 0.75, 1.0] {
            let points = (0..<count).map { format(point($0, ring)) }.joined(separator: " ")
            out += "<polygon points=\"\(points)\" fill=\"none\" stroke=\"#c9d1da\" stroke-width=\"1\"></polygon>"
        }
        for (index, item) in items.enumerated() {
            let end = point(index, 1)
            out += "<line x1=\"\(String(format: "%.1f", center))\" y1=\"\(String(format: "%.1f", centerY))\" x2=\"\(String(format: "%.1f", end.0))\" y2=\"\(String(format: "%.1f", end.1))\" stroke=\"#c9d1da\"></line>"
            let label = point(index, 1.18)
            let anchor = abs(label.0 - center) < 5 ? "middle" : (label.0 < center ? "end" : "start")
            out += "<text x=\"\(String(format: "%.1f", label.0))\" y=\"\(String(format: "%.1f", label.1 + 4))\" text-anchor=\"\(anchor)\" font-size=\"11\">\(Self.escape(String(item.label.prefix(30))))</text>"
        }
        let shape = items.enumerated().map { format(point($0.offset, min(1, max(0, $0.element.share.isFinite ? $0.element.share : 0)))) }.joined(separator: " ")
        out += "<polygon points=\"\(shape)\" fill=\"#1f5fa8\" fill-opacity=\"0.35\" stroke=\"#1f5fa8\" stroke-width=\"2\"></polygon>"
        return out + "</svg>"
    }
}
