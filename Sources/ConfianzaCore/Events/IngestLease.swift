import Foundation

/// Who reads an ingest run, and until when: several processes (servers with one inbox, the command
/// line) may ingest on one database, and each run is read by one of them at a time. The reader renews
/// its lease with every batch it stores; when it stops without finishing (killed, its machine lost),
/// another process goes on from the run's checkpoint once the lease has run out — at once when the
/// reader was a process of the same machine that no longer exists (``ConfianzaFeeds`` asks the system).
public struct IngestLease: Sendable, Equatable {
    /// `host/pid/token`: the machine and process, and a token of the reader within it.
    public var owner: String
    public var until: Date

    public init(owner: String, until: Date) {
        self.owner = owner
        self.until = until
    }

    /// The machine and process of an owner, for messages (`host, process 1234`).
    public static func describe(_ owner: String) -> String {
        let parts = owner.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return owner }
        return "\(parts[0]), process \(parts[1])"
    }
}
