import Foundation

/// FIRST Traffic Light Protocol 2.0 labels, from least to most restrictive. `TLP:WHITE` (TLP 1.0) is
/// read as `TLP:CLEAR`.
public enum TLP: String, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case clear = "TLP:CLEAR"
    case green = "TLP:GREEN"
    case amber = "TLP:AMBER"
    case amberStrict = "TLP:AMBER+STRICT"
    case red = "TLP:RED"

    /// Reads a label with or without `TLP:`, in any case; `WHITE` means `CLEAR`.
    public init?(label: String) {
        var text = label.trimmingCharacters(in: .whitespaces).uppercased()
        if text.hasPrefix("TLP:") { text.removeFirst(4) }
        switch text {
        case "CLEAR", "WHITE": self = .clear
        case "GREEN": self = .green
        case "AMBER": self = .amber
        case "AMBER+STRICT": self = .amberStrict
        case "RED": self = .red
        default: return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = TLP(label: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a TLP 2.0 label (TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)"))
        }
        self = value
    }

    /// 0 for CLEAR … 4 for RED.
    public var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: TLP, rhs: TLP) -> Bool { lhs.rank < rhs.rank }

    public var description: String { self.rawValue }

    public init?(rank: Int) {
        guard Self.allCases.indices.contains(rank) else { return nil }
        self = Self.allCases[rank]
    }
}
