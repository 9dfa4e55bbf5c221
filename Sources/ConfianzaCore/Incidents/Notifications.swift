import Foundation

/// A message waiting in the outbox, or already sent. The outbox lives in the database, so a message
/// is queued in the same transaction as the timeline entry that records it, and survives restarts.
public struct OutboxMessage: Sendable, Equatable, Identifiable {
    /// pending → sending → sent; a failed attempt goes back to pending with a later `nextAttemptAt`
    /// (or to failed after the last attempt). A message found `sending` after a crash may or may not
    /// have reached the server: it becomes `uncertain` and is never sent again on its own.
    public enum State: String, Sendable, Codable, CaseIterable {
        case pending, sending, sent, failed, uncertain

        /// Someone may send it again: it failed, or whether it arrived is unknown.
        public var canBeSentAgain: Bool { self == .failed || self == .uncertain }
    }

    public var id: UUID
    /// The incident a notice is about; `nil` for mail of other modules (a focal point's invitation).
    public var incidentID: UUID?
    public var organisationID: UUID?
    public var contactID: UUID?
    public var recipient: String
    public var language: String
    public var subject: String
    public var body: String
    public var attachmentName: String
    public var attachment: String
    public var createdAt: Date
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var sentAt: Date?

    public init(
        id: UUID = UUID(), incidentID: UUID?, organisationID: UUID?, contactID: UUID?, recipient: String, language: String, subject: String,
        body: String, attachmentName: String, attachment: String, createdAt: Date, state: State = .pending, attempts: Int = 0,
        nextAttemptAt: Date? = nil, lastError: String? = nil, sentAt: Date? = nil
    ) {
        self.id = id
        self.incidentID = incidentID
        self.organisationID = organisationID
        self.contactID = contactID
        self.recipient = recipient
        self.language = language
        self.subject = subject
        self.body = body
        self.attachmentName = attachmentName
        self.attachment = attachment
        self.createdAt = createdAt
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt ?? createdAt
        self.lastError = lastError
        self.sentAt = sentAt
    }

    /// The Message-ID the message is sent with: the same on every attempt.
    public func messageID(domain: String) -> String { "<\(self.id.uuidString.lowercased())@\(domain)>" }
}

/// Who gets told about an incident, and why the others do not.
public struct NotificationPlan: Sendable, Equatable {
    public var messages: [OutboxMessage]
    /// One line per contact or organisation left out, with the reason (in English).
    public var skipped: [String]
    /// The same lines as phrases of the locale files, in the same order, for the timeline.
    public var skippedPhrases: [Phrase]
}

