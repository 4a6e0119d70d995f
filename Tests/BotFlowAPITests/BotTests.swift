import BotFlowCore
import BotFlowTestSupport
import GRDB
import HummingbirdTesting
import Testing

/// api.md §2.4–§2.5 and §4.5 B1–B5; behaviour.md §8.6 (legacy starter workflows).
@Suite struct BotTests {
    // MARK: B2 create

    @Test func createAnswersTheFlatBotWithItsWorkflow() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let accountId = try await client.connectSandbox(owner)
            let r = try await client.call(.post, "/api/bots", json: [
                "templateId": "booking",
                "config": [
                    "name": "Shuttle Assistant", "description": "Bookings for the shuttle", "welcomeMessage": "Hi there!",
                    "fallbackMessage": "Sorry, I did not get that.",
                ],
                "systemPrompt": "You book shuttles.",
                "modelConfig": ["provider": "openai", "model": "gpt-4o-mini", "temperature": 0.2],
                "whatsapp_account_id": .string(accountId),
            ], token: owner.token)
            #expect(r.status == 200)
            let bot = r.json
            let id = try #require(bot["id"].stringValue)
            #expect(isLegacyBotId(id))
            #expect(id.hasPrefix("bot_1768645353123_"))
            #expect(keys(bot) == Set(botKeys + ["workflow"]))
            #expect(bot["bot"] == .null)
            #expect(bot["user_id"] == .string(owner.userId))
            #expect(bot["organization_id"] == .string(owner.organizationId))
            #expect(bot["whatsapp_account_id"] == .string(accountId))
            #expect(bot["name"] == "Shuttle Assistant")
            #expect(bot["description"] == "Bookings for the shuttle")
            #expect(bot["template_id"] == "booking")
            #expect(bot["task_type"] == "booking")
            #expect(bot["status"] == "active")
            #expect(bot["is_active"] == true)
            #expect(canon(bot["config"]) == canon([
                "name": "Shuttle Assistant", "description": "Bookings for the shuttle", "welcomeMessage": "Hi there!",
                "fallbackMessage": "Sorry, I did not get that.",
            ]))
            #expect(bot["configuration"] == bot["config"])
            #expect(bot["system_prompt"] == "You book shuttles.")
            #expect(canon(bot["model_config"]) == canon(["provider": "openai", "model": "gpt-4o-mini", "temperature": 0.2]))
            #expect(bot["ai_model"] == "gpt-4o-mini")
            #expect(bot["ai_temperature"].numberValue == 0.2)
            #expect(bot["fallback_behavior"] == "loop")
            #expect(bot["created_at"] == "2026-01-17T10:22:33.123Z")
            #expect(bot["updated_at"] == "2026-01-17T10:22:33.123Z")

            let workflow = bot["workflow"]
            #expect(keys(workflow) == ["id", "version", "status", "webhookUrl"])
            let workflowId = try #require(workflow["id"].stringValue)
            #expect(Identifiers.isUUID(workflowId) && workflowId == workflowId.lowercased())
            #expect(workflow["version"] == 1)
            #expect(workflow["status"] == "active")
            #expect(workflow["webhookUrl"] == .null)

            // B3 reads the same bot back with its version summaries.
            let got = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            #expect(got.status == 200)
            #expect(keys(got.json) == ["bot"])
            var expected = bot.objectValue!
            expected.removeValue(forKey: "workflow")
            var read = try #require(got.json["bot"].objectValue)
            let versions = try #require(read.removeValue(forKey: "bot_workflows")?.arrayValue)
            #expect(canon(.object(read)) == canon(.object(expected)))
            #expect(versions.count == 1)
            let summary = versions[0]
            #expect(keys(summary) == Set(workflowSummaryKeys))
            #expect(summary["id"] == .string(workflowId))
            #expect(summary["bot_id"] == .string(id))
            #expect(summary["version"] == 1)
            #expect(summary["name"] == "Workflow v1")
            #expect(summary["status"] == "active")
            #expect(summary["is_active"] == true)
            #expect(summary["template_id"] == "booking")
            #expect(summary["error_message"] == .null)
            #expect(summary["created_by"] == .string(owner.userId))
            #expect(summary["deployed_at"] == "2026-01-17T10:22:33.123Z")
            #expect(summary["created_at"] == "2026-01-17T10:22:33.123Z")

            // The stored row.
            let stored = try await dbRow(app, "SELECT * FROM bot_workflows WHERE bot_id = ?", [id])
            #expect(stored["id"] == .string(workflowId))
            #expect(stored["version"] == 1)
            #expect(stored["name"] == "Workflow v1")
            #expect(stored["status"] == "active")
            #expect(stored["deployed_at"] == "2026-01-17T10:22:33.123Z")
            #expect(stored["template_id"] == "booking")
            #expect(stored["created_by"] == .string(owner.userId))
        }
    }

    @Test func createFillsDefaults() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let r = try await client.call(.post, "/api/bots", json: [
                "templateId": "faq", "config": ["name": "Helper", "welcomeMessage": "Hello"],
            ], token: owner.token)
            #expect(r.status == 200)
            #expect(keys(r.json) == Set(botKeys + ["workflow"]))
            #expect(r.json["description"] == "")
            #expect(r.json["config"] == ["name": "Helper", "description": "", "welcomeMessage": "Hello", "fallbackMessage": nil])
            #expect(r.json["configuration"] == r.json["config"])
            #expect(r.json["system_prompt"] == .null)
            #expect(r.json["whatsapp_account_id"] == .null)
            #expect(canon(r.json["model_config"]) == canon(["provider": "openai", "model": "gpt-4o", "temperature": 0.7]))
            #expect(r.json["ai_model"] == "gpt-4o")
            #expect(r.json["ai_temperature"].numberValue == 0.7)
            #expect(r.json["fallback_behavior"] == "loop")
            #expect(r.json["created_at"] == r.json["updated_at"])
            #expect(isTimestamp(r.json["created_at"].stringValue))

            // A partial modelConfig gets the other defaults.
            let partial = try await client.call(.post, "/api/bots", json: [
                "templateId": "faq", "config": ["name": "Helper 2", "welcomeMessage": "Hello"], "modelConfig": ["temperature": 1.5],
            ], token: owner.token)
            #expect(partial.status == 200)
            #expect(canon(partial.json["model_config"]) == canon(["provider": "openai", "model": "gpt-4o", "temperature": 1.5]))
            #expect(partial.json["ai_temperature"].numberValue == 1.5)
            #expect(partial.json["ai_model"] == "gpt-4o")

            let zero = try await client.call(.post, "/api/bots", json: [
                "templateId": "faq", "config": ["name": "Helper 3", "welcomeMessage": "Hello"],
                "modelConfig": ["model": "gpt-4-turbo", "temperature": 0],
            ], token: owner.token)
            #expect(zero.status == 200)
            #expect(zero.json["ai_temperature"].numberValue == 0)
            #expect(zero.json["ai_model"] == "gpt-4-turbo")
            #expect(zero.json["model_config"]["provider"] == "openai")
        }
    }

    /// behaviour §8.6: every legacy key of the table, plus an unknown key (lead generation).
    @Test func everyLegacyKeyMapsToItsTaskTypeAndStarterWorkflow() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let now = "2026-01-17T10:22:33.123Z"
            for (key, family) in legacyTable + [("my_custom_flow", "lead_generation")] {
                let starter = try #require(starters[family])
                let r = try await client.call(.post, "/api/bots", json: [
                    "templateId": .string(key), "config": ["name": .string("Bot \(key)"), "welcomeMessage": "Hi"],
                ], token: owner.token)
                #expect(r.status == 200, "\(key)")
                let id = try #require(r.json["id"].stringValue)
                #expect(isLegacyBotId(id))
                #expect(r.json["task_type"] == .string(starter.taskType), "\(key)")
                #expect(r.json["template_id"] == .string(key), "\(key)")
                #expect(r.json["workflow"]["version"] == 1)
                #expect(r.json["workflow"]["status"] == "active")

                let got = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
                let versions = try #require(got.json["bot"]["bot_workflows"].arrayValue)
                #expect(versions.count == 1)
                #expect(versions.first?["name"] == "Workflow v1")
                #expect(versions.first?["status"] == "active")
                #expect(versions.first?["deployed_at"] == .string(now))
                #expect(versions.first?["blueprint"] == .null)
                #expect(versions.first?["nodes"] == .null)
                #expect(versions.first?["edges"] == .null)

                let text = try await app.database.read { db in
                    try String.fetchOne(db, sql: "SELECT blueprint FROM bot_workflows WHERE bot_id = ? AND version = 1", arguments: [id])
                }
                let blueprint = try JSONParser.parse(try #require(text))
                checkStarterBlueprint(blueprint, starter: starter, botId: id, key: key)
            }
            let count = try await rowCount(app, "bot_workflows")
            #expect(count == legacyTable.count + 1)
        }
    }

    @Test func createReportsEveryValidationIssueWithPaths() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let long = { (n: Int) in JSON.string(String(repeating: "a", count: n)) }
            let cases: [(JSON, [String])] = [
                ([:], ["[\"templateId\"] required", "[\"config\"] required"]),
                (["templateId": "faq", "config": [:]], ["[\"config\",\"name\"] required", "[\"config\",\"welcomeMessage\"] required"]),
                (["templateId": "faq", "config": ["description": long(1001), "welcomeMessage": ""]], [
                    "[\"config\",\"name\"] required", "[\"config\",\"description\"] too_big", "[\"config\",\"welcomeMessage\"] too_small",
                ]),
                ([
                    "templateId": "", "config": ["name": long(101), "welcomeMessage": long(1001), "fallbackMessage": long(1001)],
                    "systemPrompt": long(10_001), "modelConfig": ["model": "", "temperature": 2.5],
                ], [
                    "[\"templateId\"] too_small", "[\"config\",\"name\"] too_big", "[\"config\",\"welcomeMessage\"] too_big",
                    "[\"config\",\"fallbackMessage\"] too_big", "[\"systemPrompt\"] too_big", "[\"modelConfig\",\"model\"] too_small",
                    "[\"modelConfig\",\"temperature\"] too_big",
                ]),
                (["templateId": long(101), "config": ["name": "", "welcomeMessage": "Hi"], "modelConfig": ["temperature": -0.1]], [
                    "[\"templateId\"] too_big", "[\"config\",\"name\"] too_small", "[\"modelConfig\",\"temperature\"] too_small",
                ]),
                (["templateId": 7, "config": "Helper"], ["[\"templateId\"] invalid_type", "[\"config\"] invalid_type"]),
                (["templateId": "faq", "config": ["name": 5, "welcomeMessage": "Hi"], "modelConfig": "gpt-4o"], [
                    "[\"config\",\"name\"] invalid_type", "[\"modelConfig\"] invalid_type",
                ]),
                (["templateId": "faq", "config": ["name": "A", "welcomeMessage": "Hi"], "whatsapp_account_id": 12], [
                    "[\"whatsapp_account_id\"] invalid_type",
                ]),
                (["templateId": "faq", "config": ["name": "A", "welcomeMessage": "Hi"], "whatsapp_account_id": "not-a-uuid"], [
                    "[\"whatsapp_account_id\"] invalid_string",
                ]),
            ]
            for (body, expected) in cases {
                let r = try await client.call(.post, "/api/bots", json: body, token: owner.token)
                #expect(r.status == 400, "\(body)")
                #expect(r.json["error"] == "Validation error")
                #expect(r.json["message"] == r.json["details"][0]["message"])
                #expect(issueList(r) == expected, "\(body)")
            }
            // 1–100 and 1–1000 boundaries are accepted.
            let edge = try await client.call(.post, "/api/bots", json: [
                "templateId": long(100), "config": ["name": long(100), "welcomeMessage": long(1000), "description": long(1000)],
                "systemPrompt": long(10_000), "modelConfig": ["temperature": 2],
            ], token: owner.token)
            #expect(edge.status == 200)
            #expect(edge.json["task_type"] == "lead_generation")
            let bots = try await rowCount(app, "bots")
            let workflows = try await rowCount(app, "bot_workflows")
            #expect(bots == 1)
            #expect(workflows == 1)
        }
    }

    @Test func createWithAnotherOrganizationsAccountIsNotFound() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let other = try await client.signup(organization: "Other Org")
            let foreignAccount = try await client.connectSandbox(other, phone: "+27820000002")
            for accountId in [foreignAccount, "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"] {
                let r = try await client.call(.post, "/api/bots", json: [
                    "templateId": "faq", "config": ["name": "Helper", "welcomeMessage": "Hi"], "whatsapp_account_id": .string(accountId),
                ], token: owner.token)
                #expect(r.status == 404)
                #expect(r.json == ["error": "WhatsApp account not found"])
            }
            let bots = try await rowCount(app, "bots")
            let workflows = try await rowCount(app, "bot_workflows")
            #expect(bots == 0)
            #expect(workflows == 0)
            let list = try await client.call(.get, "/api/bots", token: owner.token)
            #expect(list.json == ["bots": []])
        }
    }

    @Test func botRoutesNeedAToken() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let unauthorized: JSON = ["error": "Unauthorized", "message": "Invalid or missing authentication token"]
            let responses = [
                try await client.call(.get, "/api/bots"),
                try await client.call(.post, "/api/bots", json: ["templateId": "faq"]),
                try await client.call(.post, "/api/bots/create-from-template", json: [:]),
                try await client.call(.get, "/api/bots/x"),
                try await client.call(.patch, "/api/bots/x", json: ["name": "X"]),
                try await client.call(.delete, "/api/bots/x"),
            ]
            for r in responses {
                #expect(r.status == 401)
                #expect(r.json == unauthorized)
            }
            // A token without an organization cannot use org-scoped routes.
            let owner = try await client.signup()
            let noOrg = try await app.token(userId: owner.userId, email: owner.email, organizationId: nil)
            let forbidden: JSON = ["error": "Forbidden", "message": "No organization in token"]
            let scoped = [
                try await client.call(.get, "/api/bots", token: noOrg),
                try await client.call(.post, "/api/bots", json: ["templateId": "faq", "config": ["name": "A", "welcomeMessage": "Hi"]], token: noOrg),
                try await client.call(.get, "/api/bots/x", token: noOrg),
                try await client.call(.patch, "/api/bots/x", json: ["name": "X"], token: noOrg),
                try await client.call(.delete, "/api/bots/x", token: noOrg),
            ]
            for r in scoped {
                #expect(r.status == 403)
                #expect(r.json == forbidden)
            }
            let count = try await rowCount(app, "bots")
            #expect(count == 0)
        }
    }

    // MARK: B1 list

    @Test func listIsNewestFirstAndScopedToTheOrganization() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let other = try await client.signup(organization: "Other Org")
            var created: [(id: String, at: String)] = []
            for i in 0..<3 {
                let id = try await createBot(client, owner, name: "Bot \(i)")
                created.append((id, Timestamp.format(epochMilliseconds: clock.nowMilliseconds())))
                clock.advance(seconds: 1)
            }
            // Two bots in the same millisecond: ordered by id desc.
            let tieA = try await createBot(client, owner, name: "Tie A")
            let tieB = try await createBot(client, owner, name: "Tie B")
            let foreign = try await createBot(client, other, name: "Foreign")

            let r = try await client.call(.get, "/api/bots", token: owner.token)
            #expect(r.status == 200)
            #expect(keys(r.json) == ["bots"])
            let bots = try #require(r.json["bots"].arrayValue)
            let ids = bots.compactMap { $0["id"].stringValue }
            let ties = [tieA, tieB].sorted(by: >)
            #expect(ids == ties + created.reversed().map(\.id))
            #expect(!ids.contains(foreign))
            for bot in bots {
                #expect(keys(bot) == Set(botKeys))
                #expect(bot["organization_id"] == .string(owner.organizationId))
            }
            #expect(bots.last?["created_at"] == .string(created[0].at))

            let theirs = try await client.call(.get, "/api/bots", token: other.token)
            #expect(theirs.json["bots"].arrayValue?.compactMap { $0["id"].stringValue } == [foreign])
        }
    }

    // MARK: B3 get

    @Test func unknownBotIsNotFound() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            for id in ["bot_1768645353123_aaaaaaaaa", "5d8e2f14-7a3c-4b91-9e60-c4f2a8d1b7e9", "nope"] {
                let get = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
                #expect(get.status == 404)
                #expect(get.json == ["error": "Bot not found"])
                let patch = try await client.call(.patch, "/api/bots/\(id)", json: ["name": "X"], token: owner.token)
                #expect(patch.status == 404)
                #expect(patch.json == ["error": "Bot not found"])
                let delete = try await client.call(.delete, "/api/bots/\(id)", token: owner.token)
                #expect(delete.status == 404)
                #expect(delete.json == ["error": "Bot not found"])
            }
        }
    }

    // MARK: B4 update

    @Test func statusAndIsActiveStayConsistent() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let id = try await createBot(client, owner)
            let steps: [(JSON, String, Bool)] = [
                (["status": "inactive"], "inactive", false),
                (["is_active": true], "active", true),
                (["status": "draft"], "draft", false),
                (["status": "active"], "active", true),
                (["is_active": false], "inactive", false),
                (["status": "active", "is_active": false], "active", true),
                (["status": "draft", "is_active": true], "draft", false),
                (["is_active": true], "active", true),
                (["name": "Renamed only"], "active", true),
            ]
            for (body, status, active) in steps {
                let r = try await client.call(.patch, "/api/bots/\(id)", json: body, token: owner.token)
                #expect(r.status == 200, "\(body)")
                #expect(keys(r.json) == ["bot"])
                #expect(keys(r.json["bot"]) == Set(botKeys))
                #expect(r.json["bot"]["status"] == .string(status), "\(body)")
                #expect(r.json["bot"]["is_active"] == .bool(active), "\(body)")
                let row = try await dbRow(app, "SELECT status, is_active FROM bots WHERE id = ?", [id])
                #expect(row["status"] == .string(status))
                #expect(row["is_active"] == .int(active ? 1 : 0))
            }
        }
    }

    @Test func systemPromptAcceptsBothNamesAndNull() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let id = try await createBot(client, owner)
            let steps: [(JSON, JSON)] = [
                (["system_prompt": "Be brief."], "Be brief."),
                (["systemPrompt": "Be kind."], "Be kind."),
                (["systemPrompt": nil], nil),
                (["system_prompt": "Again."], "Again."),
                (["system_prompt": nil], nil),
                (["systemPrompt": .string(String(repeating: "p", count: 10_000))], .string(String(repeating: "p", count: 10_000))),
            ]
            for (body, expected) in steps {
                let r = try await client.call(.patch, "/api/bots/\(id)", json: body, token: owner.token)
                #expect(r.status == 200)
                #expect(r.json["bot"]["system_prompt"] == expected)
            }
            let tooLong = try await client.call(.patch, "/api/bots/\(id)", json: [
                "systemPrompt": .string(String(repeating: "p", count: 10_001)),
            ], token: owner.token)
            #expect(tooLong.status == 400)
            #expect(issueList(tooLong) == ["[\"systemPrompt\"] too_big"])
            let wrongType = try await client.call(.patch, "/api/bots/\(id)", json: ["system_prompt": 5], token: owner.token)
            #expect(wrongType.status == 400)
            #expect(issueList(wrongType) == ["[\"system_prompt\"] invalid_type"])
        }
    }

    @Test func modelSettingsAreMergedAndMirrored() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let id = try await createBot(client, owner, modelConfig: ["model": "gpt-4o-mini", "temperature": 0.2])
            func check(_ body: JSON, provider: String, model: String, temperature: Double) async throws {
                let r = try await client.call(.patch, "/api/bots/\(id)", json: body, token: owner.token)
                #expect(r.status == 200, "\(body)")
                let bot = r.json["bot"]
                #expect(canon(bot["model_config"]) == canon(["provider": .string(provider), "model": .string(model), "temperature": .double(temperature)]), "\(body)")
                #expect(bot["ai_model"] == .string(model), "\(body)")
                #expect(bot["ai_temperature"].numberValue == temperature, "\(body)")
            }
            try await check(["modelConfig": ["temperature": 1.5]], provider: "openai", model: "gpt-4o-mini", temperature: 1.5)
            try await check(["model_config": ["model": "gpt-4-turbo"]], provider: "openai", model: "gpt-4-turbo", temperature: 1.5)
            try await check(["modelConfig": ["provider": "azure"]], provider: "azure", model: "gpt-4-turbo", temperature: 1.5)
            try await check(["ai_model": "gpt-4o"], provider: "azure", model: "gpt-4o", temperature: 1.5)
            try await check(["ai_temperature": 0], provider: "azure", model: "gpt-4o", temperature: 0)
            try await check(["ai_temperature": 2], provider: "azure", model: "gpt-4o", temperature: 2)
            try await check(["modelConfig": ["temperature": 0]], provider: "azure", model: "gpt-4o", temperature: 0)

            let row = try await dbRow(app, "SELECT ai_model, ai_temperature, model_config FROM bots WHERE id = ?", [id])
            #expect(row["ai_model"] == "gpt-4o")
            #expect(row["ai_temperature"].numberValue == 0)
            let storedModel = try JSONParser.parse(try #require(row["model_config"].stringValue))
            #expect(canon(storedModel) == canon(["provider": "azure", "model": "gpt-4o", "temperature": 0]))

            let invalid: [(JSON, [String])] = [
                (["ai_temperature": 2.5], ["[\"ai_temperature\"] too_big"]),
                (["ai_temperature": -0.1], ["[\"ai_temperature\"] too_small"]),
                (["ai_temperature": "0.5"], ["[\"ai_temperature\"] invalid_type"]),
                (["ai_model": ""], ["[\"ai_model\"] too_small"]),
                (["ai_model": .string(String(repeating: "m", count: 101))], ["[\"ai_model\"] too_big"]),
                (["modelConfig": ["temperature": 3]], ["[\"modelConfig\",\"temperature\"] too_big"]),
                (["model_config": ["model": ""]], ["[\"model_config\",\"model\"] too_small"]),
                (["modelConfig": "gpt-4o"], ["[\"modelConfig\"] invalid_type"]),
            ]
            for (body, expected) in invalid {
                let r = try await client.call(.patch, "/api/bots/\(id)", json: body, token: owner.token)
                #expect(r.status == 400, "\(body)")
                #expect(r.json["error"] == "Validation error")
                #expect(issueList(r) == expected, "\(body)")
            }
            let after = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            #expect(canon(after.json["bot"]["model_config"]) == canon(["provider": "azure", "model": "gpt-4o", "temperature": 0]))
        }
    }

    @Test func configIsShallowMergedAndNullRemovesAKey() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let id = try await createBot(client, owner, name: "Desk", fallback: "Sorry?")
            let first = try await client.call(.patch, "/api/bots/\(id)", json: [
                "config": ["welcomeMessage": "Hello again", "fallbackMessage": nil, "extra": ["a": 1, "b": 2]],
            ], token: owner.token)
            #expect(first.status == 200)
            #expect(canon(first.json["bot"]["config"]) == canon([
                "name": "Desk", "description": "", "welcomeMessage": "Hello again", "extra": ["a": 1, "b": 2],
            ]))
            #expect(first.json["bot"]["config"].objectValue?["fallbackMessage"] == nil)
            #expect(first.json["bot"]["configuration"] == first.json["bot"]["config"])
            // Shallow: a nested object is replaced whole, not merged.
            let second = try await client.call(.patch, "/api/bots/\(id)", json: [
                "configuration": ["extra": ["c": 3], "name": "Desk 2"],
            ], token: owner.token)
            #expect(second.status == 200)
            #expect(canon(second.json["bot"]["config"]) == canon([
                "name": "Desk 2", "description": "", "welcomeMessage": "Hello again", "extra": ["c": 3],
            ]))
            // config.name does not rename the bot itself.
            #expect(second.json["bot"]["name"] == "Desk")
            let empty = try await client.call(.patch, "/api/bots/\(id)", json: ["config": [:]], token: owner.token)
            #expect(canon(empty.json["bot"]["config"]) == canon(second.json["bot"]["config"]))
            let stored = try await app.database.read { db in try String.fetchOne(db, sql: "SELECT config FROM bots WHERE id = ?", arguments: [id]) }
            #expect(canon(try JSONParser.parse(try #require(stored))) == canon(second.json["bot"]["config"]))

            let invalid = try await client.call(.patch, "/api/bots/\(id)", json: ["config": "x"], token: owner.token)
            #expect(invalid.status == 400)
            #expect(issueList(invalid) == ["[\"config\"] invalid_type"])
        }
    }

    @Test func readOnlyAndUnknownKeysAreIgnored() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let other = try await client.signup(organization: "Other Org")
            let id = try await createBot(client, owner, templateId: "transport")
            let before = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            clock.advance(seconds: 60)
            let r = try await client.call(.patch, "/api/bots/\(id)", json: [
                "id": "bot_1_hijacked00", "organization_id": .string(other.organizationId), "user_id": .string(other.userId),
                "template_id": "faq", "created_at": "2020-01-01T00:00:00.000Z", "updated_at": "2020-01-01T00:00:00.000Z",
                "bot_workflows": [], "workflow": ["version": 9], "favourite_colour": "blue", "name": "Renamed",
            ], token: owner.token)
            #expect(r.status == 200)
            let bot = r.json["bot"]
            #expect(keys(bot) == Set(botKeys))
            #expect(bot["id"] == .string(id))
            #expect(bot["organization_id"] == .string(owner.organizationId))
            #expect(bot["user_id"] == .string(owner.userId))
            #expect(bot["template_id"] == "transport")
            #expect(bot["task_type"] == "transport")
            #expect(bot["name"] == "Renamed")
            #expect(bot["created_at"] == before.json["bot"]["created_at"])
            #expect(bot["updated_at"] == .string(Timestamp.format(epochMilliseconds: clock.nowMilliseconds())))
            #expect(bot["favourite_colour"] == .null)

            let after = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            #expect(after.json["bot"]["bot_workflows"].arrayValue?.count == 1)
            let theirs = try await client.call(.get, "/api/bots", token: other.token)
            #expect(theirs.json["bots"] == [])
        }
    }

    @Test func whatsappAccountCanBeSetClearedButNotForeign() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let other = try await client.signup(organization: "Other Org")
            let mine = try await client.connectSandbox(owner, phone: "+27820000011")
            let theirs = try await client.connectSandbox(other, phone: "+27820000012")
            let id = try await createBot(client, owner)

            let set = try await client.call(.patch, "/api/bots/\(id)", json: ["whatsapp_account_id": .string(mine)], token: owner.token)
            #expect(set.status == 200)
            #expect(set.json["bot"]["whatsapp_account_id"] == .string(mine))

            for foreign in [theirs, "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"] {
                let r = try await client.call(.patch, "/api/bots/\(id)", json: ["whatsapp_account_id": .string(foreign), "name": "Changed"], token: owner.token)
                #expect(r.status == 404)
                #expect(r.json == ["error": "WhatsApp account not found"])
            }
            let unchanged = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            #expect(unchanged.json["bot"]["whatsapp_account_id"] == .string(mine))
            #expect(unchanged.json["bot"]["name"] == "Front Desk")

            let cleared = try await client.call(.patch, "/api/bots/\(id)", json: ["whatsapp_account_id": nil], token: owner.token)
            #expect(cleared.status == 200)
            #expect(cleared.json["bot"]["whatsapp_account_id"] == .null)
            let stored = try await dbRow(app, "SELECT whatsapp_account_id FROM bots WHERE id = ?", [id])
            #expect(stored == ["whatsapp_account_id": nil])

            let wrongType = try await client.call(.patch, "/api/bots/\(id)", json: ["whatsapp_account_id": 5], token: owner.token)
            #expect(wrongType.status == 400)
            #expect(issueList(wrongType) == ["[\"whatsapp_account_id\"] invalid_type"])
        }
    }

    @Test func otherFieldsFollowTheirRules() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let id = try await createBot(client, owner)
            for behaviour in ["human_handoff", "end_conversation", "loop"] {
                let r = try await client.call(.patch, "/api/bots/\(id)", json: ["fallback_behavior": .string(behaviour)], token: owner.token)
                #expect(r.status == 200)
                #expect(r.json["bot"]["fallback_behavior"] == .string(behaviour))
            }
            let fifty = String(repeating: "t", count: 50)
            let task = try await client.call(.patch, "/api/bots/\(id)", json: [
                "task_type": .string(fifty), "description": .string(String(repeating: "d", count: 1000)),
                "name": .string(String(repeating: "n", count: 100)),
            ], token: owner.token)
            #expect(task.status == 200)
            #expect(task.json["bot"]["task_type"] == .string(fifty))
            #expect(task.json["bot"]["description"].stringValue?.count == 1000)
            #expect(task.json["bot"]["name"].stringValue?.count == 100)
            let emptyDescription = try await client.call(.patch, "/api/bots/\(id)", json: ["description": ""], token: owner.token)
            #expect(emptyDescription.status == 200)
            #expect(emptyDescription.json["bot"]["description"] == "")

            let before = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            let invalid: [(JSON, [String])] = [
                (["fallback_behavior": "escalate"], ["[\"fallback_behavior\"] invalid_enum_value"]),
                (["task_type": ""], ["[\"task_type\"] too_small"]),
                (["task_type": .string(String(repeating: "t", count: 51))], ["[\"task_type\"] too_big"]),
                (["name": ""], ["[\"name\"] too_small"]),
                (["name": .string(String(repeating: "n", count: 101))], ["[\"name\"] too_big"]),
                (["description": .string(String(repeating: "d", count: 1001))], ["[\"description\"] too_big"]),
                (["status": "paused"], ["[\"status\"] invalid_enum_value"]),
                (["is_active": "yes"], ["[\"is_active\"] invalid_type"]),
                // Every issue, in the order of the field table; valid fields of a rejected body are not applied.
                (["task_type": "", "name": "", "status": "paused", "fallback_behavior": "escalate", "description": "New"], [
                    "[\"name\"] too_small", "[\"status\"] invalid_enum_value", "[\"fallback_behavior\"] invalid_enum_value",
                    "[\"task_type\"] too_small",
                ]),
            ]
            for (body, expected) in invalid {
                let r = try await client.call(.patch, "/api/bots/\(id)", json: body, token: owner.token)
                #expect(r.status == 400, "\(body)")
                #expect(r.json["error"] == "Validation error")
                #expect(r.json["message"] == r.json["details"][0]["message"])
                #expect(issueList(r) == expected, "\(body)")
            }
            let after = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            #expect(after.json == before.json)
            let notObject = try await client.call(.patch, "/api/bots/\(id)", json: ["a", "b"], token: owner.token)
            #expect(notObject.status == 400)
            #expect(notObject.json["details"][0]["path"] == [])
        }
    }

    // MARK: B5 delete

    @Test func deleteRemovesTheBotWithItsVersions() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let keep = try await createBot(client, owner, templateId: "survey", name: "Keep")
            let id = try await createBot(client, owner, templateId: "booking")
            let versionsBefore = try await app.database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bot_workflows WHERE bot_id = ?", arguments: [id]) ?? 0
            }
            #expect(versionsBefore == 1)

            let r = try await client.call(.delete, "/api/bots/\(id)", token: owner.token)
            #expect(r.status == 200)
            #expect(r.json == ["success": true])
            let remaining = try await app.database.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bots WHERE id = ?", arguments: [id]) ?? 0,
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bot_workflows WHERE bot_id = ?", arguments: [id]) ?? 0,
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bot_workflows") ?? 0)
            }
            #expect(remaining.0 == 0)
            #expect(remaining.1 == 0)
            #expect(remaining.2 == 1)

            let again = try await client.call(.delete, "/api/bots/\(id)", token: owner.token)
            #expect(again.status == 404)
            #expect(again.json == ["error": "Bot not found"])
            let get = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            #expect(get.status == 404)
            #expect(get.json == ["error": "Bot not found"])
            let list = try await client.call(.get, "/api/bots", token: owner.token)
            #expect(list.json["bots"].arrayValue?.compactMap { $0["id"].stringValue } == [keep])
        }
    }

    // MARK: Tenancy

    @Test func anotherOrganizationCannotSeeOrTouchTheBot() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let other = try await client.signup(organization: "Other Org")
            let id = try await createBot(client, owner, templateId: "order_tracking")
            let original = try await client.call(.get, "/api/bots/\(id)", token: owner.token)

            let get = try await client.call(.get, "/api/bots/\(id)", token: other.token)
            #expect(get.status == 404)
            #expect(get.json == ["error": "Bot not found"])
            let patch = try await client.call(.patch, "/api/bots/\(id)", json: ["name": "Stolen", "status": "inactive"], token: other.token)
            #expect(patch.status == 404)
            #expect(patch.json == ["error": "Bot not found"])
            let delete = try await client.call(.delete, "/api/bots/\(id)", token: other.token)
            #expect(delete.status == 404)
            #expect(delete.json == ["error": "Bot not found"])
            let list = try await client.call(.get, "/api/bots", token: other.token)
            #expect(list.status == 200)
            #expect(list.json == ["bots": []])

            let after = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
            #expect(after.status == 200)
            #expect(after.json == original.json)
            let counts = try await (rowCount(app, "bots"), rowCount(app, "bot_workflows"))
            #expect(counts.0 == 1)
            #expect(counts.1 == 1)
        }
    }

    @Test func failedCreatesLeaveNoRowsBehind() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            _ = try await createBot(client, owner, templateId: "faq")
            let bots = try await rowCount(app, "bots")
            let workflows = try await rowCount(app, "bot_workflows")
            let failing: [(JSON?, [UInt8]?, String?, Int)] = [
                (["templateId": "faq"], nil, nil, 400),
                (["templateId": "faq", "config": ["name": "X"]], nil, nil, 400),
                (["templateId": "faq", "config": ["name": "X", "welcomeMessage": "Hi"], "modelConfig": ["temperature": 9]], nil, nil, 400),
                (["templateId": "faq", "config": ["name": "X", "welcomeMessage": "Hi"],
                  "whatsapp_account_id": "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"], nil, nil, 404),
                (nil, Array("{\"templateId\":".utf8), "application/json", 400),
                (nil, Array("templateId=faq".utf8), "text/plain", 415),
            ]
            for (json, raw, contentType, status) in failing {
                let r = try await client.call(.post, "/api/bots", json: json, raw: raw, contentType: contentType, token: owner.token)
                #expect(r.status == status)
            }
            let botsAfter = try await rowCount(app, "bots")
            let workflowsAfter = try await rowCount(app, "bot_workflows")
            #expect(botsAfter == bots)
            #expect(workflowsAfter == workflows)
        }
    }
}

