import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import Logging
import ServiceLifecycle

/// The in-process UTC schedule of behaviour §10.6: `rollup_hourly` at :05 for the previous hour, `rollup_daily` at
/// 01:00 for the previous day. At startup both are enqueued for the newest due period, so missed ones catch up.
/// Dedupe keys keep one job per period however often this runs. The startup check waits a minute, so startup (and a
/// short-lived process such as a test) settles first.
public final class RollupScheduler: Service, Sendable {
    let database: AppDatabase
    let clock: any AppClock
    let logger: Logger
    let wakeWorkers: LockedValue<@Sendable () -> Void>
    let startupDelay: Duration = .seconds(60)

    init(database: AppDatabase, clock: any AppClock, logger: Logger) {
        self.database = database; self.clock = clock; self.logger = logger
        wakeWorkers = LockedValue({})
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await self.loop() }
        try? await gracefulShutdown()
    }

    private func loop() async throws {
        var hour: Int64?
        var date: String?
        try await Task.sleep(for: startupDelay)
        while true {
            let now = clock.nowMilliseconds()
            let dueHour = RollupState.dueHour(nowMilliseconds: now), dueDate = RollupState.dueDate(nowMilliseconds: now)
            if hour != dueHour || date != dueDate {
                do {
                    try await enqueueDue(nowMilliseconds: now)
                    hour = dueHour; date = dueDate
                } catch {
                    logger.error("scheduling rollups failed", metadata: ["error": "\(error)"])
                }
            }
            try await Task.sleep(for: .seconds(15))
        }
    }

    /// Enqueues one hourly rollup (an operator re-run, or a test).
    public func enqueueHourly(hourStart: Int64) async throws {
        let stamp = clock.now()
        try await database.write { db in _ = try JobQueue.enqueue(db, RollupJobs.hourly(hourStart: hourStart), now: stamp) }
        wakeWorkers.withLock { $0 }()
    }

    /// Enqueues the rollups due at `now` (each also catches up what it missed).
    public func enqueueDue(nowMilliseconds now: Int64) async throws {
        let stamp = clock.now()
        try await database.write { db in
            _ = try JobQueue.enqueue(db, RollupJobs.hourly(hourStart: RollupState.dueHour(nowMilliseconds: now)), now: stamp)
            _ = try JobQueue.enqueue(db, RollupJobs.daily(date: RollupState.dueDate(nowMilliseconds: now)), now: stamp)
        }
        wakeWorkers.withLock { $0 }()
    }
}
