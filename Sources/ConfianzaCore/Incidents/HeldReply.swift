import Foundation

/// A reply that named an incident but came from an address none of its notices went to. It is not
/// filed with the incident (anyone can write a subject): an analyst files it or discards it.
public struct HeldReply: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var incidentID: UUID
    public var sender: String
    public var subject: String
    public var text: String
    public var receivedAt: Date

    public init(id: UUID = UUID(), incidentID: UUID, sender: String, subject: String, text: String, receivedAt: Date) {
        self.id = id
        self.incidentID = incidentID
        self.sender = sender
        self.subject = subject
        self.text = text
        self.receivedAt = receivedAt
    }

    /// The bare address of a `From` header (`Name <a@b>` → `a@b`), lower-cased, to compare.
    public static func address(_ from: String) -> String { MailAddress.bare(from).lowercased() }
}

/// What became of a reply: filed with its incident, or held for an analyst.
public enum ReplyOutcome: Sendable, Equatable {
    case filed
    case held(UUID)
}

/// Replies held for an analyst.
public protocol HeldReplyStore: Sendable {
    /// Keeps a reply, with the incident's timeline entry that says so, in one transaction.
    func insertHeldReply(_ reply: HeldReply, timeline: TimelineEntry) async throws
    /// An incident's held replies, oldest first.
    func heldReplies(incidentID: UUID) async throws -> [HeldReply]
    /// Takes a held reply away, with the timeline entries that say what became of it; `nil` when it
    /// is not (or no longer) held.
    func removeHeldReply(id: UUID, timeline: @Sendable (HeldReply) -> [TimelineEntry]) async throws -> HeldReply?
}
