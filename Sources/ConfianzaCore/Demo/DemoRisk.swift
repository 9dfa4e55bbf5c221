import ConfianzaNetwork
import Foundation

/// The demo's risk registers and shared SME results: a national 4×4 matrix of the site's own, five
/// organisations of the constituency with two or three cycles each (risks improving, worsening, added
/// and closed between them, one review overdue), and some sixty results businesses chose to share.
/// Written straight to the store: the demo's audit log keeps its week's story on top.
public enum DemoRisk {
    public struct Summary: Sendable {
        public var registers: Int
        public var cycles: Int
        public var sharedResults: Int
    }

    /// The site's own matrix: the 4×4 many national methodologies use, with its own labels and colours.
    public static let nationalMatrix = """
        {"id": "national-4x4", "title": {"en": "National 4×4", "es": "Nacional 4×4", "fr": "National 4×4"},
         "likelihood": [
          {"id": "rare", "title": {"en": "Rare", "es": "Rara", "fr": "Rare"}},
          {"id": "occasional", "title": {"en": "Occasional", "es": "Ocasional", "fr": "Occasionnelle"}},
          {"id": "frequent", "title": {"en": "Frequent", "es": "Frecuente", "fr": "Fréquente"}},
          {"id": "constant", "title": {"en": "Constant", "es": "Constante", "fr": "Constante"}}],
         "impact": [
          {"id": "limited", "title": {"en": "Limited", "es": "Limitado", "fr": "Limité"}},
          {"id": "significant", "title": {"en": "Significant", "es": "Significativo", "fr": "Significatif"}},
          {"id": "serious", "title": {"en": "Serious", "es": "Grave", "fr": "Grave"}},
          {"id": "critical", "title": {"en": "Critical", "es": "Crítico", "fr": "Critique"}}],
         "levels": [
          {"id": "acceptable", "title": {"en": "Acceptable", "es": "Aceptable", "fr": "Acceptable"}, "colour": "#2e7d32", "min": 1, "max": 2},
          {"id": "tolerable", "title": {"en": "Tolerable", "es": "Tolerable", "fr": "Tolérable"}, "colour": "#f9a825", "min": 3, "max": 6},
          {"id": "high", "title": {"en": "High", "es": "Alto", "fr": "Élevé"}, "colour": "#ef6c00", "min": 7, "max": 9},
          {"id": "unacceptable", "title": {"en": "Unacceptable", "es": "Inaceptable", "fr": "Inacceptable"}, "colour": "#b71c1c", "min": 10, "max": 16}]}
        """

    typealias Line = (title: String, asset: String, threat: String, inherent: (Int, Int), current: [(Int, Int)], residual: (Int, Int), controls: [String])

    /// Risks of a register, with their current rating in each cycle (a missing entry: not in that cycle).
    static let lines: [Line] = [
        ("Ransomware encrypts the case management system", "Case management system", "ransomware", (4, 4), [(3, 4), (2, 4), (2, 3)], (1, 3), ["PR.DS-11", "RC.RP-03", "PR.PS-02"]),
        ("Staff credentials stolen by phishing", "E-mail and office accounts", "phishing", (4, 3), [(3, 3), (3, 2), (2, 2)], (2, 1), ["PR.AT-01", "PR.AA-03"]),
        ("Public website defaced or taken down", "Public website", "web-attack", (3, 3), [(2, 3), (3, 3), (3, 3)], (1, 2), ["PR.PS-06", "DE.CM-01"]),
        ("Denial of service on online services", "Online services", "ddos", (3, 4), [(2, 3), (2, 3), (1, 3)], (1, 2), ["PR.IR-04"]),
        ("Unpatched VPN gateway exploited", "Remote access gateway", "unpatched", (4, 4), [(3, 4), (1, 4)], (1, 2), ["ID.RA-01", "PR.PS-02"]),
    ]

