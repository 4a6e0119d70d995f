import BotFlowCore
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// Shared helpers of the workflow suites: an appliance on a manual clock, settling, blueprint builders.
struct WorkflowFixture: Sendable {
    let clock: ManualClock
    let app: TestAppliance

    static func make(_ configure: @escaping @Sendable (inout Settings) -> Void = { _ in }) async throws -> WorkflowFixture {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock) { settings in
            settings.workflowHTTPAllowPrivate = true
            configure(&settings)
        }
        return WorkflowFixture(clock: clock, app: app)
    }

    /// Waits until no job is running or due (future-dated resume jobs do not count).
    func settle(timeout: Duration = .seconds(60)) async throws {
        try await Self.settle(app.database, clock: clock, timeout: timeout)
    }

    static func settle(_ database: AppDatabase, clock: ManualClock, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let now = clock.now()
            let busy = try await database.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM jobs WHERE state = 'running' OR (state IN ('queued','retrying') AND run_at <= ?)
                    """, arguments: [now])!
            }
            if busy == 0 { return }
            guard ContinuousClock.now < deadline else { throw TestSetupError("jobs did not settle") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func string(_ sql: String, _ arguments: [String] = []) async throws -> String? {
        try await app.database.read { db in try String.fetchOne(db, sql: sql, arguments: StatementArguments(arguments)) }
    }

    /// A legacy `faq` bot whose welcome message is removed (so replies are the workflow's alone).
    func bot(_ client: some TestClientProtocol, _ owner: Account, account: String) async throws -> String {
        let id = try await client.wfBot(owner, account: account)
        try await app.database.write { db in
            try db.execute(sql: "UPDATE bots SET config = json_remove(config, '$.welcomeMessage') WHERE id = ?", arguments: [id])
        }
        return id
    }

    func int(_ sql: String, _ arguments: [String] = []) async throws -> Int {
        try await app.database.read { db in try Int.fetchOne(db, sql: sql, arguments: StatementArguments(arguments)) ?? 0 }
    }
}

func wfNode(_ id: String, _ type: String, _ config: JSON = [:]) -> JSON { ["id": .string(id), "type": .string(type), "config": config] }
func wfEdge(_ id: String, _ source: String, _ target: String, handle: String? = nil) -> JSON {
    var o: JSONObject = ["id": .string(id), "source": .string(source), "target": .string(target)]
    if let handle { o["sourceHandle"] = .string(handle) }
    return .object(o)
}
func wfReply(_ id: String, _ text: String) -> JSON { wfNode(id, "whatsapp_reply", ["message": .string(text), "recipient": "{{customer.phone}}"]) }
func wfBlueprint(_ nodes: [JSON], _ edges: [JSON], name: String = "Test flow") -> JSON {
    ["name": .string(name), "nodes": .array(nodes), "edges": .array(edges), "variables": [:], "credentials": []]
}
/// Edges 1→2→3… in order.
func wfChain(_ ids: [String]) -> [JSON] { zip(ids, ids.dropFirst()).enumerated().map { wfEdge("e\($0.offset + 1)", $0.element.0, $0.element.1) } }

extension TestClientProtocol {
    /// A customer message through WH5; returns its conversation and message ids.
    func wfReceive(_ account: Account, to: String = "+27820000001", from: String, text: String) async throws -> (conversationId: String, messageId: String) {
        let r = try await call(.post, "/webhooks/sandbox/whatsapp", json: ["to": .string(to), "from": .string(from), "text": .string(text)],
                               token: account.token)
        guard r.status == 200, let c = r.json["conversation_id"].stringValue, let m = r.json["message_id"].stringValue else {
            throw TestSetupError("sandbox message refused: \(r.status) \(r.text)")
        }
        return (c, m)
    }

    /// B2 (legacy `faq` bot without welcome message) on the account; returns its id.
    func wfBot(_ owner: Account, account: String) async throws -> String {
        let r = try await call(.post, "/api/bots", json: ["templateId": "support", "config": ["name": "Flow Bot", "welcomeMessage": "Hi"],
                                                          "whatsapp_account_id": .string(account)], token: owner.token)
        guard r.status == 200, let id = r.json["id"].stringValue else { throw TestSetupError("bot create failed: \(r.status) \(r.text)") }
        return id
    }

    /// WF2 with `auto_deploy`: the blueprint becomes the active workflow.
    @discardableResult
    func wfDeploy(_ owner: Account, bot: String, _ blueprint: JSON) async throws -> TestResult {
        let r = try await call(.post, "/api/bots/\(bot)/workflows", json: ["blueprint": blueprint, "auto_deploy": true], token: owner.token)
        guard r.status == 200 else { throw TestSetupError("deploy failed: \(r.status) \(r.text)") }
        return r
    }

    /// Message contents of a conversation, oldest first.
    func wfContents(_ owner: Account, _ conversation: String) async throws -> [String] {
        let r = try await call(.get, "/api/conversations/\(conversation)/messages?limit=100", token: owner.token)
        return (r.json["messages"].arrayValue ?? []).map { $0["content"].stringValue ?? "" }
    }

    func wfMessages(_ owner: Account, _ conversation: String) async throws -> [JSON] {
        let r = try await call(.get, "/api/conversations/\(conversation)/messages?limit=100", token: owner.token)
        return r.json["messages"].arrayValue ?? []
    }
}
