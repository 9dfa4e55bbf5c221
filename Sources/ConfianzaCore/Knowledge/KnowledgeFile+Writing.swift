import Foundation

extension KnowledgeFile {
    /// The knowledge base as the file `read` takes back: every field written, defaults included, keys sorted.
    public static func json(_ base: KnowledgeBase) -> JSONValue {
        func day(_ date: Date?) -> JSONValue { date.map { .string(CalendarDay.format($0)) } ?? .null }
        func strings(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
        return .object([
            "initiatives": .array(base.initiatives.map { i in
                .object([
                    "id": .string(i.id.uuidString), "title": .string(i.title), "summary": .string(i.summary), "description": .string(i.description),
                    "level": .string(i.level.rawValue), "countries": strings(i.countries), "region": i.region.map(JSONValue.string) ?? .null,
                    "organisations": .array(i.organisations.map { .object(["name": .string($0.name), "role": .string($0.role.rawValue)]) }),
                    "pillars": strings(i.pillars.map(\.rawValue)), "themes": strings(i.themes), "status": .string(i.status.rawValue),
                    "startDate": day(i.startDate), "endDate": day(i.endDate), "links": strings(i.links), "tlp": .string(i.tlp.rawValue),
                ])
            }),
            "caseStudies": .array(base.caseStudies.map { c in
                .object([
                    "id": .string(c.id.uuidString), "title": .string(c.title), "country": .string(c.country), "institutionType": .string(c.institutionType.rawValue),
                    "mandate": .string(c.mandate), "legalBasis": .string(c.legalBasis), "governance": .string(c.governance), "funding": .string(c.funding),
                    "staffing": .string(c.staffing), "services": strings(c.services), "lessonsLearned": .string(c.lessonsLearned), "body": .string(c.body),
                    "links": strings(c.links), "tlp": .string(c.tlp.rawValue),
                ])
            }),
            "agreements": .array(base.agreements.map { a in
                .object([
                    "id": .string(a.id.uuidString), "title": .string(a.title), "summary": .string(a.summary), "type": .string(a.type.rawValue),
                    "parties": .array(a.parties.map { party in
                        switch party {
                        case .country(let code): .string(code)
                        case .organisation(let name): .object(["organisation": .string(name)])
                        }
                    }),
                    "scope": strings(a.scope.map(\.rawValue)), "status": .string(a.status.rawValue), "signedDate": day(a.signedDate),
                    "startDate": day(a.startDate), "expiryDate": day(a.expiryDate), "link": a.link.map(JSONValue.string) ?? .null, "tlp": .string(a.tlp.rawValue),
                ])
            }),
        ])
    }
}
