import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Workflow versions WF1–WF7 (api.md §4.6)")
struct WorkflowVersionTests {
    static let flow = wfBlueprint([wfNode("1", "whatsapp_trigger", ["keyword": "order"]), wfReply("2", "Thanks")], wfChain(["1", "2"]),
                                  name: "Orders")

    @Test func versionsLifecycle() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            let base = "/api/bots/\(bot)/workflows"

            // WF1: the starter version 1 is active; the body is cached.
            var list = try await client.call(.get, base, token: owner.token)
            #expect(list.status == 200)
            #expect(list.header("X-Cache") == "MISS")
            #expect(list.json["versions"].arrayValue?.map(\.["version"]) == [1])
            #expect(list.json["versions"][0]["blueprint"] == .null, "summaries omit the blueprint")
            #expect(list.json["stats"]["active_version"] == 1)
            list = try await client.call(.get, base, token: owner.token)
            #expect(list.header("X-Cache") == "HIT")

            // WF2: a draft version 2; bot_id forced; name from the blueprint.
            var bp = Self.flow.objectValue!
            bp["bot_id"] = "someone-else"
            let created = try await client.call(.post, base, json: ["blueprint": .object(bp)], token: owner.token)
            #expect(created.status == 200)
            #expect(created.json["success"] == true)
            #expect(created.json["version"]["version"] == 2)
            #expect(created.json["version"]["status"] == "draft")
            #expect(created.json["version"]["is_active"] == false)
            #expect(created.json["version"]["name"] == "Orders")
            #expect(created.json["version"]["blueprint"]["bot_id"] == .string(bot))
            #expect(created.json["version"]["nodes"].arrayValue?.count == 2)
            #expect(created.json["version"]["created_by"] == .string(owner.userId))
            #expect(created.json["stats"]["node_count"] == 2 && created.json["stats"]["edge_count"] == 1)
            #expect(created.json["stats"]["compilation_time_ms"].isNumber)