// MARK: - Helpers

private let botKeys = [
    "id", "user_id", "organization_id", "whatsapp_account_id", "name", "description", "template_id", "task_type", "status",
    "is_active", "config", "configuration", "system_prompt", "model_config", "ai_model", "ai_temperature", "fallback_behavior",
    "created_at", "updated_at",
]

private let workflowSummaryKeys = [
    "id", "bot_id", "version", "name", "status", "is_active", "template_id", "error_message", "created_by", "created_at",
    "updated_at", "deployed_at",
]

/// behaviour §8.6: legacy key → starter family.
private let legacyTable: [(String, String)] = [
    ("booking", "booking"), ("booking_bot", "booking"), ("restaurant", "booking"), ("restaurant_bot", "booking"),
    ("transport", "transport"), ("transport_bot", "transport"),
    ("order_tracking", "order_tracking"),
    ("support", "faq"), ("faq", "faq"), ("support_bot", "faq"),
    ("lead_gen", "lead_generation"), ("lead_generation", "lead_generation"), ("lead_gen_bot", "lead_generation"),
    ("ecommerce", "lead_generation"), ("ecommerce_bot", "lead_generation"), ("survey", "lead_generation"),
    ("survey_bot", "lead_generation"),
]

private enum StarterStep {
    case ask(question: String, variable: String)
    case reply(String)
}

