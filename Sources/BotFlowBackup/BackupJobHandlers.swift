import BotFlowCore
import BotFlowJobs
import GRDB

/// The `backup` job (behaviour §6.4, §13.5): payload `{kind}`, serial key `backup`. A scheduled backup waits for the
/// lock rather than failing, and on success enqueues that day's `backup_prune` in the same commit.
public struct BackupJobHandler: JobHandler {
    let service: BackupService

    public init(service: BackupService) { self.service = service }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        let kind = BackupKind(rawValue: job.payload["kind"].stringValue ?? "") ?? .scheduled
        // Waiting behind a restore would hold up its "stop the workers" step for 30 s; try again after it instead.
        if service.lock.currentOperation == .restore { throw JobFailure("a restore is running") }
        do {
            _ = try await service.create(kind: kind == .pre_restore ? .manual : kind, wait: true)
        } catch {
            throw JobFailure("\(error)")
        }
        let date = Timestamp.date(epochMilliseconds: env.clock.nowMilliseconds())
        try await env.finish(job) { db, now in
            if kind == .scheduled { try JobQueue.enqueue(db, BackupJobs.prune(date: date), now: now) }
        }
    }
}

/// The `backup_prune` job: retention in every destination (§13.5).
public struct BackupPruneJobHandler: JobHandler {
    let service: BackupService

    public init(service: BackupService) { self.service = service }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        _ = service.prune()
        try await env.finish(job) { _, _ in }
    }
}

/// The job specs of behaviour §6.4's table for the two backup types.
public enum BackupJobs {
    /// `backup` for the schedule day `date` (YYYY-MM-DD), dedupe `backup:<date>`.
    public static func backup(date: String, runAt: String? = nil) -> JobSpec {
        JobSpec(type: .backup, payload: ["kind": "scheduled"], serialKey: "backup", dedupeKey: "backup:\(date)", runAt: runAt)
    }

    public static func prune(date: String) -> JobSpec {
        JobSpec(type: .backup_prune, payload: ["kind": "scheduled"], serialKey: "backup", dedupeKey: "backup_prune:\(date)")
    }

    /// The handlers to register with the job runner.
    public static func handlers(_ service: BackupService) -> [JobType: any JobHandler] {
        [.backup: BackupJobHandler(service: service), .backup_prune: BackupPruneJobHandler(service: service)]
    }
}
