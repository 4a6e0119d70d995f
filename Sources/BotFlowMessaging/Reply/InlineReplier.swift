import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB
import Logging

/// Replies composed by the webhook's own transaction. Most answers need no I/O (welcome, handoff keyword, template
/// intent, fallback): for those the transaction that stores the inbound message (behaviour §6.3) also runs the reply
/// job's work (§6.5) and records the `reply` job `succeeded`, so the answer is durable in the same commit as the
/// question — no second transaction, no claim, no re-read of what was just written. A reply that needs the workflow
/// executor, the knowledge search or the LLM, or a conversation with unfinished jobs of its serial key, goes through
/// the queued job as before.
/// A class: the webhook's write closure captures it, and copying a struct of this many references per message showed
/// in the writer's profile.
final class InlineReplier: Sendable {
    let composer: ReplyComposer
    let knowledge: any KnowledgeSearching
    let directory: BotDirectory
    let clock: any AppClock
    let settings: Settings
    let inlineSandbox: Bool
    let logger: Logger

    init(composer: ReplyComposer, knowledge: any KnowledgeSearching, directory: BotDirectory, clock: any AppClock, settings: Settings,
         inlineSandbox: Bool, logger: Logger) {
        self.composer = composer; self.knowledge = knowledge; self.directory = directory; self.clock = clock; self.settings = settings
        self.inlineSandbox = inlineSandbox; self.logger = logger
    }

    /// Called inside the transaction right after the inbound message `messageId` was inserted. Returns the ids of
    /// the bot messages written (empty when the gate stopped the reply), or nil — with nothing written — when the
    /// `reply` job has to be enqueued instead. Any error rolls back what the attempt wrote (its own savepoint) and
    /// sends the reply to the queue, so the inbound message is stored and acknowledged all the same; only an error
    /// that ended the whole transaction (disk full, I/O) is thrown, and then the webhook fails as any storage error.
    func reply(_ db: Database, messageId: String, account: WhatsAppAccountRecord, newConversation: Bool, job: JobSpec) throws -> [String]? {
        do {
            var ids: [String]?
            try db.inSavepoint {
                ids = try attempt(db, messageId: messageId, account: account, newConversation: newConversation, job: job)
                return ids == nil ? .rollback : .commit
            }
            return ids
        } catch {
            guard db.isInsideTransaction else { throw error }
            logger.warning("inline reply failed; queued as a reply job", metadata: ["message_id": "\(messageId)", "error": "\(error)"])
            return nil
        }
    }

    private func attempt(_ db: Database, messageId: String, account: WhatsAppAccountRecord, newConversation: Bool, job: JobSpec) throws -> [String]? {
        // Replies of one conversation run in order: behind an unfinished reply or workflow resume, take the queue.
        if !newConversation, let serialKey = job.serialKey, try JobQueue.hasUnfinished(db, serialKey: serialKey) { return nil }
        let started = monotonicSeconds()
        var shared = ReplyLoadShared(directory: directory)
        shared.remember(account)
        guard let input = try ReplyComposer.load(db, messageId: messageId, shared: &shared) else {
            // The gate stopped (conversation not active, no bot, bot inactive): the job succeeds with nothing sent.
            try JobQueue.recordSucceeded(db, job, now: clock.now())
            return []
        }
        guard let plan = try composer.composeWithoutIO(input, hasKnowledge: { try knowledge.hasKnowledge(db, botId: $0.id) }) else {
            return nil
        }
        let processingMs = Int((monotonicSeconds() - started) * 1000)
        let now = clock.now()
        let ids = try ReplyFinisher.commit(db, input: input, plan: plan, processingMs: processingMs, costPer1K: settings.costPer1KTokensUSD,
                                           inlineSandbox: inlineSandbox, now: now)
        try JobQueue.recordSucceeded(db, job, now: now)
        return ids
    }
}
