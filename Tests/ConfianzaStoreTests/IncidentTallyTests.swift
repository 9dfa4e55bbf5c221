import ConfianzaCore
import ConfianzaTestSupport
import Foundation
import SQLKit
import Testing

@testable import ConfianzaStore

/// The dashboard's counts by type, month and sector are kept by the database's triggers (migration 22):
/// after every kind of change (incidents added, retyped, given other organisations; organisations added,
/// moved to another sector, deleted, brought back, the whole constituency replaced) they equal the counts
/// read from every incident.
@Suite struct IncidentTallyTests {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)

    static func expectKept(_ given: any Store, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let store = try #require(given as? SQLStore, sourceLocation: sourceLocation)
        let sqlite = store.isSQLite
        try await store.withDatabase { db in
            let kept = try await SQLStore.incidentTallies(db: db)
            let counted = try await Self.recounted(db: db, sqlite: sqlite)
            #expect(kept.types == counted.types, "types after \(step)", sourceLocation: sourceLocation)
            #expect(kept.months == counted.months, "months after \(step)", sourceLocation: sourceLocation)
            #expect(kept.sectors == counted.sectors, "sectors after \(step)", sourceLocation: sourceLocation)
        }
    }

    /// The same counts computed from the incidents themselves, reading every one: what the kept
    /// counts must always equal.
    static func recounted(db: any SQLDatabase, sqlite: Bool) async throws -> (
        types: [String: Int], months: [String: Int], sectors: [String: Int]
    ) {
        func counts(_ query: SQLQueryString) async throws -> [String: Int] {
            var counts: [String: Int] = [:]
            for row in try await db.raw(query).all() {
                counts[try row.decode(column: "name", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
            return counts
        }
        let month = sqlite ? IncidentTallySQL.sqliteMonth("created_at") : IncidentTallySQL.postgresMonth("created_at")
        let joined = "incident_organisations io JOIN organisations o ON o.id = io.organisation_id"
        var sectors = try await counts(
            "SELECT o.sector AS name, COUNT(DISTINCT io.incident_id) AS n FROM \(unsafeRaw: joined) GROUP BY o.sector")
        sectors["*"] = try await counts("SELECT '*' AS name, COUNT(DISTINCT io.incident_id) AS n FROM \(unsafeRaw: joined)")["*"]
        return (
            try await counts("SELECT type AS name, COUNT(*) AS n FROM incidents GROUP BY type"),
            try await counts("SELECT \(unsafeRaw: month) AS name, COUNT(*) AS n FROM incidents GROUP BY \(unsafeRaw: month)"),
            sectors.filter { $0.value > 0 }
        )
    }

    static func organisation(_ name: String, _ sector: Sector, id: UUID = UUID()) -> Organisation {
        Organisation(id: id, name: name, sector: sector, country: "UY", kind: .private, createdAt: Self.start)
    }

    static func incident(_ type: String, daysAfterStart days: Double, _ organisations: [UUID]) -> Incident {
        let created = Self.start.addingTimeInterval(days * 86400)
        return Incident(
            title: type, taxonomy: Taxonomy.taxonomyOfType[type] ?? "other", type: type, severity: .medium, tlp: .amber,
            organisations: organisations, createdAt: created, triageDue: created.addingTimeInterval(3600),
            resolveDue: created.addingTimeInterval(86400))
    }

    @Test(arguments: TestBackend.available)
    func countsFollowEveryChange(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let bank = Self.organisation("Bank", .finance)
            let insurer = Self.organisation("Insurer", .finance)
            let hospital = Self.organisation("Hospital", .health)
            for organisation in [bank, insurer, hospital] { try await store.insertOrganisation(organisation) }
            let ghost = UUID()  // named by incidents before it is in the constituency

            // Incidents one at a time and in a batch; two organisations of one sector count the incident once.
            var first = try await store.insertIncident(Self.incident("phishing", daysAfterStart: 0, [bank.id, insurer.id]), events: [], timeline: [])
            _ = try await store.insertIncident(Self.incident("phishing", daysAfterStart: 40, [bank.id, hospital.id]), events: [], timeline: [])
            _ = try await store.insertIncident(Self.incident("scanner", daysAfterStart: 80, []), events: [], timeline: [])
            _ = try await store.insertIncident(Self.incident("scanner", daysAfterStart: 80, [ghost]), events: [], timeline: [])
            _ = try await store.applyGrouping(
                newIncidents: (0..<30).map { Self.incident($0 % 3 == 0 ? "ddos" : "scanner", daysAfterStart: Double($0 * 7), [[bank.id], [hospital.id], []][$0 % 3]) },
                links: [:], timeline: [])
            try await Self.expectKept(store, "adding incidents")
            var dashboard = try await store.incidentMetrics(at: Self.start.addingTimeInterval(200 * 86400))
            #expect(dashboard.bySector.first { $0.name == "finance" }?.count == 12)
            #expect(dashboard.bySector.first { $0.name == IncidentMetrics.noSector }?.count == 12)
            #expect(dashboard.total == 34)

            // Retyped, moved in time, given other organisations.
            first.type = "ransomware"
            first.organisations = [hospital.id, ghost]
            try await store.updateIncident(first, timeline: [])
            try await Self.expectKept(store, "updating an incident")
            try await #require(store as? SQLStore).withDatabase { db in
                try await db.raw("UPDATE incidents SET created_at = created_at + \(bind: Int64(90 * 86_400_000)) WHERE number = 2").run()
            }
            try await Self.expectKept(store, "moving an incident to another month")

            // Organisations moved, deleted, added (the ghost appears), brought back.
            var moved = hospital  // named by twelve incidents; one of them names the ghost, energy too once it appears
            moved.sector = .energy
            try await store.updateOrganisation(moved)
            #expect(try await store.incidentMetrics(at: Self.start).bySector.first { $0.name == "energy" }?.count == 12)
            try await Self.expectKept(store, "moving an organisation to another sector")
            #expect(try await store.deleteOrganisation(id: bank.id))
            try await Self.expectKept(store, "deleting an organisation")
            dashboard = try await store.incidentMetrics(at: Self.start.addingTimeInterval(200 * 86400))
            #expect(dashboard.bySector.first { $0.name == "finance" } == nil)
            try await store.insertOrganisation(Self.organisation("Ghost", .energy, id: ghost))
            try await Self.expectKept(store, "adding an organisation incidents already named")
            try await store.insertOrganisation(Self.organisation("Bank again", .telecom, id: bank.id))
            try await Self.expectKept(store, "bringing an organisation back in another sector")

            // The whole constituency replaced by an import: some back under other sectors, some gone.
            try await store.importConstituency(
                ConstituencyBatch(organisations: [Self.organisation("Bank", .finance, id: bank.id), Self.organisation("Clinic", .health, id: insurer.id)]),
                replace: true)
            try await Self.expectKept(store, "replacing the constituency")
            dashboard = try await store.incidentMetrics(at: Self.start.addingTimeInterval(200 * 86400))
            let named = dashboard.bySector.filter { $0.name != IncidentMetrics.noSector }
            let none = dashboard.bySector.first { $0.name == IncidentMetrics.noSector }?.count ?? 0
            #expect(named.map(\.count).reduce(0, +) + none >= dashboard.total)
            #expect(dashboard.byType.map(\.count).reduce(0, +) == dashboard.total)
        }
    }

    /// A database from before migration 22 gets its counts from the incidents it already holds.
    @Test(arguments: TestBackend.available)
    func theStepCountsWhatIsThere(backend: TestBackend) async throws {
        try await TestDatabase.withEmptyLocation(backend) { location in
            let store = try await SQLStore.open(location, logger: TestDatabase.logger)
            try await store.withRunning(connectTimeout: TestDatabase.connectTimeout, migrate: false) { store in
                _ = try await store.migrate(upTo: 21)
                let bank = Self.organisation("Bank", .finance)
                let hospital = Self.organisation("Hospital", .health)
                for organisation in [bank, hospital] { try await store.insertOrganisation(organisation) }
                for (index, type) in ["phishing", "scanner", "ddos", "scanner"].enumerated() {
                    _ = try await store.insertIncident(
                        Self.incident(type, daysAfterStart: Double(index * 31), [[bank.id, hospital.id], [bank.id], [], [UUID()]][index]), events: [],
                        timeline: [])
                }
                #expect(try await store.migrate(upTo: 22) == [22])
                try await Self.expectKept(store, "the step")
                let dashboard = try await store.incidentMetrics(at: Self.start.addingTimeInterval(120 * 86400))
                #expect(dashboard.byType == [.init("scanner", 2), .init("ddos", 1), .init("phishing", 1)])
                #expect(dashboard.bySector == [.init("(none)", 2), .init("finance", 2), .init("health", 1)])
                #expect(dashboard.byMonth.map(\.count).reduce(0, +) == 4)
            }
        }
    }
}
