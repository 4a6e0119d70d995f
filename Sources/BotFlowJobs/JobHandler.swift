import BotFlowCore
import BotFlowStorage
import GRDB

/// Runs one type of job. A handler commits its data writes and the job's `succeeded` mark in one transaction
/// through `JobEnvironment.finish`, so a crash never leaves half a job applied.
public protocol JobHandler: Sendable {
    /// Throws `JobFailure` (retryable or not) or any error (treated as retryable).
    func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws

    /// Called inside the transaction that marks the job `dead` (e.g. to flag the message a reply was for).
    func died(_ job: ClaimedJob, error: String, db: Database, now: String) throws
}

extension JobHandler {
    public func died(_ job: ClaimedJob, error: String, db: Database, now: String) throws {}
}

/// A handler that runs several claimed jobs of its type together: one read and one write transaction per batch
/// instead of per job, which is what lets the reply pipeline keep up with a busy webhook stream.
public protocol BatchJobHandler: JobHandler {
    /// One outcome per job, in order: success, `JobFailure`, `JobLockLost` or any error (retryable).
    func runBatch(_ jobs: [ClaimedJob], _ env: JobEnvironment) async -> [Result<Void, any Error>]
}

extension BatchJobHandler {
    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        try await runBatch([job], env)[0].get()
    }
}

/// What handlers get: storage, time, and a way to wake the workers after enqueueing.
public struct JobEnvironment: Sendable {
    public let database: AppDatabase
    public let clock: any AppClock
    let wakeWorkers: @Sendable () -> Void

    public init(database: AppDatabase, clock: any AppClock, wakeWorkers: @escaping @Sendable () -> Void) {
        self.database = database; self.clock = clock; self.wakeWorkers = wakeWorkers
    }

    /// Commits `writes` together with the job's `succeeded` mark (guarded by its lock token), then wakes the
    /// workers for any jobs `writes` enqueued.
    public func finish<T: Sendable>(_ job: ClaimedJob, _ writes: @escaping @Sendable (Database, String) throws -> T) async throws -> T {
        let now = clock.now()
        let result = try await database.write { db in
            let value = try writes(db, now)
            try JobQueue.complete(db, job, now: now)
            return value
        }
        wakeWorkers()
        return result
    }

    /// The batch form of `finish`: one transaction, each job's writes and `succeeded` mark in its own savepoint, so
    /// one failing job (or one whose lock moved on) rolls back alone.
    public func finishEach<T: Sendable>(_ jobs: [ClaimedJob], _ writes: @escaping @Sendable (Database, String, Int) throws -> T) async throws
        -> [Result<T, any Error>]
    {
        guard !jobs.isEmpty else { return [] }
        let now = clock.now()
        let results = try await database.write { db in
            jobs.enumerated().map { index, job -> Result<T, any Error> in
                do {
                    var value: T?
                    try db.inSavepoint {
                        value = try writes(db, now, index)
                        try JobQueue.complete(db, job, now: now)
                        return .commit
                    }
                    return .success(value!)
                } catch {
                    return .failure(error)
                }
            }
        }
        wakeWorkers()
        return results
    }

    public func wake() { wakeWorkers() }
}
