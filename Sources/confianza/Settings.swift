import ConfianzaCore
import ConfianzaStore
import Foundation
import Logging

/// The settings of a run, from (highest first) command-line flags, environment variables, an
/// optional JSON config file, then defaults.
///
/// | key | flag | environment | default |
/// |---|---|---|---|
/// | `database` | `--database` | `CONFIANZA_DATABASE_URL` | `confianza.db` |
/// | `host` | `--host` | `CONFIANZA_HOST` | `127.0.0.1` |
/// | `port` | `--port` | `CONFIANZA_PORT` | `8080` |
/// | `publicURL` | `--public-url` | `CONFIANZA_PUBLIC_URL` | none |
/// | `trustProxy` | `--trust-proxy` | `CONFIANZA_TRUST_PROXY` | `false` |
/// | `logLevel` | `--log-level` | `CONFIANZA_LOG_LEVEL` | `info` |
/// | `bcryptCost` | — | `CONFIANZA_BCRYPT_COST` | `12` |
/// | `connectTimeout` | `--connect-timeout` | `CONFIANZA_CONNECT_TIMEOUT` | `10` (seconds) |
/// | `shadowserverMapping` | `--shadowserver-mapping` | `CONFIANZA_SHADOWSERVER_MAPPING` | none (the bundled mapping only) |
/// | `smtpURL` | `--smtp-url` | `CONFIANZA_SMTP_URL` | none (notices wait in the outbox) |
/// | `mailFrom` | `--mail-from` | `CONFIANZA_MAIL_FROM` | `cirt@localhost` |
/// | `incidentTag` | `--incident-tag` | `CONFIANZA_INCIDENT_TAG` | `CIRT` (subjects read `[CIRT #42]`) |
/// | `slaPolicy` | `--sla-policy` | `CONFIANZA_SLA_POLICY` | none (the standard policy: critical 1 h / 24 h … info 3 d / 30 d) |
/// | `incidentGrouping` | `--incident-grouping` | `CONFIANZA_INCIDENT_GROUPING` | none (per organisation and type, 24 h) |
/// | `locales` | `--locales` | `CONFIANZA_LOCALES` | none (the bundled languages only) |
/// | `metricsToken` | — | `CONFIANZA_METRICS_TOKEN` | none (`/metrics` open to whoever reaches the port) |
/// | `caFile` | `--ca-file` | `CONFIANZA_CA_FILE` | none (the system's certificate authorities only) |
/// | `retention` | `--retention` | `CONFIANZA_RETENTION` | `events=180d,quarantine=30d,mail=90d` |
/// | `riskThreats` | `--risk-threats` | `CONFIANZA_RISK_THREATS` | none (the bundled threat catalogue only) |
///
/// The config file is named by `--config` or `CONFIANZA_CONFIG`.
struct Settings: Equatable {
    var database: String = "confianza.db"
    var host: String = "127.0.0.1"
    var port: Int = 8080
    var publicURL: URL?
    var trustProxy = false
    var logLevel: Logger.Level = .info
    var bcryptCost: UInt8 = 12
    var connectTimeout: Int = 10
    /// A site's Shadowserver mapping file, laid over the bundled one.
    var shadowserverMapping: String?
    /// Where notices are sent (smtp:// or smtps://); without it they wait in the outbox.
    var smtpURL: String?
    var mailFrom = "cirt@localhost"
    var incidentTag = "CIRT"
    /// A JSON SLA policy file (time to triage and to resolve per severity).
    var slaPolicy: String?
    /// A JSON grouping rule file (how events become incidents).
    var incidentGrouping: String?
    /// A folder of locale folders (`de/texts.json`, `de/mail/notice.txt`, …) laid over the bundled ones.
    var locales: String?
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    var metricsToken: String?
    /// Certificate authorities (PEM) the feed collectors trust besides the system's (a site's own CA).
    var caFile: String?
    /// How long each class of data is kept.
    var retention = RetentionPolicy.standard
    /// A site's threat catalogue, laid over the bundled one (same id: replaced; new id: added).
    var riskThreats: String?

    static let keys: [String: String] = [
        "database": "CONFIANZA_DATABASE_URL", "host": "CONFIANZA_HOST", "port": "CONFIANZA_PORT",
        "publicURL": "CONFIANZA_PUBLIC_URL", "trustProxy": "CONFIANZA_TRUST_PROXY", "logLevel": "CONFIANZA_LOG_LEVEL",
        "bcryptCost": "CONFIANZA_BCRYPT_COST", "connectTimeout": "CONFIANZA_CONNECT_TIMEOUT",
        "shadowserverMapping": "CONFIANZA_SHADOWSERVER_MAPPING", "smtpURL": "CONFIANZA_SMTP_URL", "mailFrom": "CONFIANZA_MAIL_FROM",
        "incidentTag": "CONFIANZA_INCIDENT_TAG", "slaPolicy": "CONFIANZA_SLA_POLICY", "incidentGrouping": "CONFIANZA_INCIDENT_GROUPING",
        "locales": "CONFIANZA_LOCALES", "metricsToken": "CONFIANZA_METRICS_TOKEN", "caFile": "CONFIANZA_CA_FILE",
        "retention": "CONFIANZA_RETENTION", "riskThreats": "CONFIANZA_RISK_THREATS",
    ]

