import ConfianzaCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The names of readers, and whether a reader's process still exists: asked of the operating system.
extension IngestLease {
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
}