            // The write invalidated WF1.
            list = try await client.call(.get, base, token: owner.token)
            #expect(list.header("X-Cache") == "MISS")
            #expect(list.json["versions"].arrayValue?.map(\.["version"]) == [2, 1])
            #expect(list.json["stats"] == ["total_versions": 2, "active_version": 1, "latest_version": 2, "total_deployments": 1,
                                           "last_deployed_at": list.json["versions"][1]["deployed_at"]])

            // WF3.
            let got = try await client.call(.get, "\(base)/2", token: owner.token)
            #expect(got.status == 200)
            #expect(got.json["version"]["edges"] == got.json["version"]["blueprint"]["edges"])

            // WF4: activate 2 → 1 archived.
            f.clock.advance(seconds: 5)
            let activated = try await client.call(.post, "\(base)/2/activate", token: owner.token)
            #expect(activated.status == 200)
            #expect(activated.json["version"]["status"] == "active")
            #expect(activated.json["version"]["deployed_at"] == .string(f.clock.now()))
            #expect(try await f.string("SELECT status FROM bot_workflows WHERE bot_id = ? AND version = 1", [bot]) == "archived")

            // WF6: the active version cannot be archived; a draft can.
            let refused = try await client.call(.delete, "\(base)/2", token: owner.token)
            #expect(refused.status == 400)
            #expect(refused.json == ["error": "Cannot archive the active version"])

            // WF5: rollback to 1 → 2 archived.
            let rolled = try await client.call(.post, "\(base)/1/rollback", token: owner.token)
            #expect(rolled.status == 200)
            #expect(rolled.json["version"]["status"] == "active")
            #expect(try await f.string("SELECT status FROM bot_workflows WHERE bot_id = ? AND version = 2", [bot]) == "archived")
            #expect(try await f.int("SELECT count(*) FROM bot_workflows WHERE bot_id = ? AND status = 'active'", [bot]) == 1)

            let draft = try await client.call(.post, base, json: ["blueprint": Self.flow, "name": "Third"], token: owner.token)
            #expect(draft.json["version"]["name"] == "Third")
            let archived = try await client.call(.delete, "\(base)/3", token: owner.token)
            #expect(archived.status == 200)
            #expect(archived.json == ["success": true])
            #expect(try await f.string("SELECT status FROM bot_workflows WHERE bot_id = ? AND version = 3", [bot]) == "archived")

            // auto_deploy: stored active at once; the previous active archived.
            let deployed = try await client.call(.post, base, json: ["blueprint": Self.flow, "auto_deploy": true], token: owner.token)
            #expect(deployed.json["version"]["status"] == "active")
            #expect(deployed.json["version"]["version"] == 4)
            #expect(try await f.string("SELECT status FROM bot_workflows WHERE bot_id = ? AND version = 1", [bot]) == "archived")
            let stats = try await client.call(.get, base, token: owner.token).json["stats"]
            #expect(stats["active_version"] == 4 && stats["total_versions"] == 4 && stats["total_deployments"] == 3)
            // B3 shows the versions too (its cache was invalidated with WF1's).
            let detail = try await client.call(.get, "/api/bots/\(bot)", token: owner.token)
            #expect(detail.json["bot"]["bot_workflows"].arrayValue?.count == 4)
        }
    }

    @Test func notFoundsAndTenancy() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let other = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            let base = "/api/bots/\(bot)/workflows"
            for (method, path) in [(HTTPRequest.Method.get, base), (.get, "\(base)/1"), (.post, "\(base)/1/activate"), (.post, "\(base)/1/rollback"),
                                   (.delete, "\(base)/1")] {
                let r = try await client.call(method, path, token: other.token)
                #expect(r.status == 404, "\(method) \(path)")
                #expect(r.json == ["error": "Bot not found"])
            }
            let foreignCreate = try await client.call(.post, base, json: ["blueprint": Self.flow], token: other.token)
            #expect(foreignCreate.status == 404)
            let foreignValidate = try await client.call(.post, "\(base)/validate", json: ["blueprint": Self.flow], token: other.token)
            #expect(foreignValidate.status == 404)
            let unknownBot = try await client.call(.get, "/api/bots/\(UUID().uuidString.lowercased())/workflows", token: owner.token)
            #expect(unknownBot.json == ["error": "Bot not found"])
            for path in ["\(base)/9", "\(base)/abc", "\(base)/0"] {
                let r = try await client.call(.get, path, token: owner.token)
                #expect(r.status == 404)
                #expect(r.json == ["error": "Workflow version not found"])
            }
            #expect(try await client.call(.post, "\(base)/9/activate", token: owner.token).json == ["error": "Workflow version not found"])
            #expect(try await client.call(.delete, "\(base)/9", token: owner.token).status == 404)
            #expect(try await client.call(.get, base).status == 401)
        }
    }

    @Test func invalidBlueprintsAreRefused() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            let base = "/api/bots/\(bot)/workflows"
            let broken = wfBlueprint([wfNode("1", "whatsapp_trigger"), wfNode("2", "whatsapp_reply", ["message": "hi"])], wfChain(["1", "2"]))
            let r = try await client.call(.post, base, json: ["blueprint": broken], token: owner.token)
            #expect(r.status == 400)
            #expect(r.json["error"] == "Workflow compilation failed")
            #expect(r.json["validation"]["valid"] == false)
            #expect(r.json["validation"]["errors"] == [["code": "MISSING_REQUIRED_FIELD", "message": "Missing required field: Recipient",
                                                        "node_id": "2", "field": "recipient"]])
            #expect(r.json["validation"]["warnings"] == [])
            #expect(try await f.int("SELECT count(*) FROM bot_workflows WHERE bot_id = ?", [bot]) == 1, "nothing stored")

            // Request validation: blueprint required, name bounds, size limits (400 `too_big`).
            let missing = try await client.call(.post, base, json: ["name": ""], token: owner.token)
            #expect(missing.status == 400)
            #expect(missing.json["error"] == "Validation error")
            let paths = (missing.json["details"].arrayValue ?? []).map(\.["path"])
            #expect(paths == [["blueprint"], ["name"]])
            let many = wfBlueprint(Array(repeating: wfReply("x", "a"), count: 201), [])
            let tooBig = try await client.call(.post, base, json: ["blueprint": many], token: owner.token)
            #expect(tooBig.status == 400)
            #expect(tooBig.json["details"][0]["path"] == ["blueprint", "nodes"])
            #expect(tooBig.json["details"][0]["code"] == "too_big")
            let tooBigValidate = try await client.call(.post, "\(base)/validate", json: ["blueprint": many], token: owner.token)
            #expect(tooBigValidate.status == 400)

            // WF4 re-validates: a stored version that no longer compiles is marked failed.
            let ok = try await client.call(.post, base, json: ["blueprint": Self.flow], token: owner.token)
            #expect(ok.json["version"]["version"] == 2)
            try await f.app.database.write { db in
                try db.execute(sql: """
                    UPDATE bot_workflows SET blueprint = json_set(blueprint, '$.nodes[1].type', 'retired_node') WHERE bot_id = ? AND version = 2
                    """, arguments: [bot])
            }
            let activation = try await client.call(.post, "\(base)/2/activate", token: owner.token)
            #expect(activation.status == 400)
            #expect(activation.json["error"] == "Workflow compilation failed")
            #expect(activation.json["validation"]["errors"][0]["code"] == "UNKNOWN_NODE_TYPE")
            #expect(try await f.string("SELECT status FROM bot_workflows WHERE bot_id = ? AND version = 2", [bot]) == "failed")
            #expect(try await f.string("SELECT error_message FROM bot_workflows WHERE bot_id = ? AND version = 2", [bot]) == "Unknown node type: retired_node")
            #expect(try await f.string("SELECT status FROM bot_workflows WHERE bot_id = ? AND version = 1", [bot]) == "active", "the running version stays")
        }
    }

    @Test func validateEndpointShape() async throws {
        let f = try await WorkflowFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await f.bot(client, owner, account: try await client.connectSandbox(owner))
            let flow = wfBlueprint([wfNode("1", "whatsapp_trigger"), wfNode("2", "if_condition", ["left_value": "{{message}}"]), wfReply("3", "yes"),
                                    wfNode("4", "delay", ["duration": 5])],
                                   [wfEdge("e1", "1", "2"), wfEdge("e2", "2", "3", handle: "true"), wfEdge("e3", "2", "4", handle: "false")])
            let r = try await client.call(.post, "/api/bots/\(bot)/workflows/validate", json: ["blueprint": flow], token: owner.token)
            #expect(r.status == 200)
            #expect(r.json["valid"] == true)
            #expect(r.json["validation"]["valid"] == true)
            #expect(r.json["validation"]["errors"] == [])
            #expect(r.json["validation"]["warnings"] == [["code": "DEAD_END", "message": "Node 4 has no outgoing edges", "node_id": "4"]])
            #expect(r.json["compilation"]["success"] == true)
            #expect(r.json["compilation"]["stats"]["node_count"] == 4)
            #expect(r.json["complexity"] == 16) // 8 + 3 + 5
            #expect(r.json["suggestions"] == [])
            #expect(r.json["executable"] == true)
            #expect(Array(r.json.objectValue!.keys) == ["valid", "validation", "compilation", "complexity", "suggestions", "executable"])
            let invalid = try await client.call(.post, "/api/bots/\(bot)/workflows/validate", json: ["blueprint": ["nodes": []]], token: owner.token)
            #expect(invalid.status == 200)
            #expect(invalid.json["valid"] == false)
            #expect(invalid.json["validation"]["errors"].arrayValue?.map(\.["code"]) == ["MISSING_FIELD"])
            #expect(try await f.int("SELECT count(*) FROM bot_workflows WHERE bot_id = ?", [bot]) == 1, "validate stores nothing")
        }
    }
}
