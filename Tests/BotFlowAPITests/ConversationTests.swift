import BotFlowCore
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// api.md §1.9, §4.4 W3, §4.10 C1–C5, §4.14 WH5; behaviour.md §6.2–§6.6 (routing, store, job queue, reply, handoff),
/// §10.2 (conversation_metrics). Everything goes through the router; the appliance's job runner (a service of the
/// application, so it runs for the duration of `app.test`) produces replies and deliveries in the background, and
/// tests wait for the queue to settle instead of sleeping.
@Suite struct ConversationTests {
    // MARK: WH5 sandbox webhook

    @Test func sandboxWebhookValidatesItsFields() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            _ = try await client.connectSandbox(owner)
            func post(_ body: JSON) async throws -> TestResult {
                try await client.call(.post, "/webhooks/sandbox/whatsapp", json: body, token: owner.token)
            }

            let empty = try await post([:])
            #expect(empty.status == 400)
            #expect(empty.json["error"] == "Validation error")
            #expect(issues(empty) == [.init(["to"], "required"), .init(["from"], "required"), .init(["text"], "required")])
            #expect(empty.json["message"] == empty.json["details"][0]["message"])

            let bad = try await post(["to": "+27820000001", "whatsapp_account_id": "nope", "from": "not a phone", "text": "",
                                      "message_id": .string(String(repeating: "m", count: 201)),
                                      "profile_name": .string(String(repeating: "p", count: 101))])
            #expect(bad.status == 400)
            #expect(issues(bad) == [
                .init(["whatsapp_account_id"], "invalid_string"), .init(["from"], "invalid_string"), .init(["text"], "too_small"),
                .init(["message_id"], "too_big"), .init(["profile_name"], "too_big"),
            ])

            let long = try await post(["to": "+27820000001", "from": "+27831110001", "text": .string(String(repeating: "é", count: 4097))])
            #expect(long.status == 400)
            #expect(issues(long) == [.init(["text"], "too_big")])

            let wrongTypes = try await post(["to": 27820000001, "from": "+27831110001", "text": ["hi"]])
            #expect(wrongTypes.status == 400)
            #expect(issues(wrongTypes) == [.init(["to"], "invalid_type"), .init(["text"], "invalid_type")])

            let notObject = try await post(["just", "an", "array"])
            #expect(notObject.status == 400)
            #expect(issues(notObject) == [.init([], "invalid_type")])

            // The boundaries themselves are accepted (lengths in Unicode scalars).
            let edge = try await post(["to": "+27820000001", "from": "+27831110001", "text": .string(String(repeating: "é", count: 4096)),
                                       "message_id": .string(String(repeating: "m", count: 200)),
                                       "profile_name": .string(String(repeating: "p", count: 100))])
            #expect(edge.status == 200, "\(edge.text)")

            // `to` is optional when the account id is given.
            let accounts = try await client.call(.get, "/api/whatsapp/accounts", token: owner.token)
            let accountId = try #require(accounts.json["accounts"][0]["id"].stringValue)
            let byId = try await post(["whatsapp_account_id": .string(accountId), "from": "+27831110002", "text": "hi"])
            #expect(byId.status == 200, "\(byId.text)")

            let noToken = try await client.call(.post, "/webhooks/sandbox/whatsapp", json: ["to": "+27820000001", "from": "+27831110001", "text": "hi"])
            #expect(noToken.status == 401)
        }
    }

    @Test func sandboxWebhookNeedsOneOfTheCallersSandboxAccounts() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let mine = try await client.connectSandbox(owner, phone: "+27820000001")
            let meta = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "meta", "phone_number": "+27820000002"],
                                             token: owner.token)
            let metaId = try #require(meta.json["whatsappAccount"]["id"].stringValue)
            let other = try await client.signup(organization: "Other Org")
            let theirs = try await client.connectSandbox(other, phone: "+27820000003")
            let notFound: JSON = ["error": "WhatsApp account not found"]

            for body: JSON in [
                ["to": "+27829999999", "from": "+27831110001", "text": "hi"],
                ["to": "+27820000003", "from": "+27831110001", "text": "hi"],
                ["whatsapp_account_id": .string(theirs), "from": "+27831110001", "text": "hi"],
                ["whatsapp_account_id": .string(Identifiers.uuid()), "from": "+27831110001", "text": "hi"],
            ] {
                let r = try await client.sandbox(owner, body)
                #expect(r.status == 404, "\(body)")
                #expect(r.json == notFound, "\(body)")
            }
            for body: JSON in [
                ["to": "+27820000002", "from": "+27831110001", "text": "hi"],
                ["whatsapp_account_id": .string(metaId), "from": "+27831110001", "text": "hi"],
            ] {
                let r = try await client.sandbox(owner, body)
                #expect(r.status == 400, "\(body)")
                #expect(r.json == ["error": "Not a sandbox account"], "\(body)")
            }
            // Nothing was stored by the refused calls.
            #expect(try await f.int("SELECT count(*) FROM messages") == 0)
            #expect(try await f.int("SELECT count(*) FROM conversations") == 0)

            let ok = try await client.sandbox(owner, ["whatsapp_account_id": .string(mine.uppercased()), "from": "+27831110001", "text": "hi"])
            #expect(ok.status == 200, "\(ok.text)")
            // A suspended or disconnected sandbox account is treated as unknown.
            for status in ["suspended", "disconnected"] {
                try await f.execute("UPDATE whatsapp_accounts SET status = ? WHERE id = ?", [status, mine])
                let r = try await client.sandbox(owner, ["to": "+27820000001", "from": "+27831110001", "text": "hi"])
                #expect(r.status == 404, "\(status)")
                #expect(r.json == notFound, "\(status)")
            }
            try await f.execute("UPDATE whatsapp_accounts SET status = 'active' WHERE id = ?", [mine])
            #expect(try await f.int("SELECT count(*) FROM messages") == 1)
            // The other organization's own number works for it.
            let theirsOk = try await client.sandbox(other, ["to": "+27820000003", "from": "+27831110001", "text": "hi"])
            #expect(theirsOk.status == 200)
            #expect(theirsOk.json["conversation_id"] != ok.json["conversation_id"])
        }
    }

    @Test func sandboxRedeliveryIsAcknowledgedAsDuplicateAndCreatesNothing() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let second = try await client.connectSandbox(owner, phone: "+27820000002")
            _ = try await client.legacyBot(owner, account: account)

            let first = try await client.sandbox(owner, ["to": "+27820000001", "from": "+27831110001", "text": "hello", "message_id": "wamid.1"])
            #expect(first.status == 200)
            #expect(keys(first.json) == ["status", "conversation_id", "message_id", "duplicate"])
            #expect(first.json["status"] == "ok")
            #expect(first.json["duplicate"] == false)
            let conversationId = try #require(first.json["conversation_id"].stringValue)
            let messageId = try #require(first.json["message_id"].stringValue)
            #expect(Identifiers.isUUID(conversationId) && Identifiers.isUUID(messageId))

            let again = try await client.sandbox(owner, ["to": "+27820000001", "from": "+27831110001", "text": "different text",
                                                         "message_id": "wamid.1"])
            #expect(again.status == 200)
            #expect(again.json["duplicate"] == true)
            #expect(again.json["conversation_id"] == .string(conversationId))
            #expect(again.json["message_id"] == .string(messageId))
            try await f.settle()

            #expect(try await f.int("SELECT count(*) FROM messages WHERE direction = 'inbound'") == 1)
            #expect(try await f.int("SELECT count(*) FROM jobs WHERE type = 'reply'") == 1)
            let stored = try await client.allMessages(owner, conversationId)
            #expect(stored.first?["content"] == "hello")
            #expect(stored.first?["provider_message_id"] == "wamid.1")
            // One reply (welcome + fallback suppressed → just the welcome), not two.
            #expect(stored.filter { $0["in_reply_to"] == .string(messageId) }.count == 1)

            // The same provider id on another account is a different message (I-44 is per account).
            let elsewhere = try await client.sandbox(owner, ["to": "+27820000002", "from": "+27831110001", "text": "hello", "message_id": "wamid.1"])
            #expect(elsewhere.json["duplicate"] == false)
            #expect(elsewhere.json["message_id"] != .string(messageId))
            _ = second

            // Without a message id each call is new, with a generated `sandbox_in_<uuid>` id.
            let a = try await client.receive(owner, from: "+27831110002", text: "one")
            let b = try await client.receive(owner, from: "+27831110002", text: "two")
            #expect(a.messageId != b.messageId)
            #expect(a.conversationId == b.conversationId)
            let generated = try await f.rows("SELECT provider_message_id FROM messages WHERE id IN (?, ?)", [a.messageId, b.messageId])
                .map { $0["provider_message_id"] as String }
            for id in generated {
                #expect(id.hasPrefix("sandbox_in_") && Identifiers.isUUID(String(id.dropFirst("sandbox_in_".count))), "\(id)")
            }
        }
    }

    // MARK: Routing (behaviour §6.2)

    @Test func newConversationIsActiveWithTheAccountsOldestActiveBot() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner, phone: "+27820000001")
            let otherAccount = try await client.connectSandbox(owner, phone: "+27820000002")
            let elsewhere = try await client.legacyBot(owner, account: otherAccount, name: "Elsewhere")   // oldest overall, other account
            f.clock.advance(seconds: 1)
            let oldest = try await client.legacyBot(owner, account: account, name: "Oldest")
            f.clock.advance(seconds: 1)
            let newer = try await client.legacyBot(owner, account: account, name: "Newer")
            f.clock.advance(seconds: 1)

            let now = f.clock.now()
            let first = try await client.receive(owner, from: "+27831110001", text: "hello", profileName: "Jane")
            let c = try await client.conversation(owner, first.conversationId)
            #expect(keys(c) == conversationKeys)
            #expect(c["status"] == "active")
            #expect(c["bot_id"] == .string(oldest))
            #expect(c["organization_id"] == .string(owner.organizationId))
            #expect(c["whatsapp_account_id"] == .string(account))
            #expect(c["customer_phone"] == "+27831110001")
            #expect(c["customer_name"] == "Jane")
            #expect(c["assigned_to"] == .null)
            #expect(c["ended_at"] == .null)
            #expect(c["started_at"] == .string(now))
            #expect(c["created_at"] == .string(now))
            #expect(c["last_message_at"] == .string(now))
            try await f.settle()

            let messages = try await client.allMessages(owner, first.conversationId)
            let inbound = try #require(messages.first)
            #expect(keys(inbound) == messageKeys)
            #expect(inbound["id"] == .string(first.messageId))
            #expect(inbound["direction"] == "inbound")
            #expect(inbound["status"] == "delivered")
            #expect(inbound["sent_by"] == .null)
            #expect(inbound["message_type"] == "text")
            #expect(inbound["content"] == "hello")
            #expect(inbound["metadata"]["provider"] == "sandbox")
            #expect(inbound["metadata"]["profile_name"] == "Jane")
            #expect(inbound["metadata"]["first_in_conversation"] == true)
            // The bot that answered is the oldest one (its welcome message).
            #expect(messages.dropFirst().first?["content"] == "Welcome to Oldest!")

            // A later message of the same customer joins the conversation and is not first.
            let second = try await client.receive(owner, from: "+27831110001", text: "again")
            #expect(second.conversationId == first.conversationId)
            let secondMessage = try await f.row("SELECT metadata FROM messages WHERE id = ?", [second.messageId])
            #expect(try JSONParser.parse(secondMessage["metadata"] as String)["first_in_conversation"] == .null)

            // With the oldest bot deactivated, new conversations get the next one.
            let patched = try await client.call(.patch, "/api/bots/\(oldest)", json: ["status": "inactive"], token: owner.token)
            #expect(patched.status == 200)
            let third = try await client.receive(owner, from: "+27831110002", text: "hello")
            #expect(try await client.conversation(owner, third.conversationId)["bot_id"] == .string(newer))
            // The first conversation keeps its (now inactive) bot, which no longer answers (reply gate).
            try await f.settle()
            let beforeGate = try await client.allMessages(owner, first.conversationId).count
            _ = try await client.receive(owner, from: "+27831110001", text: "still there?")
            try await f.settle()
            #expect(try await client.conversation(owner, first.conversationId)["bot_id"] == .string(oldest))
            #expect(try await client.allMessages(owner, first.conversationId).count == beforeGate + 1)
            // The other account's conversations get its own bot.
            let fourth = try await client.receive(owner, to: "+27820000002", from: "+27831110001", text: "hello")
            #expect(fourth.conversationId != first.conversationId)
            #expect(try await client.conversation(owner, fourth.conversationId)["bot_id"] == .string(elsewhere))
            try await f.settle()
        }
    }

    @Test func unknownCustomerNameIsReplacedOnlyWhileUnknown() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            _ = try await client.connectSandbox(owner)
            let first = try await client.receive(owner, from: "+27831110001", text: "hi")
            #expect(try await client.conversation(owner, first.conversationId)["customer_name"] == "Unknown")
            let empty = try await client.receive(owner, from: "+27831110001", text: "hi", profileName: "")
            #expect(empty.conversationId == first.conversationId)
            #expect(try await client.conversation(owner, first.conversationId)["customer_name"] == "Unknown")
            _ = try await client.receive(owner, from: "+27831110001", text: "hi", profileName: "Jane")
            #expect(try await client.conversation(owner, first.conversationId)["customer_name"] == "Jane")
            _ = try await client.receive(owner, from: "+27831110001", text: "hi", profileName: "Somebody Else")
            #expect(try await client.conversation(owner, first.conversationId)["customer_name"] == "Jane")
        }
    }

    @Test func aConversationWithoutABotGetsOneWhenTheAccountHasOne() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let first = try await client.receive(owner, from: "+27831110001", text: "hello")
            #expect(try await client.conversation(owner, first.conversationId)["bot_id"] == .null)
            try await f.settle()
            #expect(try await f.int("SELECT count(*) FROM jobs") == 0)   // no bot, no reply job
            #expect(try await client.allMessages(owner, first.conversationId).count == 1)

            let bot = try await client.legacyBot(owner, account: account)
            let second = try await client.receive(owner, from: "+27831110001", text: "hello again")
            #expect(second.conversationId == first.conversationId)
            #expect(try await client.conversation(owner, first.conversationId)["bot_id"] == .string(bot))
            try await f.settle()
            // It answers the new message (not first in the conversation: no welcome, the fallback instead).
            let messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.map(\.["content"]) == ["hello", "hello again", "Sorry, I could not process that."])
        }
    }

    @Test func closedConversationsAreNeverReused() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            _ = try await client.connectSandbox(owner)
            var previous: [String] = []
            for closing in ["resolved", "archived"] {
                let open = try await client.receive(owner, from: "+27831110001", text: "hi")
                #expect(!previous.contains(open.conversationId))
                let closed = try await client.call(.patch, "/api/conversations/\(open.conversationId)", json: ["status": .string(closing)],
                                                   token: owner.token)
                #expect(closed.status == 200)
                previous.append(open.conversationId)
            }
            let next = try await client.receive(owner, from: "+27831110001", text: "hi again")
            #expect(!previous.contains(next.conversationId))
            let row = try await f.row("SELECT metadata FROM messages WHERE id = ?", [next.messageId])
            #expect(try JSONParser.parse(row["metadata"] as String)["first_in_conversation"] == true)
            #expect(try await client.conversation(owner, previous[0])["status"] == "resolved")
            #expect(try await client.conversation(owner, previous[1])["status"] == "archived")
            #expect(try await client.conversation(owner, next.conversationId)["status"] == "active")
        }
    }

    // MARK: C1 list

    @Test func listFiltersByStatusBotAndCustomerPhoneNewestFirst() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let a1 = try await client.connectSandbox(owner, phone: "+27820000001")
            let a2 = try await client.connectSandbox(owner, phone: "+27820000002")
            let botA = try await client.legacyBot(owner, account: a1, name: "A")
            let botB = try await client.legacyBot(owner, account: a2, name: "B")
            var ids: [String] = []
            for n in 1...4 {
                f.clock.advance(seconds: 1)
                ids.append(try await client.receive(owner, from: "+2783111000\(n)", text: "hi").conversationId)
            }
            f.clock.advance(seconds: 1)
            ids.append(try await client.receive(owner, to: "+27820000002", from: "+27831110005", text: "hi").conversationId)
            try await f.settle()
            #expect(try await client.call(.patch, "/api/conversations/\(ids[1])", json: ["status": "resolved"], token: owner.token).status == 200)
            #expect(try await client.call(.patch, "/api/conversations/\(ids[2])", json: ["status": "handed_off"], token: owner.token).status == 200)

            let all = try await client.call(.get, "/api/conversations", token: owner.token)
            #expect(all.status == 200)
            #expect(keys(all.json) == ["conversations", "next_cursor"])
            #expect(all.json["next_cursor"] == .null)
            let listed = try #require(all.json["conversations"].arrayValue)
            #expect(listed.map(\.["id"]) == ids.reversed().map { JSON.string($0) })
            for c in listed { #expect(keys(c) == conversationKeys) }
            let oldest = try await client.conversation(owner, ids[0])
            #expect(listed.last == oldest)

            func list(_ query: String) async throws -> [String] {
                let r = try await client.call(.get, "/api/conversations?\(query)", token: owner.token)
                #expect(r.status == 200, "\(query): \(r.text)")
                return (r.json["conversations"].arrayValue ?? []).compactMap(\.["id"].stringValue)
            }
            #expect(try await list("status=resolved") == [ids[1]])
            #expect(try await list("status=handed_off") == [ids[2]])
            #expect(try await list("status=active") == [ids[4], ids[3], ids[0]])
            #expect(try await list("status=archived") == [])
            #expect(try await list("bot_id=\(botB)") == [ids[4]])
            #expect(try await list("bot_id=\(botA)&status=active") == [ids[3], ids[0]])
            #expect(try await list("bot_id=bot_unknown") == [])
            // customer_phone: encoded `+`, an unencoded `+` (decodes to a space), a space, and no prefix at all.
            #expect(try await list("customer_phone=%2B27831110004") == [ids[3]])
            #expect(try await list("customer_phone=+27831110004") == [ids[3]])
            #expect(try await list("customer_phone=%2027831110004") == [ids[3]])
            #expect(try await list("customer_phone= 27831110004") == [ids[3]])
            #expect(try await list("customer_phone=27831110004") == [ids[3]])
            #expect(try await list("customer_phone=%2B27831110004&status=resolved") == [])
            #expect(try await list("customer_phone=%2B27839999999") == [])

            let badStatus = try await client.call(.get, "/api/conversations?status=closed", token: owner.token)
            #expect(badStatus.status == 400)
            #expect(issues(badStatus) == [.init(["status"], "invalid_enum_value")])
            let unauthenticated = try await client.call(.get, "/api/conversations")
            #expect(unauthenticated.status == 401)
        }
    }

    @Test func listPaginatesWithOpaqueCursorsWithoutGapsOrDuplicates() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            _ = try await client.connectSandbox(owner)
            // 21 conversations; several share a created_at (the id breaks the tie).
            for n in 0..<21 {
                if n % 3 == 0 { f.clock.advance(seconds: 1) }
                _ = try await client.receive(owner, from: "+278311100\(String(format: "%02d", n))", text: "hi")
            }
            let full = try await client.call(.get, "/api/conversations?limit=100", token: owner.token)
            let all = try #require(full.json["conversations"].arrayValue)
            #expect(all.count == 21)
            #expect(full.json["next_cursor"] == .null)
            let sortKeys = all.map { $0["created_at"].stringValue! + "|" + $0["id"].stringValue! }
            #expect(sortKeys == sortKeys.sorted(by: >), "created_at desc, then id desc")
            let expected = all.map { $0["id"].stringValue! }

            // Default limit 20.
            let defaultPage = try await client.call(.get, "/api/conversations", token: owner.token)
            #expect(defaultPage.json["conversations"].arrayValue?.count == 20)
            #expect(defaultPage.json["next_cursor"].stringValue != nil)

            for limit in [1, 2, 3, 7, 20, 21] {
                var seen: [String] = []
                var cursor: String?
                var pages = 0
                repeat {
                    var path = "/api/conversations?limit=\(limit)"
                    if let cursor { path += "&cursor=\(cursor)" }
                    let r = try await client.call(.get, path, token: owner.token)
                    #expect(r.status == 200, "\(r.text)")
                    let items = r.json["conversations"].arrayValue ?? []
                    #expect(items.count == min(limit, 21 - seen.count), "limit \(limit) page \(pages)")
                    seen += items.compactMap(\.["id"].stringValue)
                    cursor = r.json["next_cursor"].stringValue
                    pages += 1
                } while cursor != nil && pages < 30
                #expect(seen == expected, "limit \(limit)")
                #expect(pages == (21 + limit - 1) / limit, "limit \(limit): no trailing empty page")
            }

            for bad in ["limit=0", "limit=101", "limit=abc", "limit=1.5", "limit=-1", "limit="] {
                let r = try await client.call(.get, "/api/conversations?\(bad)", token: owner.token)
                #expect(r.status == 400, "\(bad)")
                #expect(r.json["error"] == "Validation error", "\(bad)")
                #expect(r.json["details"].arrayValue?.count == 1, "\(bad)")
                #expect(r.json["details"][0]["path"] == ["limit"], "\(bad)")
            }
            for bad in ["!!!", "bm90LWEtY3Vyc29y", "MjAyNi0wMS0xN1QxMDoyMjozMy4xMjNa"] {
                let r = try await client.call(.get, "/api/conversations?cursor=\(bad)", token: owner.token)
                #expect(r.status == 400, "cursor \(bad)")
                #expect(r.json["details"][0]["path"] == ["cursor"], "cursor \(bad)")
            }
            #expect(try await client.call(.get, "/api/conversations?limit=100", token: owner.token).status == 200)
            #expect(try await client.call(.get, "/api/conversations?limit=1", token: owner.token).status == 200)
        }
    }

    // MARK: C2/C3

    @Test func patchStatusSetsAndClearsEndedAtAndRefusesASecondOpenConversation() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            _ = try await client.connectSandbox(owner)
            let first = try await client.receive(owner, from: "+27831110001", text: "hi").conversationId

            let got = try await client.call(.get, "/api/conversations/\(first)", token: owner.token)
            #expect(got.status == 200)
            #expect(keys(got.json) == ["conversation"])

            f.clock.advance(seconds: 5)
            let resolved = try await client.patch(owner, first, ["status": "resolved"])
            #expect(resolved.status == 200)
            #expect(keys(resolved.json) == ["conversation"])
            #expect(resolved.json["conversation"]["status"] == "resolved")
            #expect(resolved.json["conversation"]["ended_at"] == .string(f.clock.now()))
            #expect(resolved.json["conversation"]["updated_at"] == .string(f.clock.now()))
            #expect(try await client.conversation(owner, first) == resolved.json["conversation"])

            f.clock.advance(seconds: 5)
            let reopened = try await client.patch(owner, first, ["status": "active"])
            #expect(reopened.status == 200)
            #expect(reopened.json["conversation"]["status"] == "active")
            #expect(reopened.json["conversation"]["ended_at"] == .null)

            let archived = try await client.patch(owner, first, ["status": "archived"])
            #expect(archived.json["conversation"]["ended_at"] == .string(f.clock.now()))
            f.clock.advance(seconds: 1)
            let pending = try await client.patch(owner, first, ["status": "pending"])
            #expect(pending.status == 200)
            #expect(pending.json["conversation"]["status"] == "pending")
            #expect(pending.json["conversation"]["ended_at"] == .null)
            // Between open states nothing is re-opened: no conflict with itself.
            #expect(try await client.patch(owner, first, ["status": "handed_off"]).status == 200)
            #expect(try await client.patch(owner, first, ["status": "resolved"]).status == 200)

            // A new message opens a second conversation; the first can no longer be re-opened.
            let second = try await client.receive(owner, from: "+27831110001", text: "hi again").conversationId
            #expect(second != first)
            for status in ["active", "pending", "handed_off"] {
                let conflict = try await client.patch(owner, first, ["status": .string(status)])
                #expect(conflict.status == 409, "\(status)")
                #expect(conflict.json == ["error": "Another open conversation exists for this customer"], "\(status)")
            }
            #expect(try await client.conversation(owner, first)["status"] == "resolved")
            // Another customer's or another account's conversations do not conflict.
            _ = try await client.receive(owner, from: "+27831110002", text: "hi")
            #expect(try await client.patch(owner, second, ["status": "resolved"]).status == 200)
            let back = try await client.patch(owner, first, ["status": "active"])
            #expect(back.status == 200)
            #expect(back.json["conversation"]["ended_at"] == .null)

            // Empty patch: nothing changes.
            let before = try await client.conversation(owner, first)
            let same = try await client.patch(owner, first, [:])
            #expect(same.status == 200)
            #expect(same.json["conversation"]["status"] == before["status"])

            let badStatus = try await client.patch(owner, first, ["status": "closed"])
            #expect(badStatus.status == 400)
            #expect(issues(badStatus) == [.init(["status"], "invalid_enum_value")])

            let unknown = try await client.patch(owner, Identifiers.uuid(), ["status": "resolved"])
            #expect(unknown.status == 404)
            #expect(unknown.json == ["error": "Conversation not found"])
            let unknownGet = try await client.call(.get, "/api/conversations/nope", token: owner.token)
            #expect(unknownGet.status == 404)
            #expect(unknownGet.json == ["error": "Conversation not found"])
        }
    }

    @Test func patchAssignedToAcceptsMembersAndNullOnly() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            _ = try await client.connectSandbox(owner)
            let outsider = try await client.signup(organization: "Elsewhere")
            let id = try await client.receive(owner, from: "+27831110001", text: "hi").conversationId

            for value: JSON in [.string(outsider.userId), .string(Identifiers.uuid()), "not-a-uuid", 42] {
                let r = try await client.patch(owner, id, ["assigned_to": value])
                #expect(r.status == 400, "\(value)")
                #expect(r.json["error"] == "Validation error", "\(value)")
                #expect(r.json["details"][0]["path"] == ["assigned_to"], "\(value)")
            }
            // A refused patch changes nothing, also not the status given with it.
            let mixed = try await client.patch(owner, id, ["status": "resolved", "assigned_to": .string(outsider.userId)])
            #expect(mixed.status == 400)
            #expect(try await client.conversation(owner, id)["status"] == "active")

            let assigned = try await client.patch(owner, id, ["assigned_to": .string(owner.userId.uppercased())])
            #expect(assigned.status == 200)
            #expect(assigned.json["conversation"]["assigned_to"] == .string(owner.userId))
            let kept = try await client.patch(owner, id, ["status": "pending"])
            #expect(kept.json["conversation"]["assigned_to"] == .string(owner.userId))
            let cleared = try await client.patch(owner, id, ["assigned_to": nil])
            #expect(cleared.status == 200)
            #expect(cleared.json["conversation"]["assigned_to"] == .null)
        }
    }

    @Test func handingOffSilencesTheBotAndActiveLetsItReplyAgain() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            _ = try await client.legacyBot(owner, account: account)
            let start = try await client.receive(owner, from: "+27831110001", text: "I want to book")
            try await f.settle()
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [start.conversationId]) == "waiting")

            #expect(try await client.patch(owner, start.conversationId, ["status": "handed_off"]).status == 200)
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [start.conversationId]) == "cancelled")
            let count = try await client.allMessages(owner, start.conversationId).count
            _ = try await client.receive(owner, from: "+27831110001", text: "Saturday at 7pm")
            try await f.settle()
            let silent = try await client.allMessages(owner, start.conversationId)
            #expect(silent.count == count + 1, "the bot stays silent while handed off")

            #expect(try await client.patch(owner, start.conversationId, ["status": "pending"]).status == 200)
            _ = try await client.receive(owner, from: "+27831110001", text: "hello?")
            try await f.settle()
            #expect(try await client.allMessages(owner, start.conversationId).count == count + 2)

            #expect(try await client.patch(owner, start.conversationId, ["status": "active"]).status == 200)
            _ = try await client.receive(owner, from: "+27831110001", text: "I want to book")
            try await f.settle()
            let after = try await client.allMessages(owner, start.conversationId)
            #expect(after.last?["content"] == "What date and time would you like?", "the cancelled workflow starts afresh")
            #expect(after.count == count + 4)
        }
    }

    // MARK: C4 messages

    @Test func messagesPageOldestFirstWithBeforeAndCursor() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            _ = try await client.legacyBot(owner, account: account)
            // The clock stands still within an exchange: the inbound message and its replies share a created_at,
            // so only insertion order tells them apart.
            let id = try await client.receive(owner, from: "+27831110001", text: "I want to book").conversationId
            try await f.settle()
            f.clock.advance(seconds: 1)
            _ = try await client.receive(owner, from: "+27831110001", text: "Saturday 7pm")
            try await f.settle()
            f.clock.advance(seconds: 1)
            _ = try await client.receive(owner, from: "+27831110001", text: "4")
            try await f.settle()

            let all = try await client.allMessages(owner, id)
            let contents = all.map { $0["content"].stringValue ?? "" }
            #expect(contents == [
                "I want to book", "Welcome to Booker!", "What date and time would you like?",
                "Saturday 7pm", "How many people?",
                "4", "✅ Booking request received for Saturday 7pm (4 people). We'll confirm shortly.",
            ])
            let ids = all.compactMap(\.["id"].stringValue)

            func page(_ query: String) async throws -> (ids: [String], next: String?) {
                let r = try await client.call(.get, "/api/conversations/\(id)/messages?\(query)", token: owner.token)
                #expect(r.status == 200, "\(query): \(r.text)")
                #expect(keys(r.json) == ["messages", "next_cursor"])
                return ((r.json["messages"].arrayValue ?? []).compactMap(\.["id"].stringValue), r.json["next_cursor"].stringValue)
            }
            let p1 = try await page("limit=2")
            #expect(p1.ids == Array(ids[5...6]))
            #expect(p1.next == ids[5])
            let p2 = try await page("limit=2&before=\(ids[5])")
            #expect(p2.ids == Array(ids[3...4]))
            #expect(p2.next == ids[3])
            let p3 = try await page("limit=2&cursor=\(ids[3])")   // `cursor` is a synonym of `before`
            #expect(p3.ids == Array(ids[1...2]))
            #expect(p3.next == ids[1])
            let p4 = try await page("limit=2&before=\(ids[1])")
            #expect(p4.ids == [ids[0]])
            #expect(p4.next == nil)
            // Splitting the same-instant pair (welcome | question) keeps their order.
            let split = try await page("limit=1&before=\(ids[2])")
            #expect(split.ids == [ids[1]])
            #expect(split.next == ids[1])
            let oldest = try await page("before=\(ids[0])")
            #expect(oldest.ids.isEmpty)
            #expect(oldest.next == nil)
            let exact = try await page("limit=7")
            #expect(exact.ids == ids)
            #expect(exact.next == nil)
            let six = try await page("limit=6")
            #expect(six.ids == Array(ids[1...]))
            #expect(six.next == ids[1])
            #expect(try await page("").ids == ids)   // default limit 20

            // A walk with every limit covers everything once.
            for limit in 1...8 {
                var collected: [String] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let p = try await page("limit=\(limit)" + (cursor.map { "&before=\($0)" } ?? ""))
                    collected = p.ids + collected
                    cursor = p.next
                    pages += 1
                } while cursor != nil && pages < 20
                #expect(collected == ids, "limit \(limit)")
            }

            // Unknown or foreign message ids and bad limits.
            let other = try await client.receive(owner, from: "+27831110002", text: "other conversation")
            for (query, path) in [("before=\(Identifiers.uuid())", "before"), ("cursor=nope", "cursor"),
                                  ("before=\(other.messageId)", "before"), ("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit")] {
                let r = try await client.call(.get, "/api/conversations/\(id)/messages?\(query)", token: owner.token)
                #expect(r.status == 400, "\(query)")
                #expect(r.json["error"] == "Validation error", "\(query)")
                #expect(r.json["details"][0]["path"] == [.string(path)], "\(query)")
            }
            let unknown = try await client.call(.get, "/api/conversations/\(Identifiers.uuid())/messages", token: owner.token)
            #expect(unknown.status == 404)
            #expect(unknown.json == ["error": "Conversation not found"])
        }
    }

    // MARK: C5 agent reply

    @Test func agentReplyIsQueuedHandsOffAndIsDeliveredThroughTheSandbox() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            _ = try await client.legacyBot(owner, account: account)
            let inbound = try await client.receive(owner, from: "+27831110001", text: "hello")
            try await f.settle()

            f.clock.advance(seconds: 2)
            let r = try await client.call(.post, "/api/conversations/\(inbound.conversationId)/messages", json: ["content": "Hi, Sam here."],
                                          token: owner.token)
            #expect(r.status == 200, "\(r.text)")
            #expect(keys(r.json) == ["message"])
            let m = r.json["message"]
            #expect(keys(m) == messageKeys)
            #expect(m["conversation_id"] == .string(inbound.conversationId))
            #expect(m["organization_id"] == .string(owner.organizationId))
            #expect(m["whatsapp_account_id"] == .string(account))
            #expect(m["direction"] == "outbound")
            #expect(m["message_type"] == "text")
            #expect(m["content"] == "Hi, Sam here.")
            #expect(m["status"] == "queued")
            #expect(m["sent_by"] == "human")
            #expect(m["sent_by_user_id"] == .string(owner.userId))
            #expect(m["in_reply_to"] == .null)
            #expect(m["provider_message_id"] == .null)
            #expect(m["created_at"] == .string(f.clock.now()))
            let c = try await client.conversation(owner, inbound.conversationId)
            #expect(c["status"] == "handed_off")
            #expect(c["assigned_to"] == .string(owner.userId))
            #expect(c["last_message_at"] == .string(f.clock.now()))

            try await f.settle()
            let delivered = try #require(try await client.allMessages(owner, inbound.conversationId).last)
            #expect(delivered["id"] == m["id"])
            #expect(delivered["status"] == "sent")
            let providerId = try #require(delivered["provider_message_id"].stringValue)
            #expect(providerId.hasPrefix("sandbox_"))
            #expect(delivered["bird_message_id"] == .string(providerId))
            #expect(try await f.string("SELECT state FROM outbox WHERE message_id = ?", [m["id"].stringValue!]) == "sent")

            // The bot stays silent now.
            let count = try await client.allMessages(owner, inbound.conversationId).count
            _ = try await client.receive(owner, from: "+27831110001", text: "are you there?")
            try await f.settle()
            #expect(try await client.allMessages(owner, inbound.conversationId).count == count + 1)

            // Validation.
            let invalid: [(JSON, String)] = [([:], "required"), (["content": ""], "too_small"),
                                             (["content": .string(String(repeating: "x", count: 4097))], "too_big"), (["content": 5], "invalid_type")]
            for (body, code) in invalid {
                let bad = try await client.call(.post, "/api/conversations/\(inbound.conversationId)/messages", json: body, token: owner.token)
                #expect(bad.status == 400, "\(body)")
                #expect(issues(bad) == [.init(["content"], code)], "\(body)")
            }
            let longest = try await client.call(.post, "/api/conversations/\(inbound.conversationId)/messages",
                                                json: ["content": .string(String(repeating: "x", count: 4096))], token: owner.token)
            #expect(longest.status == 200)

            // Closed conversations refuse; so do suspended or disconnected accounts.
            for closing in ["resolved", "archived"] {
                #expect(try await client.patch(owner, inbound.conversationId, ["status": .string(closing)]).status == 200)
                let closed = try await client.call(.post, "/api/conversations/\(inbound.conversationId)/messages", json: ["content": "hi"],
                                                   token: owner.token)
                #expect(closed.status == 409)
                #expect(closed.json == ["error": "Conversation is closed"])
            }
            #expect(try await client.patch(owner, inbound.conversationId, ["status": "active"]).status == 200)
            for status in ["suspended", "disconnected"] {
                try await f.execute("UPDATE whatsapp_accounts SET status = ? WHERE id = ?", [status, account])
                let refused = try await client.call(.post, "/api/conversations/\(inbound.conversationId)/messages", json: ["content": "hi"],
                                                    token: owner.token)
                #expect(refused.status == 409, "\(status)")
                #expect(refused.json == ["error": "WhatsApp account is not active"], "\(status)")
            }
            try await f.execute("UPDATE whatsapp_accounts SET status = 'active' WHERE id = ?", [account])
            try await f.settle()
            #expect(try await f.int("SELECT count(*) FROM messages WHERE sent_by = 'human'") == 2)
            let unknown = try await client.call(.post, "/api/conversations/\(Identifiers.uuid())/messages", json: ["content": "hi"], token: owner.token)
            #expect(unknown.status == 404)
            #expect(unknown.json == ["error": "Conversation not found"])
        }
    }

    // MARK: W3 agent send

    /// The sandbox has no I/O and accepts every send (behaviour §6.7): a bot reply is delivered by the transaction
    /// that stores it, leaving exactly what a deliver job run would — message `sent` with a `sandbox_` id, outbox
    /// `sent` after one attempt, one `succeeded` deliver job per message — and the conversation's metrics count it.
    /// On the real clock, `sent_at` and the job's `finished_at` equal the message's `created_at` only when the
    /// delivery was committed with the reply (a deliver job finishes in a later transaction).
    @Test func botRepliesThroughTheSandboxAreDeliveredInTheReplyTransaction() async throws {
        let app = try await TestAppliance.make { settings in
            settings.rateLimitAuth = 0
            settings.rateLimitGlobal = 0
            settings.rateLimitWebhook = 0
        }
        try await app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            _ = try await client.legacyBot(owner, account: account)
            var received: [(conversationId: String, messageId: String)] = []
            for customer in 1...5 { received.append(try await client.receive(owner, from: "+2783111000\(customer)", text: "I want to book")) }
            let inbound = received
            try await app.waitForJobsToSettle()

            let replies = try await app.database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT m.in_reply_to, m.status, m.provider_message_id, m.created_at, m.updated_at, o.state, o.attempts,
                           o.provider_message_id AS outbox_pid, o.sent_at, j.state AS job_state, j.attempts AS job_attempts,
                           j.finished_at, j.created_at AS job_created
                    FROM messages m JOIN outbox o ON o.message_id = m.id JOIN jobs j ON j.dedupe_key = 'deliver:' || o.id
                    WHERE m.sent_by = 'bot' ORDER BY m.rowid
                    """).map(RowSnapshot.init)
            }
            #expect(replies.count == 10, "welcome + the workflow's question for each customer")
            #expect(Set(replies.map { $0["in_reply_to"] as String }) == Set(inbound.map(\.messageId)))
            for r in replies {
                let providerId: String = try #require(r["provider_message_id"])
                #expect(providerId.hasPrefix("sandbox_") && Identifiers.isUUID(String(providerId.dropFirst("sandbox_".count))))
                #expect(r["status"] as String == "sent")
                #expect(r["outbox_pid"] as String? == providerId)
                #expect(r["state"] as String == "sent")
                #expect(r["attempts"] as Int == 1)
                #expect(r["sent_at"] as String? == r["created_at"] as String)
                #expect(r["updated_at"] as String == r["created_at"] as String)
                #expect(r["job_state"] as String == "succeeded")
                #expect(r["job_attempts"] as Int == 1)
                #expect(r["finished_at"] as String? == r["created_at"] as String)
                #expect(r["job_created"] as String == r["created_at"] as String)
            }
            let deliverJobs = try await app.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE type = 'deliver'") }
            #expect(deliverJobs == 10)
            let messages = try await client.allMessages(owner, inbound[0].conversationId)
            #expect(messages.map { $0["status"] } == ["delivered", "sent", "sent"])
            #expect(messages.dropFirst().allSatisfy { $0["bird_message_id"] == $0["provider_message_id"] })
            let metrics = try await app.database.read { db in
                try Row.fetchOne(db, sql: "SELECT successful_responses, bot_messages FROM conversation_metrics WHERE conversation_id = ?",
                                 arguments: [inbound[0].conversationId]).map(RowSnapshot.init)
            }
            #expect(metrics?["successful_responses"] as Int? == 2)
            #expect(metrics?["bot_messages"] as Int? == 2)
        }
    }

    @Test func agentSendOpensOrReusesTheConversationAndAcceptsContentAliases() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let bot = try await client.legacyBot(owner, account: account)

            let r = try await client.call(.post, "/api/whatsapp/send", json: ["to": "+27831234567", "content": "Your shuttle is booked."],
                                          token: owner.token)
            #expect(r.status == 200, "\(r.text)")
            #expect(keys(r.json) == ["message", "conversation_id"])
            let conversationId = try #require(r.json["conversation_id"].stringValue)
            let m = r.json["message"]
            #expect(keys(m) == messageKeys)
            #expect(m["conversation_id"] == .string(conversationId))
            #expect(m["direction"] == "outbound")
            #expect(m["sent_by"] == "human")
            #expect(m["sent_by_user_id"] == .string(owner.userId))
            #expect(m["status"] == "queued")
            #expect(m["content"] == "Your shuttle is booked.")
            let c = try await client.conversation(owner, conversationId)
            #expect(c["status"] == "handed_off")
            #expect(c["assigned_to"] == .string(owner.userId))
            #expect(c["bot_id"] == .string(bot))
            #expect(c["whatsapp_account_id"] == .string(account))
            #expect(c["customer_phone"] == "+27831234567")
            #expect(c["customer_name"] == "Unknown")

            for (key, to) in [("message", "+27831234567"), ("text", "whatsapp:+27831234567")] {
                var body: JSONObject = ["to": .string(to)]
                body[key] = "Alias works."
                let alias = try await client.call(.post, "/api/whatsapp/send", json: .object(body), token: owner.token)
                #expect(alias.status == 200, "\(key): \(alias.text)")
                #expect(alias.json["conversation_id"] == .string(conversationId), "\(key)")
                #expect(alias.json["message"]["content"] == "Alias works.", "\(key)")
            }
            try await f.settle()
            let messages = try await client.allMessages(owner, conversationId)
            #expect(messages.count == 3)
            #expect(messages.allSatisfy { $0["status"] == "sent" && $0["sent_by"] == "human" })
            // An inbound reply of that customer joins the same (handed-off) conversation; the bot stays silent.
            let inbound = try await client.receive(owner, from: "+27831234567", text: "Thanks!")
            #expect(inbound.conversationId == conversationId)
            try await f.settle()
            #expect(try await client.allMessages(owner, conversationId).count == 4)

            let missing = try await client.call(.post, "/api/whatsapp/send", json: [:], token: owner.token)
            #expect(missing.status == 400)
            #expect(issues(missing) == [.init(["to"], "required"), .init(["content"], "required")])
            let bad = try await client.call(.post, "/api/whatsapp/send",
                                            json: ["to": "12", "content": .string(String(repeating: "x", count: 4097))], token: owner.token)
            #expect(bad.status == 400)
            #expect(issues(bad) == [.init(["to"], "invalid_string"), .init(["content"], "too_big")])
            let emptyText = try await client.call(.post, "/api/whatsapp/send", json: ["to": "+27831234567", "text": ""], token: owner.token)
            #expect(emptyText.status == 400)
            #expect(emptyText.json["details"][0]["code"] == "too_small")
        }
    }

    @Test func agentSendChoosesTheAccountByTheRules() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let first = try await client.connectSandbox(owner, phone: "+27820000001")
            let other = try await client.signup(organization: "Other")
            let theirs = try await client.connectSandbox(other, phone: "+27820000009")
            func send(_ extra: JSONObject = [:]) async throws -> TestResult {
                var body: JSONObject = ["to": "+27831110001", "content": "hello"]
                for (k, v) in extra { body[k] = v }
                return try await client.call(.post, "/api/whatsapp/send", json: .object(body), token: owner.token)
            }
            #expect(try await send().status == 200)

            // A second usable account (a pending Meta number counts) makes the account id required.
            let meta = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "meta", "phone_number": "+27820000002"],
                                             token: owner.token)
            #expect(meta.json["whatsappAccount"]["status"] == "pending")
            let metaId = try #require(meta.json["whatsappAccount"]["id"].stringValue)
            let ambiguous = try await send()
            #expect(ambiguous.status == 400)
            #expect(issues(ambiguous) == [.init(["whatsapp_account_id"], "required")])
            let chosen = try await send(["whatsapp_account_id": .string(first)])
            #expect(chosen.status == 200)
            #expect(try await client.conversation(owner, chosen.json["conversation_id"].stringValue!)["whatsapp_account_id"] == .string(first))

            for id in [theirs, Identifiers.uuid()] {
                let r = try await send(["whatsapp_account_id": .string(id)])
                #expect(r.status == 404)
                #expect(r.json == ["error": "WhatsApp account not found"])
            }
            let notUUID = try await send(["whatsapp_account_id": "abc"])
            #expect(notUUID.status == 400)
            #expect(issues(notUUID) == [.init(["whatsapp_account_id"], "invalid_string")])

            for status in ["suspended", "disconnected"] {
                try await f.execute("UPDATE whatsapp_accounts SET status = ? WHERE id = ?", [status, first])
                let refused = try await send(["whatsapp_account_id": .string(first)])
                #expect(refused.status == 409, "\(status)")
                #expect(refused.json == ["error": "WhatsApp account is not active"], "\(status)")
                // Only one usable account is left, so the id may be omitted again.
                let implicit = try await send()
                #expect(implicit.status == 200, "\(status): \(implicit.text)")
                #expect(try await client.conversation(owner, implicit.json["conversation_id"].stringValue!)["whatsapp_account_id"]
                        == .string(metaId))
            }
            _ = theirs
        }
    }

    // MARK: Tenancy

    @Test func anotherOrganizationNeverSeesOrTouchesTheConversations() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let bot = try await client.legacyBot(owner, account: account)
            let mine = try await client.receive(owner, from: "+27831110001", text: "hello")
            try await f.settle()
            let before = try await client.conversation(owner, mine.conversationId)
            let beforeMessages = try await client.allMessages(owner, mine.conversationId)

            let intruder = try await client.signup(organization: "Intruder Inc")
            _ = try await client.connectSandbox(intruder, phone: "+27820000009")
            _ = try await client.receive(intruder, to: "+27820000009", from: "+27831110001", text: "their own")
            let notFound: JSON = ["error": "Conversation not found"]
            let calls: [(HTTPRequest.Method, String, JSON?)] = [
                (.get, "/api/conversations/\(mine.conversationId)", nil),
                (.patch, "/api/conversations/\(mine.conversationId)", ["status": "resolved"]),
                (.patch, "/api/conversations/\(mine.conversationId)", ["assigned_to": .string(intruder.userId)]),
                (.get, "/api/conversations/\(mine.conversationId)/messages", nil),
                (.get, "/api/conversations/\(mine.conversationId)/messages?before=\(mine.messageId)", nil),
                (.post, "/api/conversations/\(mine.conversationId)/messages", ["content": "hijack"]),
            ]
            for (method, path, body) in calls {
                let r = try await client.call(method, path, json: body, token: intruder.token)
                #expect(r.status == 404, "\(method) \(path)")
                #expect(r.json == notFound, "\(method) \(path)")
            }
            for query in ["", "?bot_id=\(bot)", "?customer_phone=%2B27831110001", "?status=active", "?limit=100"] {
                let r = try await client.call(.get, "/api/conversations\(query)", token: intruder.token)
                #expect(r.status == 200)
                let ids = (r.json["conversations"].arrayValue ?? []).compactMap(\.["id"].stringValue)
                #expect(!ids.contains(mine.conversationId), "\(query)")
                #expect(r.json["conversations"].arrayValue?.allSatisfy { $0["organization_id"] == .string(intruder.organizationId) } == true)
            }
            // The owner's conversation is untouched.
            try await f.settle()
            #expect(try await client.conversation(owner, mine.conversationId) == before)
            #expect(try await client.allMessages(owner, mine.conversationId) == beforeMessages)
            let ownList = try await client.call(.get, "/api/conversations", token: owner.token)
            #expect(ownList.json["conversations"].arrayValue?.map(\.["id"]) == [.string(mine.conversationId)])
        }
    }

    // MARK: conversation_metrics (behaviour §10.2)

    @Test func conversationMetricsFollowRepliesAgentRepliesAndStatus() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let bot = try await client.legacyBot(owner, account: account)
            let started = f.clock.now()
            let inbound = try await client.receive(owner, from: "+27831110001", text: "I want to book")
            try await f.settle()

            var m = try await f.row("SELECT * FROM conversation_metrics WHERE conversation_id = ?", [inbound.conversationId])
            #expect(m["bot_id"] as String == bot)
            #expect(m["organization_id"] as String == owner.organizationId)
            #expect(m["started_at"] as String == started)
            #expect(m["total_messages"] as Int == 3)
            #expect(m["user_messages"] as Int == 1)
            #expect(m["bot_messages"] as Int == 2)
            #expect(m["avg_response_time_ms"] as Int? != nil)
            #expect(m["p50_response_time_ms"] as Int? != nil)
            #expect(m["p95_response_time_ms"] as Int? != nil)
            #expect(m["p99_response_time_ms"] as Int? != nil)
            #expect(m["successful_responses"] as Int == 2)
            #expect(m["failed_responses"] as Int == 0)
            #expect(m["fallback_responses"] as Int == 0)
            #expect(m["handoff_triggered"] as Int == 0)
            #expect(m["tokens_used"] as Int == 0)
            #expect(m["estimated_cost_usd"] as Double == 0)
            #expect(m["resolution_status"] as String == "unresolved")
            #expect(m["customer_satisfaction"] as Int? == nil)
            #expect(m["ended_at"] as String? == started)
            #expect(m["duration_seconds"] as Int? == 0)
            // Exactly one bot message carries the response time (the first reply to the inbound message).
            let replies = try await client.allMessages(owner, inbound.conversationId).filter { $0["sent_by"] == "bot" }
            #expect(replies.count == 2)
            #expect(replies[0]["response_time_ms"].integerValue != nil)
            #expect(replies[1]["response_time_ms"] == .null)
            #expect(replies.allSatisfy { $0["in_reply_to"] == .string(inbound.messageId) && $0["status"] == "sent" })

            f.clock.advance(seconds: 90)
            #expect(try await client.call(.post, "/api/conversations/\(inbound.conversationId)/messages", json: ["content": "Agent here"],
                                          token: owner.token).status == 200)
            try await f.settle()
            m = try await f.row("SELECT * FROM conversation_metrics WHERE conversation_id = ?", [inbound.conversationId])
            #expect(m["total_messages"] as Int == 4)
            #expect(m["bot_messages"] as Int == 2)   // the agent's message is not a bot message
            #expect(m["user_messages"] as Int == 1)
            #expect(m["handoff_triggered"] as Int == 1)
            #expect(m["resolution_status"] as String == "escalated")
            #expect(m["duration_seconds"] as Int? == 90)

            #expect(try await client.patch(owner, inbound.conversationId, ["status": "resolved"]).status == 200)
            m = try await f.row("SELECT * FROM conversation_metrics WHERE conversation_id = ?", [inbound.conversationId])
            #expect(m["resolution_status"] as String == "resolved")
            #expect(try await f.int("SELECT count(*) FROM conversation_metrics") == 1)
        }
    }

    // MARK: The reply pipeline over the sandbox channel

    @Test func legacyBookingBotRunsItsStarterWorkflow() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let bot = try await client.legacyBot(owner, account: account, templateId: "booking")

            let first = try await client.receive(owner, from: "+27831110001", text: "I want to book")
            try await f.settle()
            var messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.map(\.["content"]) == ["I want to book", "Welcome to Booker!", "What date and time would you like?"])
            #expect(messages[1]["metadata"]["reply_source"] == "welcome")
            #expect(messages[2]["metadata"]["reply_source"] == "workflow")
            #expect(messages[2]["metadata"]["workflow_version"] == 1)
            for reply in messages.dropFirst() {
                #expect(reply["direction"] == "outbound")
                #expect(reply["sent_by"] == "bot")
                #expect(reply["status"] == "sent")
                #expect(reply["in_reply_to"] == .string(first.messageId))
                #expect(reply["provider_message_id"].stringValue?.hasPrefix("sandbox_") == true)
                #expect(reply["metadata"]["needs_handoff"] == false)
                #expect(reply["metadata"]["knowledge_searched"] == false)
                #expect(reply["metadata"]["tokens_used"] == 0)
            }

            // The answer resumes the question (even though it mentions a trigger keyword, it starts nothing new).
            let answer = try await client.receive(owner, from: "+27831110001", text: "Book it for Saturday 7pm")
            try await f.settle()
            messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.suffix(2).map(\.["content"]) == ["Book it for Saturday 7pm", "How many people?"])
            #expect(messages.last?["in_reply_to"] == .string(answer.messageId))

            _ = try await client.receive(owner, from: "+27831110001", text: "4")
            try await f.settle()
            messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.last?["content"] == "✅ Booking request received for Book it for Saturday 7pm (4 people). We'll confirm shortly.")
            #expect(messages.count == 7)
            #expect(messages.filter { $0["metadata"]["reply_source"] == "welcome" }.count == 1, "welcome only on the first message")
            #expect(try await f.string("SELECT status FROM workflow_executions WHERE conversation_id = ?", [first.conversationId]) == "completed")
            let context = try JSONParser.parse(try await f.string("SELECT context_data FROM conversation_context WHERE conversation_id = ?",
                                                                  [first.conversationId]) ?? "{}")
            #expect(context["variables"]["booking_datetime"] == "Book it for Saturday 7pm")
            #expect(context["variables"]["party_size"] == "4")
            #expect(context["message_count"] == 3)
            #expect(try await client.conversation(owner, first.conversationId)["status"] == "active")
            #expect(try await client.conversation(owner, first.conversationId)["bot_id"] == .string(bot))

            // Afterwards an unknown message gets the `loop` fallback and the conversation stays active.
            _ = try await client.receive(owner, from: "+27831110001", text: "thanks")
            try await f.settle()
            messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.last?["content"] == "Sorry, I could not process that.")
            #expect(messages.last?["metadata"]["reply_source"] == "fallback")
            #expect(try await client.conversation(owner, first.conversationId)["status"] == "active")
            #expect(messages.allSatisfy { !($0["content"].stringValue ?? "").contains("{{") })
        }
    }

    @Test func templateBotFallbackHandsOffAfterIntentsAndWelcome() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let bot = try await client.taxiBot(owner, account: account)

            // First message: only the welcome (the fallback is suppressed after a welcome).
            let first = try await client.receive(owner, from: "+27831110001", text: "hello")
            try await f.settle()
            var messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.map(\.["content"]) == [
                "hello", "Hi! Welcome to Test Taxi Service 🚕 We cover Cape Town, Western Cape. How can we help you today?",
            ])
            #expect(try await client.conversation(owner, first.conversationId)["status"] == "active")

            // An intent: no second welcome.
            _ = try await client.receive(owner, from: "+27831110001", text: "what is the fare?")
            try await f.settle()
            messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.count == 4)
            #expect(messages.last?["content"] == "Our fares are calculated on this basis: Per kilometer. Send your pickup and drop-off points for an estimate, or call +27 21 555 1234 for a quote.")
            #expect(messages.last?["metadata"]["reply_source"] == "intent")
            #expect(messages.last?["metadata"]["intent"] == "pricing")

            // Nothing matches: the fallback (human_handoff → the handoff message) and the handoff itself.
            f.clock.advance(seconds: 1)
            _ = try await client.receive(owner, from: "+27831110001", text: "xyzzy plugh")
            try await f.settle()
            messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.count == 6)
            let fallback = try #require(messages.last)
            #expect(fallback["content"] == "Thanks for your message. A member of our team will reply here shortly.")
            #expect(fallback["metadata"]["reply_source"] == "fallback")
            #expect(fallback["metadata"]["needs_handoff"] == true)
            let c = try await client.conversation(owner, first.conversationId)
            #expect(c["status"] == "handed_off")
            #expect(c["metadata"]["handoff_reason"] == "fallback")
            #expect(c["metadata"]["handoff_requested_at"] == .string(f.clock.now()))
            #expect(c["assigned_to"] == .null)

            // Silent while handed off.
            _ = try await client.receive(owner, from: "+27831110001", text: "hello?")
            try await f.settle()
            #expect(try await client.allMessages(owner, first.conversationId).count == 7)
            let m = try await f.row("SELECT * FROM conversation_metrics WHERE conversation_id = ?", [first.conversationId])
            #expect(m["fallback_responses"] as Int == 1)
            #expect(m["handoff_triggered"] as Int == 1)
            #expect(m["resolution_status"] as String == "escalated")
            #expect(m["bot_id"] as String == bot)
            #expect(messages.allSatisfy { !($0["content"].stringValue ?? "").contains("{{") })
        }
    }

    @Test func handoffKeywordHandsOffWithTheKeywordAsReason() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            _ = try await client.taxiBot(owner, account: account)
            let first = try await client.receive(owner, from: "+27831110001", text: "Can I speak to a Real Person please")
            try await f.settle()
            let messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.map { $0["metadata"]["reply_source"] } == [.null, "welcome", "handoff"])
            #expect(messages.last?["content"] == "Thanks for your message. A member of our team will reply here shortly.")
            let c = try await client.conversation(owner, first.conversationId)
            #expect(c["status"] == "handed_off")
            #expect(c["metadata"]["handoff_reason"] == "keyword:real person")

            // A template condition (angry customer) sends the composed reply, then hands off.
            let other = try await client.receive(owner, from: "+27831110002", text: "hello")
            try await f.settle()
            _ = try await client.receive(owner, from: "+27831110002", text: "This is ridiculous, what is the fare?")
            try await f.settle()
            let replies = try await client.allMessages(owner, other.conversationId)
            #expect(replies.last?["metadata"]["reply_source"] == "intent")
            #expect(replies.last?["metadata"]["intent"] == "pricing")
            #expect(replies.last?["metadata"]["needs_handoff"] == true)
            let angry = try await client.conversation(owner, other.conversationId)
            #expect(angry["status"] == "handed_off")
            #expect(angry["metadata"]["handoff_reason"] == "condition:Customer is angry or frustrated")
        }
    }

    @Test func endConversationFallbackResolvesAndLeftoverPlaceholdersAreRemoved() async throws {
        let f = try await Fixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let bot = try await client.legacyBot(owner, account: account, templateId: "lead_gen", name: "Acme",
                                                 welcome: "Welcome{{calculated_fare}} to Acme!{{ customer.nickname }}",
                                                 fallback: "Bye{{calculated_fare}} for now.{{unknown_key}}")
            let patched = try await client.call(.patch, "/api/bots/\(bot)", json: ["fallback_behavior": "end_conversation"], token: owner.token)
            #expect(patched.status == 200)

            let first = try await client.receive(owner, from: "+27831110001", text: "hello")
            try await f.settle()
            #expect(try await client.allMessages(owner, first.conversationId).map(\.["content"]) == ["hello", "Welcome to Acme!"])
            #expect(try await client.conversation(owner, first.conversationId)["status"] == "active")

            f.clock.advance(seconds: 3)
            _ = try await client.receive(owner, from: "+27831110001", text: "qwerty")
            try await f.settle()
            let messages = try await client.allMessages(owner, first.conversationId)
            #expect(messages.map(\.["content"]) == ["hello", "Welcome to Acme!", "qwerty", "Bye for now."])
            #expect(messages.last?["metadata"]["reply_source"] == "fallback")
            let c = try await client.conversation(owner, first.conversationId)
            #expect(c["status"] == "resolved")
            #expect(c["ended_at"] == .string(f.clock.now()))
            #expect(try await f.string("SELECT resolution_status FROM conversation_metrics WHERE conversation_id = ?", [first.conversationId])
                    == "resolved")

            // The next message opens a new conversation, which gets the welcome again.
            let next = try await client.receive(owner, from: "+27831110001", text: "hello again")
            #expect(next.conversationId != first.conversationId)
            try await f.settle()
            #expect(try await client.allMessages(owner, next.conversationId).map(\.["content"]) == ["hello again", "Welcome to Acme!"])
            let all = try await f.rows("SELECT content FROM messages WHERE sent_by = 'bot'", [])
            #expect(all.count == 3)
            #expect(all.allSatisfy { !($0["content"] as String).contains("{{") && !($0["content"] as String).contains("}}") })
        }
    }
}

// MARK: - Fixture and helpers

/// A fresh appliance on a manual clock with rate limits off, plus direct database helpers.
struct Fixture: Sendable {
    let clock: ManualClock
    let app: TestAppliance

    static func make() async throws -> Fixture {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock) { settings in
            settings.rateLimitAuth = 0
            settings.rateLimitGlobal = 0
            settings.rateLimitWebhook = 0
        }
        return Fixture(clock: clock, app: app)
    }

    /// Waits until no job is running or due (future-dated jobs such as question timeouts do not count), then checks that
    /// nothing failed on the way.
    func settle(timeout: Duration = .seconds(90), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let now = clock.now()
            let busy = try await app.database.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM jobs WHERE state = 'running' OR (state IN ('queued','retrying') AND run_at <= ?)
                    """, arguments: [now])!
            }
            if busy == 0 { break }
            guard ContinuousClock.now < deadline else {
                Issue.record("jobs did not settle within \(timeout)", sourceLocation: sourceLocation)
                throw TestSetupError("jobs did not settle")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let problems = try await rows("SELECT type || ' ' || state || ': ' || coalesce(last_error, '') AS d FROM jobs WHERE state IN ('dead','retrying')", [])
            .map { $0["d"] as String }
        #expect(problems.isEmpty, "failed jobs: \(problems)", sourceLocation: sourceLocation)
    }

    func rows(_ sql: String, _ arguments: [String]) async throws -> [RowSnapshot] {
        try await app.database.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(RowSnapshot.init) }
    }

    func row(_ sql: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> RowSnapshot {
        try #require(try await rows(sql, arguments).first, "no row for \(sql)", sourceLocation: sourceLocation)
    }

    func int(_ sql: String, _ arguments: [String] = []) async throws -> Int {
        try await app.database.read { db in try Int.fetchOne(db, sql: sql, arguments: StatementArguments(arguments)) ?? 0 }
    }

    func string(_ sql: String, _ arguments: [String] = []) async throws -> String? {
        try await app.database.read { db in try String.fetchOne(db, sql: sql, arguments: StatementArguments(arguments)) }
    }

    func execute(_ sql: String, _ arguments: [String]) async throws {
        try await app.database.write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
    }
}