private struct Starter {
    let taskType: String
    let keyword: String
    let steps: [StarterStep]
}

private let starters: [String: Starter] = [
    "booking": Starter(taskType: "booking", keyword: "book, booking, reserve, reservation, appointment", steps: [
        .ask(question: "What date and time would you like?", variable: "booking_datetime"),
        .ask(question: "How many people?", variable: "party_size"),
        .reply("✅ Booking request received for {{booking_datetime}} ({{party_size}} people). We'll confirm shortly."),
    ]),
    "transport": Starter(taskType: "transport", keyword: "ride, trip, quote, pickup", steps: [
        .ask(question: "Where should we pick you up?", variable: "pickup"),
        .ask(question: "Where are you going?", variable: "destination"),
        .reply("🚖 Trip request: {{pickup}} → {{destination}}. We'll send your quote shortly. Reply CONFIRM to go ahead."),
    ]),
    "order_tracking": Starter(taskType: "order_tracking", keyword: "order, track, tracking, delivery", steps: [
        .ask(question: "Please send your order number.", variable: "order_number"),
        .reply("Thanks! We're checking order {{order_number}} and will update you here shortly."),
    ]),
    "faq": Starter(taskType: "faq", keyword: "help, menu", steps: [
        .reply("Ask me anything about our business. If I can't answer, I'll connect you with a member of our team."),
    ]),
    "lead_generation": Starter(taskType: "lead_generation", keyword: "price, pricing, quote, interested", steps: [
        .reply("Thank you for your interest! We'll be in touch soon."),
    ]),
]

