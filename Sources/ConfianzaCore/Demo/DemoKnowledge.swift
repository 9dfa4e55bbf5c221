import ConfianzaNetwork
import Foundation

/// The demo's knowledge base, drawn from a fixed seed: a hundred initiatives, a dozen case studies and
/// some three hundred agreements across the ITU regions, most TLP:CLEAR and some above it (so the
/// public portal has something to leave out). Synthetic: no record describes a real project or treaty.
public enum DemoKnowledge {
    static let organisations = [
        "ITU", "GFCE", "OAS", "African Union", "European Union", "World Bank", "UNODC", "Council of Europe", "FIRST", "APCERT", "AfricaCERT", "OIC-CERT",
        "Commonwealth Secretariat", "UNDP", "Cyber4Dev", "LACNIC", "AFRINIC",
    ]

    static let initiativeTitles: [(String, [GCAPillar])] = [
        ("National incident response team set-up", [.technical, .organizational]), ("Cybercrime legislation review", [.legal]),
        ("National cybersecurity strategy drafting", [.organizational]), ("CIRT-to-CIRT incident handling training", [.capacityDevelopment, .technical]),
        ("Critical infrastructure protection programme", [.technical, .organizational]), ("Regional cyber drill", [.cooperation, .capacityDevelopment]),
        ("Cybersecurity awareness campaign for schools", [.capacityDevelopment]), ("Fortalecimiento del CSIRT nacional", [.technical, .capacityDevelopment]),
        ("Estrategia nacional de ciberseguridad", [.organizational]), ("Cooperación regional en respuesta a incidentes", [.cooperation]),
        ("Formation des magistrats à la cybercriminalité", [.legal, .capacityDevelopment]), ("Renforcement du CIRT national", [.technical]),
        ("Stratégie nationale de cybersécurité", [.organizational]), ("Child online protection framework", [.legal, .cooperation]),
        ("Digital forensics laboratory", [.technical, .capacityDevelopment]),
    ]

