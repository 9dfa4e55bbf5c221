import ConfianzaNetwork
import PropertyBased
import Testing

/// The reference: scan every prefix, keep the longest that contains the address (the first listed on ties).
func bruteForce(_ prefixes: [IPPrefix], _ address: IPAddress) -> Int? {
    var best: Int?
    for (index, prefix) in prefixes.enumerated() where prefix.contains(address) {
        if let current = best, prefixes[current].length >= prefix.length { continue }
        best = index
    }
    return best
}

/// Random prefixes that nest and repeat often: each one is cut from a small pool of base addresses,
/// so the property meets nested, overlapping, duplicate, /0 and full-length prefixes.
enum NetworkGen {
    static let v4Bases: [UInt32] = [0, 0x0A00_0000, 0x0A0A_0000, 0xC000_0200, 0xC633_6400, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF]
    static let v6Bases: [UInt128] = [
        0, 0x2001_0db8 << 96, 0x2001_0db8_0001 << 80, .max, 1 << 127, (0x2001_0db8 << 96) | 0xFFFF, 0xfe80 << 112,
    ]

    static func v4(base: Int, length: Int, noise: UInt32) -> IPPrefix {
        let address = Self.v4Bases[base % Self.v4Bases.count] ^ (noise & 0x0000_FFFF)
        let mask: UInt32 = length == 0 ? 0 : ~((1 << (32 - UInt32(length))) &- 1)
        return try! IPPrefix(address: .v4(address & mask), length: length)
    }

    static func v6(base: Int, length: Int, noise: UInt64) -> IPPrefix {
        var address = Self.v6Bases[base % Self.v6Bases.count] ^ UInt128(noise & 0xFFFF_FFFF)
        address &= length == 0 ? 0 : ~((1 << (128 - UInt128(length))) &- 1)
        if address >> 32 == 0xFFFF, length >= 96 { address ^= 1 << 100 }  // not IPv4-mapped
        return try! IPPrefix(address: .v6(address), length: length)
    }

    static let prefix = zip(Gen.int(in: 0...1), Gen.int(in: 0...7), Gen.int(in: 0...128), Gen.uint64()).map { spec in
        let (family, base, length, noise) = spec
        return family == 0
            ? Self.v4(base: base, length: length % 33, noise: UInt32(truncatingIfNeeded: noise))
            : Self.v6(base: base, length: length, noise: noise)
    }

    static let address = zip(Gen.int(in: 0...3), Gen.int(in: 0...7), Gen.uint64()).map { spec -> IPAddress in
        let (kind, base, noise) = spec
        let low = UInt32(truncatingIfNeeded: noise)
        switch kind {
        case 0: return .v4(Self.v4Bases[base] ^ (low & 0x0003_FFFF))
        case 1: return .v4(low)
        case 2: return .v6(Self.v6Bases[base % Self.v6Bases.count] ^ UInt128(noise & 0xFFFF_FFFF_FFFF))
        default: return .v6(0xFFFF << 32 | UInt128(low))  // IPv4-mapped
        }
    }
}

@Suite struct PrefixTableTests {
    @Test func agreesWithABruteForceScan() async {
        await propertyCheck(count: 300, input: NetworkGen.prefix.array(of: 0...40), NetworkGen.address.array(of: 1...40)) { prefixes, addresses in
            let table = PrefixTable(prefixes)
            for address in addresses {
                #expect(table.lookup(address) == bruteForce(prefixes, address), "\(address) in \(prefixes)")
            }
        }
    }

