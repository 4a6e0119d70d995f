import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB

/// `workflow_resume` (behaviour §8.5): a question's timeout. A resume whose execution is no longer waiting at that
/// node does nothing. Messages it emits are committed like replies, with `in_reply_to` and `response_time_ms` null.
public struct WorkflowResumeJobHandler: JobHandler {
    let settings: Settings
    let afterCommit: @Sendable (PipelineEvent) -> Void

    public init(settings: Settings, afterCommit: @escaping @Sendable (PipelineEvent) -> Void) {
        self.settings = settings
        self.afterCommit = afterCommit
    }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        guard let executionId = job.payload["execution_id"].stringValue, let nodeId = job.payload["node_id"].stringValue else {
            throw JobFailure("workflow_resume job without execution_id/node_id", retryable: false)
        }
        let nowMs = env.clock.nowMilliseconds()
        let cost = settings.costPer1KTokensUSD
        let event = try await env.finish(job) { db, now -> PipelineEvent? in
            guard let execution = try ExecutionRepository.find(db, id: executionId), execution.status == "waiting",
                execution.currentNodeId == nodeId,
                var conversation = try ConversationRepository.find(db, id: execution.conversationId), conversation.status == "active",
                let workflow = try WorkflowVersionRepository.find(db, id: execution.workflowId),
                let bot = try BotRepository.find(db, id: execution.botId, organizationId: conversation.organizationId),
                let account = try WhatsAppAccountRepository.find(db, id: conversation.whatsappAccountId)
            else { return nil }
            var stored = (try ConversationRepository.context(db, conversationId: conversation.id))?.objectValue ?? [:]
            let context = WorkflowContext(
                message: "", customerPhone: conversation.customerPhone, customerName: conversation.customerName,
                conversationId: conversation.id, botId: bot.id, botName: bot.name, fields: bot.config["field_values"].objectValue ?? [:],
                session: execution.variables, conversation: stored["variables"]?.objectValue ?? [:],
                blueprintVariables: [:], nodeOutputs: execution.nodeOutputs)
            var executor = MinimalExecutor(blueprint: workflow.blueprint, execution: execution, context: context, nowMilliseconds: nowMs)
            executor.resumeTimeout(nodeId: nodeId)
            var ids: [String] = []
            for text in executor.emitted {
                let metadata: JSON = ["reply_source": "workflow", "workflow_version": .int(workflow.version), "knowledge_searched": false,
                                      "knowledge_used": false, "knowledge_results_count": 0, "tokens_used": 0,
                                      "processing_time_ms": 0, "needs_handoff": false]
                ids.append(try OutboundWriter.insert(db, conversation: conversation, account: account, text: OutgoingText.clean(text),
                                                     sentBy: "bot", metadata: metadata, now: now))
            }
            try ExecutionRepository.save(db, executor.execution, now: now)
            if executor.execution.status == "waiting", let node = executor.execution.currentNodeId, let until = executor.execution.waitUntil {
                try JobQueue.enqueue(db, JobSpec(type: .workflow_resume, payload: ["execution_id": .string(executionId), "node_id": .string(node),
                                                                                   "reason": "timeout"],
                                                 serialKey: "reply:\(conversation.id)", dedupeKey: "resume:\(executionId):\(node)",
                                                 organizationId: conversation.organizationId, runAt: until), now: now)
            }
            stored["variables"] = .object(executor.context.conversation)
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
}
