import ConfianzaCore
import ConfianzaFeeds
import ConfianzaSTIX
import ConfianzaTestSupport
import Foundation
import Testing

/// Incidents on every backend: grouping from a run's events, the lifecycle and its timeline, tasks.
@Suite struct IncidentTests {
    /// 2024-05-01 10:40 UTC.
    static func clock() -> TestClock { TestClock(start: Date(timeIntervalSince1970: 1_714_560_000)) }

    static func setUp(_ store: any Store) async throws -> (IngestPipeline, [UUID]) {
        let constituency = ConstituencyService(store: store)
        let hospital = try await constituency.createOrganisation(OrganisationDraft(name: "Hospital", sector: "health", country: "UY", kind: "public"))
        _ = try await constituency.addAsset(organisationID: hospital.id, kind: "prefix", value: "198.51.100.0/25")
        let bank = try await constituency.createOrganisation(OrganisationDraft(name: "Bank", sector: "finance", country: "UY", kind: "private"))
        _ = try await constituency.addAsset(organisationID: bank.id, kind: "prefix", value: "198.51.100.128/25")
        let accounts = AccountService(store: store, hasher: BcryptHasher(cost: 4))
        _ = try await accounts.createUser(username: "ana", role: .analyst, password: "correct horse battery", by: .console, address: "test")
        _ = try await accounts.createUser(username: "vera", role: .viewer, password: "correct horse battery", by: .console, address: "test")
        return (IngestPipeline(store: store, constituency: constituency, mapping: try ShadowserverMapping.bundled()), [hospital.id, bank.id])
    }

    static func line(_ ip: String, _ type: String, _ time: String, severity: String = "medium") -> String {
        #"{"source.ip":"\#(ip)","classification.type":"\#(type)","time.source":"\#(time)","severity":"\#(severity)","feed.name":"F"}"#
    }

    static func ingest(_ pipeline: IngestPipeline, _ lines: [String], name: String) async throws -> IngestSummary {
        let text = lines.joined(separator: "\n") + "\n"
        return try await pipeline.ingest(fileName: name, format: .intelmq, source: "test", open: { MemoryChunks(Array(text.utf8)) })
    }

