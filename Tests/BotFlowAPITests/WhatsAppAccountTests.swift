import BotFlowCore
import BotFlowSecurity
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// api.md §1.15, §2.3, W1–W2 (and their `/api/whatsapp` aliases); behaviour §5.5 (credentials at rest).
@Suite struct WhatsAppAccountTests {
    // MARK: W2 connect

    @Test func sandboxIsActiveImmediately() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock) { $0.publicBaseURL = "https://bots.capeshuttle.co.za" }
        try await app.test { client in
            let owner = try await client.signup()
            let r = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "sandbox", "phone_number": "+27821234567", "display_name": "Cape Shuttle bookings",
            ], token: owner.token)
            #expect(r.status == 200)
            #expect(keys(r.json) == ["whatsappAccount"])
            let a = r.json["whatsappAccount"]
            #expect(keys(a) == accountKeys)
            #expect(Identifiers.isUUID(a["id"].stringValue ?? ""))
            #expect(a["organization_id"].stringValue == owner.organizationId)
            #expect(a["provider"] == "sandbox")
            #expect(a["phone_number"] == "+27821234567")
            #expect(a["display_name"] == "Cape Shuttle bookings")
            #expect(a["status"] == "active")
            for column in ["bird_channel_id", "bird_workspace_id", "phone_number_id", "waba_id", "twilio_account_sid", "twilio_phone_number_sid"] {
                #expect(a[column] == .null, "\(column)")
            }
            #expect(a["credentials_set"] == [])
            #expect(a["webhook_url"] == "https://bots.capeshuttle.co.za/webhooks/sandbox/whatsapp")
            #expect(a["metadata"] == [:])
            #expect(a["created_at"].stringValue == clock.now())
            #expect(a["updated_at"].stringValue == clock.now())

            // The alias behaves the same; display_name is optional.
            let alias = try await client.call(.post, "/api/whatsapp", json: ["provider": "sandbox", "phone_number": "+27821234568"], token: owner.token)
            #expect(alias.status == 200)
            #expect(alias.json["whatsappAccount"]["status"] == "active")
            #expect(alias.json["whatsappAccount"]["display_name"] == .null)
        }
    }

    @Test func metaIsPendingUntilNeededCredentialsAreMerged() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let first = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821234567", "display_name": "Bookings",
                "credentials": ["accessToken": "EAAG-first-access-token-0001"],
            ], token: owner.token)
            #expect(first.status == 200)
            let pending = first.json["whatsappAccount"]
            let id = try #require(pending["id"].stringValue)
            #expect(pending["status"] == "pending")
            #expect(pending["credentials_set"] == ["accessToken"])
            #expect(pending["phone_number_id"] == .null)

            clock.advance(seconds: 30)
            let second = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821234567",
                "credentials": ["phoneNumberId": "109876543210987", "wabaId": "WABA-555"],
            ], token: owner.token)
            #expect(second.status == 200)
            let active = second.json["whatsappAccount"]
            #expect(active["id"].stringValue == id)
            #expect(active["status"] == "active")
            #expect(names(active) == ["accessToken", "phoneNumberId", "wabaId"])
            #expect(active["phone_number_id"] == "109876543210987")
            #expect(active["waba_id"] == "WABA-555")
            #expect(active["display_name"] == "Bookings")
            #expect(active["created_at"] == pending["created_at"])
            #expect(active["updated_at"].stringValue == clock.now())
            #expect(try await credentials(app, id) == [
                "accessToken": "EAAG-first-access-token-0001", "phoneNumberId": "109876543210987", "wabaId": "WABA-555",
            ])

            // A key given again replaces the stored one; the others are kept.
            let third = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821234567", "display_name": "Renamed",
                "credentials": ["accessToken": "EAAG-second-access-token-0002", "appSecret": "meta-app-secret-0003"],
            ], token: owner.token)
            #expect(third.json["whatsappAccount"]["status"] == "active")
            #expect(third.json["whatsappAccount"]["display_name"] == "Renamed")
            #expect(names(third.json["whatsappAccount"]) == ["accessToken", "phoneNumberId", "wabaId", "appSecret"])
            #expect(try await credentials(app, id) == [
                "accessToken": "EAAG-second-access-token-0002", "phoneNumberId": "109876543210987", "wabaId": "WABA-555",
                "appSecret": "meta-app-secret-0003",
            ])
            // Still one account.
            let list = try await client.call(.get, "/api/whatsapp/accounts", token: owner.token)
            #expect(list.json["accounts"].arrayValue?.count == 1)
        }
    }

    @Test func neededCredentialsPerProvider() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup()
            let cases: [(String, JSON, String)] = [
                ("meta", [:], "pending"),
                ("meta", ["phoneNumberId": "p-1"], "pending"),
                ("meta", ["accessToken": "t", "wabaId": "w", "appSecret": "s", "verifyToken": "v"], "pending"),
                ("meta", ["accessToken": "t", "phoneNumberId": "p-2"], "active"),
                ("bird", ["accessKey": "k", "channelId": "c-1"], "pending"),
                ("bird", ["channelId": "c-2", "workspaceId": "w"], "pending"),
                ("bird", ["accessKey": "k", "channelId": "c-3", "workspaceId": "w"], "active"),
                ("twilio", ["accountSid": "AC1"], "pending"),
                ("twilio", ["authToken": "t", "phoneNumberSid": "PN1"], "pending"),
                ("twilio", ["accountSid": "AC2", "authToken": "t"], "active"),
            ]
            for (i, (provider, creds, status)) in cases.enumerated() {
                let r = try await client.call(.post, "/api/whatsapp/connect", json: [
                    "provider": .string(provider), "phone_number": .string("+2782100\(1000 + i)"), "credentials": creds,
                ], token: owner.token)
                #expect(r.status == 200, "\(provider) \(creds)")
                #expect(r.json["whatsappAccount"]["status"] == .string(status), "\(provider) \(creds)")
            }
            // No credentials object at all: only sandbox is active.
            let bare = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "twilio", "phone_number": "+27821009999"], token: owner.token)
            #expect(bare.json["whatsappAccount"]["status"] == "pending")
            #expect(bare.json["whatsappAccount"]["credentials_set"] == [])
        }
    }

    @Test func identifiersAreCopiedToColumns() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup()
            let meta = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821000001",
                "credentials": ["accessToken": "EAAG-token", "phoneNumberId": "1098765432", "wabaId": "2233445566"],
            ], token: owner.token)
            expectColumns(meta.json["whatsappAccount"], ["phone_number_id": "1098765432", "waba_id": "2233445566"])

            let bird = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "bird", "phone_number": "+27821000002",
                "credentials": ["accessKey": "bird-key", "channelId": "ch-7f3a", "workspaceId": "ws-91c2"],
            ], token: owner.token)
            expectColumns(bird.json["whatsappAccount"], ["bird_channel_id": "ch-7f3a", "bird_workspace_id": "ws-91c2"])

            let twilio = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "twilio", "phone_number": "+27821000003",
                "credentials": ["accountSid": "AC0123456789abcdef0123456789abcdef", "authToken": "twilio-token",
                                "phoneNumberSid": "PN0123456789abcdef0123456789abcdef"],
            ], token: owner.token)
            expectColumns(twilio.json["whatsappAccount"], [
                "twilio_account_sid": "AC0123456789abcdef0123456789abcdef", "twilio_phone_number_sid": "PN0123456789abcdef0123456789abcdef",
            ])

            // The columns are stored, not only presented.
            let row = try await app.database.read { db in
                try Row.fetchOne(db, sql: """
                    SELECT bird_channel_id || '|' || bird_workspace_id AS bird FROM whatsapp_accounts WHERE phone_number = '+27821000002'
                    """)?["bird"] as String?
            }
            #expect(row == "ch-7f3a|ws-91c2")
        }
    }

    @Test func whatsappPrefixIsStrippedAndTheNumberIsTheUpsertKey() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup()
            let first = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "sandbox", "phone_number": "whatsapp:+27821234567",
            ], token: owner.token)
            #expect(first.status == 200)
            #expect(first.json["whatsappAccount"]["phone_number"] == "+27821234567")
            let again = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "sandbox", "phone_number": "+27821234567", "display_name": "Same number",
            ], token: owner.token)
            #expect(again.json["whatsappAccount"]["id"] == first.json["whatsappAccount"]["id"])
            #expect(again.json["whatsappAccount"]["display_name"] == "Same number")
            let stored = try await app.database.read { db in try String.fetchAll(db, sql: "SELECT phone_number FROM whatsapp_accounts") }
            #expect(stored == ["+27821234567"])
        }
    }

    @Test func phoneNumberMustBeE164() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup()
            for phone in ["0821234567", "27821234567", "+0821234567", "+123456", "+1234567890123456", "+27 82 123 4567", "+27-821234567",
                          "whatsapp:0821234567", "whatsapp:whatsapp:+27821234567", "", "+", "+2782123456a"] {
                let r = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "sandbox", "phone_number": .string(phone)],
                                              token: owner.token)
                #expect(r.status == 400, "\(phone)")
                #expect(r.json["error"] == "Validation error")
                #expect(r.json["details"].arrayValue?.count == 1)
                #expect(r.json["details"][0]["path"] == ["phone_number"], "\(phone)")
                #expect(r.json["details"][0]["code"] == "invalid_string", "\(phone)")
            }
            let notString = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "sandbox", "phone_number": 27821234567],
                                                  token: owner.token)
            #expect(notString.status == 400)
            #expect(notString.json["details"][0]["code"] == "invalid_type")
            // Boundaries of ^\+[1-9]\d{6,14}$.
            for phone in ["+1234567", "+123456789012345", "whatsapp:+1234567890"] {
                let r = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "sandbox", "phone_number": .string(phone)],
                                              token: owner.token)
                #expect(r.status == 200, "\(phone)")
            }
        }
    }

    @Test func providerAndCredentialKeysAreValidated() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup()
            let missing = try await client.call(.post, "/api/whatsapp/connect", json: [:], token: owner.token)
            #expect(missing.status == 400)
            #expect(missing.json["details"].arrayValue?.map { $0["path"] } == [["provider"], ["phone_number"]])
            #expect(missing.json["details"].arrayValue?.map { $0["code"] } == ["required", "required"])

            let unknownProvider = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "telegram", "phone_number": "+27821234567"],
                                                        token: owner.token)
            #expect(unknownProvider.status == 400)
            #expect(unknownProvider.json["details"][0]["path"] == ["provider"])
            #expect(unknownProvider.json["details"][0]["code"] == "invalid_enum_value")
            let upper = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "Meta", "phone_number": "+27821234567"],
                                              token: owner.token)
            #expect(upper.status == 400)

            for (provider, key) in [("meta", "accountSid"), ("bird", "accessToken"), ("twilio", "channelId"), ("sandbox", "accessToken"),
                                    ("meta", "access_token")] {
                let r = try await client.call(.post, "/api/whatsapp/connect", json: [
                    "provider": .string(provider), "phone_number": "+27821234567", "credentials": [key: "some-value-123456"],
                ], token: owner.token)
                #expect(r.status == 400, "\(provider) \(key)")
                #expect(r.json["details"].arrayValue?.count == 1)
                #expect(r.json["details"][0]["path"] == ["credentials", .string(key)], "\(provider) \(key)")
                #expect(!r.text.contains("some-value-123456"))
            }

            let notObject = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821234567", "credentials": "EAAG-token",
            ], token: owner.token)
            #expect(notObject.status == 400)
            #expect(notObject.json["details"][0]["path"] == ["credentials"])
            #expect(notObject.json["details"][0]["code"] == "invalid_type")

            let longName = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "sandbox", "phone_number": "+27821234567", "display_name": .string(String(repeating: "d", count: 101)),
            ], token: owner.token)
            #expect(longName.status == 400)
            #expect(longName.json["details"][0]["path"] == ["display_name"])
            #expect(longName.json["details"][0]["code"] == "too_big")

            // Every issue, in field order.
            let all = try await client.call(.post, "/api/whatsapp/connect", json: [
                "credentials": ["bogus": "x"], "display_name": .string(String(repeating: "d", count: 101)), "phone_number": "123", "provider": "meta",
            ], token: owner.token)
            #expect(all.json["details"].arrayValue?.map { $0["path"] } == [["phone_number"], ["display_name"], ["credentials", "bogus"]])

            #expect(try await accountRowCounts(app)[3] == 0)
        }
    }

    @Test func numberOfAnotherOrganizationIsAConflict() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com", organization: "Org A")
            let b = try await client.signup(email: "b@example.com", organization: "Org B")
            let id = try await client.connectSandbox(a, phone: "+27821234567")
            for phone in ["+27821234567", "whatsapp:+27821234567"] {
                let r = try await client.call(.post, "/api/whatsapp/connect", json: [
                    "provider": "meta", "phone_number": .string(phone), "credentials": ["accessToken": "EAAG-token"],
                ], token: b.token)
                #expect(r.status == 409)
                #expect(r.json == ["error": "Phone number already connected"])
            }
            // A's account is unchanged, B has none.
            let mine = try await client.call(.get, "/api/whatsapp/accounts", token: a.token)
            #expect(mine.json["accounts"][0]["id"].stringValue == id)
            #expect(mine.json["accounts"][0]["provider"] == "sandbox")
            #expect(try await client.call(.get, "/api/whatsapp/accounts", token: b.token).json == ["accounts": []])
        }
    }

    @Test func reusedChannelIdOrPhoneNumberIdIsAConflict() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com", organization: "Org A")
            let b = try await client.signup(email: "b@example.com", organization: "Org B")
            let conflict: JSON = ["error": "Channel already connected"]

            let bird = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "bird", "phone_number": "+27821000001", "credentials": ["accessKey": "k", "channelId": "ch-1", "workspaceId": "w"],
            ], token: a.token)
            #expect(bird.status == 200)
            let meta = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821000002", "credentials": ["accessToken": "t", "phoneNumberId": "pnid-1"],
            ], token: a.token)
            #expect(meta.status == 200)
            let before = try await accountRowCounts(app)

            // Another organization, or another number of the same organization, reusing either id.
            let attempts: [(String, String, JSON)] = [
                (b.token, "+27822000001", ["accessKey": "k", "channelId": "ch-1", "workspaceId": "w"]),
                (a.token, "+27822000002", ["channelId": "ch-1"]),
                (b.token, "+27822000003", ["accessToken": "t", "phoneNumberId": "pnid-1"]),
                (a.token, "+27822000004", ["phoneNumberId": "pnid-1"]),
            ]
            for (token, phone, creds) in attempts {
                let provider: JSON = creds["channelId"] == .null ? "meta" : "bird"
                let r = try await client.call(.post, "/api/whatsapp/connect", json: [
                    "provider": provider, "phone_number": .string(phone), "credentials": creds,
                ], token: token)
                #expect(r.status == 409, "\(phone)")
                #expect(r.json == conflict)
            }
            #expect(try await accountRowCounts(app) == before)

            // An existing account re-sending its own ids is not a conflict.
            let same = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821000002", "credentials": ["phoneNumberId": "pnid-1"],
            ], token: a.token)
            #expect(same.status == 200)
            #expect(same.json["whatsappAccount"]["id"] == meta.json["whatsappAccount"]["id"])
            // Moving an account to another id keeps ids unique; the old id becomes free.
            let moved = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821000002", "credentials": ["phoneNumberId": "pnid-2"],
            ], token: a.token)
            #expect(moved.json["whatsappAccount"]["phone_number_id"] == "pnid-2")
            let reuse = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27822000005", "credentials": ["phoneNumberId": "pnid-1"],
            ], token: b.token)
            #expect(reuse.status == 200)
        }
    }

    @Test func webhookURLUsesPublicBaseURL() async throws {
        let app = try await makeApp { $0.publicBaseURL = "https://wa.example.org" }
        let defaultApp = try await makeApp { $0.port = 3001 }
        try await app.test { client in
            let owner = try await client.signup()
            for (i, provider) in ["meta", "bird", "twilio", "sandbox"].enumerated() {
                let r = try await client.call(.post, "/api/whatsapp/connect", json: [
                    "provider": .string(provider), "phone_number": .string("+2782100000\(i)"),
                ], token: owner.token)
                #expect(r.json["whatsappAccount"]["webhook_url"] == .string("https://wa.example.org/webhooks/\(provider)/whatsapp"))
            }
            let list = try await client.call(.get, "/api/whatsapp/accounts", token: owner.token)
            #expect(list.json["accounts"].arrayValue?.allSatisfy { $0["webhook_url"].stringValue?.hasPrefix("https://wa.example.org/webhooks/") == true } == true)
        }
        // Without PUBLIC_BASE_URL: http://localhost:<PORT>.
        try await defaultApp.test { client in
            let owner = try await client.signup()
            let r = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "twilio", "phone_number": "+27821000009"], token: owner.token)
            #expect(r.json["whatsappAccount"]["webhook_url"] == "http://localhost:3001/webhooks/twilio/whatsapp")
        }
    }

    @Test func secretsAreNeverReturnedAndStoredEncrypted() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup(email: "owner@example.com")
            let secrets = [
                "EAAG-meta-access-token-7c1d9e", "meta-app-secret-4b8f2a", "meta-verify-token-93d0e1",
                "bird-access-key-5e7a31", "twilio-auth-token-0a6c4f",
            ]
            var responses: [TestResult] = []
            responses.append(try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821000001",
                "credentials": ["accessToken": .string(secrets[0]), "phoneNumberId": "1098765432", "appSecret": .string(secrets[1]),
                                "verifyToken": .string(secrets[2])],
            ], token: owner.token))
            responses.append(try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "bird", "phone_number": "+27821000002",
                "credentials": ["accessKey": .string(secrets[3]), "channelId": "ch-1", "workspaceId": "ws-1"],
            ], token: owner.token))
            responses.append(try await client.call(.post, "/api/whatsapp", json: [
                "provider": "twilio", "phone_number": "+27821000003",
                "credentials": ["accountSid": "AC0123456789abcdef0123456789abcdef", "authToken": .string(secrets[4])],
            ], token: owner.token))
            #expect(responses.allSatisfy { $0.status == 200 })
            #expect(names(responses[0].json["whatsappAccount"]) == ["accessToken", "phoneNumberId", "appSecret", "verifyToken"])
            #expect(names(responses[1].json["whatsappAccount"]) == ["accessKey", "channelId", "workspaceId"])
            #expect(names(responses[2].json["whatsappAccount"]) == ["accountSid", "authToken"])

            responses.append(try await client.call(.get, "/api/whatsapp/accounts", token: owner.token))
            responses.append(try await client.call(.get, "/api/whatsapp", token: owner.token))
            responses.append(try await client.call(.get, "/api/organizations/\(owner.organizationId)", token: owner.token))
            responses.append(try await client.call(.get, "/api/auth/me", token: owner.token))
            responses.append(try await client.call(.post, "/api/auth/login", json: ["email": "owner@example.com", "password": .string(owner.password)]))
            #expect(responses.allSatisfy { $0.status == 200 })
            #expect(responses[7].json["whatsappAccount"]["provider"] == "meta")
            for (i, r) in responses.enumerated() {
                for secret in secrets {
                    #expect(!r.text.contains(secret), "response \(i) leaks \(secret)")
                }
            }

            // At rest: no plaintext anywhere in the rows; credentials_encrypted is an AES-GCM envelope bound to its row.
            let rows = try await app.database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, credentials_encrypted FROM whatsapp_accounts ORDER BY rowid")
                    .map { row in (id: row["id"] as String, envelope: row["credentials_encrypted"] as String?) }
            }
            let dump = try await app.database.read { db in
                try String.fetchAll(db, sql: """
                    SELECT coalesce(id,'') || coalesce(provider,'') || coalesce(phone_number,'') || coalesce(bird_channel_id,'') ||
                           coalesce(bird_workspace_id,'') || coalesce(phone_number_id,'') || coalesce(waba_id,'') ||
                           coalesce(twilio_account_sid,'') || coalesce(twilio_phone_number_sid,'') ||
                           coalesce(credentials_encrypted,'') || credential_names || metadata
                    FROM whatsapp_accounts
                    """).joined()
            }
            for secret in secrets { #expect(!dump.contains(secret), "database leaks \(secret)") }
            #expect(rows.count == 3)

            let cipher = CredentialCipher(serverSecret: try #require(app.settings.serverSecret))
            for row in rows {
                let text = try #require(row.envelope)
                let envelope = try JSONParser.parse(text)
                #expect(keys(envelope) == ["v", "alg", "iv", "ct", "tag"])
                #expect(envelope["v"] == 1)
                #expect(envelope["alg"] == "A256GCM")
                #expect(isHex(envelope["iv"], count: 24))
                #expect(isHex(envelope["tag"], count: 32))
                #expect(isHex(envelope["ct"], count: nil))
                // Opens with the row's own id only.
                let opened = try cipher.open(text, table: "whatsapp_accounts", rowId: row.id)
                #expect(opened.values.contains { $0.stringValue.map(secrets.contains) == true })
                let otherId = rows.first { $0.id != row.id }!.id
                #expect(throws: CredentialCipher.Unreadable.self) { try cipher.open(text, table: "whatsapp_accounts", rowId: otherId) }
            }

            // A fresh IV on every write.
            let metaId = try #require(responses[0].json["whatsappAccount"]["id"].stringValue)
            let ivBefore = try JSONParser.parse(try #require(rows.first { $0.id == metaId }?.envelope))["iv"]
            _ = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821000001", "credentials": ["wabaId": "w-1"],
            ], token: owner.token)
            let after = try await app.database.read { db in
                try String.fetchOne(db, sql: "SELECT credentials_encrypted FROM whatsapp_accounts WHERE id = ?", arguments: [metaId])
            }
            #expect(try JSONParser.parse(try #require(after))["iv"] != ivBefore)
        }
    }

    // MARK: W1 list

    @Test func listIsOldestFirstAndScopedToTheOrganization() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com", organization: "Org A")
            let b = try await client.signup(email: "b@example.com", organization: "Org B")
            #expect(try await client.call(.get, "/api/whatsapp/accounts", token: a.token).json == ["accounts": []])

            var ids: [String] = []
            for phone in ["+27829000003", "+27829000001", "+27829000002"] {
                clock.advance(seconds: 10)
                ids.append(try await client.connectSandbox(a, phone: phone))
                clock.advance(seconds: 10)
                if phone == "+27829000001" { _ = try await client.connectSandbox(b, phone: "+27829999999") }
            }
            // Re-connecting an old number does not move it.
            clock.advance(seconds: 10)
            _ = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "sandbox", "phone_number": "+27829000003", "display_name": "Updated",
            ], token: a.token)

            for path in ["/api/whatsapp/accounts", "/api/whatsapp"] {
                let r = try await client.call(.get, path, token: a.token)
                #expect(r.status == 200)
                #expect(keys(r.json) == ["accounts"])
                let accounts = try #require(r.json["accounts"].arrayValue)
                #expect(accounts.compactMap { $0["id"].stringValue } == ids)
                #expect(accounts.map { $0["phone_number"] } == ["+27829000003", "+27829000001", "+27829000002"])
                #expect(accounts.allSatisfy { keys($0) == accountKeys })
                #expect(accounts.allSatisfy { $0["organization_id"].stringValue == a.organizationId })
                #expect(accounts[0]["display_name"] == "Updated")
                let created = accounts.compactMap { $0["created_at"].stringValue }
                #expect(created == created.sorted())
            }
            let theirs = try await client.call(.get, "/api/whatsapp/accounts", token: b.token)
            #expect(theirs.json["accounts"].arrayValue?.map { $0["phone_number"] } == ["+27829999999"])

            // organization.whatsapp_numbers lists the same numbers, oldest first.
            let org = try await client.call(.get, "/api/organizations/\(a.organizationId)", token: a.token)
            #expect(org.json["organization"]["whatsapp_numbers"] == ["+27829000003", "+27829000001", "+27829000002"])
            let orgB = try await client.call(.get, "/api/organizations/\(b.organizationId)", token: b.token)
            #expect(orgB.json["organization"]["whatsapp_numbers"] == ["+27829999999"])
        }
    }

    @Test func failedConnectLeavesNoRowBehind() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup()
            let before = try await accountRowCounts(app)
            #expect(before == [1, 1, 1, 0])
            // Valid provider and number, one bad credential key: nothing is stored.
            let bad = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821234567", "credentials": ["accessToken": "EAAG-token", "bogus": "x"],
            ], token: owner.token)
            #expect(bad.status == 400)
            let badPhone = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "0821234567", "credentials": ["accessToken": "EAAG-token"],
            ], token: owner.token)
            #expect(badPhone.status == 400)
            #expect(try await accountRowCounts(app) == before)
            #expect(try await client.call(.get, "/api/whatsapp/accounts", token: owner.token).json == ["accounts": []])
            // A failed re-connect leaves the stored account as it was.
            _ = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821234567", "credentials": ["accessToken": "EAAG-token"],
            ], token: owner.token)
            let stored = try await client.call(.get, "/api/whatsapp/accounts", token: owner.token).json
            let failed = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27821234567", "display_name": "Changed", "credentials": ["appSecret": 5],
            ], token: owner.token)
            #expect(failed.status == 400)
            #expect(try await client.call(.get, "/api/whatsapp/accounts", token: owner.token).json == stored)
            #expect(try await accountRowCounts(app) == [1, 1, 1, 1])
        }
    }
}

