import BotFlowCore
import BotFlowJobs
import BotFlowMessaging
import BotFlowStorage
import BotFlowTestSupport
import GRDB
import Testing

/// Replies composed by the webhook's own transaction (`InlineReplier`, behaviour §6.3 + §6.5): a reply that needs no
/// I/O is committed with the inbound message and its `reply` job recorded `succeeded`; anything else is a queued job.
/// The set-up runs inside `app.test` (the job runner is a service of the application); the messages under test are
/// then stored through the ingestor with no job runner running, so a reply that exists was written by the webhook's
/// transaction itself, and a queued job stays queued for the assertions.
@Suite struct InlineReplyTests {
    struct Setup {
        let f: Fixture
        let owner: Account
        let account: String
        let bot: String
    }

    private func taxiSetup() async throws -> Setup {
        let f = try await Fixture.make()
        let (owner, account, bot) = try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            return (owner, account, try await client.taxiBot(owner, account: account))
        }
        return Setup(f: f, owner: owner, account: account, bot: bot)
    }

    /// Stores a sandbox message through `messaging` (default: the appliance's own pipeline).
    private func ingest(_ s: Setup, from customer: String, text: String, id: String, messaging: MessagingRuntime? = nil) async throws
        -> InboundIngestor.Stored
    {
        let message = InboundMessage(provider: "sandbox", accountKey: .accountId(s.account), providerMessageId: id,
                                     customerPhone: customer, customerName: nil, text: text)
        let ingestor = (messaging ?? s.f.app.deps.messaging).ingestor
        guard case .stored(let stored) = try await ingestor.ingest(message, sandboxOf: s.owner.organizationId) else {
            throw TestSetupError("message not stored")
        }
        return stored
    }

    @Test func aReplyNeedingNoIOIsCommittedWithTheInboundMessage() async throws {
        let s = try await taxiSetup()
        let stored = try await ingest(s, from: "+27831110001", text: "what is the fare?", id: "inline-1")

        #expect(stored.replyMessageIds.count == 2, "welcome + the pricing intent")
        let replies = try await s.f.rows("""
            SELECT id, content, status, response_time_ms, json_extract(metadata, '$.reply_source') AS source,
                   json_extract(metadata, '$.intent') AS intent
            FROM messages WHERE in_reply_to = ? AND sent_by = 'bot' ORDER BY rowid
            """, [stored.messageId])
        #expect(replies.map { $0["id"] as String } == stored.replyMessageIds)
        #expect(replies.map { $0["source"] as String } == ["welcome", "intent"])
        #expect(replies.last?["intent"] as String? == "pricing")
        #expect(replies.allSatisfy { $0["status"] as String == "sent" }, "the sandbox delivers in the same transaction")
        #expect(replies.first?["response_time_ms"] as Int? != nil)
        #expect(replies.last?["response_time_ms"] as Int? == nil)

        let job = try await s.f.row("SELECT state, attempts, payload FROM jobs WHERE dedupe_key = ?", ["reply:\(stored.messageId)"])
        #expect(job["state"] as String == "succeeded")
        #expect(job["attempts"] as Int == 1)
        #expect(try await s.f.int("SELECT count(*) FROM jobs WHERE state IN ('queued','running','retrying')") == 0)
        #expect(try await s.f.int("SELECT count(*) FROM outbox WHERE state = 'sent'") == 2)
        let context = try await s.f.row("SELECT context_data FROM conversation_context WHERE conversation_id = ?", [stored.conversationId])
        let data = try JSONParser.parse(context["context_data"] as String)
        #expect(data["message_count"] == 1)
        #expect(data["last_intent"] == "pricing")
        let metrics = try await s.f.row("SELECT bot_messages, user_messages FROM conversation_metrics WHERE conversation_id = ?",
                                        [stored.conversationId])
        #expect(metrics["bot_messages"] as Int == 2)
        #expect(metrics["user_messages"] as Int == 1)

        // Redelivery: nothing new, and no second reply.
        let again = try await ingest(s, from: "+27831110001", text: "what is the fare?", id: "inline-1")
        #expect(again.duplicate)
        #expect(try await s.f.int("SELECT count(*) FROM messages WHERE sent_by = 'bot'") == 2)
    }

    @Test func aReplyThatNeedsTheWorkflowExecutorIsAQueuedJob() async throws {
        let f = try await Fixture.make()
        let (owner, account) = try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            _ = try await client.legacyBot(owner, account: account)
            return (owner, account)
        }
        let s = Setup(f: f, owner: owner, account: account, bot: "")
        // The booking bot's starter workflow has a trigger that matches: the workflow executor runs in the job.
        let stored = try await ingest(s, from: "+27831110002", text: "I want to book", id: "queued-1")
        #expect(stored.replyMessageIds.isEmpty)
        #expect(try await f.row("SELECT state FROM jobs WHERE dedupe_key = ?", ["reply:\(stored.messageId)"])["state"] as String == "queued")
        #expect(try await f.int("SELECT count(*) FROM messages WHERE sent_by = 'bot'") == 0)

        // The job answers once the workers run.
        try await f.app.test { _ in try await f.settle() }
        #expect(try await f.int("SELECT count(*) FROM messages WHERE sent_by = 'bot' AND in_reply_to = ?", [stored.messageId]) == 2)
    }

    @Test func aConversationWithAnUnfinishedJobOfItsSerialKeyWaitsInTheQueue() async throws {
        let s = try await taxiSetup()
        let first = try await ingest(s, from: "+27831110003", text: "hello", id: "serial-1")
        #expect(first.replyMessageIds.count == 1, "the welcome")
        // A job of the conversation's serial key still to run (e.g. a workflow resume): the next reply must follow it.
        let runAt = Timestamp.format(epochMilliseconds: s.f.clock.nowMilliseconds() + 3_600_000)
        try await s.f.app.database.write { [now = s.f.clock.now()] db in
            _ = try JobQueue.enqueue(db, JobSpec(type: .workflow_resume, payload: ["execution_id": "x", "node_id": "n", "reason": "delay"],
                                                 serialKey: "reply:\(first.conversationId)", dedupeKey: "resume:x:n", runAt: runAt), now: now)
        }
        let second = try await ingest(s, from: "+27831110003", text: "what is the fare?", id: "serial-2")
        #expect(second.conversationId == first.conversationId)
        #expect(second.replyMessageIds.isEmpty)
        #expect(try await s.f.row("SELECT state FROM jobs WHERE dedupe_key = ?", ["reply:\(second.messageId)"])["state"] as String == "queued")
    }

    @Test func theGateStopsAnInlineReplyOfAHandedOffConversation() async throws {
        let s = try await taxiSetup()
        let first = try await ingest(s, from: "+27831110004", text: "hello", id: "gate-1")
        try await s.f.app.database.write { db in
            try db.execute(sql: "UPDATE conversations SET status = 'handed_off' WHERE id = ?", arguments: [first.conversationId])
        }
        let second = try await ingest(s, from: "+27831110004", text: "what is the fare?", id: "gate-2")
        #expect(second.conversationId == first.conversationId)
        #expect(second.replyMessageIds.isEmpty)
        #expect(try await s.f.row("SELECT state FROM jobs WHERE dedupe_key = ?", ["reply:\(second.messageId)"])["state"] as String == "succeeded")
        #expect(try await s.f.int("SELECT count(*) FROM messages WHERE in_reply_to = ?", [second.messageId]) == 0)
    }

    @Test func aChangedBotReachesTheNextInlineReply() async throws {
        let s = try await taxiSetup()
        let before = try await ingest(s, from: "+27831110005", text: "hello", id: "cache-1")
        let welcome = try await s.f.row("SELECT content FROM messages WHERE id = ?", [before.replyMessageIds[0]])["content"] as String
        #expect(welcome.hasPrefix("Hi! Welcome to Test Taxi Service"))

        // Any write to `bots` (here straight to the table, as a restore or another code path would) retires the cached bot.
        try await s.f.app.database.write { [bot = s.bot] db in
            try db.execute(sql: "UPDATE bots SET config = json_set(config, '$.welcomeMessage', 'Changed welcome') WHERE id = ?", arguments: [bot])
        }
        let after = try await ingest(s, from: "+27831110006", text: "hello", id: "cache-2")
        #expect(try await s.f.row("SELECT content FROM messages WHERE id = ?", [after.replyMessageIds[0]])["content"] as String == "Changed welcome")

        // A deactivated bot stops replying at once.
        try await s.f.app.database.write { [bot = s.bot] db in
            try db.execute(sql: "UPDATE bots SET is_active = 0, status = 'inactive' WHERE id = ?", arguments: [bot])
        }
        let silent = try await ingest(s, from: "+27831110005", text: "what is the fare?", id: "cache-3")
        #expect(silent.replyMessageIds.isEmpty)
        #expect(try await s.f.int("SELECT count(*) FROM messages WHERE in_reply_to = ?", [silent.messageId]) == 0)
    }

    /// A knowledge stage whose in-transaction check fails (as a storage error would).
    struct FailingKnowledge: KnowledgeSearching {
        struct Failure: Error {}
        func hasKnowledge(botId: String) async throws -> Bool { false }
        func search(botId: String, query: String, limit: Int, threshold: Double) async throws -> [KnowledgeHit] { [] }
        func hasKnowledge(_ db: Database, botId: String) throws -> Bool { throw Failure() }
    }

    @Test func anInlineReplyThatFailsLeavesTheMessageStoredAndTakesTheQueue() async throws {
        let s = try await taxiSetup()
        // The same database and settings, with a knowledge stage that fails inside the webhook's transaction.
        let messaging = MessagingRuntime(database: s.f.app.database, clock: s.f.clock, settings: s.f.app.settings,
                                         credentials: s.f.app.deps.domain.credentials, logger: s.f.app.deps.logger, knowledge: FailingKnowledge())
        let stored = try await ingest(s, from: "+27831110007", text: "xyzzy plugh", id: "failing-1", messaging: messaging)
        // No intent matched, so the knowledge check ran and failed: nothing of the reply was kept, the job is queued.
        #expect(stored.replyMessageIds.isEmpty)
        #expect(try await s.f.int("SELECT count(*) FROM messages WHERE id = ?", [stored.messageId]) == 1)
        #expect(try await s.f.int("SELECT count(*) FROM messages WHERE in_reply_to = ?", [stored.messageId]) == 0)
        #expect(try await s.f.row("SELECT state FROM jobs WHERE dedupe_key = ?", ["reply:\(stored.messageId)"])["state"] as String == "queued")
        #expect(try await s.f.int("SELECT count(*) FROM conversation_context WHERE conversation_id = ?", [stored.conversationId]) == 0)
    }
}
