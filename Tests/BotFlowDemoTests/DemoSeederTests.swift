import BotFlowCore
import BotFlowDemo
import BotFlowMessaging
import BotFlowStorage
import BotFlowTestSupport
import GRDB
import HummingbirdTesting
import Testing

@Suite struct DemoSeederTests {
    static let now = Timestamp.parse("2026-11-30T09:00:00.000Z")!

    static func smallPlan(seed: UInt64 = 7) -> DemoPlan {
        var plan = DemoPlan(nowMilliseconds: now)
        plan.seed = seed
        plan.organizations = 2
        plan.membersPerOrganization = 1
        plan.botsPerOrganization = 2
        plan.conversations = 301
        plan.messagesPerConversation = 10
        plan.knowledgeArticlesPerBot = 1
        plan.batchConversations = 64
        return plan
    }

    static func seed(_ appliance: TestAppliance, _ plan: DemoPlan) async throws -> DemoSummary {
        try await DemoSeeder(database: appliance.database, domain: appliance.deps.domain, knowledge: appliance.deps.knowledge, plan: plan).run()
    }

    @Test func fillsAFreshDataDirectoryWithConsistentRows() async throws {
        let appliance = try await TestAppliance.make()
        let summary = try await Self.seed(appliance, Self.smallPlan())
        #expect(summary.organizations == 2 && summary.users == 4 && summary.bots == 4 && summary.whatsappAccounts == 2)
        #expect(summary.conversations == 301 && summary.conversationMetrics == 301 && summary.knowledgeArticles == 4)
        // A mean of 10 messages per conversation (1–9 turns of two messages, plus agent replies on handoffs).
        #expect(summary.messages > 301 * 7 && summary.messages < 301 * 13)

        // Rows are not Sendable: read plain integers out of the transaction.
        let counts = try await appliance.database.read { db -> [String: Int] in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM conversations) AS c, (SELECT count(*) FROM messages) AS m,
                       (SELECT count(*) FROM conversation_metrics) AS cm, (SELECT count(*) FROM knowledge_files) AS f,
                       (SELECT count(*) FROM jobs WHERE type = 'knowledge_process' AND state = 'queued') AS j,
                       (SELECT count(*) FROM conversations WHERE organization_id = ?) AS demo
                """, arguments: [summary.demoOrganizationId])!
            return Dictionary(uniqueKeysWithValues: ["c", "m", "cm", "f", "j", "demo"].map { ($0, row[$0] as Int) })
        }
        #expect(counts["c"] == 301 && counts["m"] == summary.messages && counts["cm"] == 301)
        #expect(counts["f"] == 4 && counts["j"] == 4)
        #expect(counts["demo"] == 150)

        // Every metrics row equals what the reply pipeline's own recompute derives from the stored messages.
        let columns = """
            conversation_id, bot_id, organization_id, started_at, ended_at, duration_seconds, total_messages, user_messages,
            bot_messages, avg_response_time_ms, p50_response_time_ms, p95_response_time_ms, p99_response_time_ms,
            successful_responses, failed_responses, fallback_responses, handoff_triggered, knowledge_base_hits,
            knowledge_base_misses, tokens_used, estimated_cost_usd, resolution_status
            """
        let query = "SELECT \(columns) FROM conversation_metrics ORDER BY conversation_id"
        let generated = try await appliance.database.read { db in try Row.fetchAll(db, sql: query).map { Array($0.databaseValues) } }
        let cost = appliance.settings.costPer1KTokensUSD
        try await appliance.database.write { db in
            for id in try String.fetchAll(db, sql: "SELECT id FROM conversations") {
                try ConversationMetrics.recompute(db, conversationId: id, costPer1KTokens: cost, now: "2026-11-30T09:00:00.000Z")
            }
        }
        let recomputed = try await appliance.database.read { db in try Row.fetchAll(db, sql: query).map { Array($0.databaseValues) } }
        #expect(generated.count == 301)
        #expect(generated == recomputed)
        let escalated = generated.filter { $0.last == "escalated".databaseValue }.count
        #expect(escalated > 0 && escalated < 301)
    }

    @Test func theDemoLoginSeesItsBotsAndHistoryThroughTheAPI() async throws {
        let appliance = try await TestAppliance.make()
        let plan = Self.smallPlan()
        _ = try await Self.seed(appliance, plan)
        try await appliance.test { client in
            let login = try await client.call(.post, "/api/auth/login",
                                              json: ["email": .string(plan.demoEmail), "password": .string(plan.demoPassword)])
            #expect(login.status == 200)
            let token = try #require(login.json["token"].stringValue)
            let bots = try await client.call(.get, "/api/bots", token: token)
            #expect(bots.status == 200 && bots.json["bots"].arrayValue?.count == 2)
            let conversations = try await client.call(.get, "/api/conversations?limit=20", token: token)
            #expect(conversations.status == 200 && conversations.json["conversations"].arrayValue?.count == 20)
            #expect(conversations.json["next_cursor"].stringValue != nil)
            let first = try #require(conversations.json["conversations"][0]["id"].stringValue)
            let messages = try await client.call(.get, "/api/conversations/\(first)/messages", token: token)
            #expect(messages.status == 200 && (messages.json["messages"].arrayValue?.count ?? 0) >= 2)
        }
    }

    @Test func refusesADataDirectoryThatAlreadyHasUsers() async throws {
        let appliance = try await TestAppliance.make()
        var plan = Self.smallPlan()
        plan.conversations = 10
        _ = try await Self.seed(appliance, plan)
        await #expect(throws: DemoSeedError.self) { try await Self.seed(appliance, plan) }
        let conversations = try await appliance.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM conversations")! }
        #expect(conversations == 10)
    }

    @Test func theSameSeedGivesTheSameHistory() async throws {
        func fingerprint(_ seed: UInt64) async throws -> [String] {
            let appliance = try await TestAppliance.make()
            var plan = Self.smallPlan(seed: seed)
            plan.conversations = 40
            plan.knowledgeArticlesPerBot = 0
            _ = try await Self.seed(appliance, plan)
            return try await appliance.database.read { db in
                try String.fetchAll(db, sql: """
                    SELECT c.id || c.customer_phone || c.status || c.created_at || m.direction || coalesce(m.content, '') || m.created_at
                    FROM messages m JOIN conversations c ON c.id = m.conversation_id ORDER BY m.rowid
                    """)
            }
        }
        let a = try await fingerprint(11), b = try await fingerprint(11), c = try await fingerprint(12)
        #expect(!a.isEmpty)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func everySeededTemplateInstantiatesWithGeneratedFieldValues() async throws {
        let appliance = try await TestAppliance.make()
        var plan = DemoPlan(nowMilliseconds: Self.now)
        plan.organizations = 1
        plan.membersPerOrganization = 0
        plan.botsPerOrganization = 20
        plan.conversations = 0
        plan.knowledgeArticlesPerBot = 0
        let summary = try await Self.seed(appliance, plan)
        #expect(summary.bots == 20)
        let templates = try await appliance.database.read { db in try Int.fetchOne(db, sql: "SELECT count(DISTINCT template_id) FROM bots")! }
        #expect(templates == 20)
    }
}
