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

    public static func message(contact: Contact, organisation: Organisation, incidents: [Incident], tag: String, now: Date) -> OutboxMessage? {
        guard let first = incidents.first else { return nil }
        let spanish = contact.language.lowercased().hasPrefix("es")
        let daily = contact.policy.frequency == .daily
        let lines = incidents.map { "  #\($0.number)  \($0.title) — \($0.severity.rawValue), \($0.status.rawValue), \($0.tlp.rawValue), \($0.eventCount)" }
        let subject: String
        let body: String
        if spanish {
            subject = "[\(tag)] Resumen \(daily ? "diario" : "semanal"): \(incidents.count) incidente(s) de \(organisation.name)"
            body = """
                Estimado equipo de \(organisation.name):

                Estos incidentes que afectan a su organización se registraron desde el último resumen
                (número, título — severidad, estado, marcado, eventos):

                \(lines.joined(separator: "\n"))

                Para responder sobre uno de ellos, escriban conservando [\(tag) #número] en el asunto.
                La marca más restrictiva de la lista es \(incidents.map(\.tlp).max()?.rawValue ?? ""): trátese la lista entera así.
                """
        } else {
            subject = "[\(tag)] \(daily ? "Daily" : "Weekly") digest: \(incidents.count) incident(s) for \(organisation.name)"
            body = """
                Dear \(organisation.name) team,

                These incidents concerning your organisation were recorded since your last digest
                (number, title — severity, status, marking, events):

                \(lines.joined(separator: "\n"))

                To answer about one of them, write keeping [\(tag) #number] in the subject.
                The most restrictive marking in the list is \(incidents.map(\.tlp).max()?.rawValue ?? ""): treat the whole list so.
                """
        }
        var csv = ["number,created,type,severity,status,tlp,events"]
        for incident in incidents {
            csv.append(
                [String(incident.number), EventTime.format(incident.createdAt), incident.type, incident.severity.rawValue, incident.status.rawValue,
                 incident.tlp.rawValue, String(incident.eventCount)].map(EventsCSV.cell).joined(separator: ","))
        }
        return OutboxMessage(
            incidentID: first.id, organisationID: organisation.id, contactID: contact.id, recipient: contact.email, language: spanish ? "es" : "en",
            subject: subject, body: body, attachmentName: "\(daily ? "daily" : "weekly")-digest.csv", attachment: csv.joined(separator: "\r\n") + "\r\n",
            createdAt: now)
    }
}

extension IncidentService {
    /// Queues the digests that are due: for each contact on a daily or weekly policy whose period has
    /// passed since their last digest (or since they were first seen). A contact with nothing new gets
    /// no message, and their period starts again. Returns how many digests were queued.
    @discardableResult
    public func queueDigests(tag: String = "CIRT") async throws -> Int {
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
                    incidents = try await self.store.incidents(matching: IncidentQuery(organisation: organisation.id, limit: 10_000))
                }
                let listed = DigestPlanner.incidents(for: contact, organisation: organisation, among: incidents ?? [], since: since, until: now)
                let message = DigestPlanner.message(contact: contact, organisation: organisation, incidents: listed, tag: tag, now: now)
                let entries = listed.map {
                    TimelineEntry(
                        incidentID: $0.id, at: now, actor: Self.system, kind: .notification,
                        detail: "listed in the \(contact.policy.frequency.rawValue) digest to \(contact.email)")
                }
                try await self.store.enqueueDigest(message, contactID: contact.id, coveredUntil: now, timeline: entries)
                if message != nil { queued += 1 }
            }
        }
        return queued
    }
}
