import GRDB

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

    init(pool: DatabasePool) { self.pool = pool }

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
            do {
                let results: [Result<any Sendable, any Error>]
                if bodies.count == 1 {
                    // One caller: its own transaction, no savepoint overhead.
                    results = [.success(try await pool.write(bodies[0]))]
                } else {
                    results = try await pool.write { db in
                        bodies.map { body in
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
                    }
                }
                for (item, result) in zip(batch, results) { item.continuation.resume(with: result) }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
