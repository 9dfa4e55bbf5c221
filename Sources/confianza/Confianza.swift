import ArgumentParser
import ConfianzaCore

@main
struct Confianza: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confianza",
        abstract: "A platform for national CIRTs: incidents, sharing, assessment and risk (ITU Resolution 130).",
        discussion: """
            Data lives in an SQLite file (./confianza.db) unless --database or CONFIANZA_DATABASE_URL names
            another file or a postgres:// URL. Settings come from flags, then environment variables, then the
            JSON file given by --config or CONFIANZA_CONFIG.
            """,
        version: "0.1.0",
        subcommands: [Serve.self, Demo.self, Migrate.self, UserCommand.self, ConstituencyCommand.self, Lookup.self, Ingest.self, QuarantineCommand.self, MailCommand.self, STIXCommand.self, TAXIICommand.self, EventsCommand.self, FeedsCommand.self, RetentionCommand.self, AssessCommand.self, RiskCommand.self, KnowledgeCommand.self, ReportCommand.self, Seed.self],
        defaultSubcommand: Serve.self)
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "SQLite file or postgres://user:password@host:port/database (env CONFIANZA_DATABASE_URL; default confianza.db).")
    var database: String?

    @Option(help: "JSON config file with the same settings (env CONFIANZA_CONFIG).")
    var config: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env CONFIANZA_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(help: "A Shadowserver mapping file of your own, laid over the bundled one (env CONFIANZA_SHADOWSERVER_MAPPING).")
    var shadowserverMapping: String?

    @Option(help: "An SLA policy file: time to triage and to resolve per severity, in seconds (env CONFIANZA_SLA_POLICY).")
    var slaPolicy: String?

    @Option(help: "A grouping rule file: which fields and window make events one incident (env CONFIANZA_INCIDENT_GROUPING).")
    var incidentGrouping: String?

    @Option(help: "A folder of languages laid over the bundled ones: <code>/*.json and <code>/mail/*.txt (env CONFIANZA_LOCALES).")
    var locales: String?

    @Option(help: "Certificate authorities (PEM) that feed collectors trust besides the system's (env CONFIANZA_CA_FILE).")
    var caFile: String?

    @Option(help: "How long data is kept: events=180d,quarantine=30d,mail=90d (any of them; keep for good) (env CONFIANZA_RETENTION).")
    var retention: String?

    @Option(help: "A threat catalogue of your own for risk registers, laid over the bundled one (env CONFIANZA_RISK_THREATS).")
    var riskThreats: String?

    var flags: [String: String] {
        var flags: [String: String] = [:]
        flags["database"] = self.database
        flags["logLevel"] = self.logLevel
        flags["shadowserverMapping"] = self.shadowserverMapping
        flags["slaPolicy"] = self.slaPolicy
        flags["incidentGrouping"] = self.incidentGrouping
        flags["locales"] = self.locales
        flags["caFile"] = self.caFile
        flags["retention"] = self.retention
        flags["riskThreats"] = self.riskThreats
        return flags
    }
}

/// Options of the commands that serve HTTP.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (env CONFIANZA_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env CONFIANZA_PORT; default 8080).")
    var port: String?

    @Option(help: "The address people use, when behind a proxy; https:// makes cookies Secure (env CONFIANZA_PUBLIC_URL).")
    var publicURL: String?

    @Flag(help: "Take the client address from X-Forwarded-For; only behind a proxy you run (env CONFIANZA_TRUST_PROXY).")
    var trustProxy = false

    @Option(help: "Where notices to constituents are sent: smtp://user:password@host:587 or smtps://host:465 (env CONFIANZA_SMTP_URL).")
    var smtpURL: String?

    @Option(help: "The From address of notices (env CONFIANZA_MAIL_FROM; default cirt@localhost).")
    var mailFrom: String?

    @Option(help: "The word in notices' subjects, [TAG #42], that files replies with their incident (env CONFIANZA_INCIDENT_TAG; default CIRT).")
    var incidentTag: String?

    @Option(help: "Seconds to wait for the database at start (env CONFIANZA_CONNECT_TIMEOUT; default 10).")
    var connectTimeout: String?

    var flags: [String: String] {
        var flags: [String: String] = [:]
        flags["host"] = self.host
        flags["port"] = self.port
        flags["publicURL"] = self.publicURL
        flags["connectTimeout"] = self.connectTimeout
        if self.trustProxy { flags["trustProxy"] = "true" }
        flags["smtpURL"] = self.smtpURL
        flags["mailFrom"] = self.mailFrom
        flags["incidentTag"] = self.incidentTag
        return flags
    }
}

extension Role: ExpressibleByArgument {}
