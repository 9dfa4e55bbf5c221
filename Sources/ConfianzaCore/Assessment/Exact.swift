import Foundation

/// A number computed exactly: a fraction of 64-bit integers, kept reduced. Scores are sums of weighted
/// means of decimal weights, so fractions keep them exact (a third stays a third, and three thirds make
/// one). Should a framework's weights be so fine that a fraction would overflow, the number carries on
/// as a `Double` and says so (``isExact``), rather than stopping the calculation.
public struct Exact: Sendable, Hashable, Comparable, CustomStringConvertible {
    enum Storage: Sendable, Hashable {
        case fraction(Int64, Int64)
        case approximate(Double)
    }

    let storage: Storage

    public static let zero = Exact(0)
    public static let one = Exact(1)

    public init(_ integer: Int) { self.storage = .fraction(Int64(integer), 1) }

    init(numerator: Int64, denominator: Int64) {
        guard denominator != 0 else {
            self.storage = .approximate(.nan)
            return
        }
        var n = numerator
        var d = denominator
        if d < 0 {
            let (nn, o1) = Int64(0).subtractingReportingOverflow(n)
            let (dd, o2) = Int64(0).subtractingReportingOverflow(d)
            if o1 || o2 {
                self.storage = .approximate(Double(numerator) / Double(denominator))
                return
            }
            n = nn
            d = dd
        }
        let g = Self.gcd(n.magnitude, d.magnitude)
        if g > 1 {
            n /= Int64(g)
            d /= Int64(g)
        }
        self.storage = .fraction(n, d)
    }

    init(approximate value: Double) { self.storage = .approximate(value) }

    /// A decimal written as text (`0.25`, `3`, `1e-2`), exactly; `nil` when it is not a finite decimal number.
    public init?(decimal text: String) {
        var mantissa = text.lowercased()
        var exponent = 0
        if let e = mantissa.firstIndex(of: "e") {
            guard let power = Int(mantissa[mantissa.index(after: e)...]), abs(power) < 40 else { return nil }
            exponent = power
            mantissa = String(mantissa[..<e])
        }
        var negative = false
        if mantissa.hasPrefix("-") {
            negative = true
            mantissa.removeFirst()
        } else if mantissa.hasPrefix("+") {
            mantissa.removeFirst()
        }
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        guard !(whole.isEmpty && fraction.isEmpty), (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var digits = whole + fraction
        exponent -= fraction.count
        while digits.count > 1, digits.hasPrefix("0") { digits.removeFirst() }
        while exponent < 0, digits.count > 1, digits.hasSuffix("0") {
            digits.removeLast()
            exponent += 1
        }
        guard let value = Double(text), value.isFinite else { return nil }
        if digits.count <= 18, let n = Int64(digits), abs(exponent) <= 18 {
            let signed = negative ? -n : n
            if exponent >= 0 {
                let (scaled, overflow) = signed.multipliedReportingOverflow(by: Self.power10(exponent))
                self = overflow ? Exact(approximate: value) : Exact(numerator: scaled, denominator: 1)
            } else {
                self = Exact(numerator: signed, denominator: Self.power10(-exponent))
            }
        } else {
            self = Exact(approximate: value)
        }
    }

    private static func power10(_ n: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<n { result *= 10 }
        return result
    }

    private static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x == 0 ? 1 : x
    }

    /// Whether the number is exact (not carried on as a `Double` after an overflow).
    public var isExact: Bool {
        if case .fraction = self.storage { return true }
        return false
    }

    public var double: Double {
        switch self.storage {
        case .fraction(let n, let d): Double(n) / Double(d)
        case .approximate(let value): value
        }
    }

    public var isNegative: Bool { self.double < 0 }
    public var isZero: Bool {
        switch self.storage {
        case .fraction(let n, _): n == 0
        case .approximate(let value): value == 0
        }
    }

    public static func + (lhs: Exact, rhs: Exact) -> Exact {
        if case .fraction(let a, let b) = lhs.storage, case .fraction(let c, let d) = rhs.storage {
            let (ad, o1) = a.multipliedReportingOverflow(by: d)
            let (cb, o2) = c.multipliedReportingOverflow(by: b)
            let (bd, o3) = b.multipliedReportingOverflow(by: d)
            if !o1, !o2, !o3 {
                let (sum, o4) = ad.addingReportingOverflow(cb)
                if !o4 { return Exact(numerator: sum, denominator: bd) }
            }
        }
        return Exact(approximate: lhs.double + rhs.double)
    }

    public static func - (lhs: Exact, rhs: Exact) -> Exact { lhs + rhs * Exact(-1) }

    public static func * (lhs: Exact, rhs: Exact) -> Exact {
        if case .fraction(let a, let b) = lhs.storage, case .fraction(let c, let d) = rhs.storage {
            // Cross-reduce first, so that products stay small.
            let g1 = Int64(Self.gcd(a.magnitude, d.magnitude))
            let g2 = Int64(Self.gcd(c.magnitude, b.magnitude))
            let (n, o1) = (a / g1).multipliedReportingOverflow(by: c / g2)
            let (m, o2) = (b / g2).multipliedReportingOverflow(by: d / g1)
            if !o1, !o2 { return Exact(numerator: n, denominator: m) }
        }
        return Exact(approximate: lhs.double * rhs.double)
    }

    /// `lhs / rhs`; the caller makes sure `rhs` is not zero.
    public static func / (lhs: Exact, rhs: Exact) -> Exact {
        if case .fraction(let c, let d) = rhs.storage, c != 0 {
            return lhs * Exact(numerator: d, denominator: c)
        }
        return Exact(approximate: lhs.double / rhs.double)
    }

    public static func < (lhs: Exact, rhs: Exact) -> Bool {
        if case .fraction(let a, let b) = lhs.storage, case .fraction(let c, let d) = rhs.storage {
            let (ad, o1) = a.multipliedReportingOverflow(by: d)
            let (cb, o2) = c.multipliedReportingOverflow(by: b)
            if !o1, !o2 { return ad < cb }
        }
        return lhs.double < rhs.double
    }

    public static func == (lhs: Exact, rhs: Exact) -> Bool {
        if case .fraction(let a, let b) = lhs.storage, case .fraction(let c, let d) = rhs.storage { return a == c && b == d }
        return lhs.double == rhs.double
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(self.double) }

    /// Rounded half away from zero to `places` decimals, for showing ("73.33").
    public func formatted(places: Int = 2) -> String {
        if case .fraction(let n, let d) = self.storage, places <= 6 {
            var scale: Int64 = 1
            for _ in 0..<places { scale *= 10 }
            let (scaled, overflow) = n.magnitude.multipliedReportingOverflow(by: UInt64(scale))
            if !overflow {
                let q = scaled / d.magnitude
                let r = scaled % d.magnitude
                let rounded = q + (r * 2 >= d.magnitude ? 1 : 0)
                let whole = rounded / UInt64(scale)
                let fraction = rounded % UInt64(scale)
                var text = String(whole)
                if places > 0 {
                    let digits = String(fraction)
                    text += "." + String(repeating: "0", count: places - digits.count) + digits
                }
                return (n < 0 && rounded != 0 ? "-" : "") + text
            }
        }
        return String(format: "%.\(places)f", self.double)
    }

    /// The fraction as written in the explanation (`2/3`), or the decimal when it is whole or approximate.
    public var description: String {
        switch self.storage {
        case .fraction(let n, 1): String(n)
        case .fraction(let n, let d): "\(n)/\(d)"
        case .approximate(let value): String(value)
        }
    }
}