// MARK: - Helpers

/// Rate limits off: the tests make more requests than the default auth limit of 5 per minute.
private func makeApp(clock: any AppClock = SystemClock(), configure: (inout Settings) -> Void = { _ in }) async throws -> TestAppliance {
    try await TestAppliance.make(clock: clock) { settings in
        settings.rateLimitAuth = 0
        settings.rateLimitGlobal = 0
        configure(&settings)
    }
}

private let accountKeys: Set<String> = [
    "id", "organization_id", "provider", "phone_number", "display_name", "status", "bird_channel_id", "bird_workspace_id",
    "phone_number_id", "waba_id", "twilio_account_sid", "twilio_phone_number_sid", "credentials_set", "webhook_url", "metadata",
    "created_at", "updated_at",
]

private let identifierColumns = [
    "bird_channel_id", "bird_workspace_id", "phone_number_id", "waba_id", "twilio_account_sid", "twilio_phone_number_sid",
]


/// `credentials_set` as a set (its order is not part of the contract).
private func names(_ account: JSON) -> Set<String> { Set(account["credentials_set"].arrayValue?.compactMap(\.stringValue) ?? []) }

/// The identifier columns: the given values, null for the rest.
private func expectColumns(_ account: JSON, _ expected: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(account["status"] == "active", sourceLocation: sourceLocation)
    for column in identifierColumns {
        #expect(account[column] == JSON.string(expected[column]), "\(column)", sourceLocation: sourceLocation)
    }
}

/// The decrypted credentials of an account, as an unordered dictionary.
private func credentials(_ app: TestAppliance, _ id: String) async throws -> [String: String] {
    let envelope = try await app.database.read { db in
        try String.fetchOne(db, sql: "SELECT credentials_encrypted FROM whatsapp_accounts WHERE id = ?", arguments: [id])
    }
    let cipher = CredentialCipher(serverSecret: app.settings.serverSecret!)
    let opened = try cipher.open(try #require(envelope), table: "whatsapp_accounts", rowId: id)
    return Dictionary(uniqueKeysWithValues: opened.map { ($0.key, $0.value.stringValue ?? "") })
}

private func isHex(_ value: JSON, count: Int?) -> Bool {
    guard let s = value.stringValue, !s.isEmpty, s.count % 2 == 0 else { return false }
    if let count, s.count != count { return false }
    return s.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
}

