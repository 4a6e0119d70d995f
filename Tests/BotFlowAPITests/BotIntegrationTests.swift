import BotFlowCore
import BotFlowSecurity
import BotFlowTestSupport
import Foundation
import HummingbirdTesting
import GRDB
import Testing

/// api.md M7–M13 (bot integrations), §1.15 masking, behaviour §5.5 (credentials sealed with `bot_integrations:<id>`).
@Suite struct BotIntegrationTests {
    @Test func enableAnswers201WithMaskedCredentialsLogsAndPopularity() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let r = try await client.call(.post, "/api/marketplace/shopify/enable", json: [
                "bot_id": .string(bot),
                "credentials": ["store_url": "https://cape-shuttle.myshopify.com", "api_key": "shpat_0123456789abcdef", "short_token": "abc"],
                "configuration": ["sync_orders": true],
            ], token: owner.token)
            #expect(r.status == 201)
            #expect(keys(r.json) == ["bot_integration", "message"])
            #expect(r.json["message"] == "Integration enabled successfully")
            let b = r.json["bot_integration"]
            #expect(keys(b) == botIntegrationKeys)
            let id = try #require(b["id"].stringValue)
            #expect(Identifiers.isUUID(id))
            #expect(b["bot_id"] == .string(bot))
            #expect(b["integration"] == ["slug": "shopify", "name": "Shopify", "category": "ecommerce", "icon_url": nil])
            #expect(b["credentials"] == ["store_url": "https://cape-shuttle.myshopify.com", "api_key": "****cdef", "short_token": "****"])
            #expect(b["configuration"] == ["sync_orders": true])
            #expect(b["status"] == "active")
            #expect(b["n8n_workflow_id"] == .null)
            #expect(b["error_message"] == .null)
            #expect(b["last_synced_at"] == .null)
            #expect(b["sync_count"] == 0)
            #expect(b["created_at"].stringValue == clock.now())
            #expect(!r.text.contains("shpat_0123456789abcdef"))

            // At rest: an envelope bound to this row, not the plaintext.
            let stored = try await app.database.read { db in
                try String.fetchOne(db, sql: "SELECT credentials_encrypted FROM bot_integrations WHERE id = ?", arguments: [id])
            }
            let envelope = try #require(stored)
            #expect(!envelope.contains("shpat_"))
            let parsed = try JSONParser.parse(envelope)
            #expect(parsed["alg"] == "A256GCM")
            #expect(parsed["v"] == 1)
            let cipher = CredentialCipher(serverSecret: app.settings.serverSecret!)
            let opened = try cipher.open(envelope, table: "bot_integrations", rowId: id)
            #expect(opened["api_key"] == "shpat_0123456789abcdef")
            #expect(throws: CredentialCipher.Unreadable.self) { try cipher.open(envelope, table: "bot_integrations", rowId: "other") }