    /// Several ingest processes group at once (one PostgreSQL, several servers): each group gets one
    /// incident, numbers stay distinct, and every event joins exactly one incident.
    @Test(arguments: TestBackend.available)
    func groupingAtOnceOpensOneIncidentPerGroup(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, orgs) = try await Self.setUp(store)
            var runs: [UUID] = []
            for file in 0..<4 {
                var lines: [String] = []
                for i in 0..<30 {
                    let ip = i % 2 == 0 ? "198.51.100.\(file * 30 + i % 100 + 1)" : "198.51.100.\(128 + (file * 30 + i) % 100)"
                    lines.append(Self.line(ip, i % 3 == 0 ? "phishing" : "infected-system", "2024-05-01T0\(i % 5):00:00Z"))
                }
                runs.append(try await Self.ingest(pipeline, lines, name: "\(file).jsonl").run)
            }
            let names = [orgs[0]: "Hospital", orgs[1]: "Bank"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for run in runs {
                    group.addTask { _ = try await IncidentService(store: store).group(runID: run, organisationNames: names, pageSize: 7) }
                }
                try await group.waitForAll()
            }
            let incidents = try await store.incidents(matching: IncidentQuery())
            #expect(incidents.count == 4, "hospital and bank, phishing and infected-system: \(incidents.map(\.title))")
            #expect(Set(incidents.map(\.number)) == [1, 2, 3, 4])
            #expect(incidents.map(\.eventCount).reduce(0, +) == (try await store.eventCount()), "every event in one incident")
        }
    }

    @Test(arguments: TestBackend.available)
    func eventsAreGroupedPerOrganisationTypeAndDay(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, orgs) = try await Self.setUp(store)
            let clock = Self.clock()
            let service = IncidentService(store: store, now: { clock.now })
            let first = try await Self.ingest(pipeline, [
                Self.line("198.51.100.1", "infected-system", "2024-05-01T01:00:00Z", severity: "high"),
                Self.line("198.51.100.2", "infected-system", "2024-05-01T02:00:00Z", severity: "critical"),
                Self.line("198.51.100.3", "phishing", "2024-05-01T03:00:00Z"),
                Self.line("198.51.100.200", "infected-system", "2024-05-01T04:00:00Z"),
                Self.line("198.51.100.4", "infected-system", "2024-05-02T01:00:00Z"),
                Self.line("203.0.113.9", "infected-system", "2024-05-01T01:00:00Z"),  // nobody's: no incident
            ], name: "a.jsonl")
            let grouped = try await service.group(runID: first.run, organisationNames: [orgs[0]: "Hospital", orgs[1]: "Bank"])
            #expect(grouped.opened == 4)
            #expect(grouped.joined == 5)
            let all = try await store.incidents(matching: IncidentQuery())
            let hospitalInfected = try #require(all.first { $0.title == "infected-system at Hospital" && $0.eventCount == 2 })
            #expect(hospitalInfected.severity == .critical, "the most severe of its events")
            #expect(hospitalInfected.organisations == [orgs[0]])
            #expect(hospitalInfected.status == .new)
            #expect(hospitalInfected.triageDue == clock.now.addingTimeInterval(3600))
            #expect(Set(all.map(\.number)) == [1, 2, 3, 4])
            var byDue = IncidentQuery()
            byDue.order = .due
            let due = try await store.incidents(matching: byDue).map(IncidentQuery.nextDue)
            #expect(due == due.sorted() && due.first == hospitalInfected.triageDue, "the critical incident is due first")

            // Grouping again changes nothing; a later run's event of the same group joins the open incident.
            #expect(try await service.group(runID: first.run) == (0, 0))
            let second = try await Self.ingest(pipeline, [Self.line("198.51.100.9", "infected-system", "2024-05-01T09:00:00Z")], name: "b.jsonl")
            #expect(try await service.group(runID: second.run) == (0, 1))
            #expect(try await store.incident(id: hospitalInfected.id)?.eventCount == 3)
            #expect(try await store.incidentEvents(incidentID: hospitalInfected.id, limit: 10).count == 3)

            // Once resolved, the same group opens a new incident.
            try await service.move(hospitalInfected.id, to: .triaged, by: "ana")
            try await service.move(hospitalInfected.id, to: .resolved, by: "ana")
            let third = try await Self.ingest(pipeline, [Self.line("198.51.100.10", "infected-system", "2024-05-01T10:00:00Z")], name: "c.jsonl")
            #expect(try await service.group(runID: third.run) == (1, 1))
        }
    }

    @Test(arguments: TestBackend.available)
    func theLifecycleIsRecordedAndForbiddenMovesRefused(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (_, orgs) = try await Self.setUp(store)
            let clock = Self.clock()
            let service = IncidentService(store: store, now: { clock.now })
            let incident = try await service.create(
                .init(title: "Defacement of the ministry site", type: "application-compromise", severity: .high, tlp: .amberStrict, organisations: [orgs[0]]),
                by: "ana")
            #expect(incident.taxonomy == "intrusions")
            #expect(incident.number == 1)
            await #expect(throws: IncidentError.transition(from: .new, to: .resolved)) { try await service.move(incident.id, to: .resolved, by: "ana") }
            await #expect(throws: IncidentError.invalid(field: "assignee", reason: "'vera' is a viewer; assign an analyst")) {
                try await service.assign(incident.id, to: "vera", by: "ana")
            }
            await #expect(throws: IncidentError.invalid(field: "assignee", reason: "'nobody' is not an active user")) {
                try await service.assign(incident.id, to: "nobody", by: "ana")
            }
            clock.advance(600)
            try await service.assign(incident.id, to: "ana", by: "ana")
            try await service.move(incident.id, to: .triaged, by: "ana", note: "Confirmed with the site's owner.")
            try await service.setSeverity(incident.id, .critical, by: "ana")
            let task = try await service.addTask(incident.id, title: "Ask for the web server logs", assignee: "ana", by: "ana")
            try await service.setTask(task.id, done: true, by: "ana")
            try await service.move(incident.id, to: .inProgress, by: "ana")
            try await service.move(incident.id, to: .waiting, by: "ana")
            try await service.move(incident.id, to: .resolved, by: "ana")
            try await service.move(incident.id, to: .closed, by: "ana")
            try await service.move(incident.id, to: .inProgress, by: "ana", note: "Defaced again.")
            let reopened = try #require(try await store.incident(id: incident.id))
            #expect(reopened.status == .inProgress && reopened.closedAt == nil && reopened.resolvedAt == nil)
            #expect(reopened.triagedAt == incident.createdAt.addingTimeInterval(600))
            #expect(reopened.resolveDue == incident.createdAt.addingTimeInterval(86400), "critical: due dates follow the new severity")
            #expect(try await store.tasks(incidentID: incident.id).map(\.done) == [true])
            let timeline = try await store.timeline(incidentID: incident.id)
            #expect(timeline.map(\.kind) == [.created, .assignee, .status, .note, .severity, .task, .task, .status, .status, .status, .status, .status, .note])
            #expect(timeline.map(\.detail).contains("new → triaged"))
            #expect(timeline.allSatisfy { $0.actor == "ana" })
            #expect(timeline.map(\.sequence) == timeline.map(\.sequence).sorted())
            #expect(try await store.incidents(matching: IncidentQuery(statuses: [.inProgress], assignee: "ana")).map(\.id) == [incident.id])
            #expect(try await store.incidents(matching: IncidentQuery(statuses: [.new])).isEmpty)
            await #expect(throws: IncidentError.invalid(field: "type", reason: "'nonsense' is not an RSIT classification type")) {
                try await service.create(.init(title: "x", type: "nonsense", severity: .low), by: "ana")
            }
        }
    }
}

