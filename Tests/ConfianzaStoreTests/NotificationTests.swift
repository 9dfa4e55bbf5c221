import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Synchronization
import Testing

/// Notices: who gets them (policy, TLP ceiling), the outbox on every backend, retries, and no double
/// send when the sender stops between handing a message over and recording it.
@Suite struct NotificationTests {
    /// Records what "reached the server"; can fail before the commit point or stop after it.
    final class Transport: MailTransport {
        enum Mode: Sendable { case deliver, refuse, stopAfterCommit }
        let mode: Mutex<Mode>
        let delivered = Mutex<[MailMessage]>([])
        init(_ mode: Mode) { self.mode = Mutex(mode) }

        func send(_ message: MailMessage, commit: @Sendable () async throws -> Void) async throws {
            switch self.mode.withLock({ $0 }) {
            case .refuse: throw MailError("550 mailbox unavailable")
            case .deliver:
                try await commit()
                self.delivered.withLock { $0.append(message) }
            case .stopAfterCommit:
                try await commit()
                self.delivered.withLock { $0.append(message) }
                throw CancellationError()  // the connection dies before the server's answer is read
            }
        }
    }

    static func setUp(_ store: any Store, tlpCeiling: TLP = .amber) async throws -> (IncidentService, Incident) {
        let constituency = ConstituencyService(store: store)
        let hospital = try await constituency.createOrganisation(
            OrganisationDraft(name: "Hospital", sector: "health", country: "UY", kind: "public", tlpCeiling: tlpCeiling.rawValue))
        _ = try await constituency.addContact(
            organisationID: hospital.id, ContactDraft(name: "IT", email: "it@hospital.example", language: "es", role: "abuse"))
        _ = try await constituency.addContact(
            organisationID: hospital.id,
            ContactDraft(name: "CISO", email: "ciso@hospital.example", language: "en", role: "security", frequency: "daily"))
        _ = try await constituency.addContact(
            organisationID: hospital.id,
            ContactDraft(name: "Board", email: "board@hospital.example", language: "en", role: "management", minimumSeverity: "critical"))
        let service = IncidentService(store: store)
        let incident = try await service.create(
            .init(title: "Infected hosts", type: "infected-system", severity: .high, tlp: .amber, organisations: [hospital.id]), by: "ana")
        return (service, incident)
    }

