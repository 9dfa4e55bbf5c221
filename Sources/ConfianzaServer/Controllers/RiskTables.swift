import ConfianzaCore
import Foundation
import Hummingbird
import NIOCore

/// Every table of the risk pages as CSV or JSON (`?format=csv|json`): the same columns as the page,
/// under stable English names, raw values (ids, ISO dates) rather than labels.
struct RiskTable {
    var name: String
    var columns: [String]
    var rows: [[String]]

    var csv: String {
        ([self.columns] + self.rows).map { $0.map(EventsCSV.cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    var json: Data {
        let objects = self.rows.map { row in Dictionary(uniqueKeysWithValues: zip(self.columns, row)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode([self.name: objects])) ?? Data("{}".utf8)
    }

    /// The table as the requested format, or `nil` when the page itself was asked for.
    func response(for request: Request) throws -> Response? {
        switch request.uri.queryParameters.get("format") {
        case nil: return nil
        case "csv":
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(self.name).csv\""],
                body: .init(byteBuffer: ByteBuffer(string: self.csv)))
        case "json":
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .contentDisposition: "attachment; filename=\"\(self.name).json\""],
                body: .init(byteBuffer: ByteBuffer(bytes: self.json)))
        case let other?:
            throw AppError.badRequest("format must be csv or json, not \(other)", field: "format")
        }
    }
}