    public static func seed(store: any KnowledgeStore, now: Date) async throws -> (initiatives: Int, caseStudies: Int, agreements: Int) {
        var random = SeededRandom(seed: 17)
        let regions = Countries.regions
        let byRegion = Dictionary(grouping: Countries.codes.filter { Countries.region(of: $0) != nil && !["AQ", "BV", "HM", "TF", "UM", "GS", "IO"].contains($0) }) {
            Countries.region(of: $0) ?? ""
        }
        func tlp(_ roll: Int) -> TLP { roll < 80 ? .clear : roll < 93 ? .green : roll < 98 ? .amber : .red }
        func day(_ daysAgo: Int) -> Date? { CalendarDay.parse(CalendarDay.format(now.addingTimeInterval(-Double(daysAgo) * 86_400))) }
        var base = KnowledgeBase()
        for n in 0..<100 {
            let region = regions[n % regions.count]
            let countries = byRegion[region] ?? ["UY"]
            let (title, pillars) = Self.initiativeTitles[Int.random(in: 0..<Self.initiativeTitles.count, using: &random)]
            let count = Int.random(in: 1...4, using: &random)
            let chosen = Array(Set((0..<count).map { _ in countries[Int.random(in: 0..<countries.count, using: &random)] })).sorted()
            let level: KnowledgeLevel = chosen.count == 1 ? .national : (n % 7 == 0 ? .international : .regional)
            let start = Int.random(in: 200...2000, using: &random)
            let status: InitiativeStatus = start > 1400 ? .completed : (start < 300 ? .planned : .ongoing)
            let funder = Self.organisations[Int.random(in: 0..<Self.organisations.count, using: &random)]
            let implementer = Self.organisations[Int.random(in: 0..<Self.organisations.count, using: &random)]
            base.initiatives.append(
                Initiative(
                    title: "\(title) — \(chosen.joined(separator: ", "))",
                    summary: "\(title) with \(implementer), funded by \(funder). Incident response, skills and cooperation between the teams of \(chosen.joined(separator: ", ")).",
                    level: level, countries: chosen, region: region,
                    organisations: [Involvement(name: funder, role: .funder), Involvement(name: implementer, role: .implementer)]
                        + chosen.prefix(1).map { Involvement(name: "National CIRT of \($0)", role: .beneficiary) },
                    pillars: pillars, themes: ["CSIRT", "skills"].prefix(n % 3).map { $0 }, status: status, startDate: day(start),
                    endDate: status == .completed ? day(start - 365) : nil, links: ["https://example.org/initiatives/\(n + 1)"], tlp: tlp(Int.random(in: 0..<100, using: &random))))
        }
        let cases: [(String, String, InstitutionType)] = [
            ("UY", "A national CIRT inside the e-government agency", .nationalCIRT), ("KE", "A national CIRT under the communications regulator", .regulator),
            ("SN", "Une agence nationale de la cybersécurité", .agency), ("CL", "Un CSIRT de gobierno en el ministerio del interior", .ministryUnit),
            ("EE", "A public–private council for critical infrastructure", .publicPrivate), ("BR", "Um CSIRT setorial para o sistema financeiro", .sectoralCIRT),
            ("MA", "Un centre de veille au sein de l'administration de la défense", .agency), ("JP", "A national centre with sector coordinators", .agency),
            ("GH", "A cybersecurity authority created by law", .agency), ("CO", "Un equipo nacional con capítulos sectoriales", .nationalCIRT),
            ("FJ", "A regional CERT shared by island states", .nationalCIRT), ("JO", "A national CIRT under the ministry of digital economy", .ministryUnit),
        ]
        for (n, item) in cases.enumerated() {
            base.caseStudies.append(
                CaseStudy(
                    title: item.1, country: item.0, institutionType: item.2, mandate: "Coordinate incident response for the public sector and critical infrastructure.",
                    legalBasis: "A decree of \(2005 + n) gives the mandate.", governance: "A board with the ministries concerned.", funding: "The national budget.",
                    staffing: "\(8 + n * 3) people.", services: ["incident handling", "alerts and warnings", "awareness"],
                    lessonsLearned: "Start small, publish a clear mandate, and share information early.",
                    body: "## How it started\n\nThe team began with **three people** and a shared mailbox.\n\n- Incident handling first\n- Then alerts\n\nSee the [FIRST CSIRT services framework](https://www.first.org/standards/frameworks/csirts/).",
                    links: ["https://example.org/case-studies/\(n + 1)"], tlp: n % 6 == 5 ? .green : .clear))
        }
        // Agreements: mostly bilateral within a region, some across; a few regional multilateral ones.
        var pairs: Set<String> = []
        let scopes = AgreementScope.allCases
        while base.agreements.count < 280 {
            let region = regions[Int.random(in: 0..<regions.count, using: &random)]
            let local = byRegion[region] ?? []
            guard local.count > 2 else { continue }
            let a = local[Int.random(in: 0..<min(local.count, 24), using: &random)]
            let across = Int.random(in: 0..<10, using: &random) < 2
            let pool = across ? (byRegion[regions[Int.random(in: 0..<regions.count, using: &random)]] ?? local) : local
            let b = pool[Int.random(in: 0..<min(pool.count, 24), using: &random)]
            guard a != b, pairs.insert([a, b].sorted().joined()).inserted else { continue }
            let roll = Int.random(in: 0..<100, using: &random)
            let status: AgreementStatus = roll < 70 ? .inForce : roll < 82 ? .signed : roll < 92 ? .negotiating : .expired
            let signed = Int.random(in: 100...3000, using: &random)
            let scope = [scopes[Int.random(in: 0..<scopes.count, using: &random)], scopes[Int.random(in: 0..<scopes.count, using: &random)]]
            base.agreements.append(
                Agreement(
                    title: "Memorandum of understanding \(a)–\(b)", summary: "Cooperation between the CIRTs of \(a) and \(b).", type: .bilateral,
                    parties: [.country(a), .country(b)], scope: Array(Set(scope)).sorted { $0.rawValue < $1.rawValue }, status: status,
                    signedDate: status == .negotiating ? nil : day(signed), expiryDate: status == .expired ? day(max(1, signed - 1000)) : nil,
                    tlp: tlp(Int.random(in: 0..<100, using: &random))))
        }
        for region in regions {
            let members = Array((byRegion[region] ?? []).prefix(6))
            guard members.count >= 3 else { continue }
            base.agreements.append(
                Agreement(
                    title: "Regional CIRT network (\(region))", summary: "Incident response and information sharing among the region's CIRTs.", type: .multilateral,
                    parties: members.map(AgreementParty.country) + [.organisation("Regional CIRT association")], scope: [.incidentResponse, .informationSharing],
                    status: .inForce, signedDate: day(900), tlp: .clear))
        }
        try await store.saveKnowledge(base, at: now, by: "demo")
        return (base.initiatives.count, base.caseStudies.count, base.agreements.count)
    }
}