    @Test(arguments: TestBackend.available)
    func onlyWhatThePoliciesAllowIsQueuedAndItIsSentOnce(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (service, incident) = try await Self.setUp(store)
            let plan = try await service.notify(incident.id, by: "ana", tag: "CERTuy", texts: TestTexts.catalogue)
            #expect(plan.messages.map(\.recipient) == ["it@hospital.example"])
            #expect(plan.messages.first?.subject == "[CERTuy #1] Infected hosts (TLP:AMBER)")
            #expect(plan.messages.first?.body.hasPrefix("Estimado equipo de Hospital") == true, "in the contact's language")
            #expect(plan.skipped.sorted() == ["board@hospital.example: only critical and above", "ciso@hospital.example: wants a daily digest"])

            let transport = Transport(.deliver)
            let sender = OutboxSender(store: store, transport: transport, from: "cert@cert.example", domain: "cert.example")
            #expect(try await sender.sendDue() == 1)
            #expect(try await sender.sendDue() == 0)
            let delivered = transport.delivered.withLock { $0 }
            #expect(delivered.count == 1)
            let data = try #require(delivered.first?.data)
            #expect(data.contains("To: it@hospital.example"))
            #expect(data.contains("Subject: [CERTuy #1] Infected hosts (TLP:AMBER)"))
            #expect(data.contains("name=\"incident-1-events.csv\""))
            #expect(try await store.outboxMessages(incidentID: incident.id).map(\.state) == [.sent])
            let timeline = try await store.timeline(incidentID: incident.id).filter { $0.kind == .notification }.map(\.detail)
            #expect(timeline.contains("notification queued to it@hospital.example (es)"))
            #expect(timeline.contains("notification sent to it@hospital.example"))
        }
    }

    /// A reply is filed only when it comes from an address a notice of the incident went to; any other
    /// is held for an analyst, who files or discards it (issue 12, item 6).
    @Test(arguments: TestBackend.available)
    func repliesFromAddressesNoNoticeWentToAreHeld(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (service, incident) = try await Self.setUp(store)
            _ = try await service.notify(incident.id, by: "ana", tag: "CERTuy", texts: TestTexts.catalogue)
            // Queued but not sent yet: nobody has been told, so nobody's reply is filed.
            #expect(try await service.addReply(incident.id, from: "it@hospital.example", subject: "RE", text: "early", by: "mail") != .filed)
            let sender = OutboxSender(store: store, transport: Transport(.deliver), from: "cert@cert.example", domain: "cert.example")
            _ = try await sender.sendDue()
            #expect(try await service.addReply(incident.id, from: "Mesa <IT@Hospital.example>", subject: "RE", text: "parcheado", by: "mail") == .filed)
            let forged = try await service.addReply(incident.id, from: "helpdesk@attacker.example", subject: "RE", text: "cierren", by: "mail")
            guard case .held(let heldID) = forged else {
                Issue.record("a reply from an address no notice went to was filed")
                return
            }
            let details = { try await store.timeline(incidentID: incident.id).filter { $0.kind == .reply }.map(\.detail) }
            #expect(try await details().contains { $0.contains("parcheado") })
            #expect(try await !details().contains { $0.contains("cierren") }, "held, not filed")
            #expect(try await store.heldReplies(incidentID: incident.id).map(\.sender).sorted() == ["helpdesk@attacker.example", "it@hospital.example"])
            try await service.decideHeldReply(heldID, file: false, by: "ana")
            #expect(try await details().contains("the held reply from helpdesk@attacker.example was discarded"))
            let early = try #require(try await store.heldReplies(incidentID: incident.id).first)
            try await service.decideHeldReply(early.id, file: true, by: "ana")
            #expect(try await details().contains { $0.contains("early") })
            #expect(try await store.heldReplies(incidentID: incident.id).isEmpty)
            await #expect(throws: IncidentError.self) { try await service.decideHeldReply(early.id, file: true, by: "ana") }
        }
    }

    @Test(arguments: TestBackend.available)
    func aStopAfterHandingOverNeverSendsTwice(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (service, incident) = try await Self.setUp(store)
            _ = try await service.notify(incident.id, by: "ana", texts: TestTexts.catalogue)
            let transport = Transport(.stopAfterCommit)
            let sender = OutboxSender(store: store, transport: transport, from: "cert@cert.example", domain: "cert.example")
            #expect(try await sender.sendDue() == 0)
            #expect(try await store.outboxMessages(incidentID: incident.id).map(\.state) == [.uncertain])
            transport.mode.withLock { $0 = .deliver }
            #expect(try await sender.sendDue() == 0, "an uncertain message is not sent again on its own")
            #expect(transport.delivered.withLock { $0.count } == 1)

            // A process killed after the commit point leaves the message `sending`: the next start marks it uncertain.
            _ = try await service.notify(incident.id, by: "ana", texts: TestTexts.catalogue)
            let pending = try #require(try await store.dueMessages(at: Date().addingTimeInterval(1), limit: 10).first)
            var sending = pending
            sending.state = .sending
            sending.attempts = 1
            #expect(try await store.updateOutbox(sending, expected: .pending, timeline: nil))
            #expect(try await sender.recover() == 1)
            #expect(try await sender.sendDue() == 0)
            #expect(transport.delivered.withLock { $0.count } == 1)
            #expect(try await store.timeline(incidentID: incident.id).contains { $0.detail.contains("uncertain (the sender stopped mid-send)") })

            // Someone who checked with the recipient decides to send it again: once more, on purpose.
            let uncertain = try #require(try await store.outboxMessages(state: .uncertain, limit: 10).first)
            try await service.resend(uncertain.id, of: incident.id, by: "ana")
            await #expect(throws: IncidentError.self) { try await service.resend(uncertain.id, of: incident.id, by: "ana") }
            #expect(try await sender.sendDue() == 1)
            #expect(transport.delivered.withLock { $0.count } == 2)
        }
    }

    /// Another process takes the message between our read and our claim: we send nothing and leave its
    /// state alone.
    @Test(arguments: TestBackend.available)
    func aMessageTakenByAnotherProcessIsLeftToIt(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (service, incident) = try await Self.setUp(store)
            _ = try await service.notify(incident.id, by: "ana", texts: TestTexts.catalogue)
            final class Racing: MailTransport {
                let store: any Store
                let delivered = Mutex(0)
                init(store: any Store) { self.store = store }
                func send(_ message: MailMessage, commit: @Sendable () async throws -> Void) async throws {
                    var taken = try await self.store.dueMessages(at: Date().addingTimeInterval(1), limit: 1)[0]
                    taken.state = .sending
                    _ = try await self.store.updateOutbox(taken, expected: .pending, timeline: nil)
                    try await commit()
                    self.delivered.withLock { $0 += 1 }
                }
            }
            let transport = Racing(store: store)
            let sender = OutboxSender(store: store, transport: transport, from: "cert@cert.example", domain: "cert.example")
            #expect(try await sender.sendDue() == 0)
            #expect(transport.delivered.withLock { $0 } == 0)
            let message = try #require(try await store.outboxMessages(incidentID: incident.id).first)
            #expect(message.state == .sending && message.attempts == 0, "the other process's claim stands")
        }
    }

    @Test(arguments: TestBackend.available)
    func aRefusedMessageIsRetriedWithBackoffThenGivenUp(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (service, incident) = try await Self.setUp(store)
            _ = try await service.notify(incident.id, by: "ana", texts: TestTexts.catalogue)
            let clock = Mutex(Date())
            let sender = OutboxSender(
                store: store, transport: Transport(.refuse), from: "cert@cert.example", domain: "cert.example", maxAttempts: 3,
                now: { clock.withLock { $0 } })
            #expect(try await sender.sendDue() == 0)
            var message = try #require(try await store.outboxMessages(incidentID: incident.id).first)
            #expect(message.state == .pending && message.attempts == 1)
            #expect(message.nextAttemptAt.timeIntervalSince(clock.withLock { $0 }) > 59)
            #expect(try await sender.sendDue() == 0, "not yet due")
            for _ in 0..<2 {
                clock.withLock { $0 = $0.addingTimeInterval(3600) }
                _ = try await sender.sendDue()
            }
            message = try #require(try await store.outboxMessages(incidentID: incident.id).first)
            #expect(message.state == .failed && message.attempts == 3)
            #expect(message.lastError?.contains("550") == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func nothingGoesAboveAnOrganisationsTLPCeiling(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (service, incident) = try await Self.setUp(store, tlpCeiling: .green)
            let plan = try await service.notify(incident.id, by: "ana", texts: TestTexts.catalogue)
            #expect(plan.messages.isEmpty)
            #expect(plan.skipped == ["Hospital: the incident is TLP:AMBER, above the organisation's ceiling TLP:GREEN"])
            #expect(try await store.outboxMessages(incidentID: incident.id).isEmpty)
        }
    }

    @Test func csvCellsCannotRunAsFormulas() {
        #expect(EventsCSV.cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(EventsCSV.cell("-1") == "'-1")
        #expect(EventsCSV.cell("a,b") == "\"a,b\"")
        #expect(EventsCSV.cell("192.0.2.1") == "192.0.2.1")
        // OWASP's list includes a leading tab and carriage return (issue 12, item 6).
        #expect(EventsCSV.cell("\t=1+1") == "'\t=1+1")
        #expect(EventsCSV.cell("\r=1+1") == "\"'\r=1+1\"")
    }
}