@Suite struct PeerTests {
    @Test(arguments: TestBackend.available)
    func sharingKeepsToTheMarkingsAndIsRecorded(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let service = IncidentService(store: store)
            let peer = try await service.savePeer(
                PeerDraft(name: "CERT.br", country: "br", contact: "cert@cert.br", tlpCeiling: "TLP:AMBER", taxiiURL: "https://taxii.cert.br/api1/",
                          taxiiSecret: "s3cret"))
            #expect(peer.country == "BR" && peer.taxiiSecret == "s3cret")
            await #expect(throws: StoreError.duplicate(field: "name", value: "cert.br")) {
                try await service.savePeer(PeerDraft(name: "cert.br", country: "BR", contact: "x@cert.br"))
            }
            await #expect(throws: IncidentError.invalid(field: "taxiiURL", reason: "must be the peer's TAXII API root, https://…")) {
                try await service.savePeer(PeerDraft(name: "X", country: "AR", contact: "x@x.ar", taxiiURL: "ftp://x"))
            }
            // Issue 12, item 6: a peer's TAXII server is reached over TLS, plain HTTP only on this machine.
            await #expect(throws: IncidentError.invalid(field: "taxiiURL", reason: "must use https:// (plain http only to this machine)")) {
                try await service.savePeer(PeerDraft(name: "Y", country: "AR", contact: "y@y.ar", taxiiURL: "http://taxii.y.ar/api1/"))
            }
            #expect(try await service.savePeer(PeerDraft(name: "Local", country: "AR", contact: "l@l.ar", taxiiURL: "http://127.0.0.1:9000/api1/")).taxiiURL != nil)
            let kept = try await service.savePeer(PeerDraft(name: "CERT.br", country: "BR", contact: "cert@cert.br", tlpCeiling: "amber"), existing: peer)
            #expect(kept.taxiiSecret == "s3cret", "an empty credential keeps the one recorded")
            // Peer changes are audited, with what changed and never the credential itself (issue 12, item 6).
            _ = try await service.savePeer(
                PeerDraft(name: "CERT.br", country: "BR", contact: "soc@cert.br", tlpCeiling: "TLP:AMBER", taxiiSecret: "n3w"), existing: kept, by: "ana",
                address: "192.0.2.7")
            let peerEntries = try await store.auditEntries(limit: 20, before: nil).filter { $0.event.action == .peerAdded || $0.event.action == .peerChanged }
            #expect(peerEntries.count == 4)
            let last = try #require(peerEntries.first?.event)
            #expect(last.action == .peerChanged && last.actor == "ana" && last.address == "192.0.2.7")
            #expect(last.detail == "contact: cert@cert.br -> soc@cert.br; credential set")
            #expect(peerEntries[1].event.detail == "taxiiURL: https://taxii.cert.br/api1/ -> (none)")
            #expect(!peerEntries.contains { ($0.event.detail ?? "").contains("s3cret") || ($0.event.detail ?? "").contains("n3w") })
            let incident = try await service.create(.init(title: "Botnet C2", type: "c2-server", severity: .high, tlp: .green), by: "ana")
            await #expect(throws: IncidentError.invalid(field: "tlp", reason: "CERT.br may receive up to TLP:AMBER, not TLP:RED")) {
                try await service.share(incident.id, with: peer.id, tlp: .red, by: "ana")
            }
            await #expect(throws: IncidentError.invalid(field: "tlp", reason: "the incident is TLP:GREEN: it cannot be shared under a looser marking (TLP:CLEAR)")) {
                try await service.share(incident.id, with: peer.id, tlp: .clear, by: "ana")
            }
            _ = try await service.share(incident.id, with: peer.id, tlp: .amber, by: "ana", address: "192.0.2.9")
            #expect(try await store.shares(incidentID: incident.id).map(\.tlp) == [.amber])
            #expect(try await store.timeline(incidentID: incident.id).last?.detail == "shared with CERT.br (BR) at TLP:AMBER")
            let audit = try await store.auditEntries(limit: 5, before: nil).first
            #expect(audit?.event.action == .incidentShared && audit?.event.detail == "with CERT.br at TLP:AMBER")
            #expect(try await store.peers().map(\.name) == ["CERT.br", "Local"])
        }
    }
}