/// Nodes `1…n` (trigger, then the steps), edges `e1…` in node order, name `Workflow v1`.
private func checkStarterBlueprint(_ blueprint: JSON, starter: Starter, botId: String, key: String) {
    let comment: Comment = "\(key)"
    #expect(blueprint["name"] == "Workflow v1", comment)
    #expect(blueprint["bot_id"] == .string(botId), comment)
    #expect(blueprint["variables"] == .null || blueprint["variables"] == [:], comment)
    guard let nodes = blueprint["nodes"].arrayValue, let edges = blueprint["edges"].arrayValue else {
        Issue.record("blueprint without nodes/edges: \(key)")
        return
    }
    #expect(nodes.count == starter.steps.count + 1, comment)
    #expect(edges.count == starter.steps.count, comment)
    guard nodes.count == starter.steps.count + 1 else { return }
    #expect(nodes[0]["id"] == "1", comment)
    #expect(nodes[0]["type"] == "whatsapp_trigger", comment)
    #expect(nodes[0]["config"]["keyword"] == .string(starter.keyword), comment)
    for (i, step) in starter.steps.enumerated() {
        let node = nodes[i + 1]
        #expect(node["id"] == .string(String(i + 2)), comment)
        switch step {
        case .ask(let question, let variable):
            #expect(node["type"] == "ask_question", comment)
            #expect(node["config"]["question"] == .string(question), comment)
            #expect(node["config"]["variable_name"] == .string(variable), comment)
            #expect(node["config"]["timeout"].numberValue == 300, comment)
        case .reply(let message):
            #expect(node["type"] == "whatsapp_reply", comment)
            #expect(node["config"]["message"] == .string(message), comment)
            #expect(node["config"]["recipient"] == "{{customer.phone}}", comment)
        }
    }
    for (n, edge) in edges.enumerated() {
        #expect(edge["id"] == .string("e\(n + 1)"), comment)
        #expect(edge["source"] == .string(String(n + 1)), comment)
        #expect(edge["target"] == .string(String(n + 2)), comment)
        #expect(edge["sourceHandle"] == .null, comment)
    }
}

