import BotFlowCore
import BotFlowJobs
import BotFlowMessaging
import BotFlowStorage
import GRDB
import Logging
import ServiceLifecycle

/// Analytics wired once at startup: the rollup job handlers and schedule, the usage counters and the live events.
public final class AnalyticsRuntime: Sendable {
    public let database: AppDatabase
    public let clock: any AppClock
    public let costPer1K: Double
    public let counters: UsageCounters
    public let live = LiveEvents()
    public let scheduler: RollupScheduler
    private let rollupObservers = LockedValue<[@Sendable (Set<String>) -> Void]>([])

    public init(database: AppDatabase, clock: any AppClock, settings: Settings, logger: Logger) {
        self.database = database; self.clock = clock; costPer1K = settings.costPer1KTokensUSD
        counters = UsageCounters(clock: clock)
        scheduler = RollupScheduler(database: database, clock: clock, logger: logger)
    }

    /// The rollup job handlers, run by the shared workers.
    public var handlers: [JobType: any JobHandler] {
        let notify: @Sendable (Set<String>) -> Void = { [rollupObservers] orgs in
            guard !orgs.isEmpty else { return }
            for o in rollupObservers.withLock({ $0 }) { o(orgs) }
        }
        return [.rollup_hourly: RollupJobs.Hourly(costPer1K: costPer1K, rolledUp: notify),
                .rollup_daily: RollupJobs.Daily(costPer1K: costPer1K, rolledUp: notify)]
    }

    /// Registers an observer of committed rollups (the organizations whose analytics changed).
    public func observeRollups(_ observer: @escaping @Sendable (Set<String>) -> Void) { rollupObservers.withLock { $0.append(observer) } }

    public func setWake(_ wake: @escaping @Sendable () -> Void) { scheduler.wakeWorkers.withLock { $0 = wake } }

    /// Publishes stored messages to the organization's live subscribers (fed by the pipeline's post-commit events).
    public func pipelineCommitted(_ event: PipelineEvent) {
        if case .messagesStored(let org, let conversation, let ids) = event {
            live.publish(organizationId: org, .init(conversationId: conversation, messageIds: ids))
        }
    }

    /// The background services: the rollup schedule and the counter flush (last, so it flushes before the database
    /// closes — services stop in reverse order).
    public func services(logger: Logger) -> [any Service] {
        [scheduler, UsageCounterFlusher(counters: counters, database: database, logger: logger)]
    }

    // MARK: reads (each one read transaction)

    public func realtime(organizationId: String) async throws -> RealtimeKPIs {
        let now = clock.nowMilliseconds()
        return try await database.read { db in try RealtimeKPIs.compute(db, organizationId: organizationId, nowMilliseconds: now) }
    }

    public func responseTimes(organizationId: String, period: HourGrid.Period) async throws -> JSON {
        let grid = HourGrid(period: period, nowMilliseconds: clock.nowMilliseconds())
        return try await database.read { db in try Series.responseTimes(db, organizationId: organizationId, grid: grid) }
    }

    public func messageVolume(organizationId: String, period: HourGrid.Period) async throws -> JSON {
        let grid = HourGrid(period: period, nowMilliseconds: clock.nowMilliseconds())
        return try await database.read { db in try Series.messageVolume(db, organizationId: organizationId, grid: grid) }
    }

    public func botPercentiles(organizationId: String, botId: String) async throws -> JSON {
        let now = clock.nowMilliseconds()
        return try await database.read { db in
            try Series.botPercentiles(db, organizationId: organizationId, botId: botId, nowMilliseconds: now)
        }
    }

    public func botPerformance(botId: String, startDate: String, endDate: String) async throws -> JSON {
        let today = Timestamp.date(epochMilliseconds: clock.nowMilliseconds())
        let cost = costPer1K
        return try await database.read { db in
            try BotPerformance.compute(db, botId: botId, startDate: startDate, endDate: endDate, today: today, costPer1K: cost)
        }
    }

    public func export(organizationId: String, query: CSVExport.Query) async throws -> String {
        try await database.read { db in try CSVExport.render(db, organizationId: organizationId, query: query) }
    }

    /// True when the bot belongs to the organization (AN4/AN5 answer 404 otherwise).
    public func botExists(_ botId: String, organizationId: String) async throws -> Bool {
        try await database.read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM bots WHERE id = ? AND organization_id = ?)"),
                              arguments: [botId, organizationId]) ?? false
        }
    }
}
