import ConfianzaCore
import Foundation
import HTTPTypes
import Hummingbird

/// The knowledge base's pages, drawn the same for the public portal (TLP:CLEAR only, `base` `/public/knowledge`)
/// and for staff (every record, with its marking, `base` `/knowledge`).
struct KnowledgePages {
    let service: KnowledgeService
    let views: Views
    let clearOnly: Bool
    let base: String

    func t(_ key: String, _ context: AppContext, _ arguments: [String: String] = [:]) -> String { self.views.localizer.text(key, context.language, arguments) }

    func country(_ code: String, _ context: AppContext) -> String {
        let name = self.t("country.\(code)", context)
        return name == "country.\(code)" ? code : name
    }

    func region(_ code: String, _ context: AppContext) -> String { self.t("region.\(code)", context) }

    /// `?q=…&kind=…`: the query, each filter checked (an unknown value is a 400 naming it).
    func query(_ request: Request, page size: Int = 20) throws -> KnowledgeQuery {
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String? {
            // A form sent by GET writes spaces as "+".
            guard let text = parameters.get(name)?.replacingOccurrences(of: "+", with: " ").trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return String(text.prefix(200))
        }
        func parsed<T: RawRepresentable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String {
            guard let text = value(name) else { return nil }
            guard let found = T(rawValue: text) else { throw AppError.badRequest("\(name) \"\(text)\" is not a known value", field: name) }
            return found
        }
        var query = KnowledgeQuery(
            text: value("q") ?? "", kind: try parsed("kind", KnowledgeKind.self), level: try parsed("level", KnowledgeLevel.self), region: value("region"),
            country: value("country").map { $0.uppercased() }, pillar: try parsed("pillar", GCAPillar.self), status: value("status"), clearOnly: self.clearOnly,
            limit: size)
        if let region = query.region, !Countries.regions.contains(region) { throw AppError.badRequest("region \"\(region)\" is not an ITU region", field: "region") }
        if let country = query.country, Countries.normalise(country) == nil { throw AppError.badRequest("country \"\(country)\" is not a country code", field: "country") }
        let known = Set(InitiativeStatus.allCases.map(\.rawValue) + AgreementStatus.allCases.map(\.rawValue))
        if let status = query.status, !known.contains(status) { throw AppError.badRequest("status \"\(status)\" is not a known value", field: "status") }
        let page = max(1, min(10_000, Int(value("page") ?? "1") ?? 1))
        query.offset = (page - 1) * size
        return query
    }

    func href(_ query: KnowledgeQuery, setting name: String? = nil, to value: String? = nil, page: Int? = nil) -> String {
        var items: [(String, String)] = []
        let current: [(String, String?)] = [
            ("q", query.text.isEmpty ? nil : query.text), ("kind", query.kind?.rawValue), ("level", query.level?.rawValue), ("region", query.region),
            ("country", query.country), ("pillar", query.pillar?.rawValue), ("status", query.status),
        ]
        for (key, existing) in current {
            let chosen = key == name ? value : existing
            if let chosen { items.append((key, chosen)) }
        }
        if let page, page > 1 { items.append(("page", String(page))) }
        let encoded = items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return self.base + (encoded.isEmpty ? "" : "?" + encoded)
    }

    static func snippet(_ text: String, terms: [String]) -> String {
        SearchTerms.snippet(text, terms: terms).map { $0.marked ? "<mark>" + SafeMarkdown.escape($0.text) + "</mark>" : SafeMarkdown.escape($0.text) }.joined()
    }

    func search(request: Request, context: AppContext, extra: [String: Any] = [:], flash: Views.Flash? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let query = try self.query(request)
        let results = try await self.service.store.searchKnowledge(query)
        let terms = SearchTerms.query(query.text)
        let hits = results.hits.map { hit -> [String: Any] in
            [
                "title": hit.title, "href": "\(self.base)/\(hit.kind.rawValue)/\(hit.id.uuidString)", "kind": self.t("knowledge.kind.\(hit.kind.rawValue)", context),
                "snippet": Self.snippet(hit.text, terms: terms), "tlp": hit.tlp.rawValue, "showTLP": !self.clearOnly,
            ]
        }
        func facet(_ name: String, _ counts: [String: Int], label: (String) -> String) -> [String: Any] {
            [
                "name": name, "title": self.t("knowledge.facet.\(name)", context),
                "values": counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(12).map { key, count in
                    ["label": label(key), "count": count, "href": self.href(query, setting: name, to: key)] as [String: Any]
                },
            ]
        }
        let facets = [
            facet("kind", results.facets.kind) { self.t("knowledge.kind.\($0)", context) },
            facet("level", results.facets.level) { self.t("knowledge.level.\($0)", context) },
            facet("region", results.facets.region) { self.region($0, context) },
            facet("country", results.facets.country) { self.country($0, context) },
            facet("pillar", results.facets.pillar) { self.t("knowledge.pillar.\($0)", context) },
            facet("status", results.facets.status) { self.t("knowledge.status.\($0)", context) },
        ].filter { !(($0["values"] as? [Any])?.isEmpty ?? true) }
        let page = query.offset / max(1, query.limit) + 1
        let filters: [(String, String?)] = [
            ("kind", query.kind.map { self.t("knowledge.kind.\($0.rawValue)", context) }), ("level", query.level.map { self.t("knowledge.level.\($0.rawValue)", context) }),
            ("region", query.region.map { self.region($0, context) }), ("country", query.country.map { self.country($0, context) }),
            ("pillar", query.pillar.map { self.t("knowledge.pillar.\($0.rawValue)", context) }), ("status", query.status.map { self.t("knowledge.status.\($0)", context) }),
        ]
        var data: [String: Any] = [
            "base": self.base, "q": query.text, "hits": hits, "hasHits": !hits.isEmpty, "total": results.total, "facets": facets,
            "found": self.t("knowledge.found", context, ["count": String(results.total)]),
            "active": filters.compactMap { name, label in label.map { ["label": "\(self.t("knowledge.facet.\(name)", context)): \($0)", "href": self.href(query, setting: name, to: nil)] } },
            "hasPrevious": page > 1, "previous": self.href(query, page: page - 1), "hasNext": query.offset + hits.count < results.total,
            "next": self.href(query, page: page + 1), "isPublic": self.clearOnly, "networkHref": "\(self.base)/network",
        ]
        data.merge(extra) { _, new in new }
        return try self.views.page("knowledge_search", title: self.t("knowledge.title", context), data: data, context: context, request: request, flash: flash, status: status)
    }
}