/// What leaves for a peer is what the analyst chose: the bundle is written at the lowest of the marking
/// chosen, the peer's ceiling and TLP:AMBER+STRICT (issue 12, item 3).
@Suite struct ShareContentTests {
    @Test(arguments: TestBackend.available)
    func theBundleKeepsToTheMarkingChosen(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, _) = try await IncidentTests.setUp(store)
            func marked(_ ip: String, _ tlp: String) -> String {
                #"{"source.ip":"\#(ip)","classification.type":"c2-server","time.source":"2024-05-01T10:00:00+00:00","feed.name":"F","tlp":"\#(tlp)"}"#
            }
            _ = try await IncidentTests.ingest(
                pipeline, [marked("198.51.100.10", "TLP:GREEN"), marked("198.51.100.11", "TLP:AMBER"), marked("198.51.100.12", "TLP:RED")],
                name: "marked.jsonl")
            let events = try await store.latestEvents(limit: 10).map(\.id)
            #expect(events.count == 3)
            let service = IncidentService(store: store)
            let created = try await service.create(.init(title: "Botnet C2", type: "c2-server", severity: .high, tlp: .green), events: events, by: "ana")
            #expect(created.tlp == .red, "raised to its strictest event")
            // Lowered on purpose by an analyst: each event still keeps its own marking in what is shared.
            let incident = try await service.setTLP(created.id, .green, by: "ana")
            let peer = try await service.savePeer(PeerDraft(name: "CERT.br", country: "BR", contact: "cert@cert.br", tlpCeiling: "TLP:RED"))
            let sharing = IncidentSharing(store: store, incidents: service, producer: "CERTuy")
            let green = try await sharing.share(incident, with: peer.id, tlp: .green, by: "ana", address: "192.0.2.9")
            #expect(green.content.contains("198.51.100.10"))
            #expect(!green.content.contains("198.51.100.11"), "shared at GREEN: nothing AMBER leaves, though the peer may receive more")
            #expect(!green.content.contains("TLP:AMBER") && !green.content.contains("198.51.100.12"))
            let red = try await sharing.share(incident, with: peer.id, tlp: .red, by: "ana", address: "192.0.2.9")
            #expect(red.content.contains("198.51.100.11"))
            #expect(!red.content.contains("198.51.100.12"), "no TLP:RED object ever goes to a peer's tools")
            let shared = try await store.timeline(incidentID: incident.id).filter { $0.kind == .share }.map(\.detail)
            #expect(shared == ["shared with CERT.br (BR) at TLP:GREEN", "shared with CERT.br (BR) at TLP:RED"], "the timeline says what was chosen")
        }
    }
}

