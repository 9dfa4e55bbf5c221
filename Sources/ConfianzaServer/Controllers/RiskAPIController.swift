import ConfianzaCore
import Foundation
import Hummingbird

/// Risk registers through the JSON API: the registers, one cycle whole (with heat-map counts and the
/// comparison with the cycle before), the matrices, the SME statistics, and importing a register file.
struct RiskAPIController {
    let service: RiskService
    let accounts: AccountService

    /// The largest register file the API takes.
    static let maxImport = 8 * 1024 * 1024

    func addRoutes(to router: Router<AppContext>) {
        let api = router.group("/api/v1").add(middleware: BearerMiddleware(accounts: self.accounts))
        api.get("/risk/registers", use: self.registers)
        api.get("/risk/cycles/{id}", use: self.cycle)
        api.get("/risk/matrices", use: self.matrices)
        api.get("/risk/sme", use: self.sme)
        api.post("/risk/import", use: self.importFile)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }

    @Sendable func registers(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let now = Date()
        var seen: Set<UUID> = []
        let headers = try await self.service.store.cycleHeaders(organisationID: nil)
        let counts = Dictionary(grouping: headers, by: \.organisationID).mapValues(\.count)
        let items: [JSONValue] = headers.filter { seen.insert($0.organisationID).inserted }.map { h in
            .object([
                "organisationId": .string(h.organisationID.uuidString), "organisation": h.organisationName.map(JSONValue.string) ?? .null,
                "latestCycle": .string(h.id.uuidString), "startedAt": .string(EventTime.format(h.startedAt)), "matrix": .string(h.matrixID),
                "scenarios": .integer(Int64(h.scenarios)), "cycles": .integer(Int64(counts[h.organisationID] ?? 1)),
                "nextReview": h.nextReview.map { .string(EventTime.format($0)) } ?? .null, "overdue": .bool(h.nextReview.map { $0 < now } ?? false),
            ])
        }
        return Self.json(.array(items))
    }

    @Sendable func cycle(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)), let stored = try await self.service.store.cycle(id: id) else {
            throw AppError.notFound("cycle")
        }
        guard case .object(var fields) = RiskRegisterFile.json(cycle: stored) else { throw AppError.notFound("cycle") }
        fields["organisationId"] = .string(stored.cycle.organisationID.uuidString)
        var levels: [String: JSONValue] = [:]
        let ratings: [(String, KeyPath<RiskScenario, RiskScenario.Rating>)] = [("inherent", \.inherent), ("current", \.current), ("residual", \.residual)]
        for (name, path) in ratings {
            let counts = RiskService.levelCounts(stored, rating: path)
            var items: [JSONValue] = []
            for (level, count) in zip(stored.matrix.levels, counts) {
                items.append(.object(["level": .string(level.id), "count": .integer(Int64(count))]))
            }
            levels[name] = .array(items)
        }
        fields["levels"] = .object(levels)
        if let found = try await self.service.comparison(id) {
            fields["previousCycle"] = .string(found.previous.cycle.id.uuidString)
            func side(_ value: (level: String, score: Int)?) -> JSONValue {
                guard let value else { return .null }
                return .object(["level": .string(value.level), "score": .integer(Int64(value.score))])
            }
            var rows: [JSONValue] = []
            for row in found.comparison.rows {
                rows.append(
                    .object([
                        "key": .string(row.key.uuidString), "title": .string(row.title), "change": .string(row.change.rawValue), "before": side(row.before),
                        "after": side(row.after),
                    ]))
            }
            fields["comparison"] = .array(rows)
        }
        return Self.json(.object(fields))
    }

    @Sendable func matrices(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let items = try await self.service.matrices().map { m -> JSONValue in
            guard case .object(var fields) = (try? JSONReader.parse(m.source)) ?? .object([:]) else { return .null }
            fields["custom"] = .bool(m.custom)
            return .object(fields)
        }
        return Self.json(.array(items))
    }

    @Sendable func sme(request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireUser()
        let results = try await self.service.store.smeResults(limit: 100_000)
        let groups = Dictionary(grouping: results) { "\($0.sector)|\($0.size)" }
        let items: [JSONValue] = groups.keys.sorted().map { key in
            let items = groups[key] ?? []
            let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            func average(_ values: [Int]) -> JSONValue { values.isEmpty ? .null : .double(Double(values.reduce(0, +)) / Double(values.count)) }
            return .object([
                "sector": .string(parts.first ?? ""), "size": .string(parts.last ?? ""), "results": .integer(Int64(items.count)),
                "percent": average(items.map(\.percent)),
                "functions": .object(Dictionary(uniqueKeysWithValues: CSFCatalogue.functionOrder.map { f in (f, average(items.compactMap { $0.functions[f] })) })),
            ])
        }
        return Self.json(.object(["total": .integer(Int64(results.count)), "groups": .array(items)]))
    }

    @Sendable func importFile(request: Request, context: AppContext) async throws -> Response {
        let user = try context.requireRole(.analyst)
        let body = try await JSONInput.body(request, limit: Self.maxImport)
        do {
            let count = try await self.service.importRegisters(body, file: "request body", by: user.username, address: context.address)
            return Self.json(.object(["imported": .integer(Int64(count))]), status: .created)
        } catch RiskError.file(let error) {
            switch error {
            case .notJSON(_, let line, let reason): throw AppError.invalidFile(line: line, location: nil, reason: "not valid JSON: \(reason)")
            case .invalid(_, let path, let reason): throw AppError.invalidFile(line: nil, location: path, reason: reason.english)
            }
        } catch let error as RiskError {
            throw AppError.conflict(error.description, field: nil)
        }
    }
}
