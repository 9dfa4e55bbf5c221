import ConfianzaCore
import Foundation
import Hummingbird

/// Assessments through the JSON API: the list the caller may see, and one assessment's score,
/// explained. The scores are those of the pages and of `confianza assess score`.
struct AssessmentAPIController {
    let service: AssessmentService
    let accounts: AccountService

    func addRoutes(to router: Router<AppContext>) {
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.get("/assessments", use: self.list)
        api.get("/assessments/{id}/score", use: self.score)
    }

    static func json(_ value: JSONValue) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }

    @Sendable func list(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireSignedIn()
        var items: [JSONValue] = []
        let assessments = try await self.service.assessments(for: user)
        let scores = try await self.service.scores(assessments)
        for assessment in assessments {
            guard let (card, stored) = scores[assessment.id] else { continue }
            items.append(
                .object([
                    "id": .string(assessment.id.uuidString), "framework": .string(assessment.frameworkID), "edition": .string(assessment.edition),
                    "country": .string(assessment.country), "region": Countries.region(of: assessment.country).map(JSONValue.string) ?? .null,
                    "state": .string(assessment.state.rawValue), "tlp": .string(assessment.tlp.rawValue), "total": .double(card.total.double),
                    "maximum": .double(card.maximum.double), "tier": card.tier.map { .string($0.id) } ?? .null, "revision": .integer(Int64(stored.revision)),
                ]))
        }
        return Self.json(.array(items))
    }

    @Sendable func score(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireSignedIn()
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw AppError.notFound("assessment") }
        let assessment: Assessment
        do { assessment = try await self.service.assessment(id, for: user) } catch AssessmentError.notFound, AssessmentError.forbidden {
            throw AppError.notFound("assessment")
        }
        let (card, stored) = try await self.service.score(assessment)
        guard case .object(var fields) = card.json else { return Self.json(card.json) }
        fields["id"] = .string(assessment.id.uuidString)
        fields["country"] = .string(assessment.country)
        fields["framework"] = .string(stored.framework.id)
        fields["edition"] = .string(stored.framework.edition)
        fields["revision"] = .integer(Int64(stored.revision))
        fields["state"] = .string(assessment.state.rawValue)
        fields["answers"] = .object(Dictionary(uniqueKeysWithValues: card.indicators.flatMap(\.questions).compactMap { q in q.answer.map { (q.id, $0.json) } }))
        fields["history"] = .array(try await self.service.store.scores(assessmentID: assessment.id).map { record in
            .object([
                "revision": .integer(Int64(record.revision)), "total": .double(record.total), "tier": record.tier.map(JSONValue.string) ?? .null,
                "reason": .string(record.reason), "computedAt": .string(EventTime.format(record.computedAt)),
            ])
        })
        return Self.json(.object(fields))
    }
}
