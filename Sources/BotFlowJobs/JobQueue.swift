import Foundation
import BotFlowCore
import BotFlowStorage
import GRDB

/// The durable queue on the `jobs` table (behaviour §6.4). All functions run inside the caller's transaction, so
/// enqueueing commits together with the data that caused it.
public enum JobQueue {
    /// Inserts the job unless an unfinished job has the same dedupe key (I-50). Returns true when inserted.
    @discardableResult
    public static func enqueue(_ db: Database, _ spec: JobSpec, now: String) throws -> Bool {
        try db.cachedStatement(sql: """
            INSERT INTO jobs (id, type, payload, state, dedupe_key, serial_key, organization_id, attempts, max_attempts, run_at,
                              created_at, updated_at)
            VALUES (?, ?, ?, 'queued', ?, ?, ?, 0, ?, ?, ?, ?)
            ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued','running','retrying') DO NOTHING
            """).execute(arguments: [
                Identifiers.uuid(), spec.type.rawValue, spec.payload.columnText, spec.dedupeKey, spec.serialKey, spec.organizationId,
                spec.maxAttempts, spec.runAt ?? now, now, now,
            ])
        return db.changesCount > 0
    }

    /// Claims up to `limit` runnable jobs: the oldest due ones whose serial key has no running job and no older
    /// unfinished job (a future-dated `queued` job, such as a question timeout, does not block).
    /// The scan walks I-49 in `run_at` order (rowid = insertion order breaks ties) so LIMIT stops it early; left to
    /// itself the planner picks I-52 and sorts every queued job (40 ms at 12k queued jobs instead of 0.7 ms).
    public static func claim(_ db: Database, limit: Int, now: String) throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        let candidates = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT j.rowid AS rid, j.* FROM jobs j INDEXED BY idx_jobs_runnable
            WHERE j.state IN ('queued','retrying') AND j.run_at <= ?1
              AND (j.serial_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM jobs o
                    WHERE o.serial_key = j.serial_key AND o.rowid != j.rowid
                      AND o.state IN ('queued','retrying','running')
                      AND (o.state = 'running'
                           OR ((o.created_at < j.created_at OR (o.created_at = j.created_at AND o.rowid < j.rowid))
                               AND NOT (o.state = 'queued' AND o.run_at > ?1)))))
            ORDER BY j.run_at, j.rowid
            LIMIT ?2
            """), arguments: [now, limit * 4])
        var claimed: [ClaimedJob] = []
        var serialKeys = Set<String>()
        for row in candidates where claimed.count < limit {
            if let key: String = row["serial_key"] {
                guard serialKeys.insert(key).inserted else { continue }
            }
            let token = Identifiers.uuid()
            try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_at = ?, lock_token = ?, updated_at = ?
                WHERE rowid = ? AND state IN ('queued','retrying')
                """).execute(arguments: [now, token, now, row["rid"] as Int64])
            if db.changesCount == 1 { claimed.append(ClaimedJob(row: row, lockToken: token)) }
        }
        return claimed
    }

    /// Marks the job succeeded; throws `JobLockLost` (rolling back the caller's transaction) when the lock moved on.
    public static func complete(_ db: Database, _ job: ClaimedJob, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE jobs SET state = 'succeeded', finished_at = ?, locked_at = NULL, lock_token = NULL, last_error = NULL, updated_at = ?
            WHERE id = ? AND lock_token = ? AND state = 'running'
            """).execute(arguments: [now, now, job.id, job.lockToken])
        if db.changesCount != 1 { throw JobLockLost() }
    }

    public enum FailureResult: Sendable, Equatable { case retrying(runAt: String), dead, lockLost }

    /// Records a failed attempt: `retrying` with backoff while attempts remain and the failure is retryable, else `dead`.
    public static func fail(_ db: Database, _ job: ClaimedJob, error: String, retryable: Bool, backoffSeconds: Double,
                            nowMilliseconds: Int64) throws -> FailureResult {
        let now = Timestamp.format(epochMilliseconds: nowMilliseconds)
        if retryable && job.attempts < job.maxAttempts {
            let runAt = Timestamp.format(epochMilliseconds: nowMilliseconds + Int64(backoffSeconds * 1000))
            try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'retrying', run_at = ?, last_error = ?, locked_at = NULL, lock_token = NULL, updated_at = ?
                WHERE id = ? AND lock_token = ? AND state = 'running'
                """).execute(arguments: [runAt, error, now, job.id, job.lockToken])
            return db.changesCount == 1 ? .retrying(runAt: runAt) : .lockLost
        }
        try db.cachedStatement(sql: """
            UPDATE jobs SET state = 'dead', finished_at = ?, last_error = ?, locked_at = NULL, lock_token = NULL, updated_at = ?
            WHERE id = ? AND lock_token = ? AND state = 'running'
            """).execute(arguments: [now, error, now, job.id, job.lockToken])
        return db.changesCount == 1 ? .dead : .lockLost
    }

    /// Backoff(n) = min(base × 2^(n−1), 600) × uniform(0.8, 1.2) seconds.
    public static func backoff(attempt: Int, baseSeconds: Int, jitter: Double = Double.random(in: 0.8...1.2)) -> Double {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        return min(Double(baseSeconds) * pow(2, exponent), 600) * jitter
    }

    /// Startup recovery (behaviour §1.3 step 4): interrupted jobs become `retrying`, due now (the attempt counts).
    /// Jobs that had no attempt left go to `dead`; `onDead` runs for each of them in the same transaction.
    @discardableResult
    public static func recoverInterrupted(_ db: Database, now: String, onDead: (ClaimedJob, String) throws -> Void = { _, _ in }) throws -> Int {
        let dying = try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE state = 'running' AND attempts >= max_attempts").map { row in
            ClaimedJob(copy: ClaimedJob(row: row, lockToken: ""), attempts: row["attempts"])
        }
        try db.execute(sql: """
            UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'retrying' END,
                finished_at = CASE WHEN attempts >= max_attempts THEN ? ELSE NULL END,
                run_at = ?, locked_at = NULL, lock_token = NULL, last_error = coalesce(last_error, 'interrupted'), updated_at = ?
            WHERE state = 'running'
            """, arguments: [now, now, now])
        let count = db.changesCount
        for job in dying { try onDead(job, "interrupted") }
        return count
    }

    /// Fails `running` jobs whose lock is older than the timeout (attempt counted). Returns the jobs it failed;
    /// `onDead` runs (in the same transaction) for each one that had no attempt left.
    public static func sweepStale(_ db: Database, lockTimeoutSeconds: Int, backoffBaseSeconds: Int, nowMilliseconds: Int64,
                                  onDead: (ClaimedJob, String) throws -> Void = { _, _ in }) throws -> [String] {
        let cutoff = Timestamp.format(epochMilliseconds: nowMilliseconds - Int64(lockTimeoutSeconds) * 1000)
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE state = 'running' AND locked_at < ?", arguments: [cutoff])
        var failed: [String] = []
        for row in rows {
            let job = ClaimedJob(row: row, lockToken: row["lock_token"] ?? "")
            // `attempts` was already counted at claim time.
            let held = ClaimedJob(copy: job, attempts: job.attempts - 1)
            let result = try fail(db, held, error: "lock timeout", retryable: true,
                                  backoffSeconds: backoff(attempt: held.attempts, baseSeconds: backoffBaseSeconds), nowMilliseconds: nowMilliseconds)
            if result == .dead { try onDead(held, "lock timeout") }
            failed.append(job.id)
        }
        return failed
    }

    /// Retention (hourly cleanup): succeeded jobs after 24 h, dead jobs after 7 days.
    @discardableResult
    public static func cleanup(_ db: Database, nowMilliseconds: Int64) throws -> Int {
        let day = Timestamp.format(epochMilliseconds: nowMilliseconds - 86_400_000)
        let week = Timestamp.format(epochMilliseconds: nowMilliseconds - 7 * 86_400_000)
        try db.execute(sql: """
            DELETE FROM jobs WHERE (state = 'succeeded' AND finished_at < ?) OR (state = 'dead' AND finished_at < ?)
            """, arguments: [day, week])
        let removed = db.changesCount
        // Workflow executions ride on the same hourly pass (behaviour §8.5, kept 30 days).
        try ExecutionRepository.deleteExpired(db, nowMilliseconds: nowMilliseconds)
        return removed
    }
}

extension ClaimedJob {
    init(copy: ClaimedJob, attempts: Int) {
        id = copy.id; type = copy.type; payload = copy.payload; serialKey = copy.serialKey
        organizationId = copy.organizationId; self.attempts = attempts; maxAttempts = copy.maxAttempts; lockToken = copy.lockToken
    }
}