    /// Resolves the settings. `flags` holds only the flags given on the command line.
    static func resolve(flags: [String: String], environment: [String: String], configFile: String?) throws(SettingsError) -> Settings {
        var layers: [(source: String, values: [String: String])] = []
        let filePath = configFile ?? environment["CONFIANZA_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if let filePath { layers.append((filePath, try Self.readFile(filePath))) }
        var fromEnvironment: [String: String] = [:]
        for (key, variable) in Self.keys {
            if let value = environment[variable], !value.isEmpty { fromEnvironment[key] = value }
        }
        layers.append(("environment", fromEnvironment))
        layers.append(("command line", flags))

        var settings = Settings()
        for (source, values) in layers {
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                try settings.apply(key: key, value: value, source: source)
            }
        }
        return settings
    }

    private mutating func apply(key: String, value: String, source: String) throws(SettingsError) {
        func bad(_ reason: String) -> SettingsError {
            let name = source == "environment" ? (Self.keys[key] ?? key) : key
            return .invalid(source: source, key: name, reason: reason)
        }
        switch key {
        case "database":
            do { _ = try DatabaseLocation.parse(value) } catch { throw bad(error.description) }
            self.database = value
        case "host":
            guard !value.isEmpty, !value.contains(" ") else { throw bad("must be a host name or address") }
            self.host = value
        case "port":
            guard let port = Int(value), (1...65535).contains(port) else { throw bad("must be a port number from 1 to 65535") }
            self.port = port
        case "publicURL":
            guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                url.host != nil
            else { throw bad("must be an http:// or https:// address") }
            self.publicURL = url
        case "trustProxy":
            switch value.lowercased() {
            case "1", "true", "yes", "on": self.trustProxy = true
            case "0", "false", "no", "off": self.trustProxy = false
            default: throw bad("must be true or false")
            }
        case "logLevel":
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw bad("must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.logLevel = level
        case "bcryptCost":
            guard let cost = UInt8(value), (4...16).contains(cost) else { throw bad("must be a number from 4 to 16") }
            self.bcryptCost = cost
        case "connectTimeout":
            guard let seconds = Int(value), (1...600).contains(seconds) else { throw bad("must be a number of seconds from 1 to 600") }
            self.connectTimeout = seconds
        case "retention":
            do { self.retention = try RetentionPolicy.parse(value) } catch {
                guard case .invalid(let given, let reason) = error else { throw bad(error.description) }
                throw bad("'\(given)': \(reason)")
            }
        case "caFile":
            guard FileManager.default.isReadableFile(atPath: value) else { throw bad("must be a readable PEM file of certificate authorities (\(value))") }
            self.caFile = value
        case "riskThreats":
            guard FileManager.default.isReadableFile(atPath: value) else { throw bad("must be a readable threat catalogue file (\(value))") }
            self.riskThreats = value
        case "shadowserverMapping":
            guard FileManager.default.isReadableFile(atPath: value) else { throw bad("must be a readable mapping file (\(value))") }
            self.shadowserverMapping = value
        case "smtpURL":
            guard let url = URLComponents(string: value), let scheme = url.scheme?.lowercased(), scheme == "smtp" || scheme == "smtps",
                url.host?.isEmpty == false
            else { throw bad("must look like smtp://user:password@host:587 or smtps://host:465") }
            self.smtpURL = value
        case "mailFrom":
            guard value.contains("@"), !value.contains("\n"), !value.contains("\r") else { throw bad("must be an e-mail address") }
            self.mailFrom = value
        case "incidentTag":
            guard !value.isEmpty, value.count <= 20, value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw bad("must be a short word (letters, digits, - and _)")
            }
            self.incidentTag = value
        case "incidentGrouping":
            guard FileManager.default.isReadableFile(atPath: value) else { throw bad("must be a readable grouping rule file (\(value))") }
            self.incidentGrouping = value
        case "slaPolicy":
            guard FileManager.default.isReadableFile(atPath: value) else { throw bad("must be a readable SLA policy file (\(value))") }
            self.slaPolicy = value
        case "locales":
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: value, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw bad("must be a folder of language folders such as de/texts.json (\(value))")
            }
            self.locales = value
        case "metricsToken":
            guard value.count >= 16, value.count <= 200, value.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
                throw bad("must be at least 16 printable characters without spaces")
            }
            self.metricsToken = value
        default:
            throw .unknownKey(source: source, key: key, known: Self.keys.keys.sorted())
        }
    }

    private static func readFile(_ path: String) throws(SettingsError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        do {
            return try JSONDecoder().decode([String: FileValue].self, from: data).mapValues(\.text)
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw .invalid(source: path, key: context.codingPath[0].stringValue, reason: "must be a string, number or true/false")
        } catch {
            throw .invalid(source: path, key: "(file)", reason: "must be a JSON object such as {\"database\": \"confianza.db\"}")
        }
    }

    /// A value in the config file: text, a number or true/false, all read as text like the environment.
    private struct FileValue: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self.text = flag ? "true" : "false"
            } else if let number = try? container.decode(Int.self) {
                self.text = String(number)
            } else {
                self.text = try container.decode(String.self)
            }
        }
    }
}

enum SettingsError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalid(source: String, key: String, reason: String)
    case unknownKey(source: String, key: String, known: [String])

    var description: String {
        switch self {
        case .unreadable(let path): "cannot read config file \(path)"
        case .invalid(let source, let key, let reason): "\(source): \(key) \(reason)"
        case .unknownKey(let source, let key, let known): "\(source): unknown setting '\(key)' (known: \(known.joined(separator: ", ")))"
        }
    }
}
