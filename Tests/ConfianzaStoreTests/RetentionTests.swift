import ConfianzaCore
import ConfianzaFeeds
import ConfianzaTestSupport
import Foundation
import Testing

/// Retention on every backend: each class goes after its days, an incident's events stay as its
/// evidence, a dry run changes nothing and says what would go, and every run is recorded and audited.
@Suite struct RetentionTests {
    static let now = Date(timeIntervalSince1970: 1_730_000_000)  // 2024-10-27

    static func time(daysAgo: Int) -> String { EventTime.format(Self.now.addingTimeInterval(-Double(daysAgo) * 86400 - 3600)) }

    @Test(arguments: TestBackend.available)
    func eachClassGoesAfterItsDaysAndEvidenceStays(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, orgs) = try await IncidentTests.setUp(store)
            let old = Self.time(daysAgo: 200)
            let recent = Self.time(daysAgo: 10)
            // Old events: two of the hospital's (they become an incident), three of nobody's; recent ones of nobody's.
            let oldRun = try await IncidentTests.ingest(pipeline, [
                IncidentTests.line("198.51.100.1", "infected-system", old), IncidentTests.line("198.51.100.2", "infected-system", old),
                IncidentTests.line("203.0.113.1", "scanner", old), IncidentTests.line("203.0.113.2", "scanner", old),
                IncidentTests.line("203.0.113.3", "scanner", old), "not json",
            ], name: "old.jsonl")
            _ = try await IncidentTests.ingest(pipeline, [
                IncidentTests.line("203.0.113.4", "scanner", recent), IncidentTests.line("203.0.113.5", "scanner", recent), "not json either",
            ], name: "recent.jsonl")
            let incidents = IncidentService(store: store, now: { Self.now })
            let grouped = try await incidents.group(runID: oldRun.run, organisationNames: [orgs[0]: "Hospital", orgs[1]: "Bank"])
            #expect(grouped.joined == 2)
            let incident = try #require(try await store.incidents(matching: IncidentQuery()).first)

            // A notice sent 120 days ago and one sent yesterday.
            let contact = UUID()
            for (index, daysAgo) in [120, 1].enumerated() {
                let sentAt = Self.now.addingTimeInterval(-Double(daysAgo) * 86400)
                var message = OutboxMessage(
                    incidentID: incident.id, organisationID: orgs[0], contactID: contact, recipient: "soc\(index)@hospital.example", language: "en",
                    subject: "[CIRT #1] infected-system", body: "body \(index)", attachmentName: "events.csv", attachment: "a,b\n", createdAt: sentAt)
                try await store.enqueue([message], timeline: [])
                let pending = message
                message.state = .sent
                message.sentAt = sentAt
                #expect(try await store.updateOutbox(message, expected: pending.state, timeline: nil))
            }
            // The quarantine's age is its run's: make the old run's start old.
            let quarantineBefore = Self.now.addingTimeInterval(-30 * 86400)
            #expect(try await store.quarantined(runID: oldRun.run, limit: 10).count == 1)

            let service = RetentionService(store: store, policy: .standard, now: { Self.now })
            // Runs began now (the pipeline's clock): only events and mail are old enough; check the quarantine by its own cutoff below.
            let dry = try await service.run(dryRun: true, by: "root", address: "test")
            #expect(dry.counts == RetentionCounts(events: 3, quarantine: 0, mailBodies: 1, eventsKept: 2))
            #expect(try await store.eventCount() == 7, "a dry run changes nothing")

            let real = try await service.run(dryRun: false, by: nil, address: "cli")
            #expect(real.counts == dry.counts)
            #expect(try await store.eventCount() == 4)
            #expect(try await store.incidentEvents(incidentID: incident.id, limit: 10).count == 2, "the incident keeps its evidence")
            let mail = try await store.outboxMessages(incidentID: incident.id).sorted { $0.recipient < $1.recipient }
            #expect(mail.map(\.body) == ["", "body 1"])
            #expect(mail.map(\.attachment) == ["", "a,b\n"])
            #expect(mail[0].subject == "[CIRT #1] infected-system" && mail[0].sentAt != nil, "who, when and the subject stay")

            // Again: nothing more goes.
            #expect(try await service.run(dryRun: false, by: nil, address: "cli").counts == RetentionCounts(eventsKept: 2))

            // Quarantined lines go by their run's start.
            let later = RetentionService(store: store, policy: .standard, now: { Date().addingTimeInterval(31 * 86400) })
            #expect(quarantineBefore < Date())
            let counts = try await later.run(dryRun: false, by: nil, address: "cli")
            #expect(counts.counts.quarantine == 2)
            #expect(try await store.quarantined(runID: oldRun.run, limit: 10).isEmpty)
            #expect(try await store.ingestRun(id: oldRun.run)?.counts.quarantined == 1, "a run's counts stay as they were")

            let runs = try await store.retentionRuns(limit: 10)
            #expect(runs.count == 4 && runs.filter(\.dryRun).count == 1)
            #expect(runs.last?.policy == "events=180d,quarantine=30d,mail=90d")
            let audit = try await store.auditEntries(limit: 20, before: nil).filter { $0.event.action.rawValue.hasPrefix("retention.") }
            #expect(audit.count == 4)
            #expect(audit.last?.event.detail?.contains("events 3 (kept as evidence 2)") == true, "\(audit.map(\.event.detail))")
        }
    }

    @Test(arguments: TestBackend.available)
    func aClassKeptForGoodIsNotTouchedAndARunIsDueOnceADay(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, _) = try await IncidentTests.setUp(store)
            _ = try await IncidentTests.ingest(pipeline, [IncidentTests.line("203.0.113.1", "scanner", Self.time(daysAgo: 5000))], name: "a.jsonl")
            let keep = RetentionService(store: store, policy: try RetentionPolicy.parse("events=keep"), now: { Self.now })
            #expect(try await keep.isDue())
            #expect(try await keep.run(dryRun: false, by: nil, address: nil).counts.events == 0)
            #expect(try await store.eventCount() == 1)
            #expect(try await keep.isDue() == false)
            let tomorrow = RetentionService(store: store, policy: .standard, now: { Self.now.addingTimeInterval(23 * 3600 + 1) })
            #expect(try await tomorrow.isDue())
        }
    }

    @Test(arguments: [
        ("events=90d", "events=90d,quarantine=30d,mail=90d"), ("quarantine=7, mail=keep", "events=180d,quarantine=7d,mail=keep"),
        ("EVENTS=365d", "events=365d,quarantine=30d,mail=90d"),
    ])
    func policiesRead(text: String, expected: String) throws {
        #expect(try RetentionPolicy.parse(text).description == expected)
    }

    @Test(arguments: [
        ("", "give one or more"), ("events", "each part is CLASS=DAYS"), ("audit=30d", "each part is CLASS=DAYS"),
        ("events=0d", "from 1 to 36500"), ("events=-3", "from 1 to 36500"), ("events=ten", "from 1 to 36500"),
        ("events=30d,events=40d", "events is given twice"), ("events=99999999999999999999d", "from 1 to 36500"),
    ])
    func badPoliciesAreRefusedWithWhy(text: String, reason: String) {
        do {
            _ = try RetentionPolicy.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }
}
