import BotFlowCore
import BotFlowSecurity
import BotFlowTestSupport
import BotFlowWorkflow
import Foundation
@testable import BotFlowMessaging
import Testing

/// Review findings on the workflow's outside world: `database_query` resource limits, credentials across redirects,
/// URLs kept out of error texts, knowledge hits in the §7.5 shape.
@Suite("Workflow services hardening")
struct WorkflowServicesHardeningTests {
    func failure(_ runner: ScopedQueryRunner, _ sql: String, org: String) async -> (message: String?, seconds: Double) {
        let started = monotonicSeconds()
        do {
            _ = try await runner.run(sql, parameters: [], organizationId: org)
            return (nil, monotonicSeconds() - started)
        } catch {
            return ((error as? NodeFailure)?.message ?? "\(error)", monotonicSeconds() - started)
        }
    }

    @Test func hugeValuesAndResultsFailFastWithANodeError() async throws {
        let (app, runner, mine, _) = try await ScopedQueryRunnerTests.seeded()
        _ = app
        for sql in ["SELECT length(randomblob(500000000)) AS n", "SELECT zeroblob(2000000) AS z",
                    "SELECT replace(hex(zeroblob(400000)), '0', 'ab') AS r"] {
            let (message, seconds) = await failure(runner, sql, org: mine)
            #expect(message == "Query built a value larger than 1000000 bytes", "\(sql)")
            #expect(seconds < 2, "\(sql)")
        }
        // printf keeps looping per requested character after the length limit: refused outright.
        let (printf, seconds) = await failure(runner, "SELECT printf('%.*c', 300000000, 'a') AS s", org: mine)
        #expect(printf == "Function printf is not allowed in a query")
        #expect(seconds < 2)
        #expect(await failure(runner, "SELECT format('%d', 1) AS s", org: mine).message == "Function format is not allowed in a query")
        // Each value is fine, the whole result is not: 600 rows of 2000 characters.
        let (total, _) = await failure(runner, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) SELECT replace(hex(zeroblob(1000)), '0', 'x') AS s FROM n
            """, org: mine)
        #expect(total == "Query result exceeds 1048576 bytes")
        let (pattern, _) = await failure(runner, "SELECT 'a' LIKE replace(hex(zeroblob(60)), '0', '%') AS l", org: mine)
        #expect(pattern == "Query failed: LIKE or GLOB pattern too complex")
        // Ordinary queries are untouched.
        let small = try await runner.run("SELECT replace(hex(zeroblob(500)), '0', 'x') AS s, 'abc' LIKE 'a%' AS l", parameters: [], organizationId: mine)
        #expect(small.first?["s"].stringValue?.count == 1000)
        #expect(small.first?["l"] == 1)
    }

    /// One long function call (a GLOB whose `[...]` set is rescanned at every position of a 1 MB string, ~1 s) runs
    /// few VM instructions, so the progress handler never sees the deadline; the watchdog's interrupt does (SQLite
    /// acts on it when the call returns, so the second row is never computed).
    @Test func theWatchdogInterruptsOneLongFunctionCall() async throws {
        let (app, runner, mine, _) = try await ScopedQueryRunnerTests.seeded()
        _ = app
        var quick = runner
        quick.timeoutSeconds = 0.1
        let (message, _) = await failure(quick, """
            WITH t(s, p) AS (SELECT replace(hex(zeroblob(499000)), '0', 'a'), '*[' || replace(hex(zeroblob(48)), '0', 'b') || ']')
            SELECT glob(t.p, t.s) AS g FROM t, (SELECT 1 UNION ALL SELECT 2)
            """, org: mine)
        #expect(message == "Query exceeded 0.1 seconds")
    }

    @Test func credentialsAreNotForwardedToAnotherOrigin() async throws {
        let first = try await FakeProvider.start()
        defer { first.stop() }
        let second = try await FakeProvider.start()
        defer { second.stop() }
        first.setReply(.init(status: 302, headers: [("Location", second.baseURL + "/landing")]), forPath: "/away")
        first.setReply(.init(status: 307, headers: [("Location", "/home")]), forPath: "/stay")
        first.setReply(.init(status: 200, body: "home"), forPath: "/home")
        second.setReply(.init(status: 200, body: "landed"), forPath: "/landing")
        let client = GuardedHTTPClient(allowPrivate: true)
        let headers = [("Authorization", "Bearer sk_live"), ("Cookie", "s=1"), ("X-Shopify-Access-Token", "shpat"), ("X-Api-Key", "k-1"),
                       ("X-Trace", "t-1")]

        let away = try await client.send(method: "GET", url: first.baseURL + "/away", headers: headers, secretHeaders: ["x-api-key"])
        #expect(away.status == 200)
        let landed = try #require(second.requests.first)
        for name in ["authorization", "cookie", "x-shopify-access-token", "x-api-key"] { #expect(landed.header(name) == nil, "\(name)") }
        #expect(landed.header("x-trace") == "t-1")

        // The same origin keeps them.
        _ = try await client.send(method: "GET", url: first.baseURL + "/stay", headers: headers, secretHeaders: ["x-api-key"])
        let home = try #require(first.requests.first { $0.path == "/home" })
        #expect(home.header("authorization") == "Bearer sk_live")
        #expect(home.header("x-api-key") == "k-1")

        // https → http is refused; https → https elsewhere drops the secrets.
        let secure = URL(string: "https://shop.example.com/a")!
        #expect(throws: GuardedHTTPClient.Failure.self) {
            try GuardedHTTPClient.redirectHeaders(headers, from: secure, to: URL(string: "http://shop.example.com/b")!, secret: GuardedHTTPClient.credentialHeaders)
        }
        let elsewhere = try GuardedHTTPClient.redirectHeaders(headers, from: secure, to: URL(string: "https://shop.example.com:8443/b")!,
                                                              secret: GuardedHTTPClient.credentialHeaders)
        #expect(elsewhere.map(\.0) == ["X-Api-Key", "X-Trace"])
    }

    @Test func errorTextsDoNotQuoteTheURL() async throws {
        var client = GuardedHTTPClient(allowPrivate: true)
        client.timeout = .seconds(1)
        for url in ["http://127.0.0.1:1/hook?token=sk_live_SECRET", "http://[::1/sk_live_SECRET", "ftp://127.0.0.1/sk_live_SECRET"] {
            do {
                _ = try await client.send(method: "GET", url: url)
                Issue.record("\(url) should fail")
            } catch let failure as GuardedHTTPClient.Failure {
                #expect(!failure.message.contains("sk_live_SECRET"), "\(failure.message)")
            }
        }
    }

    struct StubKnowledge: KnowledgeSearching {
        func hasKnowledge(botId: String) async throws -> Bool { true }
        func search(botId: String, query: String, limit: Int, threshold: Double) async throws -> [KnowledgeHit] {
            [KnowledgeHit(id: "chunk-1", content: "Open 9 to 5", metadata: ["article_id": "a-1", "chunk_index": 0], similarity: 0.91)]
        }
    }

    @Test func knowledgeHitsHaveTheSearchShape() async throws {
        let app = try await TestAppliance.make()
        let services = WorkflowRuntimeServices(database: app.database, settings: app.settings, client: GuardedHTTPClient(allowPrivate: false),
                                               knowledge: StubKnowledge(), llm: nil, credentials: CredentialCipher(serverSecret: app.settings.serverSecret!),
                                               botId: "b1", organizationId: "o1")
        let hits = try await services.searchKnowledge(query: "hours", limit: 3, threshold: 0.7)
        #expect(hits == [["id": "chunk-1", "content": "Open 9 to 5", "metadata": ["article_id": "a-1", "chunk_index": 0], "similarity": 0.91]])
    }
}