@Suite struct DigestTests {
    @Test(arguments: TestBackend.available)
    func digestContactsGetOneMessagePerPeriod(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
            let constituency = ConstituencyService(store: store)
            let bank = try await constituency.createOrganisation(OrganisationDraft(name: "Banco", sector: "finance", country: "UY", kind: "public"))
            _ = try await constituency.addContact(
                organisationID: bank.id, ContactDraft(name: "CISO", email: "ciso@banco.example", language: "es", role: "security", frequency: "daily"))
            _ = try await constituency.addContact(
                organisationID: bank.id,
                ContactDraft(name: "Board", email: "board@banco.example", language: "en", role: "management", frequency: "weekly", minimumSeverity: "high"))
            let service = IncidentService(store: store, now: { clock.withLock { $0 } })
            // Nothing yet: no message, but the period starts.
            #expect(try await service.queueDigests(tag: "CERTuy", texts: TestTexts.catalogue) == 0)
            clock.withLock { $0 = $0.addingTimeInterval(3600) }
            let phishing = try await service.create(.init(title: "Phishing", type: "phishing", severity: .high, tlp: .amber, organisations: [bank.id]), by: "ana")
            _ = try await service.create(.init(title: "Scan", type: "scanner", severity: .low, tlp: .amber, organisations: [bank.id]), by: "ana")
            _ = try await service.create(.init(title: "Secret", type: "phishing", severity: .high, tlp: .red, organisations: [bank.id]), by: "ana")
            #expect(try await service.queueDigests(tag: "CERTuy", texts: TestTexts.catalogue) == 0, "not a day yet")
            clock.withLock { $0 = $0.addingTimeInterval(86400) }
            #expect(try await service.queueDigests(tag: "CERTuy", texts: TestTexts.catalogue) == 1, "the daily contact's day has passed; the weekly one waits")
            let outbox = try await store.outboxMessages(incidentID: phishing.id)
            #expect(outbox.map(\.recipient) == ["ciso@banco.example"])
            let digest = try #require(outbox.first)
            #expect(digest.subject == "[CERTuy] Resumen diario: 2 incidente(s) de Banco")
            #expect(digest.body.contains("#1  Phishing") && digest.body.contains("#2  Scan") && !digest.body.contains("Secret"), "TLP:RED stays out")
            #expect(try await service.queueDigests(tag: "CERTuy", texts: TestTexts.catalogue) == 0, "never twice for the same period")
            clock.withLock { $0 = $0.addingTimeInterval(7 * 86400) }
            #expect(try await service.queueDigests(tag: "CERTuy", texts: TestTexts.catalogue) == 1, "the weekly contact: only high and above")
            let weekly = try await store.dueMessages(at: clock.withLock { $0 }, limit: 10).first { $0.recipient == "board@banco.example" }
            #expect(weekly?.body.contains("#1  Phishing") == true && weekly?.body.contains("Scan") == false)
            #expect(try await store.timeline(incidentID: phishing.id).contains { $0.detail == "listed in the daily digest to ciso@banco.example" })
        }
    }
}

