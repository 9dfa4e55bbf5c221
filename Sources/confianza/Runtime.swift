import ConfianzaCollectors
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaLocales
import ConfianzaMail
import ConfianzaServer
import ConfianzaStore
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle

/// An error for the person at the terminal: one line, no stack trace.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What the commands share: settings, logging, metrics, opening the store, serving.
enum Runtime {
    /// Incident handling with the SLA policy and grouping rule of the settings (the standard ones when none is set).
    static func incidents(_ store: any Store, _ settings: Settings) throws -> IncidentService {
        func read(_ path: String, _ what: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read the \(what) \(path)") }
            return data
        }
        do {
            let policy = try settings.slaPolicy.map { try SLAPolicy.load(try read($0, "SLA policy"), source: $0) } ?? .standard
            let grouping = try settings.incidentGrouping.map { try IncidentGrouping.load(try read($0, "grouping rule"), source: $0) } ?? .standard
            return IncidentService(store: store, policy: policy, grouping: grouping)
        } catch let error as IncidentError {
            throw CLIError(error.description)
        }
    }

    /// The risk module's data (CSF 2.0, threats, matrices, the SME questionnaire), checked before serving,
    /// with the site's threat catalogue laid over the bundled one.
    static func riskCatalogues(_ settings: Settings) throws -> RiskCatalogues {
        var catalogues: RiskCatalogues
        do { catalogues = try RiskCatalogues.bundled() } catch { throw CLIError("the bundled risk data cannot be read (\(error.description)): reinstall Confianza") }
        if let path = settings.riskThreats {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw CLIError("riskThreats: cannot read \(path) as UTF-8 text")
            }
            do { catalogues.threats = catalogues.threats.adding(try ThreatCatalogue.load(text, file: path, csf: catalogues.csf)) } catch {
                throw CLIError("riskThreats: \(error.description)")
            }
        }
        return catalogues
    }

    /// The bundled Shadowserver mapping, with the site's own file over it when one is set.
    static func mapping(_ settings: Settings) throws -> ShadowserverMapping {
        do {
            let bundled = try ShadowserverMapping.bundled()
            guard let path = settings.shadowserverMapping else { return bundled }
            return try bundled.adding(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError(error.description)
        }
    }

    /// The feed collector: an ingest pipeline like the server's, and an HTTP client trusting the site's CAs.
    static func collector(_ store: SQLStore, _ settings: Settings, logger: Logger) throws -> FeedCollector {
        let pipeline = IngestPipeline(
            store: store, constituency: ConstituencyService(store: store), mapping: try Self.mapping(settings),
            incidents: try Self.incidents(store, settings), mappingFromSchema: Self.mappingFromSchema(settings))
        let http: HTTPFetcher
        do { http = try HTTPFetcher(caFile: settings.caFile) } catch { throw CLIError("caFile: \(error.description)") }
        return FeedCollector(store: store, pipeline: pipeline, http: http, caFile: settings.caFile, logger: logger)
    }

    /// How a Shadowserver schema a site loaded becomes the mapping: with the retired types and the
    /// site's own file over it, as the bundled one.
    static func mappingFromSchema(_ settings: Settings) -> @Sendable (Data) throws -> ShadowserverMapping {
        let overlay = settings.shadowserverMapping
        return { data in
            let loaded = try ShadowserverMapping.bundled(schema: data, source: ShadowserverMapping.storedSchemaName)
            return try overlay.map { try loaded.adding(contentsOf: URL(fileURLWithPath: $0)) } ?? loaded
        }
    }

    static func settings(_ global: GlobalOptions, _ server: ServerOptions? = nil) throws -> Settings {
        let flags = global.flags.merging(server?.flags ?? [:]) { first, _ in first }
        do {
            return try Settings.resolve(flags: flags, environment: ProcessInfo.processInfo.environment, configFile: global.config)
        } catch {
            throw CLIError(error.description)
        }
    }

    /// Logs go to standard error, one line each, with their metadata.
    static func logger(_ settings: Settings) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = settings.logLevel
            return handler
        }
        var logger = Logger(label: "confianza")
        logger.logLevel = settings.logLevel
        return logger
    }

    static func metricsRegistry() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// Opens the database named by the settings, checks it, migrates it, runs `body`, closes it.
    static func withStore<T>(
        _ settings: Settings, logger: Logger, migrate: Bool = true, _ body: (SQLStore) async throws -> T
    ) async throws -> T {
        let location: DatabaseLocation
        do { location = try DatabaseLocation.parse(settings.database) } catch { throw CLIError(error.description) }
        do {
            let store = try await SQLStore.open(location, logger: logger)
            return try await store.withRunning(connectTimeout: .seconds(settings.connectTimeout), migrate: migrate) { store in
                // The bundled assessment frameworks, once per database (a site's own revisions stay).
                if migrate { try await AssessmentService(store: store).installBundledFrameworks() }
                return try await body(store)
            }
        } catch let error as StoreError {
            throw CLIError(error.description)
        }
    }

    static func accounts(_ store: any Store, _ settings: Settings) -> AccountService {
        AccountService(store: store, hasher: BcryptHasher(cost: settings.bcryptCost))
    }

    /// The command that creates the first admin for this database, as the setup page shows it.
    static func firstAdminCommand(_ settings: Settings) -> String {
        var command = "confianza user create admin --role admin"
        if settings.database != Settings().database { command += " --database '\(settings.database)'" }
        return command
    }

    /// The bundled languages with the site's folder (`--locales`) laid over them.
    static func texts(_ settings: Settings) throws -> TextCatalogue {
        do { return try LocaleFiles.load(overlay: settings.locales.map { URL(fileURLWithPath: $0) }) } catch {
            throw CLIError("locales: \(error.description)")
        }
    }

    /// Serves HTTP until SIGINT or SIGTERM.
    static func serve(
        store: SQLStore, settings: Settings, logger: Logger, registry: PrometheusCollectorRegistry, inbox: String? = nil,
        announce: @escaping @Sendable (String) -> Void
    ) async throws {
        let configuration = ServerConfiguration(
            host: settings.host, port: settings.port, publicURL: settings.publicURL, trustProxy: settings.trustProxy,
            firstAdminCommand: Self.firstAdminCommand(settings), incidentTag: settings.incidentTag, metricsToken: settings.metricsToken)
        let texts = try Self.texts(settings)
        let views: Views
        do { views = try await Views.load(texts: texts) } catch { throw CLIError("cannot load the pages' resources: \(error)") }
        for language in texts.languages where language != .english {
            let missing = texts.missingKeys(in: language)
            if !missing.isEmpty {
                logger.notice(
                    "some texts are not translated yet: English is shown for them",
                    metadata: ["language": "\(language)", "missing": "\(missing.count)", "first": "\(missing.prefix(5).joined(separator: ", "))"])
            }
        }
        let accounts = Self.accounts(store, settings)
        if try await store.userCount() == 0 {
            logger.warning(
                "no user exists yet: the web interface stays closed until you create the first admin",
                metadata: ["run": "\(Self.firstAdminCommand(settings))"])
        }
        let constituency = ConstituencyService(store: store)
        let ingest = IngestPipeline(
            store: store, constituency: constituency, mapping: try Self.mapping(settings), incidents: try Self.incidents(store, settings),
            mappingFromSchema: Self.mappingFromSchema(settings))
        let http: HTTPFetcher
        do { http = try HTTPFetcher(caFile: settings.caFile) } catch { throw CLIError("caFile: \(error.description)") }
        let collector = FeedCollector(store: store, pipeline: ingest, http: http, caFile: settings.caFile, logger: logger)
        let dependencies = ServerDependencies(
            store: store, accounts: accounts, constituency: constituency, ingest: ingest, views: views, metrics: registry, logger: logger,
            risk: try Self.riskCatalogues(settings), fetchFeed: { source in try await collector.run(source) }, publicFeed: PublicFeeds.address, retention: settings.retention)
        var services: [any Service] = [
            FeedScheduler(collector: collector, logger: logger),
            RetentionScheduler(service: RetentionService(store: store, policy: settings.retention), logger: logger),
        ]
        if let smtp = settings.smtpURL {
            let smtpSettings: SMTPSettings
            do { smtpSettings = try SMTPSettings(url: smtp, helo: settings.publicURL?.host ?? "confianza.localhost") } catch {
                throw CLIError("smtpURL: \(error.description)")
            }
            let domain = settings.mailFrom.split(separator: "@").last.map(String.init) ?? "localhost"
            let sender = OutboxSender(store: store, transport: SMTPTransport(settings: smtpSettings), from: settings.mailFrom, domain: domain)
            services.append(
                OutboxService(
                    sender: sender, incidents: ingest.incidents ?? IncidentService(store: store), tag: settings.incidentTag, texts: texts, logger: logger))
        } else {
            logger.notice("no SMTP server set (--smtp-url): notices to constituents wait in the outbox")
        }
        if let inbox {
            let watcher = InboxWatcher(
                directory: URL(fileURLWithPath: inbox), pipeline: ingest, format: nil, logger: logger)
            try watcher.prepare()
            services.append(watcher)
        }
        let app = buildApplication(configuration: configuration, dependencies: dependencies, services: services) { _ in
            announce(configuration.displayURL)
        }
        do {
            try await app.runService()
        } catch let error as IOError {
            throw CLIError("cannot listen on \(settings.host):\(settings.port): \(error.description)")
        }
    }
}
