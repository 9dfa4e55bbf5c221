/// An IPv4 or IPv6 address. IPv6 addresses in `::ffff:0:0/96` (IPv4-mapped) stand for IPv4 ones:
/// ``unmapped`` turns them into ``v4(_:)``, and the lookup tables do so before matching.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// Reads an address in its usual text form: dotted quad (`192.0.2.1`) or RFC 4291 IPv6
    /// (`2001:db8::1`, `::ffff:192.0.2.1`).
    ///
    /// - Throws: ``AddressError`` saying what is wrong.
    public init(_ text: some StringProtocol) throws(AddressError) {
        let text = String(text)
        guard !text.isEmpty else { throw .empty }
        if text.contains(":") {
            self = .v6(try Self.parseIPv6(text))
        } else {
            self = .v4(try Self.parseIPv4(text, whole: text))
        }
    }

    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The IPv4 address an IPv4-mapped IPv6 address stands for; any other address unchanged.
    public var unmapped: IPAddress {
        if case .v6(let value) = self, value >> 32 == 0xFFFF { return .v4(UInt32(truncatingIfNeeded: value)) }
        return self
    }

    /// The canonical text form (RFC 5952 for IPv6).
    public var description: String {
        switch self {
        case .v4(let value): Self.formatIPv4(value)
        case .v6(let value): Self.formatIPv6(value)
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    // MARK: IPv4

    static func parseIPv4(_ text: String, whole: String) throws(AddressError) -> UInt32 {
        if let value = Self.parseIPv4Fast(text.utf8) { return value }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            throw .invalidIPv4(whole, "an IPv4 address has 4 numbers separated by dots, not \(parts.count)")
        }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw .invalidIPv4(whole, "'\(part)' is not a number from 0 to 255")
            }
            guard part.count == 1 || part.first != "0" else {
                throw .invalidIPv4(whole, "'\(part)' has a leading zero (some tools read that as octal)")
            }
            guard let number = UInt32(part), number <= 255 else {
                throw .invalidIPv4(whole, "'\(part)' is not a number from 0 to 255")
            }
            value = value << 8 | number
        }
        return value
    }

    /// A valid dotted quad read without allocating; `nil` for anything else (the slow path explains).
    static func parseIPv4Fast(_ bytes: String.UTF8View) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        var leadingZero = false
        for byte in bytes {
            if byte == 46 {
                guard digits > 0, !(leadingZero && digits > 1), octet <= 255 else { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
                continue
            }
            guard byte >= 48, byte <= 57, digits < 3 else { return nil }
            if digits == 0 { leadingZero = byte == 48 }
            octet = octet * 10 + UInt32(byte - 48)
            digits += 1
        }
        guard dots == 3, digits > 0, !(leadingZero && digits > 1), octet <= 255 else { return nil }
        return value << 8 | octet
    }

    static func formatIPv4(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    // MARK: IPv6

    static func parseIPv6(_ text: String) throws(AddressError) -> UInt128 {
        if text.contains("%") { throw .invalidIPv6(text, "zone indexes (%…) are not part of an address") }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { throw .invalidIPv6(text, "'::' may appear only once") }

        func groups(_ part: String, isLast: Bool) throws(AddressError) -> [UInt16] {
            guard !part.isEmpty else { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            var result: [UInt16] = []
            for (index, piece) in pieces.enumerated() {
                if piece.contains(".") {
                    guard isLast, index == pieces.count - 1 else {
                        throw .invalidIPv6(text, "an embedded IPv4 address may only come last")
                    }
                    let v4 = try Self.parseIPv4(String(piece), whole: text)
                    result.append(UInt16(v4 >> 16))
                    result.append(UInt16(v4 & 0xFFFF))
                    continue
                }
                guard !piece.isEmpty else { throw .invalidIPv6(text, "an empty group (use '::' once for zeros)") }
                guard piece.count <= 4, let group = UInt16(piece, radix: 16), !piece.hasPrefix("+"), !piece.hasPrefix("-") else {
                    throw .invalidIPv6(text, "'\(piece)' is not a group of 1 to 4 hexadecimal digits")
                }
                result.append(group)
            }
            return result
        }

        let all: [UInt16]
        if halves.count == 2 {
            let head = try groups(halves[0], isLast: false)
            let tail = try groups(halves[1], isLast: true)
            guard head.count + tail.count <= 7 else { throw .invalidIPv6(text, "too many groups around '::'") }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            all = try groups(text, isLast: true)
            guard all.count == 8 else { throw .invalidIPv6(text, "an IPv6 address has 8 groups (or '::'), not \(all.count)") }
        }
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    static func formatIPv6(_ value: UInt128) -> String {
        if value >> 32 == 0xFFFF { return "::ffff:" + Self.formatIPv4(UInt32(truncatingIfNeeded: value)) }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
        // The longest run of two or more zero groups becomes '::' (the first, when runs tie).
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > bestLength {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

/// Why an address or prefix was refused.
public enum AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case invalidIPv4(String, String)
    case invalidIPv6(String, String)
    case invalidLength(String, String)
    case hostBitsSet(String, suggestion: String)

    public var description: String {
        switch self {
        case .empty: "the address is empty"
        case .invalidIPv4(let text, let reason): "'\(text)' is not an IPv4 address: \(reason)"
        case .invalidIPv6(let text, let reason): "'\(text)' is not an IPv6 address: \(reason)"
        case .invalidLength(let text, let reason): "'\(text)' has a bad prefix length: \(reason)"
        case .hostBitsSet(let text, let suggestion): "'\(text)' has host bits set: did you mean \(suggestion)?"
        }
    }
}
