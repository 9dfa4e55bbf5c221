/// A network: an address and how many leading bits are fixed (`198.51.100.0/24`, `2001:db8::/32`).
/// Host bits are always zero. IPv4-mapped IPv6 prefixes (`::ffff:10.0.0.0/104`) become IPv4 ones.
public struct IPPrefix: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let address: IPAddress
    public let length: UInt8

    /// Makes a prefix, refusing set host bits.
    public init(address: IPAddress, length: Int) throws(AddressError) {
        let text = "\(address)/\(length)"
        guard length >= 0, length <= address.bitWidth else {
            throw .invalidLength(text, "use 0 to \(address.bitWidth)")
        }
        var address = address
        var length = length
        if case .v6(let value) = address, value >> 32 == 0xFFFF, length >= 96 {
            address = .v4(UInt32(truncatingIfNeeded: value))
            length -= 96
        }
        let masked = Self.mask(address, length)
        guard masked == address else {
            throw .hostBitsSet(text, suggestion: "\(masked)/\(length)")
        }
        self.address = address
        self.length = UInt8(length)
    }

    /// A prefix known to be valid (unpacked from one that was).
    init(trusted address: IPAddress, length: UInt8) {
        self.address = address
        self.length = length
    }

    /// Reads `address/length`; a bare address is a single host (/32 or /128).
    public init(_ text: some StringProtocol) throws(AddressError) {
        let text = String(text).trimmingSpaces
        guard !text.isEmpty else { throw .empty }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = try IPAddress(parts[0])
        guard parts.count == 2 else {
            try self.init(address: address, length: address.bitWidth)
            return
        }
        guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let length = Int(parts[1]) else {
            throw .invalidLength(text, "'\(parts[1])' is not a number")
        }
        do {
            try self.init(address: address, length: length)
        } catch .invalidLength(_, let reason) {
            throw .invalidLength(text, reason)
        } catch .hostBitsSet(_, let suggestion) {
            throw .hostBitsSet(text, suggestion: suggestion)
        }
    }

    /// The first and last address of the network, as integers of the family's width.
    var bounds: (first: UInt128, last: UInt128) {
        switch self.address {
        case .v4(let value):
            let host: UInt32 = self.length == 0 ? .max : (1 << (32 - UInt32(self.length))) &- 1
            return (UInt128(value), UInt128(value | host))
        case .v6(let value):
            let host: UInt128 = self.length == 0 ? .max : (1 << (128 - UInt128(self.length))) &- 1
            return (value, value | host)
        }
    }

    public func contains(_ address: IPAddress) -> Bool {
        switch (self.address, address.unmapped) {
        case (.v4, .v4(let value)): Self.mask(.v4(value), Int(self.length)) == self.address
        case (.v6, .v6(let value)): Self.mask(.v6(value), Int(self.length)) == self.address
        default: false
        }
    }

    public var description: String { "\(self.address)/\(self.length)" }

    public static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.length < rhs.length
    }

    static func mask(_ address: IPAddress, _ length: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            return .v4(length == 0 ? 0 : value & ~((1 << (32 - UInt32(length))) &- 1))
        case .v6(let value):
            return .v6(length == 0 ? 0 : value & ~((1 << (128 - UInt128(length))) &- 1))
        }
    }
}

extension String {
    var trimmingSpaces: String {
        let bytes = self.utf8
        guard let first = bytes.first, let last = bytes.last, first == 32 || first == 9 || last == 32 || last == 9 else { return self }
        return String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension IPAddress {
    /// The address as 16 bytes in network order, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so that
    /// byte-wise order (SQLite's and PostgreSQL's for blobs) is address order and a prefix is a range.
    public var storageKey: [UInt8] {
        let value: UInt128 = switch self.unmapped {
        case .v4(let v4): (UInt128(0xFFFF) << 32) | UInt128(v4)
        case .v6(let v6): v6
        }
        return (0..<16).map { UInt8(truncatingIfNeeded: value >> (8 * (15 - $0))) }
    }
}

extension IPPrefix {
    /// The network as ranges of ``IPAddress/storageKey``s: one range, except for an IPv6 network that
    /// holds the IPv4-mapped block (`::ffff:0:0/96`), where IPv4 addresses are stored and which is left out.
    public var storageKeyRanges: [(first: [UInt8], last: [UInt8])] {
        let (first, last) = self.bounds
        guard case .v6 = self.address else {
            return [(IPAddress.v4(UInt32(first)).storageKey, IPAddress.v4(UInt32(last)).storageKey)]
        }
        let mappedFirst = UInt128(0xFFFF) << 32
        let mappedLast = mappedFirst | 0xFFFF_FFFF
        func key(_ value: UInt128) -> [UInt8] { (0..<16).map { UInt8(truncatingIfNeeded: value >> (8 * (15 - $0))) } }
        guard first <= mappedFirst, last >= mappedLast else { return [(key(first), key(last))] }
        var ranges: [(first: [UInt8], last: [UInt8])] = []
        if first < mappedFirst { ranges.append((key(first), key(mappedFirst - 1))) }
        if last > mappedLast { ranges.append((key(mappedLast + 1), key(last))) }
        return ranges
    }
}