/// A digest lists every new incident of the organisation, past any page size (read 1,000 at a time).
@Suite struct LargeDigestTests {
    @Test(arguments: TestBackend.available)
    func aDigestListsEveryNewIncident(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
            let constituency = ConstituencyService(store: store)
            let bank = try await constituency.createOrganisation(OrganisationDraft(name: "Banco", sector: "finance", country: "UY", kind: "public"))
            _ = try await constituency.addContact(
                organisationID: bank.id, ContactDraft(name: "CISO", email: "ciso@banco.example", language: "en", role: "security", frequency: "daily"))
            let service = IncidentService(store: store, now: { clock.withLock { $0 } })
            #expect(try await service.queueDigests(tag: "CERTuy", texts: TestTexts.catalogue) == 0, "the first period starts")
            let created = clock.withLock { $0 }.addingTimeInterval(3600)
            let incidents = (0..<10_050).map { index in
                Incident(
                    title: "Scan \(index)", taxonomy: "information-gathering", type: "scanner", severity: .low, tlp: .amber, organisations: [bank.id],
                    createdAt: created, triageDue: created, resolveDue: created)
            }
            _ = try await store.applyGrouping(newIncidents: incidents, links: [:], timeline: [])
            clock.withLock { $0 = $0.addingTimeInterval(86400) }
            #expect(try await service.queueDigests(tag: "CERTuy", texts: TestTexts.catalogue) == 1)
            let digest = try #require(try await store.dueMessages(at: clock.withLock { $0 }, limit: 10).first)
            #expect(digest.subject == "[CERTuy] Daily digest: 10050 incident(s) for Banco")
            #expect(digest.attachment.split(separator: "\r\n").count == 10_051, "a header and every incident (a page of 10,000 used to be read, and the rest left out without a word)")
        }
    }
}

