import ConfianzaCore
import Foundation

/// The media types of TAXII 2.1 and STIX 2.1.
public enum TAXIIMediaType {
    public static let taxii = "application/taxii+json;version=2.1"
    public static let stix = "application/stix+json;version=2.1"

    /// Whether a client's `Accept` lets us answer in TAXII 2.1. Real clients send the versioned type,
    /// the bare type, `application/json` or `*/*` (OpenCTI once sent the last two): all are served.
    /// Only a request for another TAXII version, or for nothing JSON at all, is refused.
    public static func acceptable(_ accept: String?) -> Bool {
        guard let accept, !accept.trimmingCharacters(in: .whitespaces).isEmpty else { return true }
        for item in accept.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first else { continue }
            let version = parts.dropFirst().first { $0.hasPrefix("version=") }.map { String($0.dropFirst(8)) }
            switch type {
            case "application/taxii+json", "application/stix+json", "application/vnd.oasis.stix+json":
                if version == nil || version == "2.1" { return true }
            case "application/json", "application/*", "*/*": return true
            default: continue
            }
        }
        return false
    }

    /// Whether a POST's `Content-Type` holds objects we can read: TAXII 2.1 envelopes, and (as OpenCTI
    /// and others send) STIX 2.1 and plain JSON.
    public static func readable(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let type = parts.first else { return false }
        let version = parts.dropFirst().first { $0.hasPrefix("version=") }.map { String($0.dropFirst(8)) }
        switch type {
        case "application/taxii+json", "application/stix+json", "application/vnd.oasis.stix+json": return version == nil || version == "2.1"
        case "application/json": return true
        default: return false
        }
    }
}

/// A TAXII error, answered as a TAXII error message with its HTTP status.
public enum TAXIIError: Error, Equatable, Sendable, CustomStringConvertible {
    case badRequest(String)
    case unauthorized
    case forbidden(String)
    case notFound(String)
    case methodNotAllowed
    case notAcceptable
    case tooLarge(limit: Int)
    case unsupportedMediaType(String)
    case unprocessable(String)
    case internalError

    public var status: Int {
        switch self {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .notAcceptable: 406
        case .tooLarge: 413
        case .unsupportedMediaType: 415
        case .unprocessable: 422
        case .internalError: 500
        }
    }

    public var title: String {
        switch self {
        case .badRequest: "Bad request"
        case .unauthorized: "Authentication required"
        case .forbidden: "Not permitted"
        case .notFound: "Not found"
        case .methodNotAllowed: "Method not allowed"
        case .notAcceptable: "Not acceptable"
        case .tooLarge: "Request too large"
        case .unsupportedMediaType: "Unsupported media type"
        case .unprocessable: "Unprocessable content"
        case .internalError: "Server error"
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let reason), .forbidden(let reason), .notFound(let reason), .unprocessable(let reason): reason
        case .unauthorized: "send HTTP Basic (user and token) or Bearer credentials issued by this CIRT"
        case .methodNotAllowed: "this endpoint does not support that method"
        case .notAcceptable: "this server answers in \(TAXIIMediaType.taxii) (send that, or no Accept header)"
        case .tooLarge(let limit): "the request is larger than max_content_length (\(limit) bytes): send the objects in several requests"
        case .unsupportedMediaType(let given): "Content-Type '\(given)' is not readable: send \(TAXIIMediaType.taxii)"
        case .internalError: "the server could not answer; the error was logged"
        }
    }

    /// The error message resource (`http_status` as a string, as the specification writes it).
    public var body: JSONValue {
        .object(["title": .string(self.title), "description": .string(self.description), "http_status": .string(String(self.status))])
    }
}

/// `next` tokens: the `date_added` of the last item given, opaque to clients. They hold no state on
/// the server, so they survive restarts and never expire, and since every filter is sent again with
/// them, they stay right however the client pages (OpenCTI resends `added_after` with them).
public enum TAXIICursor {
    public static func encode(_ dateAdded: Int64) -> String {
        "c" + String(UInt64(bitPattern: dateAdded), radix: 36)
    }

    public static func decode(_ token: String) throws(TAXIIError) -> Int64 {
        guard token.count >= 2, token.count <= 16, token.first == "c", let value = UInt64(token.dropFirst(), radix: 36) else {
            throw .badRequest("next '\(token.prefix(40))' is not a token this server gave")
        }
        return Int64(bitPattern: value)
    }
}

/// The query parameters of the list endpoints, checked.
public struct TAXIIFilters: Sendable {
    public static let defaultLimit = 100
    public static let maxLimit = 1000

    /// Parameters each endpoint accepts.
    public enum Endpoint: Sendable {
        case objects, manifest, object, versions, delete

        var allowed: Set<String> {
            switch self {
            case .objects, .manifest: ["added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"]
            case .object: ["added_after", "limit", "next", "match[version]", "match[spec_version]"]
            case .versions: ["added_after", "limit", "next", "match[spec_version]"]
            case .delete: ["match[version]", "match[spec_version]"]
            }
        }
    }

