import BotFlowCore
import GRDB

/// Work appended to every group-commit transaction after the callers' writes (the job runner claims due jobs here,
/// so a job is claimed by the very transaction that enqueued it, at no extra fsync). `run` must not throw: it owns
/// its errors. `completed` learns whether the transaction that holds `run`'s changes committed.
public struct TransactionTail: Sendable {
    public let run: @Sendable (Database) -> (any Sendable)?
    public let completed: @Sendable (_ value: (any Sendable)?, _ committed: Bool) -> Void

    public init(run: @escaping @Sendable (Database) -> (any Sendable)?,
                completed: @escaping @Sendable (_ value: (any Sendable)?, _ committed: Bool) -> Void) {
        self.run = run; self.completed = completed
    }
}

/// Group commit for write transactions. SQLite with `synchronous=FULL` pays one fsync per commit (~2 ms here), so
/// concurrent writers are folded into one transaction: each caller's closure runs in its own savepoint (a throwing
/// closure rolls back only its own changes and gets its error), and every caller resumes only after the commit
/// that holds its writes. At low load a batch is a single closure, so latency is unchanged.
actor GroupCommit {
    private struct Pending {
        let body: @Sendable (Database) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let pool: DatabasePool
    private var pending: [Pending] = []
    private var flushing = false
    /// Bounds one transaction's size (and so the wait of the first caller in it).
    private let maxBatch = 512
    private let tail = LockedValue<TransactionTail?>(nil)

    /// Called after every commit (the background WAL checkpointer's nudge).
    private let afterCommit: @Sendable () -> Void

    init(pool: DatabasePool, afterCommit: @escaping @Sendable () -> Void = {}) { self.pool = pool; self.afterCommit = afterCommit }

    nonisolated func setTail(_ tail: TransactionTail?) { self.tail.withLock { $0 = tail } }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            pending.append(Pending(body: { db in try body(db) }, continuation: continuation))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
        return value as! T
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            let bodies = batch.map(\.body)
            let tail = self.tail.withLock { $0 }
            let tailValue = LockedValue<(any Sendable)?>(nil)
            do {
                let results: [Result<any Sendable, any Error>]
                if bodies.count == 1 && tail == nil {
                    // One caller: its own transaction, no savepoint overhead.
                    results = [.success(try await pool.write(bodies[0]))]
                } else {
                    results = try await pool.write { db in
                        let results = bodies.map { body -> Result<any Sendable, any Error> in
                            var value: (any Sendable)?
                            do {
                                try db.inSavepoint {
                                    value = try body(db)
                                    return .commit
                                }
                                return .success(value!)
                            } catch {
                                return .failure(error)
                            }
                        }
                        if let tail { tailValue.withLock { $0 = tail.run(db) } }
                        return results
                    }
                }
                afterCommit()
                tail?.completed(tailValue.withLock { $0 }, true)
                for (item, result) in zip(batch, results) { item.continuation.resume(with: result) }
            } catch {
                tail?.completed(tailValue.withLock { $0 }, false)
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
