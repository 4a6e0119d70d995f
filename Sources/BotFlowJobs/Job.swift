import BotFlowCore
import GRDB

/// The job types of data-model §2.14 with their defaults from behaviour §6.4.
public enum JobType: String, Sendable, CaseIterable {
    case reply, deliver, knowledge_process, workflow_resume, reembed, ivf_train, rollup_hourly, rollup_daily, backup, backup_prune

    public var defaultMaxAttempts: Int {
        switch self {
        case .reply, .deliver, .workflow_resume: return 5
        case .knowledge_process, .reembed, .rollup_hourly, .rollup_daily: return 3
        case .ivf_train, .backup, .backup_prune: return 2
        }
    }
}

/// A job to enqueue.
public struct JobSpec: Sendable {
    public var type: JobType
    public var payload: JSON
    public var serialKey: String?
    public var dedupeKey: String?
    public var organizationId: String?
    public var maxAttempts: Int
    /// Earliest start (ISO timestamp); nil = now.
    public var runAt: String?

    public init(type: JobType, payload: JSON, serialKey: String? = nil, dedupeKey: String? = nil, organizationId: String? = nil,
                maxAttempts: Int? = nil, runAt: String? = nil) {
        self.type = type; self.payload = payload; self.serialKey = serialKey; self.dedupeKey = dedupeKey
        self.organizationId = organizationId; self.maxAttempts = maxAttempts ?? type.defaultMaxAttempts; self.runAt = runAt
    }
}

/// A job a worker holds. Its writes commit only while `lockToken` still matches the row (see `JobQueue.complete`).
public struct ClaimedJob: Sendable {
    public let id: String
    public let type: JobType
    public let payload: JSON
    public let serialKey: String?
    public let organizationId: String?
    public let attempts: Int
    public let maxAttempts: Int
    public let lockToken: String

    init(row: Row, lockToken: String) {
        id = row["id"]; type = JobType(rawValue: row["type"]) ?? .reply; payload = row.json("payload", fallback: [:])
        serialKey = row["serial_key"]; organizationId = row["organization_id"]
        attempts = (row["attempts"] as Int) + 1; maxAttempts = row["max_attempts"]; self.lockToken = lockToken
    }
}

/// A handler's verdict when it cannot finish a job.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// Permanent failures go to `dead` at once (behaviour §6.4).
    public let retryable: Bool
    public init(_ message: String, retryable: Bool = true) { self.message = message; self.retryable = retryable }
    public var description: String { message }
}

/// Raised when a job's lock token no longer matches (the sweeper failed it, or another worker took it over).
public struct JobLockLost: Error, Sendable {}
