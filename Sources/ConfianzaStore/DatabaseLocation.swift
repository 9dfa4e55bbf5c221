import ConfianzaCore
import Foundation

/// Where the data lives: an SQLite file (the default) or a PostgreSQL database.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresSettings)

    /// The embedded default: `./confianza.db`.
    public static let defaultSQLite = DatabaseLocation.sqlite(path: "confianza.db")

    /// Reads `postgres://user:password@host:port/database?sslmode=…`, `sqlite:PATH`, `sqlite:///ABSOLUTE`,
    /// or a bare file path (SQLite).
    ///
    /// - Throws: ``StoreError/invalidConfiguration(_:)`` naming what is wrong.
    public static func parse(_ text: String) throws(StoreError) -> DatabaseLocation {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { throw .invalidConfiguration("the database location is empty") }
        let lower = value.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            return .postgres(try PostgresSettings(url: value))
        }
        if lower.hasPrefix("sqlite://") {
            let path = String(value.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw .invalidConfiguration("'\(value)' names no file") }
            return .sqlite(path: path)
        }
        if lower.hasPrefix("sqlite:") {
            let path = String(value.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .invalidConfiguration("'\(value)' names no file") }
            return .sqlite(path: path)
        }
        if value.contains("://") {
            throw .invalidConfiguration("'\(Self.redacted(value))' is neither postgres://… nor an SQLite file path")
        }
        return .sqlite(path: value)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let settings): settings.description
        }
    }

    static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? url
    }
}

/// How to reach a PostgreSQL database.
public struct PostgresSettings: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// Connections this process may open.
    public var maximumConnections: Int

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
        tls: TLSMode = .prefer, maximumConnections: Int = 10
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.maximumConnections = maximumConnections
    }

    init(url: String) throws(StoreError) {
        guard let parts = URLComponents(string: url) else {
            throw .invalidConfiguration("'\(DatabaseLocation.redacted(url))' is not a valid URL")
        }
        guard let host = parts.host, !host.isEmpty else {
            throw .invalidConfiguration("'\(DatabaseLocation.redacted(url))' names no host")
        }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw .invalidConfiguration("'\(DatabaseLocation.redacted(url))' names no database (postgres://user@host:5432/DATABASE)")
        }
        var tls = TLSMode.prefer
        var maximum = 10
        for item in parts.queryItems ?? [] {
            switch item.name.lowercased() {
            case "sslmode", "tlsmode", "ssl", "tls":
                switch item.value?.lowercased() ?? "" {
                case "disable", "false": tls = .disable
                case "prefer", "allow", "true": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw .invalidConfiguration("sslmode '\(item.value ?? "")' is not one of disable, prefer, require")
                }
            case "pool", "max_connections":
                guard let value = item.value.flatMap(Int.init), (1...200).contains(value) else {
                    throw .invalidConfiguration("\(item.name) must be a number from 1 to 200")
                }
                maximum = value
            case "application_name", "connect_timeout":
                continue
            default:
                throw .invalidConfiguration("unknown parameter '\(item.name)' (known: sslmode, pool)")
            }
        }
        self.init(
            host: host, port: parts.port ?? 5432,
            username: parts.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: parts.password.flatMap { $0.removingPercentEncoding },
            database: database.removingPercentEncoding ?? database, tls: tls, maximumConnections: maximum)
    }

    public var description: String {
        "postgres://\(self.username)\(self.password == nil ? "" : ":***")@\(self.host):\(self.port)/\(self.database)"
    }
}
