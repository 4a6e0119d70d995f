import BotFlowCore
import BotFlowStorage
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// The worker pool (behaviour §6.4): `JOB_CONCURRENCY` slots, woken on enqueue and polling every second, with a
/// stale-lock sweeper and hourly retention cleanup. Graceful shutdown stops claiming and waits up to 10 s.
public final class JobRunner: Service, Sendable {
    public struct Options: Sendable {
        public var concurrency = 5
        public var backoffBaseSeconds = 5
        public var lockTimeoutSeconds = 300
        public var pollInterval: Duration = .seconds(1)
        public var shutdownGrace: Duration = .seconds(10)
        /// Most jobs a batch handler gets at once.
        public var batchSize = 64
        public init() {}
    }

    enum Event: Sendable { case wake, finished, tick, stop, claimed([ClaimedJob]) }

    let database: AppDatabase
    let clock: any AppClock
    let options: Options
    let logger: Logger
    let handlers: [JobType: any JobHandler]
    let onDead: @Sendable (ClaimedJob, String) -> Void
    /// The running loop's event stream (one per `run()`, so an application can be built and run more than once,
    /// as tests do); nil while no loop runs.
    private let continuation = LockedValue<AsyncStream<Event>.Continuation?>(nil)
    /// Seconds-since-start of the last loop turn, for the health check's heartbeat.
    public let heartbeat = Atomic<Int64>(0)
    /// Jobs claimed and not yet settled (bounded by `concurrency`); shared with the claiming transaction tail.
    private let inFlight = Atomic<Int>(0)
    /// False while no loop runs or it is stopping: the tail claims nothing then.
    private let accepting = Atomic<Bool>(false)
    /// A claim pass is already on its way to the writer (wake-ups are coalesced).
    private let claimRequested = Atomic<Bool>(false)
    /// Set while a restore swaps the database file (behaviour §13.7 step 4): no claims, no maintenance.
    private let paused = Atomic<Bool>(false)

    public init(database: AppDatabase, clock: any AppClock, options: Options, logger: Logger, handlers: [JobType: any JobHandler],
                onDead: @escaping @Sendable (ClaimedJob, String) -> Void = { _, _ in }) {
        self.database = database; self.clock = clock; self.options = options; self.logger = logger
        self.handlers = handlers; self.onDead = onDead
    }

    /// Handlers and request code call this after committing new jobs.
    public func wake() { continuation.withLock { $0 }?.yield(.wake) }

    public var environment: JobEnvironment {
        JobEnvironment(database: database, clock: clock, wakeWorkers: { [weak self] in self?.wake() })
    }

