import BotFlowCore
import GRDB

/// `workflow_executions` (data-model §2.8).
public struct ExecutionRecord: Sendable {
    public var id: String
    public var botId: String
    public var workflowId: String
    public var conversationId: String
    public var triggerMessageId: String?
    public var status: String
    public var currentNodeId: String?
    public var waitKind: String?
    public var waitVariable: String?
    public var waitUntil: String?
    public var variables: JSONObject
    public var nodeOutputs: JSONObject
    public var steps: Int
    public var log: [JSON]
    public var errorMessage: String?
    public var startedAt: String
    public var finishedAt: String?

    public init(id: String, botId: String, workflowId: String, conversationId: String, triggerMessageId: String?, startedAt: String) {
        self.id = id; self.botId = botId; self.workflowId = workflowId; self.conversationId = conversationId
        self.triggerMessageId = triggerMessageId; status = "running"; variables = [:]; nodeOutputs = [:]; steps = 0; log = []
        self.startedAt = startedAt
    }

    init(row: Row) {
        id = row["id"]; botId = row["bot_id"]; workflowId = row["workflow_id"]; conversationId = row["conversation_id"]
        triggerMessageId = row["trigger_message_id"]; status = row["status"]; currentNodeId = row["current_node_id"]
        waitKind = row["wait_kind"]; waitVariable = row["wait_variable"]; waitUntil = row["wait_until"]
        variables = row.json("variables", fallback: [:]).objectValue ?? [:]
        nodeOutputs = row.json("node_outputs", fallback: [:]).objectValue ?? [:]
        steps = row["steps"]; log = row.json("log", fallback: []).arrayValue ?? []; errorMessage = row["error_message"]
        startedAt = row["started_at"]; finishedAt = row["finished_at"]
    }
}

public enum ExecutionRepository {
    /// The unfinished execution of a conversation (I-55).
    public static func findOpen(_ db: Database, conversationId: String) throws -> ExecutionRecord? {
        try db.cachedStatement(sql: """
            SELECT * FROM workflow_executions WHERE conversation_id = ? AND status IN ('running','waiting')
            """).decodeOne(arguments: [conversationId], ExecutionRecord.init)
    }

    public static func find(_ db: Database, id: String) throws -> ExecutionRecord? {
        try db.cachedStatement(sql: "SELECT * FROM workflow_executions WHERE id = ?").decodeOne(arguments: [id], ExecutionRecord.init)
    }

    public static func save(_ db: Database, _ e: ExecutionRecord, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO workflow_executions (id, bot_id, workflow_id, conversation_id, trigger_message_id, status, current_node_id,
                wait_kind, wait_variable, wait_until, variables, node_outputs, steps, log, error_message, started_at, updated_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, current_node_id = excluded.current_node_id,
                wait_kind = excluded.wait_kind, wait_variable = excluded.wait_variable, wait_until = excluded.wait_until,
                variables = excluded.variables, node_outputs = excluded.node_outputs, steps = excluded.steps, log = excluded.log,
                error_message = excluded.error_message, updated_at = excluded.updated_at, finished_at = excluded.finished_at
            """).execute(arguments: [
                e.id, e.botId, e.workflowId, e.conversationId, e.triggerMessageId, e.status, e.currentNodeId, e.waitKind,
                e.waitVariable, e.waitUntil, JSON.object(e.variables).columnText, JSON.object(e.nodeOutputs).columnText, e.steps,
                JSON.array(Array(e.log.suffix(200))).columnText, e.errorMessage, e.startedAt, now, e.finishedAt,
            ])
    }

    /// Saves a resumed segment only while the execution is still waiting where it was loaded (`current_node_id`,
    /// `wait_until`): a cancellation, handoff or another resume meanwhile wins. False when nothing was written.
    public static func saveResumed(_ db: Database, _ e: ExecutionRecord, loadedNodeId: String?, loadedWaitUntil: String?, now: String) throws -> Bool {
        try db.cachedStatement(sql: """
            UPDATE workflow_executions SET status = ?, current_node_id = ?, wait_kind = ?, wait_variable = ?, wait_until = ?, variables = ?,
                node_outputs = ?, steps = ?, log = ?, error_message = ?, updated_at = ?, finished_at = ?
            WHERE id = ? AND status = 'waiting' AND current_node_id IS ? AND wait_until IS ?
            """).execute(arguments: [
                e.status, e.currentNodeId, e.waitKind, e.waitVariable, e.waitUntil, JSON.object(e.variables).columnText,
                JSON.object(e.nodeOutputs).columnText, e.steps, JSON.array(Array(e.log.suffix(200))).columnText, e.errorMessage, now,
                e.finishedAt, e.id, loadedNodeId, loadedWaitUntil,
            ])
        return db.changesCount > 0
    }

    /// True while the execution is still waiting at `nodeId` with that `wait_until`.
    public static func isWaiting(_ db: Database, id: String, nodeId: String?, waitUntil: String?) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT 1 FROM workflow_executions WHERE id = ? AND status = 'waiting' AND current_node_id IS ? AND wait_until IS ?
            """, arguments: [id, nodeId, waitUntil]) ?? false
    }

    /// Handoff or a status change away from `active` cancels a waiting execution (behaviour §8.5).
    public static func cancelOpen(_ db: Database, conversationId: String, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE workflow_executions SET status = 'cancelled', finished_at = ?, updated_at = ?
            WHERE conversation_id = ? AND status IN ('running','waiting')
            """).execute(arguments: [now, now, conversationId])
    }

    /// Startup recovery: executions interrupted while `running` fail ("interrupted").
    @discardableResult
    public static func failInterrupted(_ db: Database, now: String) throws -> Int {
        try db.execute(sql: """
            UPDATE workflow_executions SET status = 'failed', error_message = 'interrupted', finished_at = ?, updated_at = ?
            WHERE status = 'running'
            """, arguments: [now, now])
        return db.changesCount
    }

    /// Retention (behaviour §8.5): execution rows are kept 30 days; run by the hourly cleanup.
    @discardableResult
    public static func deleteExpired(_ db: Database, nowMilliseconds: Int64) throws -> Int {
        let cutoff = Timestamp.format(epochMilliseconds: nowMilliseconds - 30 * 86_400_000)
        try db.execute(sql: "DELETE FROM workflow_executions WHERE started_at < ? AND status NOT IN ('running','waiting')", arguments: [cutoff])
        return db.changesCount
    }

    public static func activeWorkflow(_ db: Database, botId: String) throws -> WorkflowVersionRecord? {
        try db.cachedStatement(sql: "SELECT * FROM bot_workflows WHERE bot_id = ? AND status = 'active'").decodeOne(arguments: [botId], WorkflowVersionRecord.init)
    }
}