extension TestClientProtocol {
    /// WH5 with any body.
    func sandbox(_ account: Account, _ body: JSON) async throws -> TestResult {
        try await call(.post, "/webhooks/sandbox/whatsapp", json: body, token: account.token)
    }

    /// A customer message through WH5 that must be stored; returns its conversation and message ids.
    func receive(_ account: Account, to: String = "+27820000001", from: String, text: String, profileName: String? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws -> (conversationId: String, messageId: String) {
        var body: JSONObject = ["to": .string(to), "from": .string(from), "text": .string(text)]
        if let profileName { body["profile_name"] = .string(profileName) }
        let r = try await sandbox(account, .object(body))
        guard r.status == 200, let c = r.json["conversation_id"].stringValue, let m = r.json["message_id"].stringValue else {
            Issue.record("sandbox message refused: \(r.status) \(r.text)", sourceLocation: sourceLocation)
            throw TestSetupError("sandbox message refused")
        }
        return (c, m)
    }

    /// B2: a legacy bot on the account; returns its id.
    func legacyBot(_ owner: Account, account: String, templateId: String = "booking", name: String = "Booker",
                               welcome: String? = nil, fallback: String? = nil) async throws -> String {
        var config: JSONObject = ["name": .string(name), "welcomeMessage": .string(welcome ?? "Welcome to \(name)!")]
        if let fallback { config["fallbackMessage"] = .string(fallback) }
        let r = try await call(.post, "/api/bots", json: ["templateId": .string(templateId), "config": .object(config),
                                                          "whatsapp_account_id": .string(account)], token: owner.token)
        guard r.status == 200, let id = r.json["id"].stringValue else { throw TestSetupError("bot create failed: \(r.status) \(r.text)") }
        return id
    }

    /// B6: a bot from the taxi reference template (fallback_behavior `human_handoff`).
    func taxiBot(_ owner: Account, account: String) async throws -> String {
        let list = try await call(.get, "/api/templates")
        guard let taxi = list.json["templates"].arrayValue?.first(where: { $0["vertical"] == "taxi" }) else {
            throw TestSetupError("no taxi template")
        }
        let r = try await call(.post, "/api/bots/create-from-template", json: [
            "template_id": taxi["id"], "organization_id": .string(owner.organizationId), "whatsapp_account_id": .string(account),
            "bot_name": "Taxi Bot",
            "field_values": [
                "business_name": "Test Taxi Service", "booking_phone": "+27 21 555 1234", "service_area": "Cape Town, Western Cape",
                "pricing_model": "Per kilometer", "vehicle_types": ["Sedan (4 seater)", "SUV (6 seater)"], "operating_hours": "24/7",
            ],
        ], token: owner.token)
        guard r.status == 201, let id = r.json["bot"]["id"].stringValue else { throw TestSetupError("template bot failed: \(r.status) \(r.text)") }
        #expect(r.json["bot"]["fallback_behavior"] == "human_handoff")
        return id
    }

    func conversation(_ owner: Account, _ id: String) async throws -> JSON {
        let r = try await call(.get, "/api/conversations/\(id)", token: owner.token)
        guard r.status == 200 else { throw TestSetupError("conversation \(id): \(r.status) \(r.text)") }
        return r.json["conversation"]
    }

    /// C4 with the largest page: every message of a (small) conversation, oldest first.
    func allMessages(_ owner: Account, _ id: String) async throws -> [JSON] {
        let r = try await call(.get, "/api/conversations/\(id)/messages?limit=100", token: owner.token)
        guard r.status == 200, let messages = r.json["messages"].arrayValue else { throw TestSetupError("messages \(id): \(r.status) \(r.text)") }
        #expect(r.json["next_cursor"] == .null)
        return messages
    }

    func patch(_ owner: Account, _ id: String, _ body: JSON) async throws -> TestResult {
        try await call(.patch, "/api/conversations/\(id)", json: body, token: owner.token)
    }
}


/// A validation issue reduced to its path and code.
private struct Issue_: Equatable, CustomStringConvertible {
    let path: JSON
    let code: String
    init(_ path: JSON, _ code: String) { self.path = path; self.code = code }
    var description: String { "\(path) \(code)" }
}

private func issues(_ r: TestResult) -> [Issue_] {
    guard r.json["error"] == "Validation error" else { return [] }
    return (r.json["details"].arrayValue ?? []).map { Issue_($0["path"], $0["code"].stringValue ?? "?") }
}


private let conversationKeys: Set<String> = [
    "id", "organization_id", "bot_id", "whatsapp_account_id", "customer_phone", "customer_name", "status", "assigned_to", "metadata",
    "started_at", "ended_at", "last_message_at", "created_at", "updated_at",
]

private let messageKeys: Set<String> = [
    "id", "conversation_id", "organization_id", "whatsapp_account_id", "direction", "message_type", "content", "media_url", "status",
    "sent_by", "sent_by_user_id", "in_reply_to", "provider_message_id", "bird_message_id", "response_time_ms", "metadata", "created_at",
    "updated_at",
]
