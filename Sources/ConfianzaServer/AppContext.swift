import ConfianzaCore
import ConfianzaSTIX
import Foundation
import Hummingbird
import NIOCore

/// Per-request state, filled in by ``IdentityMiddleware`` and read by the controllers.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address (from the socket, or `X-Forwarded-For` behind a trusted proxy).
    public var address: String
    /// The signed-in user, from a session cookie (pages) or a bearer token (API).
    public var user: User?
    /// The browser session, when signed in through the pages.
    public var session: Session?
    /// The session cookie's value, to end the session on logout.
    public var sessionToken: String?
    /// The language pages and messages are given in.
    public var language: Language = .english
    /// The anti-forgery token forms of this request must carry.
    public var csrfToken: String = ""
    /// The fields of a submitted form (`application/x-www-form-urlencoded`), already checked for CSRF.
    public var form: FormFields = FormFields()
    /// The files of a submitted `multipart/form-data` form (evidence uploads), already checked for CSRF.
    public var files: [UploadedFile] = []
    /// Who a TAXII request comes from (set under `/taxii2/` only).
    public var taxiiRequester: TAXIIRequester?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.address = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    public var maxUploadSize: Int { 1024 * 1024 }

    /// The signed-in staff member (viewer, analyst or admin), or a 401 that sends pages to the login
    /// form. A focal point is refused: they see only their country's assessments (``requireSignedIn()``).
    func requireUser() throws -> User {
        let user = try self.requireSignedIn()
        guard user.role != .focalPoint else { throw AppError.forbidden("a focal point sees only their country's assessments") }
        return user
    }

    /// Anyone signed in, focal points included (their account page, the assessment pages that check the country).
    func requireSignedIn() throws -> User {
        guard let user = self.user else { throw AppError.unauthenticated }
        return user
    }

    func requireRole(_ role: Role) throws -> User {
        let user = try self.requireUser()
        guard user.role.includes(role) else { throw AppError.forbidden("this needs the \(role.rawValue) role") }
        return user
    }
}

/// The fields of a URL-encoded form.
public struct FormFields: Sendable {
    public var values: [String: String] = [:]

    public init(values: [String: String] = [:]) { self.values = values }

    public subscript(_ name: String) -> String? { self.values[name] }

    /// Parses `a=1&b=x+y`, refusing malformed percent-escapes and repeated fields.
    static func parse(_ body: String) throws(AppError) -> FormFields {
        var values: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else {
                throw .badRequest("the form has a badly encoded field name", field: nil)
            }
            guard let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                throw .badRequest("field '\(name)' is badly encoded", field: name)
            }
            guard values[name] == nil else { throw .badRequest("field '\(name)' is given twice", field: name) }
            values[name] = value
        }
        return FormFields(values: values)
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