/// Notices and digests are written from each language's mail templates: French as bundled, a language
/// the platform does not speak in English.
@Suite struct NoticeLanguageTests {
    @Test(arguments: TestBackend.available)
    func eachContactReadsTheirOwnLanguage(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let constituency = ConstituencyService(store: store)
            let agency = try await constituency.createOrganisation(
                OrganisationDraft(name: "ADIE", sector: "government", country: "SN", kind: "public"))
            for (email, language) in [("fr@adie.example", "fr"), ("sw@adie.example", "sw"), ("en@adie.example", "en")] {
                _ = try await constituency.addContact(organisationID: agency.id, ContactDraft(name: email, email: email, language: language, role: "abuse"))
            }
            let service = IncidentService(store: store)
            let incident = try await service.create(
                .init(title: "Serveurs DNS ouverts", type: "vulnerable-system", severity: .medium, tlp: .green, organisations: [agency.id]), by: "awa")
            let plan = try await service.notify(incident.id, by: "awa", tag: "CERTsn", texts: TestTexts.catalogue)
            let byRecipient = Dictionary(uniqueKeysWithValues: plan.messages.map { ($0.recipient, $0) })
            let french = try #require(byRecipient["fr@adie.example"])
            #expect(french.language == "fr")
            #expect(french.subject == "[CERTsn #1] Serveurs DNS ouverts (TLP:GREEN)")
            #expect(french.body.hasPrefix("Chère équipe de ADIE,\n\nNous avons enregistré un incident"))
            #expect(french.body.contains("  Gravité :         moyenne\n"))
            #expect(french.body.contains("TLP:GREEN : à partager au sein de votre communauté, pas publiquement."))
            #expect(!french.body.contains("{"), "every placeholder is filled")
            #expect(byRecipient["sw@adie.example"]?.language == "en", "a language not spoken here falls back to English")
            #expect(byRecipient["sw@adie.example"]?.body.hasPrefix("Dear ADIE team,") == true)
            #expect(try await store.timeline(incidentID: incident.id).contains { $0.detail == "notification queued to fr@adie.example (fr)" })
        }
    }

    @Test func aFrenchDigestListsTheIncidentsInFrench() {
        let agency = Organisation(name: "ADIE", sector: .government, country: "SN", kind: .public, createdAt: Date())
        let contact = Contact(
            organisationID: agency.id, name: "SOC", email: "soc@adie.example", language: "fr", role: .security,
            policy: NotificationPolicy(frequency: .weekly))
        let incident = Incident(
            number: 4, title: "Hameçonnage", taxonomy: "fraud", type: "phishing", severity: .high, tlp: .amber, organisations: [agency.id],
            status: .triaged, createdAt: Date(), triageDue: Date(), resolveDue: Date(), eventCount: 12)
        let message = DigestPlanner.message(contact: contact, organisation: agency, incidents: [incident], tag: "CERTsn", texts: TestTexts.catalogue, now: Date())
        #expect(message?.subject == "[CERTsn] Récapitulatif hebdomadaire : 1 incident(s) pour ADIE")
        #expect(message?.body.contains("  #4  Hameçonnage — élevée, trié, TLP:AMBER, 12\n") == true)
        #expect(message?.body.contains("Le marquage le plus restrictif de la liste est TLP:AMBER") == true)
        #expect(message?.language == "fr")
    }
}
