import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB
import Logging

/// The `reply` job: compose (§6.5 steps 1–9) then Finish in one transaction with the job's `succeeded` mark.
public struct ReplyJobHandler: JobHandler {
    let composer: ReplyComposer
    let settings: Settings
    let afterCommit: @Sendable (PipelineEvent) -> Void

    public init(database: AppDatabase, settings: Settings, knowledge: any KnowledgeSearching, llm: (any LLMCompleting)?,
                logger: Logger, afterCommit: @escaping @Sendable (PipelineEvent) -> Void) {
        composer = ReplyComposer(database: database, settings: settings, knowledge: knowledge, llm: llm, logger: logger)
        self.settings = settings
        self.afterCommit = afterCommit
    }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        guard let messageId = job.payload["message_id"].stringValue else { throw JobFailure("reply job without message_id", retryable: false) }
        let started = monotonicSeconds()
        guard let input = try await composer.load(messageId: messageId) else {
            _ = try await env.finish(job) { _, _ in }  // the gate stopped: nothing to send
            return
        }
        let plan = await composer.compose(input, nowMilliseconds: env.clock.nowMilliseconds())
        let processingMs = Int((monotonicSeconds() - started) * 1000)
        let cost = settings.costPer1KTokensUSD
        let ids = try await env.finish(job) { db, now in
            try ReplyFinisher.commit(db, input: input, plan: plan, processingMs: processingMs, costPer1K: cost, now: now)
        }
        afterCommit(.messagesStored(organizationId: input.conversation.organizationId, conversationId: input.conversation.id, messageIds: ids))
    }

    /// A dead reply job flags its inbound message (counted as a failed response, §10.1).
    public func died(_ job: ClaimedJob, error: String, db: Database, now: String) throws {
        guard let messageId = job.payload["message_id"].stringValue, let message = try MessageRepository.find(db, id: messageId) else { return }
        try MessageRepository.mergeMetadata(db, id: messageId, ["reply_failed": true], now: now)
        try ConversationMetrics.recompute(db, conversationId: message.conversationId, costPer1KTokens: settings.costPer1KTokensUSD, now: now)
    }
}

/// What the pipeline tells the rest of the app after a commit (cache invalidation, live events, worker wake-ups).
public enum PipelineEvent: Sendable {
    case messagesStored(organizationId: String, conversationId: String, messageIds: [String])
    case messageStatusChanged(organizationId: String, conversationId: String, messageId: String)
    case conversationChanged(organizationId: String, conversationId: String)
}
