import BotFlowCore
import BotFlowTestSupport
import BotFlowWorkflow
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
@testable import BotFlowMessaging
import Testing

/// The `database_query` node's sandbox (behaviour §8.3 #8): organization-scoped views, one read-only SELECT.
@Suite("database_query scoping")
struct ScopedQueryRunnerTests {
    /// Two organizations with a bot each (+ a user table the query must never reach).
    static func seeded() async throws -> (TestAppliance, ScopedQueryRunner, String, String) {
        let app = try await TestAppliance.make()
        let (mine, theirs) = try await app.test { client in
            let a = try await client.signup()
            let b = try await client.signup()
            let accountA = try await client.connectSandbox(a, phone: "+27820000001")
            let accountB = try await client.connectSandbox(b, phone: "+27820000002")
            for (owner, number) in [(a, accountA), (b, accountB), (b, accountB)] {
                let r = try await client.call(.post, "/api/bots", json: ["templateId": "support", "config": ["name": "Bot", "welcomeMessage": "Hi"],
                                                                         "whatsapp_account_id": .string(number)], token: owner.token)
                guard r.status == 200 else { throw TestSetupError("bot: \(r.status) \(r.text)") }
            }
            return (a.organizationId, b.organizationId)
        }
        return (app, ScopedQueryRunner(path: app.database.path), mine, theirs)
    }

    func refusal(_ runner: ScopedQueryRunner, _ sql: String, org: String) async -> String? {
        do {
            _ = try await runner.run(sql, parameters: [], organizationId: org)
            return nil
        } catch {
            return (error as? NodeFailure)?.message ?? "\(error)"
        }
    }

    @Test func onlyTheOrganizationsRowsAreVisible() async throws {
        let (app, runner, mine, theirs) = try await Self.seeded()
        _ = app
        let rows = try await runner.run("SELECT organization_id, count(*) AS n FROM bots GROUP BY organization_id", parameters: [], organizationId: mine)
        #expect(rows == [["organization_id": .string(mine), "n": 1]])
        let theirRows = try await runner.run("select count(*) AS n from bots b join conversations c on 1=0 union all select count(*) from bots",
                                             parameters: [], organizationId: theirs)
        #expect(theirRows.last?["n"] == 2)
        // Parameters bind in order; subqueries and CTEs over the views are fine.
        let cte = try await runner.run("WITH mine AS (SELECT id FROM bots WHERE organization_id = ?) SELECT count(*) AS n FROM mine",
                                       parameters: [.string(theirs)], organizationId: mine)
        #expect(cte == [["n": 0]])
        let nested = try await runner.run("SELECT (SELECT count(*) FROM messages) AS m, (SELECT count(*) FROM knowledge_base_articles) AS k",
                                          parameters: [], organizationId: mine)
        #expect(nested == [["m": 0, "k": 0]])
    }

    @Test func everythingElseIsRefused() async throws {
        let (app, runner, mine, _) = try await Self.seeded()
        _ = app
        let scoped = "Only a SELECT over conversations, messages, bots and knowledge_base_articles is allowed"
        for sql in ["SELECT * FROM users", "SELECT * FROM main.bots", "SELECT count(*) FROM main.conversations", "SELECT * FROM sqlite_master",
                    "SELECT * FROM pragma_table_info('users')", "SELECT * FROM organizations", "SELECT * FROM bots WHERE id IN (SELECT id FROM whatsapp_accounts)",
                    "SELECT * FROM bot_integrations", "WITH bots AS (SELECT * FROM main.bots) SELECT count(*) FROM bots",
                    "WITH bots AS (SELECT * FROM users) SELECT * FROM bots", "SELECT * FROM sqlite_temp_master",
                    "SELECT * FROM (SELECT * FROM main.messages) AS messages"] {
            let message = await refusal(runner, sql, org: mine)
            #expect(message == scoped, "\(sql)")
        }
        for sql in ["DELETE FROM bots", "UPDATE bots SET name = 'x'", "INSERT INTO bots (id) VALUES ('x')", "DROP VIEW bots", "PRAGMA user_version",
                    "ATTACH DATABASE '/tmp/x.db' AS x", "CREATE TABLE t (a)"] {
            let message = await refusal(runner, sql, org: mine)
            #expect(message != nil, "\(sql)")
        }
        #expect(await refusal(runner, "SELECT 1; DELETE FROM bots", org: mine) == "Only one statement is allowed")
        #expect(await refusal(runner, "SELECT load_extension('x')", org: mine) == scoped)
        #expect(await refusal(runner, "SELEC nonsense", org: mine)?.hasPrefix("Invalid query") == true)
        #expect(await refusal(runner, "SELECT 1", org: "x'; DROP TABLE users; --") == "Invalid organization")
        // Still all there.
        let bots = try await app.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM bots")! }
        #expect(bots == 3)
    }

    @Test func rowAndTimeLimits() async throws {
        let (app, runner, mine, _) = try await Self.seeded()
        _ = app
        let many = await refusal(runner, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001) SELECT i FROM n", org: mine)
        #expect(many == "Query returned more than 1000 rows")
        let thousand = try await runner.run("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT i FROM n",
                                            parameters: [], organizationId: mine)
        #expect(thousand.count == 1000)
        var quick = runner
        quick.timeoutSeconds = 0.2
        let slow = await refusal(quick, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n", org: mine)
        #expect(slow == "Query exceeded 0.2 seconds")
    }
}