    @Test func edgesOfTheAddressSpace() throws {
        let prefixes = try ["0.0.0.0/0", "255.255.255.255/32", "0.0.0.0/32", "::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "::/128",
                            "10.0.0.0/8", "10.0.0.0/8", "10.1.0.0/16"].map { try IPPrefix($0) }
        let table = PrefixTable(prefixes)
        let expectations: [(String, Int?)] = [
            ("255.255.255.255", 1), ("255.255.255.254", 0), ("0.0.0.0", 2), ("0.0.0.1", 0), ("::", 5), ("::1", 3),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 4), ("10.200.0.1", 6), ("10.1.2.3", 8), ("::ffff:10.1.2.3", 8),
        ]
        for (text, expected) in expectations {
            #expect(table.lookup(try IPAddress(text)) == expected, "\(text)")
        }
        #expect(PrefixTable([]).lookup(try IPAddress("192.0.2.1")) == nil)
    }

    @Test func mappedAddressesAndPrefixesAreIPv4() throws {
        #expect(try IPPrefix("::ffff:10.0.0.0/104") == IPPrefix("10.0.0.0/8"))
        #expect(try IPAddress("::ffff:192.0.2.1").unmapped == IPAddress("192.0.2.1"))
        let table = PrefixTable([try IPPrefix("192.0.2.0/24")])
        #expect(table.lookup(try IPAddress("::ffff:192.0.2.77")) == 0)
        #expect(table.lookup(try IPAddress("::192.0.2.77")) == nil, "IPv4-compatible is not IPv4-mapped")
    }
}

@Suite struct AddressParsingTests {
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"), ("0.0.0.0", "0.0.0.0"), ("2001:DB8::1", "2001:db8::1"), ("::", "::"), ("::1", "::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"), ("::ffff:192.0.2.128", "::ffff:192.0.2.128"), ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("fe80:0:0:0:0:0:0:1", "fe80::1"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func addressesParseAndPrintCanonically(text: String, canonical: String) throws {
        let address = try IPAddress(text)
        #expect(address.description == canonical)
        #expect(try IPAddress(canonical) == address)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1..2.3", "a.b.c.d", " 1.2.3.4", "::g", "1:2:3:4:5:6:7:8:9",
        "1::2::3", "12345::", "1:2:3:4:5:6:7", ":1:2:3:4:5:6:7", "fe80::1%eth0", "::1.2.3.4:5", "1:2:3:4:5:6:7:8::", ":::",
        "2001:db8::+1",
    ])
    func malformedAddressesAreRefusedWithAReason(text: String) {
        do {
            _ = try IPAddress(text)
            Issue.record("accepted '\(text)'")
        } catch {
            #expect(!error.description.isEmpty)
        }
    }

    @Test(arguments: [
        ("10.0.0.0/33", "'10.0.0.0/33' has a bad prefix length: use 0 to 32"),
        ("10.0.0.1/8", "'10.0.0.1/8' has host bits set: did you mean 10.0.0.0/8?"),
        ("2001:db8::1/32", "'2001:db8::1/32' has host bits set: did you mean 2001:db8::/32?"),
        ("2001:db8::/129", "'2001:db8::/129' has a bad prefix length: use 0 to 128"),
        ("1.2.3", "'1.2.3' is not an IPv4 address: an IPv4 address has 4 numbers separated by dots, not 3"),
        ("::g/64", "'::g' is not an IPv6 address: 'g' is not a group of 1 to 4 hexadecimal digits"),
        ("", "the address is empty"),
        ("10.0.0.0/", "'10.0.0.0/' has a bad prefix length: '' is not a number"),
        ("10.0.0.0/x8", "'10.0.0.0/x8' has a bad prefix length: 'x8' is not a number"),
    ])
    func malformedPrefixesAreRefusedWithAMessage(text: String, message: String) {
        #expect(throws: AddressError.self) { try IPPrefix(text) }
        do { _ = try IPPrefix(text) } catch { #expect(error.description == message) }
    }

    @Test func barePrefixesAreHosts() throws {
        #expect(try IPPrefix("192.0.2.1").description == "192.0.2.1/32")
        #expect(try IPPrefix("2001:db8::1").description == "2001:db8::1/128")
        #expect(try IPPrefix("0.0.0.0/0").contains(IPAddress("203.0.113.5")))
        #expect(try !IPPrefix("0.0.0.0/0").contains(IPAddress("2001:db8::5")))
    }
}

@Suite struct PrefixListTests {
    @Test func matchesNameTheirPrefix() throws {
        let prefixes = try ["2001:db8:abcd::/48", "198.51.100.0/24", "::/0", "255.255.255.255/32"].map { try IPPrefix($0) }
        let table = PrefixTable(prefixes)
        for index in prefixes.indices { #expect(table.prefix(at: index) == prefixes[index]) }
        let match = try #require(table.lookup(try IPAddress("2001:db8:abcd:1::5")))
        #expect(table.prefix(at: match).description == "2001:db8:abcd::/48")
    }
}