            // Side effects: one sync log and popularity + 1.
            let logs = try await client.call(.get, "/api/marketplace/bot-integrations/\(id)/logs", token: owner.token)
            #expect(logs.status == 200)
            let entries = logs.json["logs"].arrayValue ?? []
            #expect(entries.count == 1)
            #expect(keys(entries[0]) == ["id", "bot_integration_id", "event_type", "status", "message", "request_data", "response_data",
                                         "error_details", "duration_ms", "created_at"])
            #expect(entries[0]["event_type"] == "sync")
            #expect(entries[0]["status"] == "success")
            #expect(entries[0]["message"] == "Integration enabled successfully")
            #expect(entries[0]["bot_integration_id"] == .string(id))
            #expect(try await client.call(.get, "/api/marketplace/shopify").json["popularity_score"] == 51)

            // Double enable → 409, nothing more written.
            let again = try await client.call(.post, "/api/marketplace/shopify/enable", json: ["bot_id": .string(bot)], token: owner.token)
            #expect(again.status == 409)
            #expect(again.text == #"{"error":"Failed to enable integration","message":"Integration already enabled for this bot"}"#)
            #expect(try await rowCount(app, "bot_integrations") == 1)
            #expect(try await rowCount(app, "integration_logs") == 1)
            #expect(try await client.call(.get, "/api/marketplace/shopify").json["popularity_score"] == 51)

            // Without credentials: `{}` and a NULL column.
            let bare = try await client.call(.post, "/api/marketplace/google-sheets/enable", json: ["bot_id": .string(bot)], token: owner.token)
            #expect(bare.status == 201)
            #expect(bare.json["bot_integration"]["credentials"] == [:])
            #expect(bare.json["bot_integration"]["configuration"] == [:])
            let bareId = try #require(bare.json["bot_integration"]["id"].stringValue)
            let isNull = try await app.database.read { db in
                try Bool.fetchOne(db, sql: "SELECT credentials_encrypted IS NULL FROM bot_integrations WHERE id = ?", arguments: [bareId])
            }
            #expect(isNull == true)
        }
    }

    @Test func enableRejectsBadBodiesUnknownBotsAndSlugs() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let invalid = try await client.call(.post, "/api/marketplace/shopify/enable", json: ["credentials": "x", "configuration": []],
                                                token: owner.token)
            #expect(invalid.status == 400)
            #expect(invalid.json["error"] == "Validation error")
            #expect(issueList(invalid) == [#"["bot_id"] required"#, #"["credentials"] invalid_type"#, #"["configuration"] invalid_type"#])
            let noBot = try await client.call(.post, "/api/marketplace/shopify/enable", json: ["bot_id": "bot_nope"], token: owner.token)
            #expect(noBot.status == 404)
            #expect(noBot.text == #"{"error":"Bot not found"}"#)
            let noSlug = try await client.call(.post, "/api/marketplace/teams/enable", json: ["bot_id": .string(bot)], token: owner.token)
            #expect(noSlug.status == 404)
            #expect(noSlug.text == #"{"error":"Failed to enable integration","message":"Integration not found: teams"}"#)
            #expect(try await client.call(.post, "/api/marketplace/shopify/enable", json: ["bot_id": .string(bot)]).status == 401)
            #expect(try await rowCount(app, "bot_integrations") == 0)
            #expect(try await rowCount(app, "integration_logs") == 0)
        }
    }

    @Test func updateReplacesObjectsAndValidatesStatus() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let enabled = try await client.call(.post, "/api/marketplace/paystack/enable", json: [
                "bot_id": .string(bot), "credentials": ["secret_key": "sk_test_aaaaaaaaaaaa1111"], "configuration": ["currency": "ZAR"],
            ], token: owner.token)
            let id = try #require(enabled.json["bot_integration"]["id"].stringValue)
            clock.advance(seconds: 5)

            let r = try await client.call(.patch, "/api/marketplace/bot-integrations/\(id)", json: [
                "credentials": ["secret_key": "sk_live_bbbbbbbbbbbb2222", "public_key": "pk_live_x"], "status": "inactive",
            ], token: owner.token)
            #expect(r.status == 200)
            #expect(keys(r.json) == ["bot_integration", "message"])
            #expect(r.json["message"] == "Integration updated successfully")
            let b = r.json["bot_integration"]
            #expect(b["credentials"] == ["secret_key": "****2222", "public_key": "****"])
            #expect(b["configuration"] == ["currency": "ZAR"])
            #expect(b["status"] == "inactive")
            #expect(b["updated_at"].stringValue == clock.now())
            #expect(b["created_at"] != b["updated_at"])
            let envelope = try await app.database.read { db in
                try String.fetchOne(db, sql: "SELECT credentials_encrypted FROM bot_integrations WHERE id = ?", arguments: [id])
            }
            let opened = try CredentialCipher(serverSecret: app.settings.serverSecret!).open(try #require(envelope), table: "bot_integrations", rowId: id)
            #expect(opened == ["secret_key": "sk_live_bbbbbbbbbbbb2222", "public_key": "pk_live_x"])

            let config = try await client.call(.patch, "/api/marketplace/bot-integrations/\(id)", json: ["configuration": ["currency": "NGN"]],
                                                token: owner.token)
            #expect(config.json["bot_integration"]["configuration"] == ["currency": "NGN"])
            #expect(config.json["bot_integration"]["credentials"]["secret_key"] == "****2222")
            #expect(config.json["bot_integration"]["status"] == "inactive")

            let bad = try await client.call(.patch, "/api/marketplace/bot-integrations/\(id)", json: ["status": "paused", "credentials": 1],
                                             token: owner.token)
            #expect(bad.status == 400)
            #expect(issueList(bad) == [#"["credentials"] invalid_type"#, #"["status"] invalid_enum_value"#])
            let missing = try await client.call(.patch, "/api/marketplace/bot-integrations/\(Identifiers.uuid())", json: ["status": "active"],
                                                token: owner.token)
            #expect(missing.status == 404)
            #expect(missing.text == #"{"error":"Failed to update integration","message":"Bot integration not found"}"#)

            let got = try await client.call(.get, "/api/marketplace/bot-integrations/\(id)", token: owner.token)
            #expect(got.status == 200)
            #expect(keys(got.json) == botIntegrationKeys)
            #expect(got.json["credentials"]["secret_key"] == "****2222")
            let gone = try await client.call(.get, "/api/marketplace/bot-integrations/\(Identifiers.uuid())", token: owner.token)
            #expect(gone.status == 404)
            #expect(gone.text == #"{"error":"Failed to get bot integration","message":"Bot integration not found"}"#)
        }
    }

    @Test func disableDeletesTheRowAndItsLogs() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let enabled = try await client.call(.post, "/api/marketplace/slack/enable", json: ["bot_id": .string(bot)], token: owner.token)
            let id = try #require(enabled.json["bot_integration"]["id"].stringValue)
            let r = try await client.call(.delete, "/api/marketplace/bot-integrations/\(id)", token: owner.token)
            #expect(r.status == 200)
            #expect(r.text == #"{"success":true,"message":"Integration disabled successfully"}"#)
            #expect(try await rowCount(app, "integration_logs") == 0)
            let twice = try await client.call(.delete, "/api/marketplace/bot-integrations/\(id)", token: owner.token)
            #expect(twice.status == 404)
            #expect(twice.text == #"{"error":"Bot integration not found"}"#)
            let logs = try await client.call(.get, "/api/marketplace/bot-integrations/\(id)/logs", token: owner.token)
            #expect(logs.status == 404)
            #expect(logs.text == #"{"error":"Bot integration not found"}"#)
            // Enabling again works once it is disabled.
            let back = try await client.call(.post, "/api/marketplace/slack/enable", json: ["bot_id": .string(bot)], token: owner.token)
            #expect(back.status == 201)
        }
    }

    @Test func botListIsNewestFirst() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let other = try await client.createBot(owner)
            for slug in ["stripe", "gmail", "airtable"] {
                clock.advance(seconds: 1)
                _ = try await client.call(.post, "/api/marketplace/\(slug)/enable", json: ["bot_id": .string(bot)], token: owner.token)
            }
            _ = try await client.call(.post, "/api/marketplace/gmail/enable", json: ["bot_id": .string(other)], token: owner.token)
            let r = try await client.call(.get, "/api/marketplace/bots/\(bot)/integrations", token: owner.token)
            #expect(r.status == 200)
            #expect(keys(r.json) == ["integrations"])
            let list = r.json["integrations"].arrayValue ?? []
            #expect(list.map { $0["integration"]["slug"].stringValue ?? "" } == ["airtable", "gmail", "stripe"])
            #expect(list.allSatisfy { keys($0) == botIntegrationKeys })
            let missing = try await client.call(.get, "/api/marketplace/bots/bot_nope/integrations", token: owner.token)
            #expect(missing.status == 404)
            #expect(missing.text == #"{"error":"Bot not found"}"#)
        }
    }

    @Test func logsArePagedNewestFirst() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let enabled = try await client.call(.post, "/api/marketplace/airtable/enable", json: ["bot_id": .string(bot)], token: owner.token)
            let id = try #require(enabled.json["bot_integration"]["id"].stringValue)
            // 60 more logs, one a second after the enable log (which is the oldest).
            try await app.database.write { db in
                for i in 1...60 {
                    try db.execute(sql: """
                        INSERT INTO integration_logs (id, bot_integration_id, event_type, status, message, request_data, duration_ms, created_at)
                        VALUES (?, ?, 'api_call', 'success', ?, '{"n":1}', 12, ?)
                        """, arguments: [Identifiers.uuid(), id, "call \(i)", Timestamp.format(epochMilliseconds: 1_900_000_000_000 + Int64(i) * 1000)])
                }
            }
            let first = try await client.call(.get, "/api/marketplace/bot-integrations/\(id)/logs", token: owner.token)
            let all = first.json["logs"].arrayValue ?? []
            #expect(all.count == 50)
            #expect(all.first?["message"] == "call 60")
            #expect(all.last?["message"] == "call 11")
            #expect(all.first?["request_data"] == ["n": 1])
            #expect(all.first?["duration_ms"] == 12)
            #expect(all.first?["response_data"] == .null)
            let three = try await client.call(.get, "/api/marketplace/bot-integrations/\(id)/logs?limit=3", token: owner.token)
            #expect((three.json["logs"].arrayValue ?? []).map { $0["message"].stringValue ?? "" } == ["call 60", "call 59", "call 58"])
            let max = try await client.call(.get, "/api/marketplace/bot-integrations/\(id)/logs?limit=200", token: owner.token)
            #expect(max.json["logs"].arrayValue?.count == 61)
            #expect(max.json["logs"].arrayValue?.last?["message"] == "Integration enabled successfully")
            for bad in ["0", "201", "ten"] {
                let r = try await client.call(.get, "/api/marketplace/bot-integrations/\(id)/logs?limit=\(bad)", token: owner.token)
                #expect(r.status == 400, "\(bad)")
                #expect(issueList(r).first?.hasPrefix(#"["limit"]"#) == true, "\(bad)")
            }
        }
    }

    @Test func recommendedFollowsTheBotsVerticalAndMarksEnabledEntries() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            // A booking bot: no catalogue entry is recommended for `booking`.
            let none = try await client.call(.get, "/api/marketplace/recommended/\(bot)", token: owner.token)
            #expect(none.status == 200)
            #expect(none.json == ["integrations": []])
            // The task type is the fallback vertical…
            try await app.database.write { db in try db.execute(sql: "UPDATE bots SET task_type = 'taxi' WHERE id = ?", arguments: [bot]) }
            let taxi = try await client.call(.get, "/api/marketplace/recommended/\(bot)", token: owner.token)
            #expect(slugs(taxi, "integrations") == ["google-sheets", "paystack"])
            // …and `config.vertical` wins over it.
            _ = try await client.call(.patch, "/api/bots/\(bot)", json: ["config": ["vertical": "retail"]], token: owner.token)
            let enabled = try await client.call(.post, "/api/marketplace/stripe/enable", json: ["bot_id": .string(bot)], token: owner.token)
            let enabledId = try #require(enabled.json["bot_integration"]["id"].stringValue)
            let r = try await client.call(.get, "/api/marketplace/recommended/\(bot)", token: owner.token)
            let list = r.json["integrations"].arrayValue ?? []
            // Ordered as M1: enabling Stripe raised its popularity to 51, so it leads the non-featured entries.
            #expect(slugs(r, "integrations") == ["paystack", "shopify", "stripe", "google-analytics", "shiplogic", "woocommerce"])
            let stripe = try #require(list.first { $0["slug"] == "stripe" })
            #expect(keys(stripe) == marketplaceKeys.union(["enabled", "bot_integration_id", "bot_integration_status"]))
            #expect(stripe["enabled"] == true)
            #expect(stripe["bot_integration_id"] == .string(enabledId))
            #expect(stripe["bot_integration_status"] == "active")
            let shopify = try #require(list.first { $0["slug"] == "shopify" })
            #expect(keys(shopify) == marketplaceKeys.union(["enabled"]))
            #expect(shopify["enabled"] == false)
            let missing = try await client.call(.get, "/api/marketplace/recommended/bot_nope", token: owner.token)
            #expect(missing.status == 404)
            #expect(missing.text == #"{"error":"Bot not found"}"#)
            #expect(try await client.call(.get, "/api/marketplace/recommended/\(bot)").status == 401)
        }
    }

    @Test func anotherOrganizationSeesNothing() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let stranger = try await client.signup(organization: "Durban Deli")
            let bot = try await client.createBot(owner)
            let enabled = try await client.call(.post, "/api/marketplace/stripe/enable", json: [
                "bot_id": .string(bot), "credentials": ["secret_key": "sk_live_cccccccccccc3333"],
            ], token: owner.token)
            let id = try #require(enabled.json["bot_integration"]["id"].stringValue)
            let t = stranger.token
            let attempts: [(TestResult, String)] = [
                (try await client.call(.post, "/api/marketplace/gmail/enable", json: ["bot_id": .string(bot)], token: t), #"{"error":"Bot not found"}"#),
                (try await client.call(.get, "/api/marketplace/recommended/\(bot)", token: t), #"{"error":"Bot not found"}"#),
                (try await client.call(.get, "/api/marketplace/bots/\(bot)/integrations", token: t), #"{"error":"Bot not found"}"#),
                (try await client.call(.get, "/api/marketplace/bot-integrations/\(id)", token: t),
                 #"{"error":"Failed to get bot integration","message":"Bot integration not found"}"#),
                (try await client.call(.patch, "/api/marketplace/bot-integrations/\(id)", json: ["status": "error"], token: t),
                 #"{"error":"Failed to update integration","message":"Bot integration not found"}"#),
                (try await client.call(.get, "/api/marketplace/bot-integrations/\(id)/logs", token: t), #"{"error":"Bot integration not found"}"#),
                (try await client.call(.delete, "/api/marketplace/bot-integrations/\(id)", token: t), #"{"error":"Bot integration not found"}"#),
            ]
            for (r, body) in attempts {
                #expect(r.status == 404)
                #expect(r.text == body)
            }
            // The owner's row is untouched.
            let mine = try await client.call(.get, "/api/marketplace/bot-integrations/\(id)", token: owner.token)
            #expect(mine.json["status"] == "active")
            #expect(try await rowCount(app, "bot_integrations") == 1)
        }
    }

    @Test func writesInvalidateTheCatalogueCache() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            _ = try await client.call(.get, "/api/marketplace/wordpress")
            #expect(try await client.call(.get, "/api/marketplace/wordpress").header("X-Cache") == "HIT")
            let enabled = try await client.call(.post, "/api/marketplace/wordpress/enable", json: ["bot_id": .string(bot)], token: owner.token)
            let after = try await client.call(.get, "/api/marketplace/wordpress")
            #expect(after.header("X-Cache") == "MISS")
            #expect(after.json["popularity_score"] == 51)
            let id = try #require(enabled.json["bot_integration"]["id"].stringValue)
            _ = try await client.call(.get, "/api/marketplace/wordpress")
            _ = try await client.call(.patch, "/api/marketplace/bot-integrations/\(id)", json: ["status": "pending"], token: owner.token)
            #expect(try await client.call(.get, "/api/marketplace/wordpress").header("X-Cache") == "MISS")
            _ = try await client.call(.delete, "/api/marketplace/bot-integrations/\(id)", token: owner.token)
            #expect(try await client.call(.get, "/api/marketplace/wordpress").header("X-Cache") == "MISS")
        }
    }
}

let botIntegrationKeys: Set<String> = [
    "id", "bot_id", "integration_id", "integration", "n8n_workflow_id", "credentials", "configuration", "status", "error_message",
    "last_synced_at", "sync_count", "created_at", "updated_at",
]

extension TestClientProtocol {
    /// A booking bot of the account's organization; returns its id.
    func createBot(_ account: Account, name: String = "Shuttle Assistant") async throws -> String {
        let r = try await call(.post, "/api/bots", json: [
            "templateId": "booking", "config": ["name": .string(name), "welcomeMessage": "Hi there!"],
        ], token: account.token)
        guard r.status == 200, let id = r.json["id"].stringValue else { throw TestSetupError("bot create failed: \(r.status) \(r.text)") }
        return id
    }
}
