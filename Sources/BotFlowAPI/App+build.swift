import BotFlowAnalytics
import BotFlowBackup
import BotFlowCache
import BotFlowCore
import BotFlowDomain
import BotFlowKnowledge
import BotFlowMessaging
import BotFlowObservability
import BotFlowSecurity
import BotFlowStorage
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle

/// Everything the HTTP layer is built from; created once at startup by `Appliance.start`.
public struct AppDependencies: Sendable {
    public let settings: Settings
    public let database: AppDatabase
    public let domain: DomainContext
    public let messaging: MessagingRuntime
    public let cache: ResponseCache
    public let metrics: AppMetrics
    public let errorLog: ErrorLog
    public let readiness: Readiness
    public let clock: any AppClock
    public let logger: Logger
    public let startedAt: Double
    public let backups: BackupService
    public let backupScheduler: BackupScheduler
    public let restoreGate: RestoreGate
    public let knowledge: KnowledgeRuntime
    public let analytics: AnalyticsRuntime
}

/// Builds the Hummingbird application: router, middleware and background services.
public func buildApplication(_ deps: AppDependencies) -> some ApplicationProtocol {
    let router = buildRouter(deps)
    let stream = AnalyticsStream(analytics: deps.analytics, auth: AuthService(deps.domain), cache: deps.cache, database: deps.database,
                                 clock: deps.clock)
    return Application(
        router: router,
        server: .http1WebSocketUpgrade(configuration: AnalyticsStream.configuration, shouldUpgrade: stream.shouldUpgrade),
        configuration: .init(address: .hostname(deps.settings.host, port: deps.settings.port), serverName: nil),
        // Services stop in reverse order: the job workers drain before the database is checkpointed.
        services: [DatabaseShutdownService(database: deps.database, logger: deps.logger), deps.messaging.jobs, deps.backupScheduler,
                   CacheSweeper(cache: deps.cache), ReadinessService(readiness: deps.readiness),
                   QueryStatsReporter(stats: deps.database.queryStats, logger: deps.logger)] + deps.analytics.services(logger: deps.logger),
        logger: deps.logger)
}

/// The router with every route of api.md §3 that exists so far, behind the middleware chain of behaviour §2.
public func buildRouter(_ deps: AppDependencies) -> Router<AppRequestContext> {
    let settings = deps.settings
    let router = Router(context: AppRequestContext.self, options: [.autoGenerateHeadEndpoints])
    router.add(middleware: RequestLifecycleMiddleware(
        securityHeaders: SecurityHeaders.fields(frontendURL: settings.frontendURL), logger: deps.logger, metrics: deps.metrics,
        errorLog: deps.errorLog, clock: deps.clock))
    router.add(middleware: CORSMiddleware(frontendURL: settings.frontendURL, extraOrigins: settings.corsOrigins))
    router.add(middleware: RateLimitMiddleware(
        limiter: RateLimiter(limits: [.auth: settings.rateLimitAuth, .webhook: settings.rateLimitWebhook, .global: settings.rateLimitGlobal],
                             windowSeconds: settings.rateLimitWindowSeconds, clock: deps.clock),
        addresses: ClientAddress(trustedProxies: settings.trustedProxies, allowlist: settings.rateLimitAllowlist),
        metrics: deps.metrics))
    router.add(middleware: RestoreGateMiddleware(gate: deps.restoreGate))

    let body = JSONBodyReader(limit: settings.bodyLimitBytes)
    let auth = AuthService(deps.domain)
    let authenticated = router.group().add(middleware: AuthMiddleware(auth: auth))
        .add(middleware: UsageCountingMiddleware(counters: deps.analytics.counters))
    let optionalAuth = router.group().add(middleware: AuthMiddleware(auth: auth, optional: true))
    let base = settings.effectivePublicBaseURL

    let report = MetricsReport(database: deps.database, cache: deps.cache, metrics: deps.metrics, errorLog: deps.errorLog, clock: deps.clock,
                               startedAt: deps.startedAt, backups: deps.backups)
    let checks = HealthChecks(database: deps.database, cache: deps.cache, jobs: deps.messaging.jobs, dataDirectory: settings.dataDirectory)
    HealthController(settings: settings, clock: deps.clock, startedAt: deps.startedAt, checks: checks, readiness: deps.readiness, report: report)
        .addRoutes(to: router)
    AdminController(database: deps.database, clock: deps.clock, errorLog: deps.errorLog, wakeJobs: { [jobs = deps.messaging.jobs] in jobs.wake() })
        .addRoutes(to: authenticated)
    AuthController(auth: auth, body: body, publicBaseURL: base).addRoutes(public: router, authenticated: authenticated)
    OrganizationController(organizations: OrganizationService(deps.domain), body: body).addRoutes(to: authenticated)
    WhatsAppController(accounts: WhatsAppAccountService(deps.domain), body: body, publicBaseURL: base).addRoutes(to: authenticated)
    let cached = CachedResponses(cache: deps.cache)
    BotController(bots: BotService(deps.domain), body: body, cached: cached).addRoutes(to: authenticated)
    WorkflowController(workflows: WorkflowVersionService(deps.domain), body: body, cached: cached).addRoutes(to: authenticated)
    TemplateController(templates: TemplateService(deps.domain), body: body, cached: cached)
        .addRoutes(public: router, optionalAuth: optionalAuth, authenticated: authenticated)
    ConversationController(conversations: deps.messaging.conversations, body: body, cached: cached).addRoutes(to: authenticated)
    var webhooks = WebhookService(runtime: deps.messaging, database: deps.database, settings: settings,
                                  credentials: deps.domain.credentials, logger: deps.logger)
    webhooks.routed = { [counters = deps.analytics.counters] org in counters.countWebhook(organizationId: org) }
    WebhookController(webhooks: webhooks, body: body, publicBaseURL: base).addRoutes(public: router, authenticated: authenticated)
    BackupController(backups: deps.backups, restoreHooks: deps.restoreHooks(), body: body).addRoutes(to: authenticated)
    KnowledgeController(knowledge: deps.knowledge.service, body: body, uploadLimit: settings.uploadLimitBytes, cached: cached)
        .addRoutes(public: router, authenticated: authenticated)
    MarketplaceController(catalogue: MarketplaceService(deps.domain), botIntegrations: BotIntegrationService(deps.domain), body: body,
                          cached: cached).addRoutes(public: router, authenticated: authenticated)
    IntegrationController(connectors: ConnectorIntegrationService(deps.domain), body: body).addRoutes(to: authenticated)
    BuilderController(builder: BotBuilder(database: deps.database, settings: settings, llm: OpenAIChatClient.builderClient(settings: settings)),
                      body: body).addRoutes(to: authenticated)
    AnalyticsController(analytics: deps.analytics, auth: auth, cached: cached, clock: deps.clock)
        .addRoutes(public: router, authenticated: authenticated)
    return router
}

/// Checkpoints the WAL when the server shuts down gracefully (behaviour §1.3).
struct DatabaseShutdownService: Service {
    let database: AppDatabase
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try database.checkpoint()
            logger.info("database checkpointed")
        } catch {
            logger.error("checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
