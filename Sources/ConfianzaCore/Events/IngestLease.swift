import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who reads an ingest run, and until when: several processes (servers with one inbox, the command
/// line) may ingest on one database, and each run is read by one of them at a time. The reader renews
/// its lease with every batch it stores; when it stops without finishing (killed, its machine lost),
/// another process goes on from the run's checkpoint once the lease has run out — at once when the
/// reader was a process of the same machine that no longer exists.
public struct IngestLease: Sendable, Equatable {
    /// `host/pid/token`: the machine and process, and a token of the reader within it.
    public var owner: String
    public var until: Date

    public init(owner: String, until: Date) {
        self.owner = owner
        self.until = until
    }

    /// A new reader's name in this process.
    public static func newOwner() -> String {
        "\(Self.hostName)/\(getpid())/\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// This machine's name (`/` and blanks left out, so that the owner's parts stay apart).
    public static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let cleaned = name.filter { $0 != "/" && !$0.isWhitespace }
        return cleaned.isEmpty ? "localhost" : cleaned
    }()

    /// Whether a lease held by `owner` until `until` no longer holds at `now`: it ran out, or its
    /// owner was a process on this machine that no longer exists.
    public static func isFree(owner: String?, until: Date?, now: Date, me: String) -> Bool {
        guard let owner, owner != me else { return true }
        if let until, until < now { return true }
        return Self.ownerIsGone(owner)
    }

    /// The owner was a process of this machine, and there is no such process any more.
    public static func ownerIsGone(_ owner: String) -> Bool {
        let parts = owner.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, String(parts[0]) == Self.hostName, let pid = Int32(parts[1]), pid > 0, pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// The machine and process of an owner, for messages (`host, process 1234`).
    public static func describe(_ owner: String) -> String {
        let parts = owner.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return owner }
        return "\(parts[0]), process \(parts[1])"
    }
}
