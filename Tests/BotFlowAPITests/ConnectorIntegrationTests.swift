import BotFlowCore
import BotFlowSecurity
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// api.md I1–I3 (connector integrations), §1.15 masking, behaviour §5.5 (`integrations:<id>` envelopes).
@Suite struct ConnectorIntegrationTests {
    @Test func createStoresAnEnvelopeAndAnswersMasked() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let r = try await client.call(.post, "/api/integrations", json: [
                "type": "stripe", "name": "Deposits",
                "credentials": ["secret_key": "sk_live_0123456789abcdefWXYZ", "account": "acct_1", "webhookAuth": "short"],
            ], token: owner.token)
            #expect(r.status == 200)
            #expect(keys(r.json) == ["integration"])
            let i = r.json["integration"]
            #expect(keys(i) == integrationKeys)
            let id = try #require(i["id"].stringValue)
            #expect(Identifiers.isUUID(id))
            #expect(i["organization_id"] == .string(owner.organizationId))
            #expect(i["integration_type"] == "stripe")
            #expect(i["configuration"] == ["name": "Deposits"])
            #expect(i["credentials"] == ["secret_key": "****WXYZ", "account": "acct_1", "webhookAuth": "****"])
            #expect(i["n8n_credential_id"] == .null)
            #expect(i["whatsapp_account_id"] == .null)
            #expect(i["status"] == "connected")
            #expect(i["is_active"] == true)
            #expect(i["created_at"].stringValue == clock.now())
            #expect(!r.text.contains("0123456789abcdef"))

            let stored = try await app.database.read { db in
                try String.fetchOne(db, sql: "SELECT credentials_encrypted FROM integrations WHERE id = ?", arguments: [id])
            }
            let envelope = try #require(stored)
            #expect(!envelope.contains("sk_live"))
            let cipher = CredentialCipher(serverSecret: app.settings.serverSecret!)
            #expect(try cipher.open(envelope, table: "integrations", rowId: id)["secret_key"] == "sk_live_0123456789abcdefWXYZ")
            #expect(throws: CredentialCipher.Unreadable.self) { try cipher.open(envelope, table: "bot_integrations", rowId: id) }

            clock.advance(seconds: 1)
            let second = try await client.call(.post, "/api/integrations", json: [
                "type": "openai", "name": "Assistant", "credentials": ["apiKey": "sk-proj-abcdefghijklmnop"],
            ], token: owner.token)
            #expect(second.json["integration"]["credentials"] == ["apiKey": "****mnop"])
            let list = try await client.call(.get, "/api/integrations", token: owner.token)
            #expect(list.status == 200)
            #expect(keys(list.json) == ["integrations"])
            let items = list.json["integrations"].arrayValue ?? []
            #expect(items.map { $0["integration_type"].stringValue ?? "" } == ["openai", "stripe"])
            #expect(items[1]["credentials"]["secret_key"] == "****WXYZ")

