import Foundation

/// How the HTTP server behaves. The executable fills it from flags, environment and config file.
public struct ServerConfiguration: Sendable {
    /// Address to listen on; 127.0.0.1 by default, so nothing is exposed by accident.
    public var host: String
    public var port: Int
    /// The address people use to reach Confianza, when it differs from host and port (a reverse proxy).
    /// When it starts with `https://`, cookies are marked `Secure`.
    public var publicURL: URL?
    /// Whether to take the client address from `X-Forwarded-For` (only behind a proxy you run).
    public var trustProxy: Bool
    /// The command an operator runs to create the first admin, shown while there is no user.
    public var firstAdminCommand: String
    /// Name reported in logs and `/healthz`.
    public var serverName: String
    /// The word in notices' subjects (`[CIRT #42]`).
    public var incidentTag: String
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`.
    public var metricsToken: String?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, publicURL: URL? = nil, trustProxy: Bool = false,
        firstAdminCommand: String = "confianza user create admin --role admin", serverName: String = "confianza", incidentTag: String = "CIRT",
        metricsToken: String? = nil
    ) {
        self.incidentTag = incidentTag
        self.metricsToken = metricsToken
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.trustProxy = trustProxy
        self.firstAdminCommand = firstAdminCommand
        self.serverName = serverName
    }

    /// Whether cookies must only travel over TLS.
    public var secureCookies: Bool { self.publicURL?.scheme?.lowercased() == "https" }

    /// The base address to print for people.
    public var displayURL: String {
        if let publicURL { return publicURL.absoluteString }
        let shownHost = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "http://\(shownHost == "0.0.0.0" ? "127.0.0.1" : shownHost):\(self.port)"
    }
}
