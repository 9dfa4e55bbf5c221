import Synchronization
import Foundation

/// A message ready for the wire.
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var to: String
    /// The whole message (headers and MIME body), CRLF line ends.
    public var data: String
}

/// Something that hands a message to a mail server (SMTP in production).
public protocol MailTransport: Sendable {
    /// Sends one message. `commit` is called once the server has the whole message but before the
    /// final step that makes it take the message (SMTP's closing "."): if `commit` throws, nothing is sent.
    func send(_ message: MailMessage, commit: @Sendable () async throws -> Void) async throws
}

/// Why a send failed, and whether the server could have taken the message.
public struct MailError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// The failure came after the point of no return (the final "."): delivery is unknown.
    public var afterCommit: Bool

    public init(_ reason: String, afterCommit: Bool = false) {
        self.reason = reason
        self.afterCommit = afterCommit
    }

    public var description: String { self.reason }
}

/// Builds the MIME message of an outbox entry: text in UTF-8 and the events as a CSV attachment.
public enum MailComposer {
    public static func compose(_ message: OutboxMessage, from: String, domain: String) -> MailMessage {
        let boundary = "=_confianza_\(message.id.uuidString.lowercased())"
        let date = Self.rfc5322(message.createdAt)
        var lines = [
            "From: \(from)", "To: \(message.recipient)", "Subject: \(Self.encodedWord(message.subject))", "Date: \(date)",
            "Message-ID: \(message.messageID(domain: domain))", "MIME-Version: 1.0", "Auto-Submitted: auto-generated",
            "Content-Language: \(message.language)", "Content-Type: multipart/mixed; boundary=\"\(boundary)\"", "",
            "--\(boundary)", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "",
            Self.base64Lines(Data(message.body.utf8)),
        ]
        // Notices carry their events as CSV; other mail (a focal point's invitation) has no attachment.
        if !message.attachmentName.isEmpty {
            lines += [
                "--\(boundary)", "Content-Type: text/csv; charset=utf-8; name=\"\(message.attachmentName)\"",
                "Content-Disposition: attachment; filename=\"\(message.attachmentName)\"", "Content-Transfer-Encoding: base64", "",
                Self.base64Lines(Data(message.attachment.utf8)),
            ]
        }
        lines += ["--\(boundary)--", ""]
        return MailMessage(from: from, to: message.recipient, data: lines.joined(separator: "\r\n"))
    }

    static func base64Lines(_ data: Data) -> String {
        let text = data.base64EncodedString()
        var lines: [Substring] = []
        var index = text.startIndex
        while index < text.endIndex {
            let end = text.index(index, offsetBy: 76, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(text[index..<end])
            index = end
        }
        return lines.joined(separator: "\r\n")
    }

    /// RFC 2047 for a subject that is not plain ASCII.
    static func encodedWord(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value > 126 || $0.value < 32 }) else { return text }
        return "=?utf-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}

/// Sends the outbox: each due message once, retried with backoff when the server refuses or cannot
/// be reached, marked `uncertain` (never resent on its own) when a crash or a broken connection
/// leaves it unknown whether the server took it.
public struct OutboxSender: Sendable {
    public typealias Storage = any IncidentStore & ConstituencyStore

    public let store: Storage
    public let transport: any MailTransport
    public let from: String
    public let domain: String
    public let maxAttempts: Int
    private let now: @Sendable () -> Date

    /// Waits between attempts: 1 min, 5 min, 30 min, 2 h, then 12 h.
    public static let backoff: [TimeInterval] = [60, 300, 1800, 7200, 43200]

    public init(
        store: Storage, transport: any MailTransport, from: String, domain: String, maxAttempts: Int = 6,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.transport = transport
        self.from = from
        self.domain = domain
        self.maxAttempts = max(1, maxAttempts)
        self.now = now
    }

    /// At start: messages left `sending` by a stopped process may have been delivered. They become
    /// `uncertain`, shown on their incident, and are not sent again unless someone asks.
    @discardableResult
    public func recover() async throws -> Int {
        var count = 0
        for var message in try await self.store.outboxMessages(state: .sending, limit: 10_000) {
            message.state = .uncertain
            message.lastError = "the sending process stopped after handing the message over: it may or may not have been delivered"
            let entry = message.incidentID.map {
                TimelineEntry(
                    incidentID: $0, at: self.now(), actor: IncidentService.system, kind: .notification,
                    detail: "delivery to \(message.recipient) uncertain (the sender stopped mid-send); not resent",
                    phrase: Phrase("timeline.uncertain_stopped", ["recipient": message.recipient]))
            }
            if try await self.store.updateOutbox(message, expected: .sending, timeline: entry) { count += 1 }
        }
        return count
    }

    /// Sends what is due now; returns how many were sent.
    @discardableResult
    public func sendDue(limit: Int = 50) async throws -> Int {
        var sent = 0
        for message in try await self.store.dueMessages(at: self.now(), limit: limit) where try await self.send(message) {
            sent += 1
        }
        return sent
    }

