import ConfianzaCore

/// What a feed parser makes of each record of its input: an event, or a rejection that keeps the raw
/// text, the line and the reason (to be quarantined, never dropped).
public enum ParsedRecord: Sendable {
    case event(Event, line: Int)
    case rejected(Rejection)
}

/// A record that could not become an event.
public struct Rejection: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    /// The record as it was read (a line, or several for quoted line breaks).
    public var raw: String
    public var reason: String

    public init(line: Int, raw: String, reason: String) {
        self.line = line
        self.raw = raw
        self.reason = reason
    }

    public var description: String { "line \(self.line): \(self.reason)" }
}

/// Why a feed cannot be read at all.
public enum FeedError: Error, Equatable, Sendable, CustomStringConvertible {
    case badMapping(String, String)
    case unknownFormat(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .badMapping(let file, let reason): "\(file): \(reason)"
        case .unknownFormat(let reason): reason
        case .unreadable(let path): "cannot read \(path)"
        }
    }
}
