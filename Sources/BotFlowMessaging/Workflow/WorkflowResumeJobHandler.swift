import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB

/// `workflow_resume` (behaviour §8.5): a question's timeout or the end of a delay. The segment runs between a read
/// and one write transaction (like the reply job); a resume whose execution is no longer waiting at that node — when
/// loaded or when committing — does nothing. Messages it emits are committed like replies, with `in_reply_to` and
/// `response_time_ms` null.
public struct WorkflowResumeJobHandler: JobHandler {
    let settings: Settings
    let workflows: WorkflowEngine
    let afterCommit: @Sendable (PipelineEvent) -> Void

    init(settings: Settings, workflows: WorkflowEngine, afterCommit: @escaping @Sendable (PipelineEvent) -> Void) {
        self.settings = settings
        self.workflows = workflows
        self.afterCommit = afterCommit
    }

    struct Loaded: Sendable {
        var execution: ExecutionRecord
        var workflow: WorkflowVersionRecord
        var context: WorkflowEngine.Context
        var stored: JSONObject
    }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        guard let executionId = job.payload["execution_id"].stringValue, let nodeId = job.payload["node_id"].stringValue else {
            throw JobFailure("workflow_resume job without execution_id/node_id", retryable: false)
        }
        let started = monotonicSeconds()
        let loaded = try await env.database.read { db -> Loaded? in
            guard let execution = try ExecutionRepository.find(db, id: executionId), execution.status == "waiting",
                execution.currentNodeId == nodeId, job.payload["wait_until"].stringValue.map({ $0 == execution.waitUntil }) ?? true,
                let conversation = try ConversationRepository.find(db, id: execution.conversationId), conversation.status == "active",
                let workflow = try WorkflowVersionRepository.find(db, id: execution.workflowId),
                let bot = try BotRepository.find(db, id: execution.botId, organizationId: conversation.organizationId)
            else { return nil }
            let stored = (try ConversationRepository.context(db, conversationId: conversation.id))?.objectValue ?? [:]
            let context = WorkflowEngine.Context(bot: bot, conversation: conversation, message: "",
                                                 conversationVariables: stored["variables"]?.objectValue ?? [:],
                                                 globals: try WorkflowGlobalsRepository.all(db, botId: bot.id))
            return Loaded(execution: execution, workflow: workflow, context: context, stored: stored)
        }
        let segment: WorkflowSegment?
        if let loaded {
            segment = await workflows.run(.timer(nodeId: nodeId), workflow: loaded.workflow, execution: loaded.execution,
                                          context: loaded.context, nowMilliseconds: env.clock.nowMilliseconds())
        } else {
            segment = nil
        }
        let processingMs = Int((monotonicSeconds() - started) * 1000)
        let cost = settings.costPer1KTokensUSD
        let event = try await env.finish(job) { db, now -> PipelineEvent? in
            guard let loaded, let segment,
                // Re-checked in the write: a handoff or another resume may have moved the execution meanwhile.
                let current = try ExecutionRepository.find(db, id: executionId), current.status == "waiting", current.currentNodeId == nodeId,
                current.waitUntil == loaded.execution.waitUntil,
                var conversation = try ConversationRepository.find(db, id: loaded.context.conversation.id), conversation.status == "active",
                let account = try WhatsAppAccountRepository.find(db, id: conversation.whatsappAccountId)
            else {
                try Self.cancelIfConversationClosed(db, executionId: executionId, now: now)
                return nil
            }
            var ids: [String] = []
            for text in segment.emitted {
                let metadata: JSON = ["reply_source": "workflow", "workflow_version": .int(segment.version), "knowledge_searched": false,
                                      "knowledge_used": false, "knowledge_results_count": 0, "tokens_used": 0,
                                      "processing_time_ms": .int(processingMs), "needs_handoff": false]
                ids.append(try OutboundWriter.insert(db, conversation: conversation, account: account, text: OutgoingText.clean(text),
                                                     sentBy: "bot", metadata: metadata, now: now))
            }
            try segment.commitState(db, organizationId: conversation.organizationId, now: now)
            var stored = (try ConversationRepository.context(db, conversationId: conversation.id))?.objectValue ?? loaded.stored
            stored["variables"] = .object(segment.conversationVariables)
            if let last = segment.emitted.last { stored["last_response"] = .string(OutgoingText.clean(last)) }
            try ConversationRepository.saveContext(db, conversationId: conversation.id, data: .object(stored), now: now)
            guard !ids.isEmpty else { return nil }
            conversation.lastMessageAt = now
            conversation.updatedAt = now
            try ConversationRepository.save(db, conversation)
            try ConversationMetrics.recompute(db, conversationId: conversation.id, costPer1KTokens: cost, now: now)
            return .messagesStored(organizationId: conversation.organizationId, conversationId: conversation.id, messageIds: ids)
        }
        if let event { afterCommit(event) }
    }

    /// An execution still open in a conversation that is no longer `active` is cancelled (behaviour §8.5), rather
    /// than left waiting for ever.
    static func cancelIfConversationClosed(_ db: Database, executionId: String, now: String) throws {
        guard let execution = try ExecutionRepository.find(db, id: executionId), execution.status == "waiting" || execution.status == "running",
            let conversation = try ConversationRepository.find(db, id: execution.conversationId), conversation.status != "active"
        else { return }
        try ExecutionRepository.cancelOpen(db, conversationId: conversation.id, now: now)
    }
}
