import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Testing

@testable import ConfianzaStore

/// The national dataset: the same seed gives the same data; incidents are written numbered in order with
/// their organisations, timelines and notices, in every status, on every backend.
@Suite struct SeedingTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)
    static let scale = NationalScale(organisations: 40, incidents: 300, events: 0, days: 60)

    @Test func theSameSeedGivesTheSameData() {
        let a = NationalDataset.constituency(seed: 7, scale: Self.scale, now: Self.now)
        let b = NationalDataset.constituency(seed: 7, scale: Self.scale, now: Self.now)
        let c = NationalDataset.constituency(seed: 8, scale: Self.scale, now: Self.now)
        #expect(a == b && a != c)
        #expect(a.organisations.count == 40 && a.contacts.count == 80 && Set(a.organisations.map(\.name)).count == 40, "names are unique")
        #expect(a.assets.count > 40, "every organisation has a domain and at least one network")
        let contacts = Dictionary(grouping: a.contacts, by: \.organisationID)
        let first = NationalDataset.incidents(seed: 7, scale: Self.scale, organisations: a.organisations, contacts: contacts, now: Self.now, first: 0, count: 300)
        let again = NationalDataset.incidents(seed: 7, scale: Self.scale, organisations: a.organisations, contacts: contacts, now: Self.now, first: 100, count: 50)
        #expect(first[100..<150].map(\.incident) == again.map(\.incident), "made in chunks, the same incidents")
        #expect(Set(first.map(\.incident.status)) == Set(IncidentStatus.allCases), "every status")
        #expect(first.allSatisfy { $0.incident.createdAt <= Self.now && $0.incident.createdAt >= Self.now.addingTimeInterval(-61 * 86400) })
        #expect(first.allSatisfy { ($0.incident.triagedAt ?? $0.incident.createdAt) >= $0.incident.createdAt })
        #expect(first.allSatisfy { item in item.timeline.allSatisfy { $0.at <= Self.now } && (item.incident.closedAt ?? Self.now) <= Self.now }, "nothing after now")
        #expect(first.contains { !$0.notices.isEmpty } && first.contains { $0.timeline.count >= 5 })
    }

    @Test(arguments: TestBackend.available)
    func incidentsAreWrittenWithTheirTimelinesAndNotices(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let sql = try #require(store as? SQLStore)
            #expect(try await sql.holdsNoConstituencyOrIncidents())
            let batch = NationalDataset.constituency(seed: 7, scale: Self.scale, now: Self.now)
            try await store.importConstituency(batch, replace: false)
            #expect(try await sql.holdsNoConstituencyOrIncidents() == false)
            let contacts = Dictionary(grouping: batch.contacts, by: \.organisationID)
            let made = NationalDataset.incidents(seed: 7, scale: Self.scale, organisations: batch.organisations, contacts: contacts, now: Self.now, first: 0, count: 300)
            try await sql.importIncidents(Array(made[0..<120]))
            try await sql.importIncidents(Array(made[120...]))
            let stored = try await store.incidents(afterNumber: 0, limit: 1000)
            #expect(stored.map(\.number) == Array(1...300) && stored.map(\.id) == made.map(\.incident.id))
            #expect(stored[17].organisations == made[17].incident.organisations && stored[17].status == made[17].incident.status)
            let noticed = try #require(made.firstIndex { !$0.notices.isEmpty })
            let timeline = try await store.timeline(incidentID: made[noticed].incident.id)
            #expect(timeline.count == made[noticed].timeline.count && timeline.contains { $0.kind == .notification })
            let counts = try await store.incidentCounts(at: Self.now)
            #expect(counts.total == 300 && counts.open == made.filter { ![.resolved, .closed].contains($0.incident.status) }.count)
        }
    }
}