            let deleted = try await client.call(.delete, "/api/integrations/\(id)", token: owner.token)
            #expect(deleted.status == 200)
            #expect(deleted.text == #"{"success":true}"#)
            let again = try await client.call(.delete, "/api/integrations/\(id)", token: owner.token)
            #expect(again.status == 404)
            #expect(again.text == #"{"error":"Integration not found"}"#)
            #expect(try await client.call(.get, "/api/integrations", token: owner.token).json["integrations"].arrayValue?.count == 1)
        }
    }

    @Test func whatsappConnectorConnectsAnAccountLikeW2() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let r = try await client.call(.post, "/api/integrations", json: [
                "type": "whatsapp", "name": "Bookings line",
                "credentials": ["phoneNumber": "+27821112222", "accessToken": "EAAG-access-token-0001", "phoneNumberId": "1098765",
                                "provider": "meta", "name": "ignored", "unrelated": "dropped"],
            ], token: owner.token)
            #expect(r.status == 200)
            let i = r.json["integration"]
            let accountId = try #require(i["whatsapp_account_id"].stringValue)
            // Only the provider's keys are kept as secrets.
            #expect(i["credentials"] == ["accessToken": "****0001", "phoneNumberId": "1098765"])
            let accounts = try await client.call(.get, "/api/whatsapp/accounts", token: owner.token)
            let account = try #require(accounts.json["accounts"].arrayValue?.first)
            #expect(account["id"] == .string(accountId))
            #expect(account["provider"] == "meta")
            #expect(account["phone_number"] == "+27821112222")
            #expect(account["display_name"] == "Bookings line")
            #expect(account["status"] == "active")
            #expect(account["credentials_set"] == ["accessToken", "phoneNumberId"])

            // Sandbox provider; the default provider is meta (pending without its keys).
            let sandbox = try await client.call(.post, "/api/integrations", json: [
                "type": "whatsapp", "name": "Test line", "credentials": ["provider": "sandbox", "phoneNumber": "+27823334444"],
            ], token: owner.token)
            #expect(sandbox.status == 200)
            #expect(sandbox.json["integration"]["credentials"] == [:])
            let meta = try await client.call(.post, "/api/integrations", json: [
                "type": "whatsapp", "name": "Later", "credentials": ["phoneNumber": "+27825556666"],
            ], token: owner.token)
            let metaAccount = try #require(meta.json["integration"]["whatsapp_account_id"].stringValue)
            let row = try await app.database.read { db in
                try String.fetchOne(db, sql: "SELECT provider || ':' || status FROM whatsapp_accounts WHERE id = ?", arguments: [metaAccount])
            }
            #expect(row == "meta:pending")

            // Deleting the connector keeps the account.
            let id = try #require(i["id"].stringValue)
            #expect(try await client.call(.delete, "/api/integrations/\(id)", token: owner.token).status == 200)
            #expect(try await client.call(.get, "/api/whatsapp/accounts", token: owner.token).json["accounts"].arrayValue?.count == 3)

            // W2's conflicts apply: another organization cannot take the number.
            let stranger = try await client.signup(organization: "Durban Deli")
            let taken = try await client.call(.post, "/api/integrations", json: [
                "type": "whatsapp", "name": "Mine now", "credentials": ["provider": "sandbox", "phoneNumber": "+27823334444"],
            ], token: stranger.token)
            #expect(taken.status == 409)
            #expect(taken.text == #"{"error":"Phone number already connected"}"#)
            #expect(try await client.call(.get, "/api/integrations", token: stranger.token).json == ["integrations": []])
        }
    }

    @Test func invalidBodiesAre400AndWriteNothing() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let before = try await accountRowCounts(app)
            let empty = try await client.call(.post, "/api/integrations", json: [:], token: owner.token)
            #expect(empty.status == 400)
            #expect(empty.json["error"] == "Validation error")
            #expect(issueList(empty) == [#"["type"] required"#, #"["name"] required"#, #"["credentials"] required"#])
            let wrong = try await client.call(.post, "/api/integrations", json: [
                "type": "shopify", "name": .string(String(repeating: "n", count: 101)), "credentials": [],
            ], token: owner.token)
            #expect(issueList(wrong) == [#"["type"] invalid_enum_value"#, #"["name"] too_big"#, #"["credentials"] invalid_type"#])
            let noPhone = try await client.call(.post, "/api/integrations", json: [
                "type": "whatsapp", "name": "Line", "credentials": ["accessToken": "x"],
            ], token: owner.token)
            #expect(noPhone.status == 400)
            #expect(issueList(noPhone) == [#"["credentials","phoneNumber"] required"#])
            let badPhone = try await client.call(.post, "/api/integrations", json: [
                "type": "whatsapp", "name": "Line", "credentials": ["phoneNumber": "0821112222", "provider": "telegram", "accessToken": ""],
            ], token: owner.token)
            #expect(issueList(badPhone) == [#"["credentials","provider"] invalid_enum_value"#, #"["credentials","phoneNumber"] invalid_string"#])
            let badSecret = try await client.call(.post, "/api/integrations", json: [
                "type": "whatsapp", "name": "Line", "credentials": ["phoneNumber": "+27821112222", "accessToken": ""],
            ], token: owner.token)
            #expect(issueList(badSecret) == [#"["credentials","accessToken"] too_small"#])
            #expect(try await rowCount(app, "integrations") == 0)
            #expect(try await accountRowCounts(app) == before)
            #expect(try await client.call(.get, "/api/integrations").status == 401)
        }
    }

    @Test func anotherOrganizationCannotSeeOrDelete() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let stranger = try await client.signup(organization: "Durban Deli")
            let r = try await client.call(.post, "/api/integrations", json: [
                "type": "google_sheets", "name": "Orders sheet", "credentials": ["refresh_token": "1//0abcdefghijklmnop"],
            ], token: owner.token)
            let id = try #require(r.json["integration"]["id"].stringValue)
            #expect(try await client.call(.get, "/api/integrations", token: stranger.token).json == ["integrations": []])
            let foreign = try await client.call(.delete, "/api/integrations/\(id)", token: stranger.token)
            #expect(foreign.status == 404)
            #expect(foreign.text == #"{"error":"Integration not found"}"#)
            #expect(try await rowCount(app, "integrations") == 1)
        }
    }
}

let integrationKeys: Set<String> = [
    "id", "organization_id", "integration_type", "configuration", "credentials", "n8n_credential_id", "whatsapp_account_id", "status",
    "is_active", "created_at", "updated_at",
]
