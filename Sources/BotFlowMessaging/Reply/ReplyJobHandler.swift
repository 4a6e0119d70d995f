import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB
import Logging

/// The `reply` job: compose (§6.5 steps 1–9) then Finish in one transaction with the job's `succeeded` mark.
public struct ReplyJobHandler: BatchJobHandler {
    let composer: ReplyComposer
    let settings: Settings
    let afterCommit: @Sendable (PipelineEvent) -> Void
    /// Sandbox replies are delivered in the Finish transaction (true when the sandbox channel is the built-in one).
    let inlineSandbox: Bool

    init(database: AppDatabase, settings: Settings, knowledge: any KnowledgeSearching, llm: (any LLMCompleting)?,
         workflows: WorkflowEngine, logger: Logger, inlineSandbox: Bool = false, afterCommit: @escaping @Sendable (PipelineEvent) -> Void) {
        composer = ReplyComposer(database: database, settings: settings, knowledge: knowledge, llm: llm, workflows: workflows, logger: logger)
        self.settings = settings
        self.inlineSandbox = inlineSandbox
        self.afterCommit = afterCommit
    }

    /// Replies to a batch of inbound messages: one read transaction loads them all, composition runs concurrently
    /// (it may call the LLM), and one write transaction commits every reply with its job's `succeeded` mark.
    public func runBatch(_ jobs: [ClaimedJob], _ env: JobEnvironment) async -> [Result<Void, any Error>] {
        let started = monotonicSeconds()
        let ids = jobs.map { $0.payload["message_id"].stringValue }
        let inputs: [ReplyInput?]
        do {
            inputs = try await env.database.read { db in
                var shared = ReplyLoadShared()
                return try ids.map { id in try id.flatMap { try ReplyComposer.load(db, messageId: $0, shared: &shared) } }
            }
        } catch {
            return jobs.map { _ in .failure(error) }
        }
        let nowMs = env.clock.nowMilliseconds()
        let plans = await withTaskGroup(of: (Int, ReplyPlan).self) { group -> [ReplyPlan?] in
            for (index, input) in inputs.enumerated() {
                guard let input else { continue }
                group.addTask { (index, await composer.compose(input, nowMilliseconds: nowMs)) }
            }
            var plans = [ReplyPlan?](repeating: nil, count: inputs.count)
            for await (index, plan) in group { plans[index] = plan }
            return plans
        }
        let processingMs = Int((monotonicSeconds() - started) * 1000)
        let cost = settings.costPer1KTokensUSD, inlineSandbox = self.inlineSandbox
        let results: [Result<[String], any Error>]
        do {
            results = try await env.finishEach(jobs) { db, now, index -> [String] in
                guard ids[index] != nil else { throw JobFailure("reply job without message_id", retryable: false) }
                // The gate stopped (nothing to send), or the reply is committed with the job.
                guard let input = inputs[index], let plan = plans[index] else { return [] }
                return try ReplyFinisher.commit(db, input: input, plan: plan, processingMs: processingMs, costPer1K: cost,
                                              inlineSandbox: inlineSandbox, now: now)
            }
        } catch {
            return jobs.map { _ in .failure(error) }
        }
        return zip(inputs, results).map { input, result in
            result.map { messageIds in
                if let input, !messageIds.isEmpty {
                    afterCommit(.messagesStored(organizationId: input.conversation.organizationId, conversationId: input.conversation.id,
                                                messageIds: messageIds))
                }
            }
        }
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
