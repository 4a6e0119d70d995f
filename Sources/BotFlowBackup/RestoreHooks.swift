import BotFlowCore

/// What a restore asks of the process around the database (behaviour §13.7). The server wires these to its restore
/// gate, job workers, scheduler and startup recovery; the CLI, which runs with no server, leaves them empty.
public struct RestoreHooks: Sendable {
    /// Step 1: new requests get 503; waits for requests already inside to finish.
    public var closeGate: @Sendable () async -> Void = {}
    /// Always called at the end, success or not.
    public var openGate: @Sendable () -> Void = {}
    /// Step 4: stop claiming jobs and scheduling; running jobs get up to 30 s.
    public var stopWorkers: @Sendable () async -> Void = {}
    /// Step 7 (and after a rollback): workers and scheduler run again.
    public var startWorkers: @Sendable () async -> Void = {}
    /// Step 7: clear caches and run startup recovery (§1.3 step 4) on the restored database. Throwing rolls back.
    public var afterRestore: @Sendable () async throws -> Void = {}
    /// Tests inject a failure right after the files were swapped, to prove the rollback.
    public var faultAfterSwap: (@Sendable () throws -> Void)?

    public init() {}
}

/// A successful restore (api.md AD5).
public struct RestoreResult: Sendable {
    public let name: String
    public let preRestoreBackup: String
    public let rowCounts: [String: Int]
    public let durationMs: Int

    public var json: JSON {
        var counts = JSONObject()
        for table in countedTables { counts[table] = .int(rowCounts[table] ?? 0) }
        return ["name": .string(name), "ok": true, "pre_restore_backup": .string(preRestoreBackup), "row_counts": .object(counts),
                "duration_ms": .int(durationMs)]
    }
}
