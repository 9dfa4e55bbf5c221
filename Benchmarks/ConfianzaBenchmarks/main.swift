// Benchmarks for Confianza. Run in release mode:
//
//     swift run -c release confianza-benchmarks lookup [PREFIXES] [LOOKUPS]
//
// `lookup` builds the constituency's longest-prefix table from PREFIXES random prefixes (default
// 1,000,000: 80 % IPv4 of lengths 8–32, 20 % IPv6 of lengths 16–64) and times LOOKUPS random addresses
// of each family (default 10,000,000) on one core. Figures are printed; BENCHMARKS.md records them.
import ConfianzaNetwork

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func format(_ value: Double, _ digits: Int = 2) -> String {
    let scale = pow(10.0, Double(digits))
    return String((value * scale).rounded() / scale)
}

func lookupBenchmark(prefixCount: Int, lookupCount: Int) throws {
    var random = SeededRandom(seed: 20_261_126)
    print("Generating \(prefixCount) random prefixes (80% IPv4 /8–/32, 20% IPv6 /16–/64) and \(lookupCount) addresses per family…")
    var prefixes: [IPPrefix] = []
    prefixes.reserveCapacity(prefixCount)
    for _ in 0..<prefixCount {
        if random.next() % 5 != 0 {
            let length = Int.random(in: 8...32, using: &random)
            let address = UInt32(truncatingIfNeeded: random.next())
            let mask: UInt32 = length == 0 ? 0 : ~((1 << (32 - UInt32(length))) &- 1)
            prefixes.append(try IPPrefix(address: .v4(address & mask), length: length))
        } else {
            let length = Int.random(in: 16...64, using: &random)
            var address = UInt128(random.next()) << 64 | UInt128(random.next())
            address &= ~((1 << (128 - UInt128(length))) &- 1)
            if address >> 32 == 0xFFFF { address ^= 1 << 127 }  // keep clear of IPv4-mapped space
            prefixes.append(try IPPrefix(address: .v6(address), length: length))
        }
    }
    let v4Addresses = (0..<lookupCount).map { _ in UInt32(truncatingIfNeeded: random.next()) }
    // Half of the IPv6 addresses fall inside a listed prefix, so lookups walk real ranges, not only misses.
    let v6Prefixes = prefixes.filter { if case .v6 = $0.address { true } else { false } }
    let v6Addresses: [UInt128] = (0..<lookupCount).map { index in
        if index % 2 == 0, let prefix = v6Prefixes.randomElement(using: &random), case .v6(let base) = prefix.address {
            let host: UInt128 = (1 << (128 - UInt128(prefix.length))) &- 1
            return base | ((UInt128(random.next()) << 64 | UInt128(random.next())) & host)
        }
        return UInt128(random.next()) << 64 | UInt128(random.next())
    }

    var table: PrefixTable?
    let buildSeconds = seconds { table = PrefixTable(prefixes) }
    guard let table else { return }

    var hits = 0
    let v4Seconds = seconds {
        for address in v4Addresses where table.lookup(v4: address) >= 0 { hits += 1 }
    }
    let v4Hits = hits
    hits = 0
    let v6Seconds = seconds {
        for address in v6Addresses where table.lookup(v6: address) >= 0 { hits += 1 }
    }

    let ranges = table.rangeCounts
    let bytesPerPrefix = Double(table.memoryBytes) / Double(prefixCount)
    print("")
    print("prefixes                 \(prefixCount) (IPv4 \(prefixCount - v6Prefixes.count), IPv6 \(v6Prefixes.count))")
    print("disjoint ranges          IPv4 \(ranges.v4), IPv6 \(ranges.v6)")
    print("build                    \(format(buildSeconds, 3)) s            (target < 2 s)")
    print("IPv4 lookups             \(format(Double(lookupCount) / v4Seconds / 1e6)) million/s   (target ≥ 10; \(v4Hits) matched)")
    print("IPv6 lookups             \(format(Double(lookupCount) / v6Seconds / 1e6)) million/s   (target ≥ 3; \(hits) matched)")
    print("memory                   \(format(bytesPerPrefix, 1)) bytes per prefix (target < 64; \(table.memoryBytes / 1_048_576) MiB: ranges, index and the prefix list)")
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "lookup":
    let prefixCount = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
    let lookupCount = arguments.count > 2 ? Int(arguments[2]) ?? 10_000_000 : 10_000_000
    try lookupBenchmark(prefixCount: prefixCount, lookupCount: lookupCount)
default:
    print("usage: confianza-benchmarks lookup [PREFIXES] [LOOKUPS]")
    exit(2)
}
