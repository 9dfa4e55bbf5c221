import ConfianzaCore
import Foundation
import SQLKit

/// What the annual report reads from every module, counted by the database where it can be, and the
/// public editions staff have published.
extension SQLStore {
    /// Every module's figures for `year` (UTC). With `clearOnly`, the records that carry their own marking
    /// (knowledge records, assessments) count only when marked TLP:CLEAR.
    public func annualReportInputs(year: Int, clearOnly: Bool, sme: SMEQuestionnaire?) async throws -> AnnualReportInputs {
        guard let start = CalendarDay.parse(String(format: "%04d-01-01", year)), let end = CalendarDay.parse(String(format: "%04d-01-01", year + 1))
        else { throw StoreError.invalidConfiguration("the year \(year) cannot be reported on") }
        var inputs = AnnualReportInputs()
        inputs.incidents = try await self.incidentsCreated(from: start, to: end)
        let organisations = Set(inputs.incidents.flatMap(\.organisations))
        inputs.sectors = try await self.sectors(of: organisations)
        try await self.withReading { db in
            inputs.eventsByClassification = try await Self.counts(
                db, "SELECT taxonomy AS name, COUNT(*) AS n FROM events WHERE first_seen >= \(bind: Millis(start)) AND first_seen < \(bind: Millis(end)) GROUP BY taxonomy")
            inputs.feedRuns = try await db.raw(
                """
                SELECT feed, format, COUNT(*) AS runs, CAST(COALESCE(SUM(lines_read), 0) AS BIGINT) AS lines,
                    CAST(COALESCE(SUM(events_stored), 0) AS BIGINT) AS stored, CAST(COALESCE(SUM(duplicates), 0) AS BIGINT) AS duplicates,
                    CAST(COALESCE(SUM(quarantined), 0) AS BIGINT) AS quarantined
                FROM ingest_runs WHERE started_at >= \(bind: Millis(start)) AND started_at < \(bind: Millis(end)) GROUP BY feed, format ORDER BY feed, format
                """
            ).all().map { row in
                ReportFeedRuns(
                    feed: try row.decode(column: "feed", as: String.self), format: try row.decode(column: "format", as: String.self),
                    runs: try row.decode(column: "runs", as: Int.self), lines: try row.decode(column: "lines", as: Int.self),
                    stored: try row.decode(column: "stored", as: Int.self), duplicates: try row.decode(column: "duplicates", as: Int.self),
                    quarantined: try row.decode(column: "quarantined", as: Int.self))
            }
            inputs.sharing = try await Self.sharing(db, from: start, to: end)
            inputs.smeBySector = try await Self.counts(
                db, "SELECT sector AS name, COUNT(*) AS n FROM sme_results WHERE shared_on >= \(bind: Millis(start)) AND shared_on < \(bind: Millis(end)) GROUP BY sector")
        }
        inputs.assessments = try await self.reportAssessments(from: start, to: end, clearOnly: clearOnly)
        inputs.knowledgeAdded = try await self.knowledgeAdded(from: start, to: end, clearOnly: clearOnly)
        inputs.network = AgreementNetwork(agreements: try await self.knowledge(clearOnly: clearOnly).agreements)
        inputs.smeSectorTitles = Dictionary(uniqueKeysWithValues: (sme?.sectors ?? []).map { ($0.id, $0.title) })
        for header in try await self.cycleHeaders(organisationID: nil).reversed() where header.startedAt < end {
            if let stored = try await self.cycle(id: header.id) {
                inputs.riskCycles.append(
                    ReportRiskCycle(
                        organisation: stored.cycle.organisationID, startedAt: stored.cycle.startedAt,
                        residualLevels: RiskService.levelCounts(stored, rating: \.residual)))
            }
        }
        return inputs
    }