    /// Reads `parameters` (name, value pairs as given) into a query. Unknown parameters are refused
    /// with their name, as is every malformed value.
    public static func query(
        _ parameters: [(String, String)], endpoint: TAXIIFilters.Endpoint, visibility: STIXVisibility
    ) throws(TAXIIError) -> STIXObjectQuery {
        var query = STIXObjectQuery(visibility: visibility, versions: endpoint == .versions || endpoint == .delete ? .all : .last, limit: Self.defaultLimit)
        var seen: Set<String> = []
        for (name, value) in parameters {
            guard endpoint.allowed.contains(name) else {
                if name.hasPrefix("match[") || ["added_after", "limit", "next"].contains(name) {
                    throw .badRequest("\(name) is not a filter of this endpoint")
                }
                throw .badRequest("unknown parameter '\(name.prefix(60))'")
            }
            guard seen.insert(name).inserted else { throw .badRequest("\(name) is given twice: give one value (comma-separated lists where allowed)") }
            switch name {
            case "added_after":
                guard let micros = STIXObjects.micros(value) else { throw .badRequest("added_after '\(value.prefix(40))' is not a timestamp (2024-05-01T00:00:00.000Z)") }
                query.addedAfter = micros
            case "limit":
                guard let limit = Int(value), limit >= 1 else { throw .badRequest("limit '\(value.prefix(20))' is not a whole number of at least 1") }
                query.limit = min(limit, Self.maxLimit)
            case "next":
                query.after = try TAXIICursor.decode(value)
            case "match[id]":
                query.ids = try Self.list(name, value)
            case "match[type]":
                let types = try Self.list(name, value)
                for type in types where !type.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) {
                    throw .badRequest("match[type]: '\(type.prefix(40))' is not a STIX type")
                }
                query.types = types
            case "match[spec_version]":
                query.specVersions = try Self.list(name, value)
            case "match[version]":
                // Values are or-ed (TAXII 2.1 §3.4.1): `first,last` asks for both ends of each object's history.
                let items = try Self.list(name, value)
                if items.contains("all") {
                    query.versions = .all
                    continue
                }
                var rules: [STIXVersionMatch] = []
                var versions: [Int64] = []
                for item in items {
                    switch item {
                    case "last": if !rules.contains(.last) { rules.append(.last) }
                    case "first": if !rules.contains(.first) { rules.append(.first) }
                    default:
                        guard let micros = STIXObjects.micros(item) else {
                            throw .badRequest("match[version]: '\(item.prefix(40))' is not first, last, all or a timestamp")
                        }
                        versions.append(micros)
                    }
                }
                if !versions.isEmpty { rules.append(.at(versions)) }
                query.versions = rules.count == 1 ? rules[0] : .anyOf(rules)
            default: break
            }
        }
        return query
    }

    private static func list(_ name: String, _ value: String) throws(TAXIIError) -> [String] {
        let items = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else { throw .badRequest("\(name) has an empty value") }
        guard items.count <= 100, value.utf8.count <= 8192 else { throw .badRequest("\(name) lists too many values (at most 100)") }
        return items
    }
}

/// The bodies of TAXII responses, written straight as JSON text: a page of 1,000 objects is copied,
/// never parsed again.
public enum TAXIIBody {
    /// `{"more":…,"next":…,"objects":[`: what comes before the objects themselves. With nothing to return
    /// the envelope is `{"more":false}`: when present, `objects` holds one or more (TAXII 2.1 §3.7).
    public static func objectsHead(_ records: ArraySlice<STIXObjectRecord>, more: Bool) -> String {
        var out = "{\"more\":\(more)"
        if more, let last = records.last { out += ",\"next\":\"\(TAXIICursor.encode(last.dateAdded))\"" }
        return records.isEmpty ? out : out + ",\"objects\":["
    }

    /// What closes an objects page opened by ``objectsHead(_:more:)``.
    public static func objectsTail(_ records: ArraySlice<STIXObjectRecord>) -> String { records.isEmpty ? "}" : "]}" }

    public static func manifest(_ records: ArraySlice<STIXObjectRecord>, more: Bool) -> String {
        var fields: [String: JSONValue] = ["more": .bool(more)]
        if more, let last = records.last { fields["next"] = .string(TAXIICursor.encode(last.dateAdded)) }
        // When present, `objects` holds one or more (TAXII 2.1 §3.6): an empty manifest leaves it out.
        if !records.isEmpty { fields["objects"] = .array(
            records.map { record in
                .object([
                    "id": .string(record.id), "date_added": .string(STIXObjects.text(micros: record.dateAdded)), "version": .string(STIXObjects.versionText(record)),
                    "media_type": .string(TAXIIMediaType.stix),
                ])
            }) }
        return JSONValue.object(fields).text
    }

    public static func versions(_ records: ArraySlice<STIXObjectRecord>, more: Bool) -> String {
        var fields: [String: JSONValue] = ["more": .bool(more)]
        if more, let last = records.last { fields["next"] = .string(TAXIICursor.encode(last.dateAdded)) }
        fields["versions"] = .array(records.map { .string(STIXObjects.versionText($0)) })
        return JSONValue.object(fields).text
    }

    public static func status(_ status: TAXIIStatus) -> String {
        var fields: [String: JSONValue] = [
            "id": .string(status.id.uuidString.lowercased()), "status": .string("complete"),
            "request_timestamp": .string(STIXObjects.text(micros: Int64((status.requestTimestamp.timeIntervalSince1970 * 1_000_000).rounded(.down)))),
            "total_count": .integer(Int64(status.totalCount)), "success_count": .integer(Int64(status.successes.count)),
            "failure_count": .integer(Int64(status.failures.count)), "pending_count": .integer(0),
        ]
        if !status.successes.isEmpty { fields["successes"] = .array(status.successes.map(\.json)) }
        if !status.failures.isEmpty { fields["failures"] = .array(status.failures.map(\.json)) }
        return JSONValue.object(fields).text
    }

    public static func collection(_ collection: TAXIICollection, canRead: Bool, canWrite: Bool) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(collection.id.uuidString.lowercased()), "title": .string(collection.title), "can_read": .bool(canRead),
            "can_write": .bool(canWrite), "media_types": .array([.string(TAXIIMediaType.stix)]),
        ]
        if !collection.description.isEmpty { fields["description"] = .string(collection.description) }
        if let alias = collection.alias { fields["alias"] = .string(alias) }
        return .object(fields)
    }
}
