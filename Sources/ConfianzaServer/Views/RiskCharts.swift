import ConfianzaCore
import Foundation

/// The risk module's drawings, inline SVG like every chart: the heat map of a register on its matrix,
/// the levels of a register across cycles, and maturity per CSF function.
enum RiskCharts {
    /// Black or white, whichever reads better on `hex` (`#rrggbb`).
    static func ink(on hex: String) -> String {
        let digits = Array(hex.dropFirst())
        guard digits.count == 6, let r = Int(String(digits[0...1]), radix: 16), let g = Int(String(digits[2...3]), radix: 16),
            let b = Int(String(digits[4...5]), radix: 16)
        else { return "#000000" }
        return (r * 299 + g * 587 + b * 114) / 1000 >= 140 ? "#000000" : "#ffffff"
    }

    /// The matrix as a grid (likelihood up, impact across), each cell in its level's colour with the number
    /// of scenarios rated there; every cell also says its level and count in its title.
    static func heatMap(id: String, title: String, matrix: RiskMatrix, counts: [[Int]], language: Language, likelihoodLabel: String, impactLabel: String) -> String {
        let n = matrix.size
        let cell = 64
        let left = 130
        let top = 8
        let bottom = 58
        let width = left + n * cell + 8
        let height = top + n * cell + bottom
        var out = "<svg id=\"\(id)\" class=\"chart heatmap\" role=\"img\" aria-labelledby=\"\(id)-title\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\">"
        out += "<title id=\"\(id)-title\">\(SVGChart.escape(title))</title>"
        for l in stride(from: n, through: 1, by: -1) {
            let y = top + (n - l) * cell
            out += "<text x=\"\(left - 6)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"end\" font-size=\"11\">\(SVGChart.escape(String(matrix.likelihood[l - 1].title.text(language).prefix(20))))</text>"
            for i in 1...n {
                let x = left + (i - 1) * cell
                let level = matrix.level(likelihood: l, impact: i)
                let colour = level?.colour ?? "#ffffff"
                let count = counts.indices.contains(l - 1) && counts[l - 1].indices.contains(i - 1) ? counts[l - 1][i - 1] : 0
                let label = "\(matrix.likelihood[l - 1].title.text(language)) × \(matrix.impact[i - 1].title.text(language)): \(level?.title.text(language) ?? "") (\(count))"
                out += "<g class=\"cell\" data-likelihood=\"\(SVGChart.escape(matrix.likelihood[l - 1].id))\" data-impact=\"\(SVGChart.escape(matrix.impact[i - 1].id))\" data-count=\"\(count)\">"
                out += "<title>\(SVGChart.escape(label))</title>"
                out += "<rect x=\"\(x + 1)\" y=\"\(y + 1)\" width=\"\(cell - 2)\" height=\"\(cell - 2)\" fill=\"\(colour)\"></rect>"
                if count > 0 {
                    out += "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 7)\" text-anchor=\"middle\" font-size=\"20\" font-weight=\"bold\" fill=\"\(Self.ink(on: colour))\">\(count)</text>"
                }
                out += "</g>"
            }
        }
        let axisY = top + n * cell
        for i in 1...n {
            let x = left + (i - 1) * cell + cell / 2
            out += "<text x=\"\(x)\" y=\"\(axisY + 16)\" text-anchor=\"middle\" font-size=\"11\">\(SVGChart.escape(String(matrix.impact[i - 1].title.text(language).prefix(12))))</text>"
        }
        out += "<text x=\"\(left + n * cell / 2)\" y=\"\(axisY + 40)\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\">\(SVGChart.escape(impactLabel)) →</text>"
        out += "<text x=\"10\" y=\"\(top + 12)\" font-size=\"12\" font-weight=\"bold\">↑ \(SVGChart.escape(likelihoodLabel))</text>"
        return out + "</svg>"
    }

    /// Counts of scenarios by likelihood rank then impact rank (both from 1) for one rating.
    static func counts(_ stored: StoredCycle, rating: KeyPath<RiskScenario, RiskScenario.Rating>) -> [[Int]] {
        let n = stored.matrix.size
        var counts = Array(repeating: Array(repeating: 0, count: n), count: n)
        for scenario in stored.cycle.scenarios {
            let r = scenario[keyPath: rating]
            if let l = stored.matrix.rank(likelihood: r.likelihood), let i = stored.matrix.rank(impact: r.impact) { counts[l - 1][i - 1] += 1 }
        }
        return counts
    }

    /// One stacked column per cycle: how many scenarios sit at each level (lowest at the bottom).
    static func trend(id: String, title: String, columns: [(label: String, counts: [Int])], levels: [(title: String, colour: String)]) -> String {
        let columnWidth = 70
        let chartHeight = 160
        let left = 36
        let legendWidth = 150
        let width = left + max(1, columns.count) * columnWidth + legendWidth
        let height = chartHeight + 40
        let largest = max(1, columns.map { $0.counts.reduce(0, +) }.max() ?? 1)
        var out = "<svg id=\"\(id)\" class=\"chart trend\" role=\"img\" aria-labelledby=\"\(id)-title\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\">"
        out += "<title id=\"\(id)-title\">\(SVGChart.escape(title))</title>"
        out += "<text x=\"\(left - 6)\" y=\"14\" text-anchor=\"end\" font-size=\"11\">\(largest)</text>"
        out += "<text x=\"\(left - 6)\" y=\"\(chartHeight + 4)\" text-anchor=\"end\" font-size=\"11\">0</text>"
        for (index, column) in columns.enumerated() {
            let x = left + index * columnWidth + 10
            var y = chartHeight
            for (level, count) in column.counts.enumerated() where count > 0 && level < levels.count {
                let h = max(2, Int(Double(chartHeight - 10) * Double(count) / Double(largest)))
                y -= h
                out += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(columnWidth - 20)\" height=\"\(h)\" fill=\"\(levels[level].colour)\"><title>\(SVGChart.escape(column.label)): \(SVGChart.escape(levels[level].title)) \(count)</title></rect>"
            }
            out += "<text x=\"\(x + (columnWidth - 20) / 2)\" y=\"\(chartHeight + 18)\" text-anchor=\"middle\" font-size=\"11\">\(SVGChart.escape(column.label))</text>"
        }
        let legendX = left + max(1, columns.count) * columnWidth + 10
        for (index, level) in levels.enumerated().reversed() {
            let y = 10 + (levels.count - 1 - index) * 20
            out += "<rect x=\"\(legendX)\" y=\"\(y)\" width=\"14\" height=\"14\" fill=\"\(level.colour)\"></rect>"
            out += "<text x=\"\(legendX + 20)\" y=\"\(y + 12)\" font-size=\"11\">\(SVGChart.escape(String(level.title.prefix(20))))</text>"
        }
        return out + "</svg>"
    }
}
