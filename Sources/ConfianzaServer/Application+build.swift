import ConfianzaCore
import ConfianzaFeeds
import ConfianzaSTIX
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Prometheus

/// Everything the HTTP application needs, handed in by the executable (or a test).
public struct ServerDependencies: Sendable {
    public var store: any Store
    public var accounts: AccountService
    public var constituency: ConstituencyService
    public var ingest: IngestPipeline
    public var incidents: IncidentService
    public var views: Views
    public var metrics: PrometheusCollectorRegistry
    public var logger: Logger
    /// Uploads being ingested after their request was answered; the application waits for them at shutdown.
    public var background: BackgroundWork
    /// Fetches a collected feed now (the feeds page's "fetch now"); `nil` where no collector runs.
    public var fetchFeed: (@Sendable (FeedSource) async throws -> FeedFetch)?
    /// Whether a public feed of that name is bundled (for the format of a feed added on a page).
    public var publicFeed: @Sendable (String) -> String?
    /// How long data is kept (shown to admins; applied by the executable's scheduler).
    public var retention: RetentionPolicy
    /// CSF 2.0, threats, matrices and the SME questionnaire, read and checked at start.
    public var risk: RiskCatalogues

    public init(
        store: any Store, accounts: AccountService, constituency: ConstituencyService, ingest: IngestPipeline, views: Views,
        metrics: PrometheusCollectorRegistry, logger: Logger, risk: RiskCatalogues, incidents: IncidentService? = nil,
        fetchFeed: (@Sendable (FeedSource) async throws -> FeedFetch)? = nil, publicFeed: @escaping @Sendable (String) -> String? = { _ in nil },
        retention: RetentionPolicy = .standard
    ) {
        self.retention = retention
        self.risk = risk
        self.fetchFeed = fetchFeed
        self.publicFeed = publicFeed
        self.incidents = incidents ?? ingest.incidents ?? IncidentService(store: store)
        self.background = BackgroundWork(logger: logger)
        self.store = store
        self.accounts = accounts
        self.constituency = constituency
        self.ingest = ingest
        self.views = views
        self.metrics = metrics
        self.logger = logger
    }
}

