import ConfianzaNetwork
import Foundation

/// The demo's national capacity assessments: twenty countries across the six ITU regions, two editions
/// of the five-pillars framework (the older one weighted differently, so the profiles warn that the
/// methodology changed), a few evidence-index assessments, and one focal point who can sign in.
/// The answers are synthetic, drawn from a fixed seed: they describe no real country.
public enum DemoAssessments {
    public struct Result: Sendable {
        public var assessments: Int
        public var focalPoint: (username: String, password: String, country: String)
    }

    /// Country code and a capacity level (0…1) the synthetic answers lean towards.
    static let countries: [(String, Double)] = [
        ("UY", 0.8), ("BR", 0.75), ("CR", 0.55), ("PY", 0.35), ("JM", 0.4), ("KE", 0.7), ("GH", 0.6), ("SN", 0.45), ("RW", 0.65), ("MW", 0.2),
        ("MA", 0.6), ("TN", 0.55), ("JO", 0.5), ("ID", 0.6), ("FJ", 0.25), ("BT", 0.3), ("KG", 0.35), ("AM", 0.45), ("MD", 0.5), ("AL", 0.4),
    ]

    public static func seed(service: AssessmentService, accounts: AccountService, admin: User) async throws -> Result {
        try await service.installBundledFrameworks()
        // The previous edition: the same questions, weighted differently and with a lower tier line.
        let five = AssessmentService.bundledFrameworkFiles().first { $0.name == "five-pillars.json" }?.text ?? ""
        let older = five.replacingOccurrences(of: "\"edition\": \"2026\"", with: "\"edition\": \"2024\"")
            .replacingOccurrences(of: "\"weight\": 0.55", with: "\"weight\": 0.6").replacingOccurrences(of: "\"weight\": 0.45", with: "\"weight\": 0.4")
        if try await service.store.framework(id: "five-pillars", edition: "2024", revision: nil) == nil {
            _ = try await service.loadFramework(older, file: "five-pillars-2024.json", by: admin.username, address: "demo")
        }
        var random = SeededRandom(seed: 130)
        var count = 0
        for (index, (country, level)) in Self.countries.enumerated() {
            // 2024: validated and published for all but two.
            let first = try await Self.fill(
                service, admin, framework: "five-pillars", edition: "2024", country: country, level: level * 0.85, random: &random)
            _ = try await Self.finish(service, admin, first, until: index % 10 == 9 ? .submitted : .validated, publish: index % 10 != 9)
            // 2026: most validated, some in review, returned, submitted or still a draft (Uruguay's, for its focal point to finish).
            let stages: [Assessment.State] = [.draft, .validated, .validated, .underReview, .validated, .returned, .validated, .submitted, .validated, .validated]
            let second = try await Self.fill(service, admin, framework: "five-pillars", edition: "2026", country: country, level: level, random: &random)
            _ = try await Self.finish(service, admin, second, until: stages[index % stages.count], publish: index % 3 != 2)
            count += 2
            if index % 4 == 0 {
                let evidence = try await Self.fill(
                    service, admin, framework: "evidence-index", edition: "2026", country: country, level: level, random: &random)
                _ = try await Self.finish(service, admin, evidence, until: .validated, publish: true)
                count += 1
            }
        }
        // A focal point for Uruguay, invited and signed up as an invitation would have it.
        let password = Secrets.readablePassword()
        let token = try await service.invite(
            email: "focal.point@agesic.example", name: "Lucía Fernández", country: "UY", language: .spanish, by: admin, address: "demo",
            link: { "/invite/\($0)" }, mail: { link, _ in ("Invitación", "Abra \(link)") })
        _ = try await service.accept(token: token, username: "lucia.uy", password: password, accounts: accounts, address: "demo")
        return Result(assessments: count, focalPoint: ("lucia.uy", password, "UY"))
    }

    /// An assessment answered with synthetic answers leaning towards `level`, with evidence links.
    static func fill(
        _ service: AssessmentService, _ admin: User, framework id: String, edition: String, country: String, level: Double,
        random: inout SeededRandom
    ) async throws -> Assessment {
        let assessment = try await service.create(frameworkID: id, edition: edition, country: country, by: admin, address: "demo")
        let framework = try await service.framework(id: id, edition: edition).framework
        var given: [String: (value: JSONValue, note: String)] = [:]
        var links: [(String, String)] = []
        for question in framework.questions {
            let draw = Double(random.next() % 1000) / 1000
            let value: JSONValue
            switch question.type {
            case .elements:
                value = .array(question.elements.filter { _ in Double(random.next() % 1000) / 1000 < level }.map { .string($0.id) })
            case .yesnopartial:
                value = .string(draw < level * 0.8 ? "yes" : (draw < level * 1.2 ? "partial" : "no"))
            case .yesno:
                value = .string(draw < level ? "yes" : "no")
            }
            given[question.id] = (value, "")
            if value != .string("no"), value != .array([]) {
                links.append((question.id, "https://www.gov.\(country.lowercased()).example/\(id)/\(question.id.lowercased())"))
            }
        }
        try await service.saveAnswers(given, to: assessment, by: admin)
        for (question, link) in links { try await service.addLink(link, question: question, to: assessment, by: admin) }
        return assessment
    }

    /// Takes an assessment along the workflow up to `until`.
    static func finish(_ service: AssessmentService, _ admin: User, _ assessment: Assessment, until: Assessment.State, publish: Bool) async throws -> Assessment {
        guard until != .draft else { return assessment }
        var current = try await service.submit(assessment, by: admin, address: "demo")
        if until == .submitted { return current }
        current = try await service.startReview(current, by: admin, address: "demo")
        switch until {
        case .underReview: return current
        case .returned:
            let question = try await service.store.answers(assessmentID: assessment.id).first?.questionID ?? ""
            try await service.comment("Please link the adopted text rather than the draft.", question: question, on: current, by: admin)
            return try await service.returnToCountry(current, by: admin, address: "demo")
        default: return try await service.validate(current, publish: publish, by: admin, address: "demo")
        }
    }
}