    static func counts(_ db: any SQLDatabase, _ query: SQLQueryString) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await db.raw(query).all() {
            counts[try row.decode(column: "name", as: String.self), default: 0] += try row.decode(column: "n", as: Int.self)
        }
        return counts
    }

    /// Incidents created in `[start, end)`, read in pages of the number order.
    func incidentsCreated(from start: Date, to end: Date) async throws -> [Incident] {
        var incidents: [Incident] = []
        var after = 0
        while true {
            let page = try await self.withReading { db in
                let rows = try await db.raw(
                    """
                    SELECT \(unsafeRaw: Self.incidentColumnList) FROM incidents
                    WHERE created_at >= \(bind: Millis(start)) AND created_at < \(bind: Millis(end)) AND number > \(bind: after)
                    ORDER BY number LIMIT 2000
                    """
                ).all()
                return try await Self.incidents(rows, db: db)
            }
            incidents += page
            guard page.count == 2000, let last = page.last else { return incidents }
            after = last.number
        }
    }

    func sectors(of organisations: Set<UUID>) async throws -> [UUID: Sector] {
        var sectors: [UUID: Sector] = [:]
        for chunk in Array(organisations).chunked(500) {
            try await self.withReading { db in
                for row in try await db.raw(
                    "SELECT id, sector FROM organisations WHERE id IN (\(SQLList(chunk.map { SQLBind($0.uuidString) })))"
                ).all() {
                    if let sector = Sector(rawValue: try row.decode(column: "sector", as: String.self)) { sectors[try Self.uuid(row, "id")] = sector }
                }
            }
        }
        return sectors
    }

    /// Objects published in our collections, incidents shared with peers, objects peers sent.
    static func sharing(_ db: any SQLDatabase, from start: Date, to end: Date) async throws -> [ReportSharing] {
        let micros = { (date: Date) in Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down)) }
        func tlp(rank: Int) -> TLP { TLP.allCases.indices.contains(rank) ? TLP.allCases[rank] : .red }
        var out: [ReportSharing] = []
        for row in try await db.raw(
            """
            SELECT o.source_peer, p.name, o.tlp_rank, COUNT(*) AS n FROM stix_objects o LEFT JOIN peers p ON lower(p.id) = lower(o.source_peer)
            WHERE o.date_added >= \(bind: micros(start)) AND o.date_added < \(bind: micros(end)) GROUP BY o.source_peer, p.name, o.tlp_rank
            """
        ).all() {
            let source = try row.decode(column: "source_peer", as: String.self)
            let peer = try row.decode(column: "name", as: String?.self) ?? source
            out.append(
                ReportSharing(
                    flow: source.isEmpty ? .published : .received, peer: source.isEmpty ? nil : peer,
                    tlp: tlp(rank: try row.decode(column: "tlp_rank", as: Int.self)), count: try row.decode(column: "n", as: Int.self)))
        }
        for row in try await db.raw(
            """
            SELECT COALESCE(p.name, s.peer_id) AS name, s.tlp, COUNT(*) AS n FROM shares s LEFT JOIN peers p ON p.id = s.peer_id
            WHERE s.at >= \(bind: Millis(start)) AND s.at < \(bind: Millis(end)) GROUP BY COALESCE(p.name, s.peer_id), s.tlp
            """
        ).all() {
            out.append(
                ReportSharing(
                    flow: .sent, peer: try row.decode(column: "name", as: String.self), tlp: TLP(label: try row.decode(column: "tlp", as: String.self)) ?? .red,
                    count: try row.decode(column: "n", as: Int.self)))
        }
        return out
    }

    /// Each assessment's latest score before `end` and before `start`, with its framework.
    func reportAssessments(from start: Date, to end: Date, clearOnly: Bool) async throws -> [ReportAssessment] {
        let rows = try await self.withReading { db in
            try await db.raw(
                """
                SELECT s.assessment_id, s.revision, s.total, s.tier, s.pillars, s.computed_at, s.reason, a.framework_id, a.edition
                FROM assessment_scores s JOIN assessments a ON a.id = s.assessment_id
                WHERE s.computed_at < \(bind: Millis(end)) \(unsafeRaw: clearOnly ? "AND a.tlp = 'TLP:CLEAR'" : "")
                ORDER BY s.assessment_id, s.computed_at, s.revision
                """
            ).all().map { row in
                (score: try Self.decodeScore(row), framework: try row.decode(column: "framework_id", as: String.self), edition: try row.decode(column: "edition", as: String.self))
            }
        }
        var frameworks: [String: AssessmentFramework] = [:]
        var result: [ReportAssessment] = []
        for (_, group) in Dictionary(grouping: rows, by: \.score.assessmentID).sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            guard let first = group.first else { continue }
            let key = "\(first.framework)|\(first.edition)"
            if frameworks[key] == nil { frameworks[key] = try await self.framework(id: first.framework, edition: first.edition, revision: nil)?.framework }
            guard let framework = frameworks[key] else { continue }
            result.append(
                ReportAssessment(framework: framework, current: group.last?.score, previous: group.last { $0.score.computedAt < start }?.score))
        }
        return result
    }

    // MARK: published editions

    /// Publishes (or replaces) the public edition of a year.
    public func publishReport(_ report: AnnualReport, at date: Date, by actor: String) async throws {
        guard report.edition == .clear else { throw StoreError.invalidConfiguration("only the TLP:CLEAR edition of a report is published") }
        let body = try Self.reportBody(report)
        try await self.withTransaction { db in
            try await db.raw("DELETE FROM published_reports WHERE year = \(bind: report.year)").run()
            try await db.raw(
                """
                INSERT INTO published_reports (year, as_of, threshold, body, published_at, published_by)
                VALUES (\(bind: report.year), \(bind: Millis(report.asOf)), \(bind: report.threshold), \(bind: body), \(bind: Millis(date)), \(bind: actor))
                """
            ).run()
        }
    }

    static func reportBody(_ report: AnnualReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// The published editions, newest year first (without their bodies).
    public func publishedReports() async throws -> [PublishedReport] {
        try await self.withReading { db in
            try await db.raw("SELECT year, as_of, threshold, published_at, published_by FROM published_reports ORDER BY year DESC").all().map { row in
                PublishedReport(
                    year: try row.decode(column: "year", as: Int.self), asOf: try Millis.date(row, "as_of"), threshold: try row.decode(column: "threshold", as: Int.self),
                    publishedAt: try Millis.date(row, "published_at"), publishedBy: try row.decode(column: "published_by", as: String.self))
            }
        }
    }

    public func publishedReport(year: Int) async throws -> AnnualReport? {
        let body = try await self.withReading { db in
            try await db.raw("SELECT body FROM published_reports WHERE year = \(bind: year)").first()?.decode(column: "body", as: String.self)
        }
        guard let body else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        do {
            let report = try decoder.decode(AnnualReport.self, from: Data(body.utf8))
            guard report.edition == .clear else { throw StoreError.corrupt("the published report of \(year) is not a TLP:CLEAR edition") }
            return report
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.corrupt("the published report of \(year) cannot be read again: \(error)")
        }
    }

    public func unpublishReport(year: Int) async throws -> Bool {
        try await self.withTransaction { db in
            try await db.raw("DELETE FROM published_reports WHERE year = \(bind: year) RETURNING year").all().count == 1
        }
    }
}
