import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

extension KnowledgePages {
    static func ids(_ context: AppContext) throws -> (KnowledgeKind, UUID) {
        guard let kind = context.parameters.get("kind").flatMap(KnowledgeKind.init(rawValue:)), let id = context.parameters.get("id").flatMap(UUID.init(uuidString:))
        else { throw AppError.notFound("record") }
        return (kind, id)
    }

    func day(_ date: Date?) -> String { date.map(CalendarDay.format) ?? "—" }

    /// One record's page: every field, the case study's body rendered safely.
    func record(request: Request, context: AppContext, canEdit: Bool) async throws -> Response {
        let (kind, id) = try Self.ids(context)
        guard let found = try await self.service.store.knowledgeRecord(kind: kind, id: id, clearOnly: self.clearOnly) else { throw AppError.notFound("record") }
        var facts: [(String, String)] = []
        var title = ""
        var body = ""
        var links: [String] = []
        var tlp = TLP.clear
        let list = { (items: [String]) in items.isEmpty ? "—" : items.joined(separator: ", ") }
        if let i = found.initiatives.first {
            title = i.title
            tlp = i.tlp
            links = i.links
            body = ([i.summary, i.description].filter { !$0.isEmpty }).map { "<p>" + SafeMarkdown.escape($0).replacingOccurrences(of: "\n", with: "<br>") + "</p>" }.joined()
            facts = [
                ("knowledge.field.level", self.t("knowledge.level.\(i.level.rawValue)", context)), ("knowledge.field.status", self.t("knowledge.status.\(i.status.rawValue)", context)),
                ("knowledge.field.countries", list(i.countries.map { self.country($0, context) })), ("knowledge.field.region", i.region.map { self.region($0, context) } ?? "—"),
                ("knowledge.field.organisations", list(i.organisations.map { "\($0.name) (\(self.t("knowledge.role.\($0.role.rawValue)", context)))" })),
                ("knowledge.field.pillars", list(i.pillars.map { self.t("knowledge.pillar.\($0.rawValue)", context) })), ("knowledge.field.themes", list(i.themes)),
                ("knowledge.field.dates", "\(self.day(i.startDate)) – \(self.day(i.endDate))"),
            ]
        } else if let c = found.caseStudies.first {
            title = c.title
            tlp = c.tlp
            links = c.links
            body = SafeMarkdown.html(c.body)
            facts = [
                ("knowledge.field.country", self.country(c.country, context)), ("knowledge.field.institution", self.t("knowledge.institution.\(c.institutionType.rawValue)", context)),
                ("knowledge.field.mandate", c.mandate), ("knowledge.field.legal_basis", c.legalBasis), ("knowledge.field.governance", c.governance),
                ("knowledge.field.funding", c.funding), ("knowledge.field.staffing", c.staffing), ("knowledge.field.services", list(c.services)),
                ("knowledge.field.lessons", c.lessonsLearned),
            ].filter { !$0.1.isEmpty }
        } else if let a = found.agreements.first {
            title = a.title
            tlp = a.tlp
            links = a.link.map { [$0] } ?? []
            body = a.summary.isEmpty ? "" : "<p>" + SafeMarkdown.escape(a.summary) + "</p>"
            let parties = a.parties.map { party -> String in
                switch party {
                case .country(let code): self.country(code, context)
                case .organisation(let name): name
                }
            }
            facts = [
                ("knowledge.field.type", self.t("knowledge.type.\(a.type.rawValue)", context)), ("knowledge.field.parties", list(parties)),
                ("knowledge.field.scope", list(a.scope.map { self.t("knowledge.scope.\($0.rawValue)", context) })),
                ("knowledge.field.status", self.t("knowledge.status.\(a.status.rawValue)", context)), ("knowledge.field.signed", self.day(a.signedDate)),
                ("knowledge.field.dates", "\(self.day(a.startDate)) – \(self.day(a.expiryDate))"),
            ]
        }
        let data: [String: Any] = [
            "title": title, "kind": self.t("knowledge.kind.\(kind.rawValue)", context), "facts": facts.map { ["label": self.t($0.0, context), "value": $0.1] },
            "body": body, "hasBody": !body.isEmpty, "links": links, "hasLinks": !links.isEmpty, "tlp": tlp.rawValue, "showTLP": !self.clearOnly, "base": self.base,
            "canEdit": canEdit, "deleteAction": "\(self.base)/\(kind.rawValue)/\(id.uuidString)/delete",
        ]
        return try self.views.page("knowledge_record", title: title, data: data, context: context, request: request)
    }

