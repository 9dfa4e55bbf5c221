import Foundation

/// Daily and weekly digests for contacts who do not want a message per incident: one message listing
/// the incidents of their organisation opened since their last digest, within their policy and never
/// above the organisation's TLP ceiling.
public enum DigestPlanner {
    public static func period(_ frequency: NotificationFrequency) -> TimeInterval? {
        switch frequency {
        case .immediate: nil
        case .daily: 86400
        case .weekly: 7 * 86400
        }
    }

    /// The incidents a contact's next digest lists.
    public static func incidents(for contact: Contact, organisation: Organisation, among incidents: [Incident], since: Date, until: Date) -> [Incident] {
        incidents.filter { incident in
            incident.organisations.contains(organisation.id) && incident.createdAt > since && incident.createdAt <= until
                && incident.severity >= contact.policy.minimumSeverity
                && (contact.policy.classificationTypes.isEmpty || contact.policy.classificationTypes.contains(incident.type))
                && incident.tlp <= organisation.tlpCeiling
        }.sorted { $0.number < $1.number }
    }

    /// The digest, from the `mail.digest` template of the contact's language.
    public static func message(
        contact: Contact, organisation: Organisation, incidents: [Incident], tag: String, texts: TextCatalogue, now: Date
    ) -> OutboxMessage? {
        guard let first = incidents.first else { return nil }
        let language = texts.language(for: contact.language)
        let daily = contact.policy.frequency == .daily
        let lines = incidents.map {
            texts.text(
                "mail.digest.line", language,
                [
                    "number": String($0.number), "title": $0.title, "severity": texts.text("severity.\($0.severity.rawValue)", language),
                    "status": texts.text("incident.status.\($0.status.rawValue)", language), "tlp": $0.tlp.rawValue, "events": String($0.eventCount),
                ])
        }
        let mail = texts.mail(
            "mail.digest", language,
            [
                "tag": tag, "period": texts.text(daily ? "mail.digest.daily" : "mail.digest.weekly", language), "count": String(incidents.count),
                "organisation": organisation.name, "incidents": lines.joined(separator: "\n"),
                "strictest": incidents.map(\.tlp).max()?.rawValue ?? "",
            ])
        var csv = ["number,created,type,severity,status,tlp,events"]
        for incident in incidents {
            csv.append(
                [String(incident.number), EventTime.format(incident.createdAt), incident.type, incident.severity.rawValue, incident.status.rawValue,
                 incident.tlp.rawValue, String(incident.eventCount)].map(EventsCSV.cell).joined(separator: ","))
        }
        return OutboxMessage(
            incidentID: first.id, organisationID: organisation.id, contactID: contact.id, recipient: contact.email, language: language.rawValue,
            subject: mail.subject, body: mail.body, attachmentName: "\(daily ? "daily" : "weekly")-digest.csv", attachment: csv.joined(separator: "\r\n") + "\r\n",
            createdAt: now)
    }
}

extension IncidentService {
    /// Queues the digests that are due: for each contact on a daily or weekly policy whose period has
    /// passed since their last digest (or since they were first seen), written from `texts`. A contact with nothing new gets
    /// no message, and their period starts again. Returns how many digests were queued.
    @discardableResult
    public func queueDigests(tag: String = "CIRT", texts: TextCatalogue) async throws -> Int {
        let now = self.now()
        var queued = 0
        // Most contacts want immediate notices: one query finds the others.
        let digestContacts = try await self.store.contacts(organisationID: nil).filter { $0.policy.frequency != .immediate }
        guard !digestContacts.isEmpty else { return 0 }
        let organisations = Dictionary(try await self.store.organisations().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for (organisationID, contacts) in Dictionary(grouping: digestContacts, by: \.organisationID).sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            guard let organisation = organisations[organisationID] else { continue }
            var incidents: [Incident]?
            for contact in contacts {
                guard let period = DigestPlanner.period(contact.policy.frequency) else { continue }
                // The first time a contact is seen, their first period starts: the digest comes when it ends.
                guard let since = try await self.store.digestCursor(contactID: contact.id) else {
                    try await self.store.enqueueDigest(nil, contactID: contact.id, coveredUntil: now, timeline: [])
                    continue
                }
                guard now.timeIntervalSince(since) >= period else { continue }
                if incidents == nil {
                    incidents = try await self.allIncidents(of: organisation.id)
                }
                let listed = DigestPlanner.incidents(for: contact, organisation: organisation, among: incidents ?? [], since: since, until: now)
                let message = DigestPlanner.message(contact: contact, organisation: organisation, incidents: listed, tag: tag, texts: texts, now: now)
                let entries = listed.map {
                    TimelineEntry(
                        incidentID: $0.id, at: now, actor: Self.system, kind: .notification,
                        detail: "listed in the \(contact.policy.frequency.rawValue) digest to \(contact.email)",
                        phrase: Phrase(contact.policy.frequency == .daily ? "timeline.digest_daily" : "timeline.digest_weekly", ["email": contact.email]))
                }
                try await self.store.enqueueDigest(message, contactID: contact.id, coveredUntil: now, timeline: entries)
                if message != nil { queued += 1 }
            }
        }
        return queued
    }

    /// Every incident of an organisation, read a page at a time: a digest lists all that are new, however many.
    func allIncidents(of organisation: UUID) async throws -> [Incident] {
        var all: [Incident] = []
        while true {
            let page = try await self.store.incidents(matching: IncidentQuery(organisation: organisation, limit: 1000, offset: all.count))
            all += page
            if page.count < 1000 { return all }
        }
    }
}