    public static func seed(store: any RiskStore & ConstituencyStore, catalogues: RiskCatalogues, now: Date) async throws -> Summary {
        var random = SeededRandom(seed: 16)
        let matrix = try RiskMatrix.load(Self.nationalMatrix, file: "national-4x4.json")
        _ = try await store.insertMatrix(StoredMatrix(matrix: matrix, source: Self.nationalMatrix, loadedAt: now.addingTimeInterval(-400 * 86_400), loadedBy: "demo"))
        let shipped = try RiskMatrix.bundled().first { $0.id == "5x5" }
        let organisations = try await store.organisations().filter { [.government, .finance, .health, .energy, .telecom].contains($0.sector) }
        var chosen: [Organisation] = []
        for sector in [Sector.government, .health, .finance, .energy, .telecom] {
            if let organisation = organisations.first(where: { $0.sector == sector }) { chosen.append(organisation) }
        }
        var cycles: [StoredCycle] = []
        for (index, organisation) in chosen.enumerated() {
            // The telecom operator rates on the shipped 5×5; the others on the national 4×4.
            let useShipped = index == 4 && shipped != nil
            let onMatrix = useShipped ? (shipped ?? matrix) : matrix
            let source = useShipped ? (RiskCatalogues.bundledMatrixSource("5x5") ?? Self.nationalMatrix) : Self.nationalMatrix
            let count = index % 2 == 0 ? 3 : 2
            let keys = Self.lines.map { _ in UUID() }
            for cycleIndex in 0..<count {
                let monthsAgo = (count - 1 - cycleIndex) * 6 + 1
                let started = now.addingTimeInterval(-Double(monthsAgo) * 30 * 86_400 - Double(index) * 86_400)
                // The second organisation's latest review is overdue; the others are due ahead.
                let review = index == 1 && cycleIndex == count - 1 ? now.addingTimeInterval(-9 * 86_400) : started.addingTimeInterval(182 * 86_400)
                var scenarios: [RiskScenario] = []
                for (n, line) in Self.lines.enumerated() where cycleIndex < line.current.count {
                    func rating(_ pair: (Int, Int)) -> RiskScenario.Rating {
                        let l = min(onMatrix.size, pair.0 + (useShipped ? 1 : 0))
                        let i = min(onMatrix.size, pair.1 + (useShipped ? 1 : 0))
                        return RiskScenario.Rating(likelihood: onMatrix.likelihood[l - 1].id, impact: onMatrix.impact[i - 1].id)
                    }
                    scenarios.append(
                        RiskScenario(
                            key: keys[n], title: line.title, asset: line.asset, threatID: line.threat, inherent: rating(line.inherent),
                            current: rating(line.current[cycleIndex]), residual: rating(line.residual),
                            treatment: n == 3 && index == 2 ? .transfer : .reduce, controls: line.controls, owner: ["CISO", "IT lead", "Head of operations"][n % 3],
                            due: started.addingTimeInterval(Double(90 + 30 * n) * 86_400)))
                }
                if cycleIndex == count - 1 && count == 3 {
                    scenarios.append(
                        RiskScenario(
                            title: "Supplier with remote access compromised", asset: "Managed service provider", threatID: "supplier",
                            inherent: .init(likelihood: onMatrix.likelihood[2].id, impact: onMatrix.impact[3].id),
                            current: .init(likelihood: onMatrix.likelihood[1].id, impact: onMatrix.impact[3].id),
                            residual: .init(likelihood: onMatrix.likelihood[0].id, impact: onMatrix.impact[2].id), treatment: .reduce,
                            controls: ["GV.SC-05", "GV.SC-07"], owner: "CISO", due: now.addingTimeInterval(120 * 86_400)))
                }
                let cycle = RiskCycle(organisationID: organisation.id, matrixID: onMatrix.id, startedAt: started, nextReview: review, scenarios: scenarios)
                cycles.append(StoredCycle(cycle: cycle, matrix: onMatrix, matrixSource: source, createdBy: "ana.garcia"))
            }
        }
        // Only scenarios the catalogues accept are kept (the demo follows its own rules).
        for index in cycles.indices {
            cycles[index].cycle.scenarios = cycles[index].cycle.scenarios.filter {
                $0.problems(matrix: cycles[index].matrix, csf: catalogues.csf, threats: catalogues.threats).isEmpty
            }
        }
        try await store.insertCycles(cycles, at: now)

        // Shared self-assessments: sector and size spread, answers better in larger businesses.
        let q = catalogues.sme
        var shared = 0
        for n in 0..<60 {
            let size = q.sizes[n % 7 < 4 ? 0 : (n % 7 < 6 ? 1 : 2)]
            let sector = q.sectors[Int.random(in: 0..<q.sectors.count, using: &random)]
            var answers = SMEAnswers(profile: SMEProfile(size: size.id, sector: sector.id))
            let lean = size.id == "micro" ? 1 : (size.id == "small" ? 2 : 3)
            for question in q.steps(for: answers.profile).flatMap(\.questions) {
                let roll = Int.random(in: 0..<10, using: &random)
                let choice = roll < lean * 2 ? "yes" : (roll < 5 ? "mostly" : (roll < 7 ? "partly" : (roll < 9 ? "no" : "unsure")))
                answers.answers[question.id] = choice
            }
            let result = SMEResult.evaluate(answers, in: q)
            let day = Calendar(identifier: .gregorian).startOfDay(for: now.addingTimeInterval(-Double(Int.random(in: 0..<180, using: &random)) * 86_400))
            try await store.insertSMEResult(
                SharedSMEResult(
                    sharedOn: day, questionnaireVersion: q.version, size: size.id, sector: sector.id, answers: SMEResumeCode.encode(answers, in: q),
                    percent: result.percent, functions: Dictionary(uniqueKeysWithValues: result.functions.map { ($0.function, $0.percent) }),
                    business: n % 9 == 0 ? ["Panadería La Espiga", "Ferretería Central", "Clínica San Roque", "Hotel del Puerto", "Estudio Contable Ríos", "AgroSur", "Taller Gómez"][n / 9 % 7] : nil))
            shared += 1
        }
        return Summary(registers: chosen.count, cycles: cycles.count, sharedResults: shared)
    }
}