    /// The agreements network: the drawing, each country's partners, the gaps, clusters, bridges and suggestions.
    func network(request: Request, context: AppContext) async throws -> Response {
        let network = try await self.service.network(clearOnly: self.clearOnly)
        let parameters = request.uri.queryParameters
        let region = parameters.get("region").flatMap { Countries.regions.contains($0) ? $0 : nil } ?? Countries.regions.first ?? ""
        let names = { (codes: [String]) in codes.map { self.country($0, context) }.joined(separator: ", ") }
        let ranked = network.partners.keys.sorted { network.degree(of: $0) != network.degree(of: $1) ? network.degree(of: $0) > network.degree(of: $1) : $0 < $1 }
        let data: [String: Any] = [
            "base": self.base, "drawing": NetworkDrawing.svg(network, title: self.t("knowledge.network.drawing", context), name: { self.country($0, context) }),
            "links": network.links.count, "countries": network.partners.count,
            "summary": self.t("knowledge.network.summary", context, ["links": String(network.links.count), "countries": String(network.partners.count)]),
            "degrees": ranked.prefix(40).map { code in
                ["country": self.country(code, context), "code": code, "degree": network.degree(of: code), "partners": names(network.partners(of: code))] as [String: Any]
            },
            "regions": Countries.regions.map { ["id": $0, "name": self.region($0, context), "selected": $0 == region] as [String: Any] },
            "region": self.region(region, context),
            "isolated": names(network.isolated(region: region)), "withoutIR": names(network.withoutIncidentResponse(region: region)),
            "clusters": network.clusters(region: region).map { names($0) },
            "bridges": network.bridges().map { "\(self.country($0.a, context)) – \(self.country($0.b, context))" },
            "suggestions": network.suggestions(region: region).map { s in
                ["pair": "\(self.country(s.link.a, context)) – \(self.country(s.link.b, context))", "common": names(s.common), "count": s.common.count] as [String: Any]
            },
            "isPublic": self.clearOnly,
        ]
        return try self.views.page("knowledge_network", title: self.t("knowledge.network.title", context), data: data, context: context, request: request)
    }
}

/// The network drawn as inline SVG: countries on a circle grouped by region (``AgreementNetwork/layout``),
/// links as lines (thicker for incident response), each country labelled with its code.
enum NetworkDrawing {
    static func svg(_ network: AgreementNetwork, title: String, name: (String) -> String, size: Int = 640) -> String {
        let positions = network.layout(size: Double(size))
        var out = "<svg id=\"network\" class=\"chart network\" role=\"img\" aria-labelledby=\"network-title\" viewBox=\"0 0 \(size) \(size)\" width=\"100%\" style=\"max-width:\(size)px\">"
        out = out.replacingOccurrences(of: " style=\"max-width:\(size)px\"", with: "")
        out += "<title id=\"network-title\">\(SVGChart.escape(title))</title>"
        for link in network.links {
            guard let a = positions[link.a], let b = positions[link.b] else { continue }
            let ir = network.scopes[link]?.contains(.incidentResponse) == true
            out += "<line x1=\"\(a.x)\" y1=\"\(a.y)\" x2=\"\(b.x)\" y2=\"\(b.y)\" stroke=\"\(ir ? "#1f5fa8" : "#9aa8b6")\" stroke-width=\"\(ir ? 2 : 1)\" data-link=\"\(link.a)-\(link.b)\"></line>"
        }
        let centre = Double(size) / 2
        for (code, point) in positions.sorted(by: { $0.key < $1.key }) {
            let dx = point.x - centre
            let dy = point.y - centre
            let length = max(1, (dx * dx + dy * dy).squareRoot())
            let lx = ((point.x + dx / length * 16) * 10).rounded() / 10
            let ly = ((point.y + dy / length * 16 + 4) * 10).rounded() / 10
            out += "<g class=\"node\" data-country=\"\(code)\" data-degree=\"\(network.degree(of: code))\"><title>\(SVGChart.escape(name(code))): \(network.degree(of: code))</title>"
            out += "<circle cx=\"\(point.x)\" cy=\"\(point.y)\" r=\"\(3 + min(6, network.degree(of: code)))\" fill=\"#1f5fa8\"></circle>"
            out += "<text x=\"\(lx)\" y=\"\(ly)\" text-anchor=\"middle\" font-size=\"10\">\(code)</text></g>"
        }
        return out + "</svg>"
    }
}
