/// Longest-prefix match for IPv4 and IPv6, built once from a list of prefixes and then read-only.
///
/// The prefixes are flattened into disjoint address ranges, each labelled with the most specific
/// prefix covering it, and stored as two flat arrays (range starts, labels) per family. A direct index
/// on an address's top 16 bits narrows each search to the few ranges of that /16 (IPv4) or /16 (IPv6),
/// so a lookup is one index read and a short binary search over adjacent memory.
///
/// A lookup answers the position, in the list given to ``init(_:)``, of the longest prefix containing
/// the address; when the same prefix is listed twice, the first wins. IPv4-mapped IPv6 addresses are
/// looked up as IPv4.
public struct PrefixTable: Sendable {
    @usableFromInline let v4: RangeTable<UInt32>
    @usableFromInline let v6: RangeTable<UInt128>
    /// The prefixes as given, packed, so a match can be named.
    private let prefixes: [PackedPrefix]
    public var count: Int { self.prefixes.count }

    public init(_ prefixes: [IPPrefix]) {
        var v4: [RangeTable<UInt32>.Entry] = []
        var v6: [RangeTable<UInt128>.Entry] = []
        for (index, prefix) in prefixes.enumerated() {
            let (first, last) = prefix.bounds
            switch prefix.address {
            case .v4:
                v4.append(.init(first: UInt32(first), last: UInt32(last), length: prefix.length, label: Int32(index)))
            case .v6:
                v6.append(.init(first: first, last: last, length: prefix.length, label: Int32(index)))
            }
        }
        self.v4 = RangeTable(v4)
        self.v6 = RangeTable(v6)
        self.prefixes = prefixes.map(PackedPrefix.init)
    }

    /// The prefix at a position `lookup` answered.
    public func prefix(at index: Int) -> IPPrefix { self.prefixes[index].prefix }

    /// The position of the longest matching prefix, or `nil`.
    @inlinable
    public func lookup(_ address: IPAddress) -> Int? {
        let label: Int32
        switch address {
        case .v4(let value): label = self.lookup(v4: value)
        case .v6(let value):
            label = value >> 32 == 0xFFFF ? self.lookup(v4: UInt32(truncatingIfNeeded: value)) : self.lookup(v6: value)
        }
        return label < 0 ? nil : Int(label)
    }

    /// The position of the longest matching IPv4 prefix, or -1.
    @inlinable
    public func lookup(v4 address: UInt32) -> Int32 { self.v4.lookup(address) }

    /// The position of the longest matching IPv6 prefix, or -1 (no IPv4-mapped handling).
    @inlinable
    public func lookup(v6 address: UInt128) -> Int32 { self.v6.lookup(address) }

    /// Bytes held by the table's arrays, the packed prefix list included.
    public var memoryBytes: Int {
        self.v4.memoryBytes + self.v6.memoryBytes + self.prefixes.capacity * MemoryLayout<PackedPrefix>.stride
    }

    /// How many disjoint ranges the prefixes became (IPv4, IPv6).
    public var rangeCounts: (v4: Int, v6: Int) { (self.v4.starts.count, self.v6.starts.count) }
}

/// The ranges of one address family.
@usableFromInline
struct RangeTable<Key: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    struct Entry {
        var first: Key
        var last: Key
        var length: UInt8
        var label: Int32
    }

    /// Start of each range, ascending; the first is always 0, so every address is in exactly one range.
    @usableFromInline let starts: [Key]
    /// The label of each range: a prefix's position, or -1 where no prefix covers it.
    @usableFromInline let labels: [Int32]
    /// `bucket[k]` is the range that holds the first address whose top 16 bits are `k`;
    /// `bucket[65536]` is the last range.
    @usableFromInline let bucket: [Int32]

    init(_ input: [Entry]) {
        // Less specific first, so that a nested prefix comes after the one containing it; among equal
        // prefixes the first listed is kept.
        let entries = input.sorted {
            ($0.first, $0.length, $0.label) < ($1.first, $1.length, $1.label)
        }
        var starts: [Key] = [0]
        var labels: [Int32] = [-1]
        starts.reserveCapacity(entries.count * 2 + 1)
        labels.reserveCapacity(entries.count * 2 + 1)

        /// Opens a range at `start` with `label`, merging with the previous range when labels agree.
        func open(_ start: Key, _ label: Int32) {
            if starts.last == start {
                labels[labels.count - 1] = label
                if labels.count > 1, labels[labels.count - 2] == label {
                    starts.removeLast()
                    labels.removeLast()
                }
            } else if labels.last != label {
                starts.append(start)
                labels.append(label)
            }
        }

        var stack: [Entry] = []
        var previous: Entry?
        for entry in entries {
            if let previous, previous.first == entry.first, previous.length == entry.length { continue }
            previous = entry
            // Close the prefixes that end before this one starts.
            while let top = stack.last, top.last < entry.first {
                stack.removeLast()
                if top.last != Key.max { open(top.last + 1, stack.last?.label ?? -1) }
            }
            open(entry.first, entry.label)
            stack.append(entry)
        }
        while let top = stack.popLast() {
            if top.last != Key.max { open(top.last + 1, stack.last?.label ?? -1) }
        }

        var bucket = [Int32](repeating: 0, count: 65537)
        var range = 0
        for k in 0..<65536 {
            let first = Key(k) << (Key.bitWidth - 16)
            while range + 1 < starts.count && starts[range + 1] <= first { range += 1 }
            bucket[k] = Int32(range)
        }
        bucket[65536] = Int32(starts.count - 1)
        self.starts = starts
        self.labels = labels
        self.bucket = bucket
    }

    @inlinable
    func lookup(_ address: Key) -> Int32 {
        let k = Int(truncatingIfNeeded: address >> (Key.bitWidth - 16))
        return self.starts.withUnsafeBufferPointer { starts in
            self.bucket.withUnsafeBufferPointer { bucket in
                // The range holding `address` lies between the ranges holding the bucket's first
                // address and the next bucket's first address.
                var low = Int(bucket[k])
                var high = Int(bucket[k + 1])
                // Find the last start <= address in starts[low...high].
                while low < high {
                    let middle = (low + high + 1) >> 1
                    if starts[middle] <= address { low = middle } else { high = middle - 1 }
                }
                return self.labels.withUnsafeBufferPointer { $0[low] }
            }
        }
    }

    var memoryBytes: Int {
        self.starts.capacity * MemoryLayout<Key>.stride + self.labels.capacity * 4 + self.bucket.capacity * 4
    }
}

/// A prefix in 24 bytes instead of the 48 an `IPPrefix` takes in an array.
private struct PackedPrefix: Sendable {
    var high: UInt64
    var low: UInt64
    var length: UInt8
    var isV6: Bool

    init(_ prefix: IPPrefix) {
        switch prefix.address {
        case .v4(let value):
            self.high = 0
            self.low = UInt64(value)
            self.isV6 = false
        case .v6(let value):
            self.high = UInt64(truncatingIfNeeded: value >> 64)
            self.low = UInt64(truncatingIfNeeded: value)
            self.isV6 = true
        }
        self.length = prefix.length
    }

    var prefix: IPPrefix {
        let address: IPAddress = self.isV6 ? .v6(UInt128(self.high) << 64 | UInt128(self.low)) : .v4(UInt32(truncatingIfNeeded: self.low))
        // Packed from a valid prefix, so it is valid again.
        return IPPrefix(trusted: address, length: self.length)
    }
}
