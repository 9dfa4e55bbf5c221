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
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