/// Notices respect each event's marking (issue 12, item 2): an organisation's notice carries only the
/// events routed to it at or below its ceiling, and an incident's marking rises when a stricter event joins.
@Suite struct NoticeMarkingTests {
    static func marked(_ ip: String, _ tlp: String, time: String = "2024-05-01T10:00:00+00:00") -> String {
        #"{"source.ip":"\#(ip)","classification.type":"c2-server","time.source":"\#(time)","feed.name":"F","tlp":"\#(tlp)"}"#
    }

    @Test(arguments: TestBackend.available)
    func aNoticeCarriesOnlyTheOrganisationsEventsWithinItsCeiling(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, orgs) = try await IncidentTests.setUp(store)
            let constituency = pipeline.constituency
            _ = try await constituency.addContact(organisationID: orgs[0], ContactDraft(name: "IT", email: "it@hospital.example", language: "en", role: "abuse"))
            _ = try await constituency.addContact(organisationID: orgs[1], ContactDraft(name: "SOC", email: "soc@bank.example", language: "en", role: "abuse"))
            _ = try await IncidentTests.ingest(
                pipeline,
                [Self.marked("198.51.100.10", "TLP:GREEN"), Self.marked("198.51.100.11", "TLP:RED"), Self.marked("198.51.100.200", "TLP:GREEN"),
                 Self.marked("203.0.113.5", "TLP:GREEN")],
                name: "marked.jsonl")
            let events = try await store.latestEvents(limit: 10).map(\.id)
            let service = IncidentService(store: store)
            let created = try await service.create(
                .init(title: "C2 traffic", type: "c2-server", severity: .high, tlp: .green, organisations: orgs), events: events, by: "ana")
            #expect(created.tlp == .red, "the strictest of the events given raises the marking chosen")
            #expect(try await service.notify(created.id, by: "ana", texts: TestTexts.catalogue).messages.isEmpty, "a RED incident goes to no AMBER organisation")
            // An analyst lowers it on purpose: the RED event still stays out of every notice.
            let incident = try await service.setTLP(created.id, .green, by: "ana")
            let plan = try await service.notify(incident.id, by: "ana", texts: TestTexts.catalogue)
            let hospital = try #require(plan.messages.first { $0.recipient == "it@hospital.example" })
            #expect(hospital.attachment.contains("198.51.100.10"))
            #expect(!hospital.attachment.contains("198.51.100.11"), "a TLP:RED event does not go to an AMBER-ceiling organisation")
            #expect(!hospital.attachment.contains("198.51.100.200"), "the bank's event is not the hospital's to read")
            #expect(!hospital.attachment.contains("203.0.113.5"), "an event routed to nobody goes to nobody")
            let bank = try #require(plan.messages.first { $0.recipient == "soc@bank.example" })
            #expect(bank.attachment.contains("198.51.100.200") && !bank.attachment.contains("198.51.100.10"))
            #expect(plan.skipped.contains("Hospital: 1 events above the organisation's ceiling TLP:AMBER"))
        }
    }

    @Test(arguments: TestBackend.available)
    func aStricterEventRaisesTheIncidentsMarking(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, _) = try await IncidentTests.setUp(store)
            let service = IncidentService(store: store)
            let first = try await IncidentTests.ingest(pipeline, [Self.marked("198.51.100.10", "TLP:GREEN")], name: "first.jsonl")
            try await service.group(runID: first.run)
            let incident = try #require(try await store.incidents(matching: IncidentQuery()).first)
            #expect(incident.tlp == .green)
            let second = try await IncidentTests.ingest(
                pipeline, [Self.marked("198.51.100.12", "TLP:AMBER+STRICT", time: "2024-05-01T11:00:00+00:00")], name: "second.jsonl")
            try await service.group(runID: second.run)
            let raised = try #require(try await store.incident(id: incident.id))
            #expect(raised.eventCount == 2)
            #expect(raised.tlp == .amberStrict)
            #expect(try await store.timeline(incidentID: incident.id).last?.detail == "TLP:GREEN → TLP:AMBER+STRICT (a stricter event joined)")
            // Events added by hand raise it too.
            let third = try await IncidentTests.ingest(
                pipeline, [Self.marked("198.51.100.13", "TLP:RED", time: "2024-05-03T11:00:00+00:00")], name: "third.jsonl")
            let red = try await store.events(matching: EventQuery(limit: 10)).filter { $0.runID == third.run }.map(\.id)
            #expect(try await service.addEvents(red, to: incident.id, by: "ana") == 1)
            #expect(try await store.incident(id: incident.id)?.tlp == .red)
        }
    }
}

