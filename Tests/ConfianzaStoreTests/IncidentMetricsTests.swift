import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import Testing

/// The dashboard's figures and the overdue counts, computed by each database: the same answers as the
/// rules on ``Incident`` give one incident at a time, and exact past any page size.
@Suite struct IncidentMetricsTests {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)

    static func make(_ type: String, severity: Severity, triagedAfter: Double?, resolvedAfter: Double?, organisations: [UUID]) -> Incident {
        let due = SLAPolicy.standard.dueDates(createdAt: Self.start, severity: severity)
        var incident = Incident(
            title: type, taxonomy: Taxonomy.taxonomyOfType[type] ?? "other", type: type, severity: severity, tlp: .amber, organisations: organisations,
            createdAt: Self.start, triageDue: due.triage, resolveDue: due.resolve)
        if let triagedAfter {
            incident.status = .triaged
            incident.triagedAt = Self.start.addingTimeInterval(triagedAfter)
        }
        if let resolvedAfter {
            incident.status = .resolved
            incident.resolvedAt = Self.start.addingTimeInterval(resolvedAfter)
        }
        return incident
    }

    @Test(arguments: TestBackend.available)
    func timesBreachesAndCounts(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let constituency = ConstituencyService(store: store)
            let hospital = try await constituency.createOrganisation(OrganisationDraft(name: "Hospital", sector: "health", country: "UY", kind: "public"))
            let bank = try await constituency.createOrganisation(OrganisationDraft(name: "Bank", sector: "finance", country: "UY", kind: "private"))
            let incidents = [
                Self.make("phishing", severity: .critical, triagedAfter: 600, resolvedAfter: 3600, organisations: [bank.id]),  // in time
                Self.make("phishing", severity: .critical, triagedAfter: 7200, resolvedAfter: 2 * 86400, organisations: [bank.id]),  // both late
                Self.make("infected-system", severity: .medium, triagedAfter: 3600, resolvedAfter: nil, organisations: [hospital.id, bank.id]),
                Self.make("infected-system", severity: .medium, triagedAfter: nil, resolvedAfter: nil, organisations: []),  // new, past triage due
            ]
            for incident in incidents { _ = try await store.insertIncident(incident, events: [], timeline: []) }
            let now = Self.start.addingTimeInterval(2 * 86400)
            let metrics = try await store.incidentMetrics(at: now)
            #expect(metrics.total == 4)
            #expect(metrics.open == 2)
            #expect(metrics.overdue == 1)
            #expect(metrics.triageBreaches == 2)
            #expect(metrics.resolveBreaches == 1)
            #expect(metrics.timeToAcknowledge?.median == 3600)
            #expect(metrics.timeToAcknowledge?.p90 == 7200)
            #expect(metrics.timeToResolve?.median == 3600)
            #expect(metrics.timeToResolve.map(\.p90) == 172_800, "\(String(describing: metrics.timeToResolve))")
            #expect(metrics.byType == [.init("infected-system", 2), .init("phishing", 2)])
            #expect(metrics.bySector == [.init("finance", 3), .init("(none)", 1), .init("health", 1)])
            #expect(metrics.byMonth.count == 12)
            #expect(metrics.byMonth.last == .init("2026-05", 4))

            // The database's counts agree with the rules on each incident, at several moments.
            let stored = try await store.incidents(afterNumber: 0, limit: 100)
            #expect(stored.map(\.organisations) == incidents.map(\.organisations), "organisations keep their order")
            for offset in [0, 700, 7200, 86400, 5 * 86400] as [TimeInterval] {
                let at = Self.start.addingTimeInterval(offset)
                let counts = try await store.incidentCounts(at: at)
                #expect(counts.overdue == stored.filter { $0.isOverdue(at: at) }.count, "at +\(offset)")
                #expect(counts.triageBreaches == stored.filter { $0.triageBreached(at: at) }.count, "at +\(offset)")
                #expect(counts.resolveBreaches == stored.filter { $0.resolveBreached(at: at) }.count, "at +\(offset)")
            }
            #expect(try await store.incidents(matching: IncidentQuery(organisation: bank.id, limit: 10)).count == 3)
            #expect(try await store.incidents(matching: IncidentQuery(organisation: hospital.id, limit: 10)).count == 1)
        }
    }

    /// Past ten thousand incidents (the largest page a query returns) the counts are still exact.
    @Test(arguments: TestBackend.available)
    func countsAreExactPastTenThousand(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let bank = try await ConstituencyService(store: store).createOrganisation(
                OrganisationDraft(name: "Bank", sector: "finance", country: "UY", kind: "private"))
            let incidents = Self.many(10_050, organisation: bank.id)
            _ = try await store.applyGrouping(newIncidents: incidents, links: [:], timeline: [])
            let metrics = try await store.incidentMetrics(at: Self.start.addingTimeInterval(3600))
            #expect(metrics.total == 10_050)
            #expect(metrics.open == 10_050)
            #expect(metrics.overdue == 5_025)
            #expect(metrics.bySector == [.init("finance", 10_050)])
            #expect(try await store.incidentCounts(at: Self.start.addingTimeInterval(3600)).overdue == 5_025)
            var seen = 0
            var after = 0
            while let last = try await store.incidents(afterNumber: after, limit: 4000).last {
                seen += last.number - after
                after = last.number
            }
            #expect(seen == 10_050)
        }
    }

    /// `count` new incidents of one organisation, every other one already past its triage due date an
    /// hour after ``start``.
    static func many(_ count: Int, organisation: UUID) -> [Incident] {
        (0..<count).map { index in
            let triageDue = Self.start.addingTimeInterval(index % 2 == 0 ? 60 : 86400)
            return Incident(
                title: "scan \(index)", taxonomy: "information-gathering", type: "scanner", severity: .low, tlp: .amber,
                organisations: [organisation], createdAt: Self.start, triageDue: triageDue, resolveDue: Self.start.addingTimeInterval(7 * 86400))
        }
    }
}