private func isLegacyBotId(_ id: String) -> Bool {
    guard let regex = try? Regex("^bot_\\d{13}_[0-9a-z]{9}$") else { return false }
    return (try? regex.wholeMatch(in: id)) != nil
}

/// One row as a JSON object (integers, reals, text, null); `.null` when there is none.
private func dbRow(_ app: TestAppliance, _ sql: String, _ arguments: [String] = []) async throws -> JSON {
    try await app.database.read { db in
        guard let row = try Row.fetchOne(db, sql: sql, arguments: StatementArguments(arguments)) else { return .null }
        var object = JSONObject()
        for (column, value) in row {
            switch value.storage {
            case .int64(let i): object[column] = .int(i)
            case .double(let d): object[column] = .double(d)
            case .string(let s): object[column] = .string(s)
            case .null, .blob: object[column] = .null
            }
        }
        return .object(object)
    }
}

private func createBot(
    _ client: any TestClientProtocol, _ account: Account, templateId: String = "faq", name: String = "Front Desk",
    fallback: String? = nil, modelConfig: JSON? = nil
) async throws -> String {
    var config: JSONObject = ["name": .string(name), "welcomeMessage": "Hello"]
    if let fallback { config["fallbackMessage"] = .string(fallback) }
    var body: JSONObject = ["templateId": .string(templateId), "config": .object(config)]
    if let modelConfig { body["modelConfig"] = modelConfig }
    let r = try await client.call(.post, "/api/bots", json: .object(body), token: account.token)
    guard r.status == 200, let id = r.json["id"].stringValue else { throw TestSetupError("create bot failed: \(r.status) \(r.text)") }
    return id
}