/// Decides who is notified of an incident and writes the messages: each contact's policy is respected
/// (immediate notices only here; digests are for their own schedule), and nothing goes to an
/// organisation whose TLP ceiling is below the incident's marking.
public enum NotificationPlanner {
    public static func plan(
        incident: Incident, organisations: [Organisation], contacts: [Contact], events: [StoredEvent], tag: String, texts: TextCatalogue, now: Date
    ) -> NotificationPlan {
        var messages: [OutboxMessage] = []
        var skipped: [String] = []
        var phrases: [Phrase] = []
        func skip(_ english: String, _ key: String, _ arguments: [String: String]) {
            skipped.append(english)
            phrases.append(Phrase(key, arguments))
        }
        for organisation in organisations where incident.organisations.contains(organisation.id) {
            guard incident.tlp <= organisation.tlpCeiling else {
                skip(
                    "\(organisation.name): the incident is \(incident.tlp.rawValue), above the organisation's ceiling \(organisation.tlpCeiling.rawValue)",
                    "timeline.skip_ceiling", ["organisation": organisation.name, "tlp": incident.tlp.rawValue, "ceiling": organisation.tlpCeiling.rawValue])
                continue
            }
            let withheld = events.filter { $0.organisations.contains(organisation.id) && Self.marking($0, incident) > organisation.tlpCeiling }.count
            if withheld > 0 {
                skip(
                    "\(organisation.name): \(withheld) events above the organisation's ceiling \(organisation.tlpCeiling.rawValue)",
                    "timeline.skip_events_ceiling", ["organisation": organisation.name, "count": String(withheld), "ceiling": organisation.tlpCeiling.rawValue])
            }
            let theirs = contacts.filter { $0.organisationID == organisation.id }
            if theirs.isEmpty { skip("\(organisation.name): no contact", "timeline.skip_no_contact", ["organisation": organisation.name]) }
            for contact in theirs {
                let policy = contact.policy
                guard policy.frequency == .immediate else {
                    skip(
                        "\(contact.email): wants a \(policy.frequency.rawValue) digest",
                        policy.frequency == .daily ? "timeline.skip_daily" : "timeline.skip_weekly", ["email": contact.email])
                    continue
                }
                guard incident.severity >= policy.minimumSeverity else {
                    skip(
                        "\(contact.email): only \(policy.minimumSeverity.rawValue) and above", "timeline.skip_severity",
                        ["email": contact.email, "severity": policy.minimumSeverity.rawValue])
                    continue
                }
                guard policy.classificationTypes.isEmpty || policy.classificationTypes.contains(incident.type) else {
                    skip("\(contact.email): not \(incident.type)", "timeline.skip_type", ["email": contact.email, "type": incident.type])
                    continue
                }
                let mine = Self.events(events, for: organisation, incident: incident)
                let text = NotificationText.make(
                    incident: incident, organisation: organisation, contact: contact, eventCount: mine.count, tag: tag, texts: texts)
                messages.append(
                    OutboxMessage(
                        incidentID: incident.id, organisationID: organisation.id, contactID: contact.id, recipient: contact.email,
                        language: text.language, subject: text.subject, body: text.body, attachmentName: "incident-\(incident.number)-events.csv",
                        attachment: EventsCSV.make(mine), createdAt: now))
            }
        }
        return NotificationPlan(messages: messages, skipped: skipped, skippedPhrases: phrases)
    }

    /// An event's marking: its own, else the incident's.
    static func marking(_ event: StoredEvent, _ incident: Incident) -> TLP {
        event.event["tlp"].flatMap { TLP(label: $0.description) } ?? incident.tlp
    }

    /// The events an organisation's notice carries: those routed to it, at or below its ceiling. Events
    /// routed to nobody, or to another organisation of the incident, are not theirs to read.
    public static func events(_ events: [StoredEvent], for organisation: Organisation, incident: Incident) -> [StoredEvent] {
        events.filter { $0.organisations.contains(organisation.id) && Self.marking($0, incident) <= organisation.tlpCeiling }
    }
}

/// The notice's words, from the `mail.notice` template of the contact's language (English when the
/// platform does not speak it).
public enum NotificationText {
    public static func make(
        incident: Incident, organisation: Organisation, contact: Contact, eventCount: Int, tag: String, texts: TextCatalogue
    ) -> (language: String, subject: String, body: String) {
        let language = texts.language(for: contact.language)
        let reference = "[\(tag) #\(incident.number)]"
        let mail = texts.mail(
            "mail.notice", language,
            [
                "reference": reference, "number": String(incident.number), "title": incident.title, "organisation": organisation.name,
                "taxonomy": incident.taxonomy, "type": incident.type, "severity": texts.text("severity.\(incident.severity.rawValue)", language),
                "tlp": incident.tlp.rawValue, "pap": incident.pap.rawValue, "events": String(eventCount),
                "tlp_note": texts.text("mail.tlp.\(incident.tlp.rawValue)", language),
            ])
        return (language.rawValue, mail.subject, mail.body)
    }
}

/// Events as CSV for a notice, spreadsheet-safe: a value starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return is prefixed with `'` so a spreadsheet does not run it as a formula (OWASP's list).
public enum EventsCSV {
    public static let columns = [
        "time.source", "classification.type", "source.ip", "source.port", "source.asn", "source.fqdn", "source.url", "destination.port",
        "protocol.application", "malware.name", "feed.name",
    ]

    public static func make(_ events: [StoredEvent]) -> String {
        var lines = [(Self.columns + ["count"]).joined(separator: ",")]
        for stored in events {
            let values = Self.columns.map { stored.event[$0]?.description ?? "" } + [String(stored.count)]
            lines.append(values.map(Self.cell).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public static func cell(_ text: String) -> String {
        let value = SpreadsheetCell.guarded(text)
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