/// The router with every page and endpoint. Tests use it to check that each route is documented.
public func buildRouter(configuration: ServerConfiguration, dependencies: ServerDependencies) -> Router<AppContext> {
    let router = Router(context: AppContext.self)
    let views = dependencies.views
    router.addMiddleware {
        MetricsMiddleware()
        ServerTimingMiddleware()
        TAXIIFallbackMiddleware()
        LogRequestsMiddleware(.info)
        SecurityHeadersMiddleware()
        IdentityMiddleware(
            accounts: dependencies.accounts, configuration: configuration, setup: SetupState(store: dependencies.store), views: views)
        ErrorMiddleware(views: views)
    }
    AuthController(accounts: dependencies.accounts, views: views, configuration: configuration).addRoutes(to: router)
    PagesController(views: views, store: dependencies.store).addRoutes(to: router)
    AccountController(accounts: dependencies.accounts, views: views, configuration: configuration).addRoutes(to: router)
    AdminController(accounts: dependencies.accounts, views: views).addRoutes(to: router)
    RetentionController(store: dependencies.store, policy: dependencies.retention, views: views).addRoutes(to: router)
    APIController(accounts: dependencies.accounts).addRoutes(to: router)
    ConstituencyPagesController(constituency: dependencies.constituency, views: views).addRoutes(to: router)
    ConstituencyAPIController(constituency: dependencies.constituency, accounts: dependencies.accounts).addRoutes(to: router)
    FeedsPagesController(store: dependencies.store, ingest: dependencies.ingest, views: views, producer: configuration.incidentTag)
        .addRoutes(to: router)
    FeedsAPIController(
        store: dependencies.store, accounts: dependencies.accounts, ingest: dependencies.ingest, background: dependencies.background,
        producer: configuration.incidentTag
    ).addRoutes(to: router)
    let sharing = IncidentSharing(store: dependencies.store, incidents: dependencies.incidents, producer: configuration.incidentTag)
    IncidentsPagesController(
        store: dependencies.store, incidents: dependencies.incidents, sharing: sharing, views: views, tag: configuration.incidentTag
    ).addRoutes(to: router)
    IncidentsAPIController(
        store: dependencies.store, incidents: dependencies.incidents, sharing: sharing, accounts: dependencies.accounts, texts: views.localizer,
        tag: configuration.incidentTag
    ).addRoutes(to: router)
    IncidentDashboardController(store: dependencies.store, views: views).addRoutes(to: router)
    IndicatorsController(store: dependencies.store, accounts: dependencies.accounts, views: views).addRoutes(to: router)
    PeersController(store: dependencies.store, incidents: dependencies.incidents, accounts: dependencies.accounts, views: views).addRoutes(to: router)
    CollectedFeedsController(
        store: dependencies.store, views: views, accounts: dependencies.accounts, background: dependencies.background,
        fetchFeed: dependencies.fetchFeed, publicFeed: dependencies.publicFeed
    ).addRoutes(to: router)
    // One cache of TAXII credentials and collections, so that the sharing page's changes apply at once.
    let authenticator = TAXIIAuthenticator(store: dependencies.store, accounts: dependencies.accounts)
    let collections = CollectionCache(store: dependencies.store)
    TAXIIController(
        store: dependencies.store, title: configuration.incidentTag, authenticator: authenticator, collections: collections
    ).addRoutes(to: router)
    SharingController(store: dependencies.store, views: views, authenticator: authenticator, collections: collections).addRoutes(to: router)
    let assessments = AssessmentService(store: dependencies.store)
    AssessmentPagesController(service: assessments, views: views, configuration: configuration).addRoutes(to: router)
    AssessmentQuestionnaireController(service: assessments, views: views).addRoutes(to: router)
    AssessmentFrameworksController(service: assessments, views: views).addRoutes(to: router)
    AssessmentPublicController(service: assessments, accounts: dependencies.accounts, views: views).addRoutes(to: router)
    AssessmentAPIController(service: assessments, accounts: dependencies.accounts).addRoutes(to: router)
    let risk = RiskService(store: dependencies.store, catalogues: dependencies.risk)
    RiskPagesController(service: risk, views: views).addRoutes(to: router)
    RiskScenariosController(service: risk, views: views).addRoutes(to: router)
    RiskMatricesController(service: risk, views: views).addRoutes(to: router)
    SelfAssessmentController(service: risk, views: views).addRoutes(to: router)
    RiskAPIController(service: risk, accounts: dependencies.accounts).addRoutes(to: router)
    let knowledge = KnowledgeService(store: dependencies.store)
    KnowledgeController(service: knowledge, views: views).addRoutes(to: router)
    KnowledgePublicController(service: knowledge, views: views).addRoutes(to: router)
    ReportsController(service: ReportService(store: dependencies.store, sme: dependencies.risk.sme), views: views).addRoutes(to: router)
    OperationsController(
        store: dependencies.store, views: views, metrics: dependencies.metrics, serverName: configuration.serverName,
        metricsToken: configuration.metricsToken
    ).addRoutes(to: router)
    return router
}

/// The HTTP application, ready for `runService()` (or Hummingbird's test client).
///
/// - Parameters:
///   - services: long-running work to run beside the server (the inbox watcher), stopped with it.
///   - onServerRunning: called once the server listens (the demo prints its address then).
public func buildApplication(
    configuration: ServerConfiguration, dependencies: ServerDependencies, services: [any Service] = [],
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(configuration: configuration, dependencies: dependencies),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName),
        services: services + [dependencies.background],
        onServerRunning: onServerRunning,
        logger: dependencies.logger)
}
