import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// behaviour §8.5 "Cancellation" through the real pipeline: a conversation leaving `active` cancels its waiting
/// execution, and a cancelled execution is never brought back by a segment that was already running.
@Suite("Workflow cancellation (behaviour §8.5)")
struct WorkflowCancellationTests {
    static func delayFlow() -> JSON {
        wfBlueprint([
            wfNode("1", "whatsapp_trigger", ["keyword": "remind"]), wfReply("2", "I'll remind you"), wfNode("3", "delay", ["duration": 10]),
            wfReply("4", "Reminder!"),
        ], wfChain(["1", "2", "3", "4"]))
    }

    @Test func anEndConversationFallbackCancelsTheWaitingExecution() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            let patched = try await client.call(.patch, "/api/bots/\(bot)", json: ["fallback_behavior": "end_conversation"], token: owner.token)
            #expect(patched.status == 200)
            try await client.wfDeploy(owner, bot: bot, Self.delayFlow())
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "remind me")
            try await f.settle()
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "waiting")

            // A message during the delay falls through to the fallback, which resolves the conversation.
            _ = try await client.wfReceive(owner, from: "+27831110001", text: "what?")
            try await f.settle()
            #expect(try await f.string("SELECT status FROM conversations WHERE id = ?", [c.conversationId]) == "resolved")
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "cancelled")
            #expect(try await f.string("SELECT finished_at IS NOT NULL FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "1")

            // The delay's job later finds nothing to do.
            f.clock.advance(seconds: 11)
            f.app.deps.messaging.jobs.wake()
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId).contains("Reminder!") == false)
        }
    }

    @Test func aResumeInAConversationNoLongerActiveCancelsTheExecution() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, Self.delayFlow())
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "remind me")
            try await f.settle()
            // Closed behind the pipeline's back (an older writer, a manual fix): the execution is left waiting.
            try await f.app.database.write { db in
                try db.execute(sql: "UPDATE conversations SET status = 'resolved' WHERE id = ?", arguments: [c.conversationId])
            }
            f.clock.advance(seconds: 11)
            f.app.deps.messaging.jobs.wake()
            try await f.settle()
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "cancelled")
            #expect(try await client.wfContents(owner, c.conversationId) == ["remind me", "I'll remind you"])
        }
    }

    @Test func aCancelledExecutionIsNotResurrectedByAnAnswerAlreadyRunning() async throws {
        let fake = try await FakeProvider.start()
        defer { fake.stop() }
        fake.setReply(.init(status: 200, body: #"{"ok":true}"#, delay: .milliseconds(1500)), forPath: "/slow")
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, wfBlueprint([
                wfNode("1", "whatsapp_trigger", ["keyword": "book"]),
                wfNode("2", "ask_question", ["question": "Which day?", "variable_name": "day"]),
                wfNode("3", "http_request", ["url": .string(fake.baseURL + "/slow")]),
                wfReply("4", "Booked for {{day}}"),
                wfNode("5", "ask_question", ["question": "Anything else?", "variable_name": "more"]),
            ], wfChain(["1", "2", "3", "4", "5"])))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "book")
            try await f.settle()
            let execution = try #require(try await f.string("SELECT id FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]))

            // The answer resumes the question (Stage 1); while its segment waits on the slow call, the execution is
            // cancelled.
            _ = try await client.wfReceive(owner, from: "+27831110001", text: "Friday")
            let deadline = ContinuousClock.now.advanced(by: .seconds(10))
            while fake.requests.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            try await f.app.database.write { db in
                try db.execute(sql: "UPDATE workflow_executions SET status = 'cancelled', finished_at = ? WHERE id = ?",
                               arguments: [f.clock.now(), execution])
            }
            try await f.settle()
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE id = ?", [execution]) == "cancelled")
            let contents = try await client.wfContents(owner, c.conversationId)
            #expect(!contents.contains("Booked for Friday"))
            #expect(!contents.contains("Anything else?"))
            #expect(try await f.int("SELECT count(*) FROM jobs WHERE type = 'workflow_resume' AND payload LIKE ? AND payload LIKE '%\"5\"%'",
                                    ["%\(execution)%"]) == 0)
        }
    }
}
