import ConfianzaCore
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// An error that reaches the client: as an RFC 9457 problem document for the API, as a page for people.
public enum AppError: Error, Equatable, Sendable {
    case badRequest(String, field: String?)
    case invalidFields([FieldError])
    case unauthenticated
    case forbidden(String)
    case notFound(String)
    case conflict(String, field: String?)
    case unsupportedMediaType(String)
    case payloadTooLarge(Int)
    case rateLimited(retryAfterSeconds: Int)
    case csrf
    case unavailable(String)
    /// A file that was refused, with the line and place of its first fault.
    case invalidFile(line: Int?, location: String?, reason: String)

    public struct FieldError: Codable, Equatable, Sendable {
        public var field: String
        public var reason: String
    }

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest, .invalidFields, .invalidFile: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden, .csrf: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unsupportedMediaType: .unsupportedMediaType
        case .payloadTooLarge: .contentTooLarge
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    var problemType: String {
        switch self {
        case .badRequest, .invalidFields: "urn:confianza:problem:invalid-input"
        case .invalidFile: "urn:confianza:problem:invalid-file"
        case .unauthenticated: "urn:confianza:problem:unauthenticated"
        case .forbidden: "urn:confianza:problem:forbidden"
        case .csrf: "urn:confianza:problem:csrf"
        case .notFound: "urn:confianza:problem:not-found"
        case .conflict: "urn:confianza:problem:conflict"
        case .unsupportedMediaType: "urn:confianza:problem:unsupported-media-type"
        case .payloadTooLarge: "urn:confianza:problem:too-large"
        case .rateLimited: "urn:confianza:problem:rate-limited"
        case .unavailable: "urn:confianza:problem:unavailable"
        }
    }

    var detail: String {
        switch self {
        case .badRequest(let message, _), .forbidden(let message), .notFound(let message), .conflict(let message, _),
            .unsupportedMediaType(let message), .unavailable(let message):
            message
        case .invalidFields(let errors): errors.map { "\($0.field): \($0.reason)" }.joined(separator: "; ")
        case .unauthenticated: "sign in, or send an API token as 'Authorization: Bearer …'"
        case .payloadTooLarge(let limit): "the request body is larger than \(limit) bytes"
        case .rateLimited(let seconds): "too many attempts: try again in \(max(1, (seconds + 59) / 60)) minute(s)"
        case .csrf: "the form's anti-forgery token is missing or wrong: reload the page and try again"
        case .invalidFile(let line, let location, let reason): Self.placed(reason, line: line, location: location)
        }
    }

    /// `line 4, column value: reason`.
    static func placed(_ reason: String, line: Int?, location: String?) -> String {
        let place = [line.map { "line \($0)" }, location].compactMap { $0 }.joined(separator: ", ")
        return place.isEmpty ? reason : "\(place): \(reason)"
    }

    var fieldErrors: [FieldError] {
        switch self {
        case .invalidFields(let errors): errors
        case .badRequest(let message, let field?), .conflict(let message, let field?): [FieldError(field: field, reason: message)]
        case .invalidFile(_, let location?, let reason): [FieldError(field: location, reason: reason)]
        default: []
        }
    }

    /// Maps the core's account errors to what the client sees.
    static func from(_ error: AccountError) -> AppError {
        switch error {
        case .invalidCredentials: .unauthenticated
        case .rateLimited(let seconds): .rateLimited(retryAfterSeconds: seconds)
        case .busy: .unavailable(error.description)
        case .forbidden: .forbidden(error.description)
        case .unknownUser, .tokenNotFound: .notFound(error.description)
        case .usernameTaken, .lastAdmin: .conflict(error.description, field: error.field)
        case .invalidUsername, .invalidDisplayName, .weakPassword, .invalidTokenName, .wrongCurrentPassword:
            .invalidFields([FieldError(field: error.field ?? "body", reason: error.description)])
        }
    }

    /// Maps the constituency's errors to what the client sees.
    static func from(_ error: ConstituencyError) -> AppError {
        switch error {
        case .invalid(let field, let value, let reason): .invalidFields([FieldError(field: field, reason: "'\(value)': \(reason)")])
        case .duplicate: .conflict(error.description, field: nil)
        case .unknownOrganisation: .invalidFields([FieldError(field: "organisation", reason: error.description)])
        case .notFound: .notFound(error.description)
        }
    }

    /// Maps incident handling's errors to what the client sees.
    static func from(_ error: IncidentError) -> AppError {
        switch error {
        case .invalid(let field, _): .invalidFields([FieldError(field: field, reason: error.description)])
        case .transition: .conflict(error.description, field: "status")
        case .notFound: .notFound(error.description)
        }
    }

    /// The problem document (RFC 9457).
    struct Problem: Codable, Equatable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var instance: String?
        var errors: [FieldError]?
        /// For a refused file: the line of its first fault.
        var line: Int?
    }

    func problem(instance: String?) -> Problem {
        let errors = self.fieldErrors
        var line: Int?
        if case .invalidFile(let fileLine, _, _) = self { line = fileLine }
        return Problem(
            type: self.problemType, title: self.status.reasonPhrase, status: Int(self.status.code), detail: self.detail,
            instance: instance, errors: errors.isEmpty ? nil : errors, line: line)
    }

    func problemResponse(instance: String?) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self.problem(instance: instance))) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if case .unauthenticated = self { headers[.wwwAuthenticate] = "Bearer realm=\"confianza\"" }
        if case .rateLimited(let seconds) = self { headers[.retryAfter] = "\(seconds)" }
        if case .unavailable = self { headers[.retryAfter] = "5" }
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension AppError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.problemResponse(instance: request.uri.path)
    }
}
