import BotFlowAPI
import BotFlowCore
import BotFlowSecurity
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

/// behaviour §8.5 through the real pipeline: sandbox messages in, the reply job and `workflow_resume` jobs running the
/// executor, outbound calls to a local fake server.
@Suite("Workflow runtime over the sandbox channel (behaviour §8.5)")
struct WorkflowRuntimeTests {
    /// trigger → ask_question → if_condition → http_request (fake server) → reply, and the false branch.
    static func orderFlow(_ base: String) -> JSON {
        wfBlueprint([
            wfNode("1", "whatsapp_trigger", ["keyword": "order"]),
            wfNode("2", "ask_question", ["question": "What is your order number?", "variable_name": "order_number", "timeout": 300]),
            wfNode("3", "if_condition", ["left_value": "{{order_number}}", "operator": "starts_with", "right_value": "A"]),
            wfNode("4", "http_request", ["method": "GET", "url": .string(base + "/orders/{{order_number}}"), "headers": ["X-Shop": "{{bot.name}}"]]),
            wfReply("5", "Order {{order_number}} is {{node_4.response.status}} (HTTP {{node_4.status_code}})"),
            wfReply("6", "Order numbers start with A, e.g. A123."),
        ], [wfEdge("e1", "1", "2"), wfEdge("e2", "2", "3"), wfEdge("e3", "3", "4", handle: "true"), wfEdge("e4", "3", "6", handle: "false"),
            wfEdge("e5", "4", "5")])
    }