@Suite struct MergeSplitTests {
    @Test(arguments: TestBackend.available)
    func incidentsMergeAndSplitKeepingEveryEvent(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, orgs) = try await IncidentTests.setUp(store)
            let service = IncidentService(store: store)
            let run = try await IncidentTests.ingest(pipeline, [
                IncidentTests.line("198.51.100.1", "infected-system", "2024-05-01T01:00:00Z"),
                IncidentTests.line("198.51.100.2", "infected-system", "2024-05-01T02:00:00Z"),
                IncidentTests.line("198.51.100.3", "brute-force", "2024-05-01T03:00:00Z"),
                IncidentTests.line("198.51.100.200", "brute-force", "2024-05-01T03:00:00Z"),
            ], name: "m.jsonl")
            try await service.group(runID: run.run)
            // The incident with two events first (numbers follow the order events were stored in, which is not the file's).
            let all = try await store.incidents(matching: IncidentQuery()).sorted { ($0.eventCount, -$0.number) > ($1.eventCount, -$1.number) }
            #expect(all.map(\.eventCount) == [2, 1, 1])
            let merged = try await service.merge([all[1].id, all[2].id], into: all[0].id, by: "ana")
            #expect(merged.eventCount == 4)
            #expect(Set(merged.organisations) == Set(orgs))
            #expect(try await store.incident(id: all[1].id)?.status == .closed)
            #expect(try await store.incident(id: all[1].id)?.eventCount == 0)
            await #expect(throws: IncidentError.invalid(field: "into", reason: "an incident cannot be merged into itself")) {
                try await service.merge([all[0].id], into: all[0].id, by: "ana")
            }
            await #expect(throws: IncidentError.invalid(field: "into", reason: "#\(all[1].number) is closed: merge into an open incident")) {
                try await service.merge([all[0].id], into: all[1].id, by: "ana")
            }
            let events = try await store.incidentEvents(incidentID: all[0].id, limit: 10).map(\.id).sorted()
            let split = try await service.split(Array(events.prefix(2)), from: all[0].id, title: "The two first hosts", by: "ana")
            #expect(split.eventCount == 2)
            #expect(try await store.incident(id: all[0].id)?.eventCount == 2)
            await #expect(throws: IncidentError.invalid(field: "events", reason: "event 999999 is not in #\(all[0].number)")) {
                try await service.split([999_999], from: all[0].id, title: "x", by: "ana")
            }
            let remaining = try await store.incidentEvents(incidentID: all[0].id, limit: 10).map(\.id)
            await #expect(throws: IncidentError.self) { try await service.split(remaining, from: all[0].id, title: "all", by: "ana") }
            #expect(try await store.timeline(incidentID: all[0].id).contains { $0.detail == "events split out to #\(split.number)" })
            #expect(try await store.incidents(matching: IncidentQuery()).count == 4, "no empty incident was left by a refused split")

            try await service.link(all[0].id, to: split.id, by: "ana")
            try await service.link(split.id, to: all[0].id, by: "ana")  // already linked: nothing more
            #expect(try await store.linkedIncidents(all[0].id).map(\.id) == [split.id])
            #expect(try await store.linkedIncidents(split.id).map(\.id) == [all[0].id])
            #expect(try await store.timeline(incidentID: split.id).filter { $0.detail == "linked to #\(all[0].number)" }.count == 1)
            await #expect(throws: IncidentError.invalid(field: "to", reason: "an incident cannot be linked to itself")) {
                try await service.link(split.id, to: split.id, by: "ana")
            }
        }
    }
}

