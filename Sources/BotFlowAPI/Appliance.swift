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
import Logging

/// Startup of behaviour §1.3 steps 1–3: data directory, secrets, database and migrations, seeding.
public enum Appliance {
    /// Prepares everything the application needs. Throws `ConfigurationError` for refused configuration.
    public static func prepare(settings input: Settings, clock: any AppClock = SystemClock(), logger: Logger,
                               adapters: ChannelAdapters? = nil) async throws -> AppDependencies {
        let startedAt = monotonicSeconds()
        var settings = input
        try settings.validate()
        try createDataDirectory(settings.dataDirectory)
        if settings.jwtSecret == nil {
            settings.jwtSecret = try SecretFiles.loadOrCreate(directory: settings.dataDirectory, name: "jwt.secret")
        }
        if settings.serverSecret == nil {
            settings.serverSecret = try SecretFiles.loadOrCreate(directory: settings.dataDirectory, name: "server.secret")
        }
        if settings.backupEncryptionKey == nil {
            settings.backupEncryptionKey = try SecretFiles.loadOrCreate(directory: settings.dataDirectory, name: "backup.key")
        }
        try settings.validate()

        let database = try AppDatabase(path: settings.databasePath, logger: logger, slowQueryMilliseconds: settings.slowQueryMilliseconds)
        let seeded = try await Seeder.run(database, clock: clock)
        if seeded.templatesInserted + seeded.marketplaceInserted > 0 {
            logger.info("seeded", metadata: ["templates": "\(seeded.templatesInserted)", "marketplace": "\(seeded.marketplaceInserted)"])
        }
        if try await database.read({ db in try UserRepository.count(db) }) == 0 {
            logger.notice("no users yet: the first account created with POST /api/auth/signup becomes the appliance admin (ADMIN_EMAILS grants admin to more)")
        }
        let tokens = await TokenService(secret: settings.jwtSecret!, ttlSeconds: settings.jwtTTLSeconds, clock: clock)
        let domain = DomainContext(
            database: database, clock: clock, settings: settings, passwords: PasswordHasher(),
            tokens: tokens, credentials: CredentialCipher(serverSecret: settings.serverSecret!))
        let backups: BackupService
        do {
            backups = BackupService(config: try BackupConfiguration(settings: settings), database: database, clock: clock, logger: logger)
        } catch {
            throw ConfigurationError(error.message)
        }
        let knowledge = KnowledgeRuntime(database: database, clock: clock, settings: settings)
        let errorLog = ErrorLog(capacity: settings.errorLogSize)
        backups.failureObservers.withLock { $0.append { kind, message in
            errorLog.record(.init(timestamp: clock.now(), error: "Backup failed", message: message, source: "backup:\(kind)"))
        } }
        let analytics = AnalyticsRuntime(database: database, clock: clock, settings: settings, logger: logger)
        let messaging = MessagingRuntime(
            database: database, clock: clock, settings: settings, credentials: domain.credentials, logger: logger, adapters: adapters,
            knowledge: KnowledgeStage(searcher: knowledge.searcher),
            extraHandlers: BackupJobs.handlers(backups).merging(knowledge.handlers) { first, _ in first }
                .merging(analytics.handlers) { first, _ in first }
        ) { job, error in
            // Dead jobs join 5xx responses in the admin error log (behaviour §12).
            errorLog.record(.init(timestamp: clock.now(), error: "Job failed", message: error, source: "job:\(job.type.rawValue)"))
        }
        knowledge.setWake { [jobs = messaging.jobs] in jobs.wake() }
        analytics.setWake { [jobs = messaging.jobs] in jobs.wake() }
        try await messaging.recover(database: database, clock: clock)
        try await knowledge.queueReembedding()
        let scheduler = BackupScheduler(service: backups, database: database, clock: clock, logger: logger) { [jobs = messaging.jobs] in
            jobs.wake()
        }
        let cache = ResponseCache(maxBytes: settings.cacheMaxBytes, enabled: settings.cacheEnabled, clock: clock)
        // Pipeline commits (webhooks, replies, deliveries, agent replies, status changes) delete their keys before the
        // request that caused them is answered, or right after a background job's commit (behaviour §3.4).
        messaging.observe { event in cache.invalidate(CacheInvalidation.patterns(for: event)) }
        knowledge.events.observe { botId in cache.invalidate(CacheInvalidation.knowledgeChanged(bot: botId)) }
        // Rollups invalidate their organizations' analytics; stored messages feed the live stream (AN7) after commit.
        analytics.observeRollups { orgs in for org in orgs { cache.invalidate(CacheInvalidation.rollup(org: org)) } }
        messaging.observe { event in analytics.pipelineCommitted(event) }
        return AppDependencies(settings: settings, database: database, domain: domain, messaging: messaging, cache: cache,
                               metrics: AppMetrics(), errorLog: errorLog, readiness: Readiness(), clock: clock, logger: logger,
                               startedAt: startedAt, backups: backups, backupScheduler: scheduler, restoreGate: RestoreGate(),
                               knowledge: knowledge, analytics: analytics)
    }

    /// Creates the data directory (mode 0700) when missing.
    public static func createDataDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ConfigurationError("data directory \(path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ConfigurationError("cannot create data directory \(path): \(error.localizedDescription)")
        }
    }
}
