import BotFlowCore
import BotFlowStorage
import GRDB

extension JobQueue {
    /// Records a job whose work the inserting transaction has already done (a sandbox delivery, which has no I/O and
    /// is accepted at once, behaviour §6.7): the row is born `succeeded` after one attempt, so the queue's history
    /// is the same as if a worker had claimed and finished it, without the claim and completion writes.
    public static func recordSucceeded(_ db: Database, _ spec: JobSpec, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO jobs (id, type, payload, state, dedupe_key, serial_key, organization_id, attempts, max_attempts, run_at,
                              finished_at, created_at, updated_at)
            VALUES (?, ?, ?, 'succeeded', ?, ?, ?, 1, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                Identifiers.uuid(), spec.type.rawValue, spec.payload.columnText, spec.dedupeKey, spec.serialKey, spec.organizationId,
                spec.maxAttempts, now, now, now, now,
            ])
    }
}

extension JobQueue {
    /// True when a job of `serialKey` is queued, retrying or running: a new job of that key would run after it, so
    /// its work must not be done ahead of it (I-51).
    public static func hasUnfinished(_ db: Database, serialKey: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS(SELECT 1 FROM jobs WHERE serial_key = ? AND state IN ('queued','retrying','running'))
            """), arguments: [serialKey]) ?? false
    }
}
