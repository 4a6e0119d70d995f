import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Enqueues the daily `backup` job at `BACKUP_SCHEDULE_UTC` (behaviour §13.5, §10.6). The job queue makes the run
/// durable: a crash mid-backup retries it, and the dedupe key `backup:<date>` keeps one per day.
public final class BackupScheduler: Service, Sendable {
    let service: BackupService
    let database: AppDatabase
    let clock: any AppClock
    let logger: Logger
    let wakeWorkers: @Sendable () -> Void
    /// How long after startup an overdue backup runs (the spec allows up to 5 minutes; this lets startup settle).
    let catchUpDelaySeconds: Int64
    /// Set during a restore (§13.7 step 4): nothing is enqueued; a due run is enqueued once it clears.
    private let paused = Atomic<Bool>(false)

    public init(service: BackupService, database: AppDatabase, clock: any AppClock, logger: Logger, catchUpDelaySeconds: Int64 = 60,
                wakeWorkers: @escaping @Sendable () -> Void) {
        self.service = service; self.database = database; self.clock = clock; self.logger = logger
        self.catchUpDelaySeconds = catchUpDelaySeconds; self.wakeWorkers = wakeWorkers
    }

    public func pause() { paused.store(true, ordering: .relaxed) }
    public func resume() { paused.store(false, ordering: .relaxed) }

    public func run() async throws {
        if service.config.enabled {
            try? await cancelWhenGracefulShutdown { try await self.loop() }
        }
        // A service that returns early would stop the whole application; wait for shutdown like the others.
        try? await gracefulShutdown()
    }

    private func loop() async throws {
        try? await catchUpIfOverdue()
        var next = Self.nextRun(afterMilliseconds: clock.nowMilliseconds(), schedule: service.config.scheduleUTC)
        while true {
            let wait = max(0, min(next - clock.nowMilliseconds(), 30_000))
            try await Task.sleep(for: .milliseconds(wait))
            let now = clock.nowMilliseconds()
            guard now >= next, !paused.load(ordering: .relaxed) else { continue }
            do {
                try await enqueue(BackupJobs.backup(date: Timestamp.date(epochMilliseconds: next)))
                next = Self.nextRun(afterMilliseconds: now, schedule: service.config.scheduleUTC)
            } catch {
                logger.error("scheduling the daily backup failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// At startup: when the newest scheduled backup is more than 24 h old, one runs soon. With none yet, the first
    /// one waits for the schedule (a fresh install has nothing worth an immediate backup).
    @discardableResult
    public func catchUpIfOverdue() async throws -> Bool {
        let newest = service.list().filter { $0.manifest?.kind == BackupKind.scheduled.rawValue }
            .compactMap { $0.manifest.flatMap { Timestamp.parse($0.createdAt) } }.max()
        let now = clock.nowMilliseconds()
        guard Self.catchUpNeeded(newestScheduledMilliseconds: newest, nowMilliseconds: now) else { return false }
        let runAt = Timestamp.format(epochMilliseconds: now + catchUpDelaySeconds * 1000)
        try await enqueue(BackupJobs.backup(date: Timestamp.date(epochMilliseconds: now), runAt: runAt))
        logger.info("scheduled backup overdue; one is queued", metadata: ["run_at": "\(runAt)"])
        return true
    }

    private func enqueue(_ spec: JobSpec) async throws {
        let now = clock.now()
        try await database.write { db in try JobQueue.enqueue(db, spec, now: now) }
        wakeWorkers()
    }

    static func catchUpNeeded(newestScheduledMilliseconds newest: Int64?, nowMilliseconds now: Int64) -> Bool {
        guard let newest else { return false }
        return now - newest > 86_400_000
    }

    /// The first `HH:MM` UTC strictly after `now`.
    static func nextRun(afterMilliseconds now: Int64, schedule: String) -> Int64 {
        let parts = schedule.split(separator: ":").compactMap { Int64($0) }
        let offset = ((parts.first ?? 2) * 3600 + (parts.dropFirst().first ?? 0) * 60) * 1000
        let day = now - now % 86_400_000
        let today = day + offset
        return today > now ? today : today + 86_400_000
    }
}