    /// Startup recovery of behaviour §1.3 step 4 (run before the workers start).
    public func recover() async throws {
        let now = clock.now()
        let (recovered, dead) = try await database.write { [handlers] db -> (Int, [(ClaimedJob, String)]) in
            var dead: [(ClaimedJob, String)] = []
            let count = try JobQueue.recoverInterrupted(db, now: now) { job, error in
                // A dead job gets the same treatment as any other (e.g. a reply job flags its message, §6.4).
                try handlers[job.type]?.died(job, error: error, db: db, now: now)
                dead.append((job, error))
            }
            return (count, dead)
        }
        for (job, error) in dead { onDead(job, error) }
        if recovered > 0 { logger.info("recovered interrupted jobs", metadata: ["count": "\(recovered)"]) }
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            await self.loop()
        } onGracefulShutdown: {
            self.continuation.withLock { $0 }?.yield(.stop)
        }
    }

    /// Claiming rides on the group commit: every write transaction ends by claiming due jobs for the free slots
    /// (`claimTail`), so a job enqueued by a webhook or a finishing job is claimed in the same transaction — no
    /// extra fsync and no wait for a separate claim. Wake-ups, ticks and finished jobs only request an (often empty)
    /// write so that a claim pass happens even when nothing else is writing.
    private func loop() async {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        self.continuation.withLock { $0 = continuation }
        database.setTransactionTail(claimTail(continuation))
        accepting.store(true, ordering: .sequentiallyConsistent)
        defer {
            accepting.store(false, ordering: .sequentiallyConsistent)
            database.setTransactionTail(nil)
            self.continuation.withLock { $0 = nil }
        }
        // Claim at once: jobs recovered at startup or enqueued before the loop started are due now.
        requestClaim()
        await withDiscardingTaskGroup { group in
            group.addTask { [continuation, options] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: options.pollInterval)
                    continuation.yield(.tick)
                }
            }
            var stopping = false
            var stopDeadline = ContinuousClock.now
            var ticksSinceSweep = 0
            for await event in events {
                heartbeat.store(Int64(monotonicSeconds()), ordering: .relaxed)
                switch event {
                case .finished: if !stopping { requestClaim() }
                case .stop:
                    stopping = true
                    accepting.store(false, ordering: .sequentiallyConsistent)
                    // A tail that passed the `accepting` check before the store may still be claiming: one write
                    // through the group commit waits for it, so its jobs are counted in `inFlight` (and their
                    // `.claimed` event is queued) before the exit check below.
                    _ = try? await database.write { _ in }
                    stopDeadline = ContinuousClock.now.advanced(by: options.shutdownGrace)
                case .tick:
                    ticksSinceSweep += 1
                    if ticksSinceSweep >= 30 { ticksSinceSweep = 0; await maintenance() }
                    if !stopping { requestClaim() }
                case .wake: if !stopping { requestClaim() }
                case .claimed(let jobs): start(jobs, in: &group, continuation: continuation)
                }
                if stopping, inFlight.load(ordering: .sequentiallyConsistent) == 0 || ContinuousClock.now >= stopDeadline { break }
            }
            group.cancelAll()
        }
    }

    /// Runs claimed jobs: batch handlers get chunks of up to `batchSize` jobs of their type, others one task each.
    private func start(_ jobs: [ClaimedJob], in group: inout DiscardingTaskGroup, continuation: AsyncStream<Event>.Continuation) {
        var batches: [JobType: [ClaimedJob]] = [:]
        for job in jobs {
            if handlers[job.type] is any BatchJobHandler {
                batches[job.type, default: []].append(job)
                continue
            }
            group.addTask {
                await self.execute(job)
                self.inFlight.subtract(1, ordering: .sequentiallyConsistent)
                continuation.yield(.finished)
            }
        }
        for (_, jobs) in batches {
            for start in stride(from: 0, to: jobs.count, by: options.batchSize) {
                let chunk = Array(jobs[start..<min(start + options.batchSize, jobs.count)])
                group.addTask {
                    await self.executeBatch(chunk)
                    self.inFlight.subtract(chunk.count, ordering: .sequentiallyConsistent)
                    continuation.yield(.finished)
                }
            }
        }
    }

    /// Asks for a claim pass: an empty write whose transaction tail claims. Coalesced while one is pending.
    private func requestClaim() {
        guard !claimRequested.exchange(true, ordering: .sequentiallyConsistent) else { return }
        Task { [database, logger] in
            do { try await database.write { _ in } } catch {
                self.claimRequested.store(false, ordering: .sequentiallyConsistent)
                logger.error("job claim pass failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The tail appended to every write transaction: claims due jobs for the free slots inside a savepoint (a failed
    /// claim rolls back alone and never fails the callers' writes); the claimed jobs start once the commit holds.
    private func claimTail(_ continuation: AsyncStream<Event>.Continuation) -> TransactionTail {
        TransactionTail(
            run: { [self] db in
                claimRequested.store(false, ordering: .sequentiallyConsistent)
                guard accepting.load(ordering: .sequentiallyConsistent), !paused.load(ordering: .sequentiallyConsistent) else { return nil }
                let free = options.concurrency - inFlight.load(ordering: .sequentiallyConsistent)
                guard free > 0 else { return nil }
                var jobs: [ClaimedJob] = []
                do {
                    try db.inSavepoint {
                        jobs = try JobQueue.claim(db, limit: free, now: clock.now())
                        return .commit
                    }
                } catch {
                    logger.error("job claim failed", metadata: ["error": "\(error)"])
                    return nil
                }
                guard !jobs.isEmpty else { return nil }
                inFlight.add(jobs.count, ordering: .sequentiallyConsistent)
                return jobs
            },
            completed: { [self] value, committed in
                guard let jobs = value as? [ClaimedJob] else { return }
                if committed { continuation.yield(.claimed(jobs)) } else { inFlight.subtract(jobs.count, ordering: .sequentiallyConsistent) }
            })
    }

    func executeBatch(_ jobs: [ClaimedJob]) async {
        guard let handler = jobs.first.flatMap({ handlers[$0.type] }) as? any BatchJobHandler else { return }
        let results = await handler.runBatch(jobs, environment)
        for (job, result) in zip(jobs, results) {
            switch result {
            case .success: break
            case .failure(let error): await settle(job, error: error, handler: handler)
            }
        }
    }

    func execute(_ job: ClaimedJob) async {
        let started = monotonicSeconds()
        guard let handler = handlers[job.type] else {
            await record(job, error: "no handler for job type \(job.type.rawValue)", retryable: false, handler: nil)
            return
        }
        do {
            try await handler.run(job, environment)
            logger.debug("job succeeded", metadata: [
                "job_id": "\(job.id)", "type": "\(job.type.rawValue)", "attempt": "\(job.attempts)",
                "duration_ms": "\(Int((monotonicSeconds() - started) * 1000))",
            ])
        } catch {
            await settle(job, error: error, handler: handler)
        }
    }

    /// A job that did not succeed: lock lost (nothing to do), a `JobFailure`, or any other error (retryable).
    private func settle(_ job: ClaimedJob, error: any Error, handler: any JobHandler) async {
        switch error {
        case is JobLockLost:
            logger.warning("job lock lost", metadata: ["job_id": "\(job.id)", "type": "\(job.type.rawValue)"])
        case let failure as JobFailure:
            await record(job, error: failure.message, retryable: failure.retryable, handler: handler)
        default:
            await record(job, error: String(describing: error), retryable: true, handler: handler)
        }
    }

    private func record(_ job: ClaimedJob, error: String, retryable: Bool, handler: (any JobHandler)?) async {
        let nowMs = clock.nowMilliseconds()
        let backoff = JobQueue.backoff(attempt: job.attempts, baseSeconds: options.backoffBaseSeconds)
        do {
            let result = try await database.write { db -> JobQueue.FailureResult in
                let result = try JobQueue.fail(db, job, error: error, retryable: retryable, backoffSeconds: backoff, nowMilliseconds: nowMs)
                if result == .dead { try handler?.died(job, error: error, db: db, now: Timestamp.format(epochMilliseconds: nowMs)) }
                return result
            }
            logger.warning("job failed", metadata: [
                "job_id": "\(job.id)", "type": "\(job.type.rawValue)", "attempt": "\(job.attempts)", "error": "\(error)",
                "outcome": "\(result)",
            ])
            if result == .dead { onDead(job, error) }
        } catch {
            logger.error("recording a job failure failed", metadata: ["job_id": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Every 30 s: fail stale locks; the hourly retention cleanup piggybacks on it.
    private func maintenance() async {
        guard !paused.load(ordering: .sequentiallyConsistent) else { return }
        let nowMs = clock.nowMilliseconds()
        do {
            let (swept, dead) = try await database.write { [options, handlers] db -> ([String], [(ClaimedJob, String)]) in
                var dead: [(ClaimedJob, String)] = []
                let swept = try JobQueue.sweepStale(db, lockTimeoutSeconds: options.lockTimeoutSeconds,
                                                    backoffBaseSeconds: options.backoffBaseSeconds, nowMilliseconds: nowMs) { job, error in
                    // A job swept to `dead` is handled like one that died in a worker (reply → `reply_failed`, §6.4).
                    try handlers[job.type]?.died(job, error: error, db: db, now: Timestamp.format(epochMilliseconds: nowMs))
                    dead.append((job, error))
                }
                if nowMs / 3_600_000 != (nowMs - 30_000) / 3_600_000 { try JobQueue.cleanup(db, nowMilliseconds: nowMs) }
                return (swept, dead)
            }
            for (job, error) in dead { onDead(job, error) }
            if !swept.isEmpty { logger.warning("stale job locks failed", metadata: ["jobs": "\(swept)"]) }
        } catch {
            logger.error("job maintenance failed", metadata: ["error": "\(error)"])
        }
    }
}

extension JobRunner {
    /// Stops claiming and waits up to `grace` for running jobs (a restore, behaviour §13.7 step 4). Jobs still running
    /// after that are left to fail their commit (lock lost) and are recovered by startup recovery.
    public func pause(grace: Duration = .seconds(30)) async {
        paused.store(true, ordering: .sequentiallyConsistent)
        // Let a tail that read `paused == false` just before finish its claim, so `inFlight` counts those jobs.
        _ = try? await database.write { _ in }
        let deadline = ContinuousClock.now.advanced(by: grace)
        while inFlight.load(ordering: .sequentiallyConsistent) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Claims again (after the restore) and wakes the workers at once.
    public func resume() {
        paused.store(false, ordering: .sequentiallyConsistent)
        requestClaim()
    }
}