    /// One message: returns whether it was sent.
    func send(_ pending: OutboxMessage) async throws -> Bool {
        let mail = MailComposer.compose(pending, from: self.from, domain: self.domain)
        var sending = pending
        sending.state = .sending
        sending.attempts += 1
        let store = self.store
        let claimed = sending
        let committed = Committed()
        do {
            try await self.transport.send(mail) {
                guard try await store.updateOutbox(claimed, expected: .pending, timeline: nil) else {
                    throw MailError("another process is sending this message")
                }
                committed.mark()
            }
        } catch where committed.isSet || (error as? MailError)?.afterCommit == true {
            var unknown = claimed
            unknown.state = .uncertain
            unknown.lastError = String(describing: error)
            _ = try await self.store.updateOutbox(
                unknown, expected: .sending,
                timeline: pending.incidentID.map {
                    TimelineEntry(
                        incidentID: $0, at: self.now(), actor: IncidentService.system, kind: .notification,
                        detail: "delivery to \(pending.recipient) uncertain: \(error); not resent",
                        phrase: Phrase("timeline.uncertain", ["recipient": pending.recipient, "error": "\(error)"]))
                })
            return false
        } catch {
            // Nothing reached the point of no return, and the message is still ours and pending (if another
            // process took it, the update below finds it no longer pending and leaves it alone): try again
            // later, or give up after the last attempt.
            var retry = claimed
            retry.lastError = String(describing: error)
            var entry: TimelineEntry?
            if retry.attempts >= self.maxAttempts {
                retry.state = .failed
                entry = pending.incidentID.map {
                    TimelineEntry(
                        incidentID: $0, at: self.now(), actor: IncidentService.system, kind: .notification,
                        detail: "notification to \(pending.recipient) failed after \(retry.attempts) attempts: \(error)",
                        phrase: Phrase("timeline.failed", ["recipient": pending.recipient, "attempts": String(retry.attempts), "error": "\(error)"]))
                }
            } else {
                retry.state = .pending
                retry.nextAttemptAt = self.now().addingTimeInterval(Self.backoff[min(retry.attempts - 1, Self.backoff.count - 1)])
            }
            _ = try await self.store.updateOutbox(retry, expected: .pending, timeline: entry)
            return false
        }
        var done = claimed
        done.state = .sent
        done.sentAt = self.now()
        done.lastError = nil
        _ = try await self.store.updateOutbox(
            done, expected: .sending,
            timeline: pending.incidentID.map {
                TimelineEntry(
                    incidentID: $0, at: done.sentAt ?? self.now(), actor: IncidentService.system, kind: .notification,
                    detail: "notification sent to \(pending.recipient)",
                    phrase: Phrase("timeline.sent", ["recipient": pending.recipient]))
            })
        return true
    }
}

/// Whether a send passed its commit point (set from the transport's callback).
final class Committed: Sendable {
    private let value = Mutex(false)
    func mark() { self.value.withLock { $0 = true } }
    var isSet: Bool { self.value.withLock { $0 } }
}

extension IncidentService {
    /// Sends again a notice that failed or whose delivery is uncertain, when someone decides to.
    public func resend(_ messageID: UUID, of incidentID: UUID, by actor: String) async throws {
        guard var message = try await self.store.outboxMessages(incidentID: incidentID).first(where: { $0.id == messageID }) else {
            throw IncidentError.notFound("notice \(messageID)")
        }
        let from = message.state
        guard from.canBeSentAgain else {
            throw IncidentError.invalid(
                field: "notice",
                reason: .init(
                    "incident.error.resend", english: "only a failed notice or one of uncertain delivery can be sent again (this one is \(from.rawValue))",
                    ["state": from.rawValue]))
        }
        message.state = .pending
        message.attempts = 0
        message.nextAttemptAt = self.now()
        message.lastError = nil
        _ = try await self.store.updateOutbox(
            message, expected: from,
            timeline: TimelineEntry(incidentID: incidentID, at: self.now(), actor: actor, kind: .notification, detail: "notice to \(message.recipient) queued again",
                phrase: Phrase("timeline.requeued", ["recipient": message.recipient])))
    }

    /// Queues notices to the incident's organisations' contacts (their policies and TLP ceilings
    /// respected) and records who was told and who was not. Each notice is written from `texts` in its
    /// contact's language. Returns the plan.
    public func notify(_ id: UUID, by actor: String, tag: String = "CIRT", texts: TextCatalogue) async throws -> NotificationPlan {
        let incident = try await self.require(id)
        var organisations: [Organisation] = []
        var contacts: [Contact] = []
        for organisationID in incident.organisations {
            if let organisation = try await self.store.organisation(id: organisationID) { organisations.append(organisation) }
            contacts += try await self.store.contacts(organisationID: organisationID)
        }
        let events = try await self.store.incidentEvents(incidentID: id, limit: 10_000)
        let plan = NotificationPlanner.plan(
            incident: incident, organisations: organisations, contacts: contacts, events: events, tag: tag, texts: texts, now: self.now())
        guard !plan.messages.isEmpty || !plan.skipped.isEmpty else {
            throw IncidentError.invalid(field: "organisations", reason: .init("incident.error.no_organisation", english: "the incident concerns no organisation to notify"))
        }
        var entries = plan.messages.map {
            TimelineEntry(incidentID: id, at: self.now(), actor: actor, kind: .notification, detail: "notification queued to \($0.recipient) (\($0.language))",
                phrase: Phrase("timeline.queued", ["recipient": $0.recipient, "language": $0.language]))
        }
        entries += zip(plan.skipped, plan.skippedPhrases).map { skipped, phrase in
            TimelineEntry(incidentID: id, at: self.now(), actor: actor, kind: .notification, detail: "not notified: \(skipped)", phrase: phrase)
        }
        try await self.store.enqueue(plan.messages, timeline: entries)
        return plan
    }
}
