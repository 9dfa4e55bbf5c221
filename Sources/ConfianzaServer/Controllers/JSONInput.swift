import Foundation
import Hummingbird
import NIOCore

/// Strict reading of JSON request bodies: the right media type, valid UTF-8 JSON, an object, no
/// unknown fields, every field of the right type. Each refusal names the field at fault.
enum JSONInput {
    static let limit = 64 * 1024

    /// A JSON body as text (for files read by the core, which name the place of every fault), up to `limit` bytes.
    static func body(_ request: Request, limit: Int) async throws -> String {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else { throw AppError.unsupportedMediaType("send the body as application/json") }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw AppError.payloadTooLarge(limit)
        }
        guard buffer.readableBytes > 0 else { throw AppError.badRequest("the body is empty: send a JSON object", field: nil) }
        guard let text = String(data: Data(buffer.readableBytesView), encoding: .utf8) else { throw AppError.badRequest("the body is not valid UTF-8", field: nil) }
        return text
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, allowedFields: Set<String>) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") || contentType.hasPrefix("application/merge-patch+json") else {
            throw AppError.unsupportedMediaType("send the body as application/json")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.limit)
        } catch {
            throw AppError.payloadTooLarge(Self.limit)
        }
        let data = Data(buffer.readableBytesView)
        guard !data.isEmpty else { throw AppError.badRequest("the body is empty: send a JSON object", field: nil) }
        guard String(data: data, encoding: .utf8) != nil else {
            throw AppError.badRequest("the body is not valid UTF-8", field: nil)
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw AppError.badRequest("the body is not valid JSON" + (reason.map { ": \($0)" } ?? ""), field: nil)
        }
        guard let fields = object as? [String: Any] else {
            throw AppError.badRequest("the body must be a JSON object", field: nil)
        }
        let unknown = Set(fields.keys).subtracting(allowedFields).sorted()
        if !unknown.isEmpty {
            throw AppError.invalidFields(
                unknown.map { .init(field: $0, reason: "unknown field (known: \(allowedFields.sorted().joined(separator: ", ")))") })
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw Self.describe(error)
        }
    }

    static func describe(_ error: DecodingError) -> AppError {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalidFields([.init(field: path(context.codingPath, key), reason: "is required")])
        case .typeMismatch(let type, let context):
            return .invalidFields([.init(field: path(context.codingPath), reason: "must be \(Self.name(of: type))")])
        case .valueNotFound(let type, let context):
            return .invalidFields([.init(field: path(context.codingPath), reason: "must be \(Self.name(of: type)), not null")])
        case .dataCorrupted(let context):
            return .invalidFields([.init(field: path(context.codingPath), reason: context.debugDescription)])
        @unknown default:
            return .badRequest("the body does not match what this endpoint expects", field: nil)
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Double.Type: "a number"
        default: "\(type)"
        }
    }
}

/// A JSON response with a status.
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var value: Value

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(self.value)
        return Response(
            status: self.status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