    @Test func orderConversationTakesBothBranches() async throws {
        let fake = try await FakeProvider.start()
        defer { fake.stop() }
        fake.setReply(.init(status: 200, body: #"{"status":"shipped"}"#), forPath: "/orders/A123")
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, Self.orderFlow(fake.baseURL))

            // True branch: the answer starts with A → the shop system is called → reply with its answer.
            let first = try await client.wfReceive(owner, from: "+27831110001", text: "Where is my order?")
            try await f.settle()
            #expect(try await client.wfContents(owner, first.conversationId) == ["Where is my order?", "What is your order number?"])
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [first.conversationId]) == "waiting")
            let answer = try await client.wfReceive(owner, from: "+27831110001", text: "A123")
            try await f.settle()
            let messages = try await client.wfMessages(owner, first.conversationId)
            #expect(messages.map(\.["content"]) == ["Where is my order?", "What is your order number?", "A123", "Order A123 is shipped (HTTP 200)"])
            #expect(messages[3]["metadata"]["reply_source"] == "workflow")
            #expect(messages[3]["metadata"]["workflow_version"] == 2)
            #expect(messages[3]["in_reply_to"] == .string(answer.messageId))
            let call = fake.requests.first { $0.path == "/orders/A123" }
            #expect(call?.method == "GET")
            #expect(call?.header("X-Shop") == "Flow Bot")
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [first.conversationId]) == "completed")
            let outputs = try JSONParser.parse(try await f.string("SELECT node_outputs FROM workflow_executions WHERE conversation_id = ?",
                                                                  [first.conversationId]) ?? "{}")
            #expect(outputs["4"]["status_code"] == 200)
            #expect(outputs["3"]["result"] == true)

            // False branch: no call, the other reply.
            let calls = fake.requests.count
            let second = try await client.wfReceive(owner, from: "+27831110002", text: "order please")
            try await f.settle()
            _ = try await client.wfReceive(owner, from: "+27831110002", text: "999")
            try await f.settle()
            #expect(try await client.wfContents(owner, second.conversationId) == [
                "order please", "What is your order number?", "999", "Order numbers start with A, e.g. A123.",
            ])
            #expect(fake.requests.count == calls)
            let context = try JSONParser.parse(try await f.string("SELECT context_data FROM conversation_context WHERE conversation_id = ?",
                                                                  [second.conversationId]) ?? "{}")
            #expect(context["variables"]["order_number"] == "999")
        }
    }

    @Test func aWaitSurvivesARestartAndIsResumedByMessageOrTimeout() async throws {
        let f = try await WorkflowFixture.make()
        let flow = wfBlueprint([
            wfNode("1", "whatsapp_trigger", ["keyword": "book"]),
            wfNode("2", "ask_question", ["question": "Which day?", "variable_name": "day", "timeout": 60]),
            wfReply("3", "Booked for {{day}}"), wfReply("4", "No answer, ask again any time"),
        ], [wfEdge("e1", "1", "2"), wfEdge("e2", "2", "3"), wfEdge("e3", "2", "4", handle: "timeout")])
        let (owner, answered, silent) = try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, flow)
            let answered = try await client.wfReceive(owner, from: "+27831110001", text: "book a table")
            let silent = try await client.wfReceive(owner, from: "+27831110002", text: "book please")
            try await f.settle()
            return (owner, answered.conversationId, silent.conversationId)
        }
        #expect(try await f.int("SELECT count(*) FROM workflow_executions WHERE status = 'waiting'") == 2)

        // Restart: close the database, prepare a new appliance on the same data directory.
        try f.app.deps.database.close()
        var logger = Logger(label: "botflow.test")
        logger.logLevel = .critical
        let deps = try await Appliance.prepare(settings: f.app.settings, clock: f.clock, logger: logger)
        defer { try? deps.database.close() }
        let waiting = try await deps.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM workflow_executions WHERE status = 'waiting'")!
        }
        #expect(waiting == 2, "startup recovery leaves waits alone")
        try await buildApplication(deps).test(.router) { client in
            // The next message resumes the question.
            _ = try await client.wfReceive(owner, from: "+27831110001", text: "Friday")
            try await WorkflowFixture.settle(deps.database, clock: f.clock)
            #expect(try await client.wfContents(owner, answered) == ["book a table", "Which day?", "Friday", "Booked for Friday"])

            // The other one times out: the resume job runs at wait_until and follows the `timeout` edge.
            f.clock.advance(seconds: 61)
            try await WorkflowFixture.settle(deps.database, clock: f.clock)
            let messages = try await client.wfMessages(owner, silent)
            #expect(messages.map(\.["content"]) == ["book please", "Which day?", "No answer, ask again any time"])
            #expect(messages.last?["in_reply_to"] == .null)
            #expect(messages.last?["response_time_ms"] == .null)
            #expect(messages.last?["metadata"]["reply_source"] == "workflow")
        }
        let statuses = try await deps.database.read { db in
            try String.fetchAll(db, sql: "SELECT status FROM workflow_executions ORDER BY started_at")
        }
        #expect(statuses == ["completed", "completed"])
    }

    @Test func delayIsResumedByItsJobAndAStaleResumeDoesNothing() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, wfBlueprint([
                wfNode("1", "whatsapp_trigger", ["keyword": "remind"]), wfReply("2", "I'll remind you"), wfNode("3", "delay", ["duration": 10]),
                wfReply("4", "Reminder: {{node_1.message}}"),
            ], wfChain(["1", "2", "3", "4"])))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "remind me")
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId) == ["remind me", "I'll remind you"])
            #expect(try await f.string("SELECT wait_kind FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "delay")
            let job = try await f.string("SELECT payload FROM jobs WHERE type = 'workflow_resume'")
            #expect(job.map { try? JSONParser.parse($0) }??["reason"] == "delay")

            // A message during a delay neither resumes it nor starts the workflow again (Stage 2 skipped).
            _ = try await client.wfReceive(owner, from: "+27831110001", text: "remind me again")
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId).last == "Sorry, I could not process that.")

            f.clock.advance(seconds: 11)
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId).last == "Reminder: remind me")
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "completed")

            // A second resume job for the same node (a stale one) changes nothing.
            let execution = try await f.string("SELECT id FROM workflow_executions WHERE conversation_id = ?", [c.conversationId])!
            try await f.app.database.write { db in
                try db.execute(sql: """
                    INSERT INTO jobs (id, type, payload, state, serial_key, organization_id, attempts, max_attempts, run_at, created_at, updated_at)
                    VALUES (?, 'workflow_resume', ?, 'queued', ?, ?, 0, 5, ?, ?, ?)
                    """, arguments: [UUID().uuidString.lowercased(), #"{"execution_id":"\#(execution)","node_id":"3","reason":"delay"}"#,
                                     "reply:\(c.conversationId)", owner.organizationId, f.clock.now(), f.clock.now(), f.clock.now()])
            }
            f.app.deps.messaging.jobs.wake()
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId).count == 5)
            #expect(try await f.string("SELECT state FROM jobs WHERE payload LIKE '%\(execution)%' ORDER BY created_at DESC LIMIT 1") == "succeeded")
        }
    }

    @Test func errorHandlerBranchAndGlobalVariables() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, wfBlueprint([
                wfNode("1", "whatsapp_trigger", ["keyword": "status"]),
                wfNode("2", "store_variable", ["variable_name": "last_status_request", "value": "{{customer.phone}}", "scope": "global"]),
                wfNode("3", "http_request", ["url": "http://127.0.0.1:1/unreachable"]),
                wfReply("4", "never"),
                wfNode("9", "error_handler", [:]),
                wfReply("10", "Our system is down ({{node_9.node_id}}); last asked by {{last_status_request}}"),
            ], [wfEdge("e1", "1", "2"), wfEdge("e2", "2", "3"), wfEdge("e3", "3", "4"), wfEdge("e4", "9", "10", handle: "error")]))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "status?")
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId) == ["status?", "Our system is down (3); last asked by +27831110001"])
            #expect(try await f.string("SELECT value FROM workflow_globals WHERE bot_id = ? AND name = 'last_status_request'", [bot]) == #""+27831110001""#)
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "completed")
            let log = try JSONParser.parse(try await f.string("SELECT log FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) ?? "[]")
            #expect(log.arrayValue?.contains { $0["node_id"] == "3" && $0["outcome"] == "failed" } == true)
        }
    }

    @Test func timeLimitFailsTheSegmentAndThePipelineFallsBack() async throws {
        let fake = try await FakeProvider.start()
        defer { fake.stop() }
        // The call would succeed after 8 s; the 0.5 s segment limit must cut it (status and fallback prove it, not a stopwatch).
        fake.setReply(.init(status: 200, body: "{}", delay: .seconds(8)), forPath: "/slow")
        let f = try await WorkflowFixture.make { $0.workflowTimeLimitSeconds = 0.5 }
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, wfBlueprint([
                wfNode("1", "whatsapp_trigger", ["keyword": "slow"]), wfNode("2", "http_request", ["url": .string(fake.baseURL + "/slow")]),
                wfReply("3", "done"),
            ], wfChain(["1", "2", "3"])))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "slow one")
            try await f.settle()
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "failed")
            #expect(try await f.string("SELECT error_message FROM workflow_executions WHERE conversation_id = ?", [c.conversationId]) == "Time limit exceeded")
            // Nothing was emitted: the pipeline went on to the fallback (Stage 3 onwards).
            #expect(try await client.wfContents(owner, c.conversationId) == ["slow one", "Sorry, I could not process that."])
        }
    }

    @Test func shopifyLookupUsesTheBotsIntegrationAndLogsTheCall() async throws {
        let fake = try await FakeProvider.start()
        defer { fake.stop() }
        fake.setReply(.init(status: 200, body: #"{"product":{"id":77,"title":"Mug","variants":[{"price":"99.00","inventory_quantity":2}]}}"#),
                      forPath: "/admin/api/2024-01/products/77.json")
        let f = try await WorkflowFixture.make { $0.workflowShopifyBaseURL = fake.baseURL }
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            let integrationId = UUID().uuidString.lowercased()
            let cipher = CredentialCipher(serverSecret: f.app.settings.serverSecret!)
            let envelope = try cipher.seal(["store_url": "cape-shop.myshopify.com", "api_key": "shpat_secret_123"], table: "bot_integrations", rowId: integrationId)
            try await f.app.database.write { db in
                try db.execute(sql: """
                    INSERT INTO bot_integrations (id, bot_id, integration_id, organization_id, credentials_encrypted, status)
                    VALUES (?, ?, (SELECT id FROM integration_marketplace WHERE slug = 'shopify'), ?, ?, 'active')
                    """, arguments: [integrationId, bot, owner.organizationId, envelope])
            }
            try await client.wfDeploy(owner, bot: bot, wfBlueprint([
                wfNode("1", "whatsapp_trigger", ["keyword": "mug"]), wfNode("2", "shopify_lookup", ["product_id": "77", "fields": ["title", "price"]]),
                wfReply("3", "{{node_2.product.title}} costs R{{node_2.product.price}}, in stock: {{node_2.in_stock}}"),
            ], wfChain(["1", "2", "3"])))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "mug?")
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId).last == "Mug costs R99.00, in stock: true")
            #expect(fake.requests.last?.header("X-Shopify-Access-Token") == "shpat_secret_123")
            let log = try await f.string("SELECT event_type || '/' || status || '/' || typeof(duration_ms) FROM integration_logs WHERE bot_integration_id = ?",
                                         [integrationId])
            #expect(log == "api_call/success/integer")
            let everything = try await f.string("SELECT group_concat(coalesce(message,'') || coalesce(request_data,'') || coalesce(response_data,'')) FROM integration_logs")
            #expect(everything?.contains("shpat_secret") == false)

            // Disabled integration → node error → the pipeline falls back; a failed call is not logged (none was made).
            try await f.app.database.write { db in try db.execute(sql: "UPDATE bot_integrations SET status = 'inactive'") }
            let again = try await client.wfReceive(owner, from: "+27831110002", text: "mug?")
            try await f.settle()
            #expect(try await client.wfContents(owner, again.conversationId).last == "Sorry, I could not process that.")
            #expect(try await f.string("SELECT error_message FROM workflow_executions WHERE conversation_id = ?", [again.conversationId])
                    == "No enabled shopify integration for this bot")
        }
    }

    @Test func databaseQuerySeesOnlyTheOrganizationsRows() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let other = try await client.signup()
            let otherAccount = try await client.connectSandbox(other, phone: "+27820000009")
            _ = try await f.bot(client, other, account: otherAccount)
            _ = try await f.bot(client, other, account: otherAccount)
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, wfBlueprint([
                wfNode("1", "whatsapp_trigger", ["keyword": "count"]),
                wfNode("2", "database_query", ["query": "SELECT count(*) AS n FROM bots WHERE name = ?", "parameters": ["Flow Bot"]]),
                wfNode("3", "database_query", ["query": "SELECT count(*) AS n FROM main.bots"]),
                wfReply("4", "bots={{node_2.rows.0.n}}"),
                wfNode("9", "error_handler", [:]), wfReply("10", "refused: {{node_9.message}}"),
            ], [wfEdge("e1", "1", "2"), wfEdge("e2", "2", "4"), wfEdge("e3", "4", "3"), wfEdge("e4", "9", "10", handle: "error")]))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "count")
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId) == [
                "count", "bots=1", "refused: Only a SELECT over conversations, messages, bots and knowledge_base_articles is allowed",
            ])
        }
    }

    @Test func webhookCallbackPaystackAndTheLLMOffOverTheRealServices() async throws {
        let fake = try await FakeProvider.start()
        defer { fake.stop() }
        fake.setReply(.init(status: 202, body: #"{"queued":true}"#), forPath: "/hook")
        fake.setReply(.init(status: 200, body: #"{"status":true,"data":{"authorization_url":"https://pay.example/x1","reference":"r-9"}}"#),
                      forPath: "/transaction/initialize")
        let f = try await WorkflowFixture.make { $0.workflowPaystackBaseURL = fake.baseURL }
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            let integrationId = UUID().uuidString.lowercased()
            let envelope = try CredentialCipher(serverSecret: f.app.settings.serverSecret!)
                .seal(["secret_key": "sk_test_secret"], table: "bot_integrations", rowId: integrationId)
            try await f.app.database.write { db in
                try db.execute(sql: """
                    INSERT INTO bot_integrations (id, bot_id, integration_id, organization_id, credentials_encrypted, status)
                    VALUES (?, ?, (SELECT id FROM integration_marketplace WHERE slug = 'paystack'), ?, ?, 'active')
                    """, arguments: [integrationId, bot, owner.organizationId, envelope])
            }
            try await client.wfDeploy(owner, bot: bot, wfBlueprint([
                wfNode("1", "whatsapp_trigger", ["keyword": "pay"]),
                wfNode("2", "webhook_callback", ["url": .string(fake.baseURL + "/hook"), "payload": ["phone": "{{customer.phone}}"]]),
                wfNode("3", "paystack_payment", ["amount": 25000, "email": "buyer@example.com"]),
                wfReply("4", "Hook {{node_2.success}}; pay at {{node_3.payment_link}}"),
                wfNode("5", "openai_chat", ["system_prompt": "Be brief", "user_message": "{{message}}"]),
                wfNode("9", "error_handler", [:]), wfReply("10", "Fallback: {{node_9.message}}"),
            ], [wfEdge("e1", "1", "2"), wfEdge("e2", "2", "3"), wfEdge("e3", "3", "4"), wfEdge("e4", "4", "5"),
                wfEdge("e5", "9", "10", handle: "error")]))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "pay now")
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId) == [
                "pay now", "Hook true; pay at https://pay.example/x1", "Fallback: LLM is not configured",
            ])
            let hook = fake.requests.first { $0.path == "/hook" }
            #expect(hook?.json == ["phone": "+27831110001"])
            #expect(hook?.header("Content-Type") == "application/json")
            let pay = fake.requests.first { $0.path == "/transaction/initialize" }
            #expect(pay?.header("Authorization") == "Bearer sk_test_secret")
            #expect(pay?.json == ["amount": 25000, "email": "buyer@example.com"])
            #expect(try await f.string("SELECT status FROM integration_logs WHERE bot_integration_id = ?", [integrationId]) == "success")
        }
    }

    @Test func privateDestinationsAreRefusedByDefault() async throws {
        let fake = try await FakeProvider.start()
        defer { fake.stop() }
        let f = try await WorkflowFixture.make { $0.workflowHTTPAllowPrivate = false }
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            try await client.wfDeploy(owner, bot: bot, wfBlueprint([
                wfNode("1", "whatsapp_trigger", ["keyword": "meta"]),
                wfNode("2", "http_request", ["url": .string(fake.baseURL + "/x")]),
                wfNode("3", "http_request", ["url": "http://169.254.169.254/latest/meta-data/"]),
                wfNode("9", "error_handler", [:]), wfReply("10", "refused {{node_9.node_id}}"),
            ], [wfEdge("e1", "1", "2"), wfEdge("e2", "2", "3"), wfEdge("e3", "9", "10", handle: "error")]))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "meta")
            try await f.settle()
            #expect(try await client.wfContents(owner, c.conversationId) == ["meta", "refused 2"])
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func finishedExecutionsAreDeletedAfter30Days() async throws {
        let f = try await WorkflowFixture.make()
        let (conversation, bot) = try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            let c = try await client.wfReceive(owner, from: "+27831110001", text: "help")
            try await f.settle()
            return (c.conversationId, bot)
        }
        _ = bot
        #expect(try await f.int("SELECT count(*) FROM workflow_executions WHERE conversation_id = ?", [conversation]) == 1)
        let started = f.clock.nowMilliseconds()
        let kept = try await f.app.database.write { db in
            try ExecutionRepository.deleteExpired(db, nowMilliseconds: started + 29 * 86_400_000)
        }
        #expect(kept == 0)
        let deleted = try await f.app.database.write { db in
            try ExecutionRepository.deleteExpired(db, nowMilliseconds: started + 31 * 86_400_000)
        }
        #expect(deleted == 1)
    }
}