@Suite struct IndicatorMatchingTests {
    static func indicator(_ id: String, address: String, revoked: Bool = false, validUntil: Date? = nil, tlp: TLP = .amber) -> Indicator {
        Indicator(
            id: id, version: "2024-02-01T00:00:00.000Z", name: "C2 \(address)", pattern: "[ipv4-addr:value = '\(address)']", patternType: "stix",
            address: address, validFrom: Date(timeIntervalSince1970: 0), validUntil: validUntil, revoked: revoked, tlp: tlp, source: "CERT.br",
            importedAt: Date())
    }

    /// Indicators on a domain name or a URL match events' `source.fqdn` (in any case, a final dot
    /// ignored) and `source.url` (exactly); a more complex pattern is kept but matches nothing.
    @Test(arguments: TestBackend.available)
    func domainAndURLIndicatorsMatchTheirEvents(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, _) = try await IncidentTests.setUp(store)
            let withIncidents = IngestPipeline(
                store: store, constituency: pipeline.constituency, mapping: pipeline.mapping, incidents: IncidentService(store: store))
            let bundle = """
                {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": [
                 {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-00000000000d", "created": "2024-01-01T00:00:00Z",
                  "modified": "2024-01-01T00:00:00Z", "name": "Phishing domain", "pattern": "[domain-name:value = 'Login-Bank.example.']",
                  "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
                 {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-00000000000e", "created": "2024-01-01T00:00:00Z",
                  "modified": "2024-01-01T00:00:00Z", "name": "Kit URL", "pattern": "[url:value = 'http://198.51.100.9/kit/it\\\\'s.php']",
                  "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
                 {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-00000000000f", "created": "2024-01-01T00:00:00Z",
                  "modified": "2024-01-01T00:00:00Z", "name": "Two names", "pattern": "[domain-name:value = 'a.example' OR domain-name:value = 'b.example']",
                  "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}]}
                """
            let read = try STIXImporter.indicators(from: bundle, source: "CERT.br", now: Date())
            #expect(read.indicators.map(\.domain) == ["login-bank.example", nil, nil])
            #expect(read.indicators.map(\.url) == [nil, "http://198.51.100.9/kit/it's.php", nil])
            _ = try await store.upsertIndicators(read.indicators)
            #expect(try await store.indicator(id: "indicator--00000000-0000-4000-8000-00000000000d")?.domain == "login-bank.example")
            let lines = [
                #"{"source.ip":"198.51.100.5","source.fqdn":"LOGIN-BANK.example","classification.type":"phishing","time.source":"2024-05-01T01:00:00Z","feed.name":"F"}"#,
                #"{"source.ip":"198.51.100.9","source.url":"http://198.51.100.9/kit/it's.php","classification.type":"phishing","time.source":"2024-05-01T02:00:00Z","feed.name":"F"}"#,
                #"{"source.ip":"198.51.100.10","source.fqdn":"a.example","classification.type":"phishing","time.source":"2024-05-01T03:00:00Z","feed.name":"F"}"#,
            ]
            _ = try await IncidentTests.ingest(withIncidents, lines, name: "names.jsonl")
            let titles = Set(try await store.incidents(matching: IncidentQuery()).map(\.title))
            #expect(titles.isSuperset(of: ["Indicator seen: Phishing domain", "Indicator seen: Kit URL"]))
            #expect(!titles.contains("Indicator seen: Two names"))
            let counts = try await store.sightingCounts(indicatorIDs: read.indicators.map(\.id))
            #expect(counts == ["indicator--00000000-0000-4000-8000-00000000000d": 1, "indicator--00000000-0000-4000-8000-00000000000e": 1])
        }
    }

    /// An event whose source address an active indicator names becomes a sighting and an incident of
    /// its own; revoked and expired indicators match nothing; importing again changes nothing.
    @Test(arguments: TestBackend.available)
    func activeIndicatorsRaiseSightingsAndAnIncident(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let (pipeline, _) = try await IncidentTests.setUp(store)
            let withIncidents = IngestPipeline(
                store: store, constituency: pipeline.constituency, mapping: pipeline.mapping, incidents: IncidentService(store: store))
            let active = Self.indicator("indicator--00000000-0000-4000-8000-000000000001", address: "198.51.100.1", tlp: .red)
            let counts = try await store.upsertIndicators([
                active, Self.indicator("indicator--00000000-0000-4000-8000-000000000002", address: "198.51.100.2", revoked: true),
                Self.indicator("indicator--00000000-0000-4000-8000-000000000003", address: "198.51.100.3", validUntil: Date(timeIntervalSince1970: 1)),
            ])
            #expect(counts == (3, 0, 0))
            #expect(try await store.upsertIndicators([active]) == (0, 0, 1))
            var newer = active
            newer.version = "2024-03-01T00:00:00.000Z"
            #expect(try await store.upsertIndicators([newer]) == (0, 1, 0))
            _ = try await IncidentTests.ingest(withIncidents, [
                IncidentTests.line("198.51.100.1", "c2-server", "2024-05-01T01:00:00Z"),
                IncidentTests.line("198.51.100.2", "c2-server", "2024-05-01T01:00:00Z"),
                IncidentTests.line("198.51.100.3", "c2-server", "2024-05-01T01:00:00Z"),
            ], name: "i.jsonl")
            let incidents = try await store.incidents(matching: IncidentQuery())
            let seen = try #require(incidents.first { $0.title == "Indicator seen: C2 198.51.100.1" })
            #expect(seen.eventCount == 1 && seen.tlp == .red && seen.severity == .high)
            #expect(incidents.filter { $0.title == "c2-server at Hospital" }.map(\.eventCount) == [2], "the other two are grouped as usual")
            #expect(try await store.sightingCounts(indicatorIDs: [active.id, "indicator--00000000-0000-4000-8000-000000000002"]) == [active.id: 1])
            #expect(try await store.indicators(matching: IndicatorQuery(state: .active), now: Date()).map(\.id) == [active.id])
            #expect(try await store.indicators(matching: IndicatorQuery(state: .revoked), now: Date()).count == 1)
            #expect(try await store.indicators(matching: IndicatorQuery(state: .expired), now: Date()).count == 1)
            #expect(try await store.indicators(matching: IndicatorQuery(search: "51.100.3"), now: Date()).count == 1)
            // A later run's match joins the incident still open for that indicator.
            _ = try await IncidentTests.ingest(withIncidents, [IncidentTests.line("198.51.100.1", "c2-server", "2024-05-02T01:00:00Z")], name: "j.jsonl")
            #expect(try await store.incident(id: seen.id)?.eventCount == 2)
            #expect(try await store.incidents(matching: IncidentQuery()).filter { $0.title.hasPrefix("Indicator seen") }.count == 1)
            try await store.setIndicatorRevoked(id: active.id, revoked: true)
            #expect(try await store.indicator(id: active.id)?.revoked == true)
        }
    }
}
