import BotFlowCore
import BotFlowSecurity
import BotFlowTestSupport
import Foundation
import Synchronization
import Testing

/// Provider webhooks end to end (api.md §4.10, §4.14; behaviour §5.7, §6): the real `botflow serve` process with its
/// provider base URLs pointed at a `FakeProvider`, one organization with a Meta, a Twilio and a Bird account, each
/// answered by a taxi-template bot. Every test uses its own customer numbers and starts from a quiet pipeline with
/// a reset provider, so the tests share one server without seeing each other's traffic.
@Suite(.serialized, .webhookWorld)
struct WebhookEndToEndTests {
    var world: WebhookWorld { WebhookWorld.current! }

    // MARK: WH3 — Meta verification

    @Test func metaVerificationEchoesTheChallengeForTheEnvAndAccountTokens() async throws {
        let server = world.server
        for (token, challenge) in [(WebhookWorld.globalVerifyToken, "1158201444"), (WebhookWorld.Meta.verifyToken, "chal-lenge_9.9~X")] {
            let response = try await server.send(
                "GET", "/webhooks/meta/whatsapp?hub.mode=subscribe&hub.verify_token=\(Form.escape(token))&hub.challenge=\(Form.escape(challenge))")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true, "\(String(describing: response.header("Content-Type")))")
            #expect(response.text == challenge)
        }
        let refused = [
            "hub.mode=subscribe&hub.verify_token=wrong-token&hub.challenge=1",
            "hub.mode=subscribe&hub.verify_token=&hub.challenge=1",
            "hub.mode=subscribe&hub.challenge=1",
            "hub.mode=unsubscribe&hub.verify_token=\(WebhookWorld.globalVerifyToken)&hub.challenge=1",
            "hub.verify_token=\(WebhookWorld.Meta.verifyToken)&hub.challenge=1",
        ]
        for query in refused {
            let response = try await server.send("GET", "/webhooks/meta/whatsapp?" + query)
            #expect(response.status == 403, "\(query)")
            #expect(response.json == ["error": "Verification failed"], "\(query): \(response.text)")
        }
    }

    // MARK: WH4 — Meta signatures

    @Test func metaPostWithForgedMissingOrMalformedSignatureIsRefusedAndStoresNothing() async throws {
        try await world.begin()
        let customer = world.newCustomer()
        let messageId = "wamid.IN\(UUID().uuidString)"
        let body = world.metaBody(from: customer, text: "how much is the fare?", id: messageId)
        let good = WebhookWorld.metaSignature(body, secret: WebhookWorld.globalAppSecret)
        let hex = String(good.dropFirst("sha256=".count))
        let otherBody = world.metaBody(from: customer, text: "something else", id: messageId)
        let signatures: [(String, String?)] = [
            ("forged with another secret", WebhookWorld.metaSignature(body, secret: "not-the-app-secret")),
            ("valid for a different body", WebhookWorld.metaSignature(otherBody, secret: WebhookWorld.globalAppSecret)),
            ("missing", nil),
            ("empty", ""),
            ("no sha256= prefix", hex),
            ("sha1= prefix", "sha1=" + hex),
            ("not hex", "sha256=" + String(repeating: "zz", count: 32)),
            ("truncated", "sha256=" + hex.dropLast(2)),
            ("too long", "sha256=" + hex + "00"),
        ]
        for (label, signature) in signatures {
            let response = try await world.postMeta(body, signature: signature)
            #expect(response.status == 403, "\(label)")
            #expect(response.json == ["error": "Invalid signature"], "\(label): \(response.text)")
        }
        #expect(try await world.server.conversation(customer: customer, token: world.token) == nil)
        #expect(try world.db.int("SELECT count(*) FROM messages WHERE provider_message_id = ?", [messageId]) == 0)
        try await world.db.waitForQuiet()
        #expect(world.provider.requests.isEmpty)
    }

    @Test func metaPostSignedWithTheAppSecretStoresAndRepliesWithWelcomeThenSubstitutedIntent() async throws {
        try await world.begin()
        let ids = world.provider.acceptNext(2, channel: "meta")
        let customer = world.newCustomer()
        let messageId = "wamid.IN\(UUID().uuidString)"
        let body = world.metaBody(from: customer, text: "how much is the fare?", id: messageId, name: "Jane")
        let response = try await world.postMeta(body, signature: WebhookWorld.metaSignature(body, secret: WebhookWorld.globalAppSecret))
        #expect(response.status == 200)
        #expect(response.json == ["status": "ok"], "\(response.text)")

        // The inbound message was stored before the acknowledgement.
        let conversation = try #require(try await world.server.conversation(customer: customer, token: world.token))
        #expect(conversation["status"] == "active")
        #expect(conversation["customer_name"] == "Jane")
        #expect(conversation["bot_id"].stringValue == world.meta.botId)
        #expect(conversation["whatsapp_account_id"].stringValue == world.meta.accountId)
        // C1: an unencoded `+` in customer_phone (decoded as a space) still matches.
        let unencoded = try await world.server.api("GET", "/api/conversations?customer_phone=\(customer)", token: world.token)
        #expect(unencoded["conversations"].arrayValue?.map { $0["id"] } == [conversation["id"]])

        let messages = try await world.waitForOutbound(conversation, count: 2, status: "sent")
        #expect(messages.count == 3)
        let inbound = messages[0], welcome = messages[1], reply = messages[2]
        #expect(inbound["direction"] == "inbound")
        #expect(inbound["content"] == "how much is the fare?")
        #expect(inbound["provider_message_id"].stringValue == messageId)
        #expect(inbound["status"] == "delivered")
        #expect(inbound["sent_by"] == .null)
        // The first message of a conversation gets the welcome first, then the pricing intent with the business's values.
        #expect(welcome["content"].stringValue == world.welcome)
        #expect(welcome["metadata"]["reply_source"] == "welcome")
        #expect(reply["content"].stringValue == world.pricing)
        #expect(reply["metadata"]["reply_source"] == "intent")
        #expect(reply["metadata"]["intent"] == "pricing")
        for (message, id) in zip([welcome, reply], ids) {
            #expect(message["direction"] == "outbound")
            #expect(message["sent_by"] == "bot")
            #expect(message["in_reply_to"] == inbound["id"])
            #expect(message["provider_message_id"].stringValue == id)
        }

        // The fake Graph API saw exactly the two sends of behaviour §6.7, in order.
        let sends = world.metaSends(to: customer)
        #expect(sends.count == 2)
        #expect(world.provider.requests.count == 2)
        for (send, text) in zip(sends, [world.welcome, world.pricing]) {
            #expect(send.method == "POST")
            #expect(send.path == "/\(WebhookWorld.Meta.phoneNumberId)/messages")
            #expect(send.header("authorization") == "Bearer \(WebhookWorld.Meta.accessToken)")
            #expect(send.header("content-type")?.hasPrefix("application/json") == true)
            let expected: JSON = [
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": .string(String(customer.dropFirst())),
                "type": "text", "text": ["preview_url": false, "body": .string(text)],
            ]
            #expect(send.json.canonical == expected.canonical, "\(send.text)")
        }
    }

    @Test func metaPostSignedWithTheAccountAppSecretIsAccepted() async throws {
        try await world.begin()
        world.provider.acceptNext(2, channel: "meta")
        let customer = world.newCustomer()
        let body = world.metaBody(from: customer, text: "how much is the fare?", id: "wamid.IN\(UUID().uuidString)")
        let response = try await world.postMeta(body, signature: WebhookWorld.metaSignature(body, secret: WebhookWorld.Meta.appSecret))
        #expect(response.status == 200)
        #expect(response.json == ["status": "ok"])
        let conversation = try #require(try await world.server.conversation(customer: customer, token: world.token))
        let messages = try await world.waitForOutbound(conversation, count: 2, status: "sent")
        #expect(messages.last?["content"].stringValue == world.pricing)
        #expect(world.metaSends(to: customer).map { $0.json["text"]["body"].stringValue } == [world.welcome, world.pricing])
    }

    // MARK: Idempotency (behaviour §6.8)

    @Test func redeliveredMetaMessageIdGivesOneInboundAndOneReply() async throws {
        try await world.begin()
        world.provider.acceptNext(4, channel: "meta")
        let sequential = world.newCustomer(), concurrent = world.newCustomer()

        let first = world.metaBody(from: sequential, text: "how much is the fare?", id: "wamid.IN\(UUID().uuidString)")
        let signature = WebhookWorld.metaSignature(first, secret: WebhookWorld.globalAppSecret)
        for _ in 0..<2 {
            let response = try await world.postMeta(first, signature: signature)
            #expect(response.status == 200)
            #expect(response.json == ["status": "ok"])
        }
        // The same delivery twice at the same moment (both may land in one group commit).
        let second = world.metaBody(from: concurrent, text: "how much is the fare?", id: "wamid.IN\(UUID().uuidString)")
        let secondSignature = WebhookWorld.metaSignature(second, secret: WebhookWorld.globalAppSecret)
        async let a = world.postMeta(second, signature: secondSignature)
        async let b = world.postMeta(second, signature: secondSignature)
        let (ra, rb) = try await (a, b)
        #expect(ra.status == 200 && rb.status == 200)

        for customer in [sequential, concurrent] {
            let conversation = try #require(try await world.server.conversation(customer: customer, token: world.token))
            _ = try await world.waitForOutbound(conversation, count: 2, status: "sent")
            try await world.db.waitForQuiet()
            let messages = try await world.server.messages(conversation: conversation["id"].stringValue!, token: world.token)
            #expect(messages.filter { $0["direction"] == "inbound" }.count == 1, "\(customer)")
            #expect(messages.filter { $0["direction"] == "outbound" }.map { $0["metadata"]["reply_source"] } == ["welcome", "intent"])
            #expect(world.metaSends(to: customer).count == 2, "\(customer)")
            let conversations = try await world.server.api(
                "GET", "/api/conversations?customer_phone=\(Form.escape(customer))", token: world.token)["conversations"]
            #expect(conversations.arrayValue?.count == 1)
        }
        #expect(world.provider.requests.count == 4)
    }

    /// A provider that answers two sends with the same message id (I-44: provider ids are unique per account and
    /// direction): both sends count as accepted and both messages are `sent`; the first keeps the id, the second
    /// keeps none (its outbox row records it), and nothing is retried.
    @Test func providerRepeatingOneMessageIdStillMarksBothRepliesSentWithoutRetrying() async throws {
        try await world.begin()
        let repeated = "wamid.OUT\(UUID().uuidString)"
        world.provider.enqueue(.init(status: 200, body: #"{"messaging_product":"whatsapp","messages":[{"id":"\#(repeated)"}]}"#), times: 2)
        let customer = world.newCustomer()
        let body = world.metaBody(from: customer, text: "how much is the fare?", id: "wamid.IN\(UUID().uuidString)")
        let response = try await world.postMeta(body, signature: WebhookWorld.metaSignature(body, secret: WebhookWorld.globalAppSecret))
        #expect(response.status == 200)

        let conversation = try #require(try await world.server.conversation(customer: customer, token: world.token))
        let messages = try await world.waitForOutbound(conversation, count: 2, status: "sent")
        try await world.db.waitForQuiet()
        let outbound = messages.filter { $0["direction"] == "outbound" }
        #expect(outbound.map { $0["status"] } == ["sent", "sent"])
        #expect(outbound.map { $0["provider_message_id"] } == [.string(repeated), .null])
        #expect(world.provider.requests.count == 2, "no send was retried")
    }

    // MARK: C5 — agent reply and handoff (behaviour §6.6)

    @Test func agentReplyHandsOffAndSilencesTheBotUntilTheConversationIsActiveAgain() async throws {
        try await world.begin()
        world.provider.acceptNext(1, channel: "meta")
        let customer = world.newCustomer()
        _ = try await world.customerSaysOnMeta(customer, "hi")
        let conversation = try #require(try await world.server.conversation(customer: customer, token: world.token))
        let conversationId = try #require(conversation["id"].stringValue)
        // "hi" matches no intent: only the welcome (the fallback is suppressed after a welcome).
        let opening = try await world.waitForOutbound(conversation, count: 1, status: "sent")
        #expect(opening.last?["metadata"]["reply_source"] == "welcome")

        // The agent answers (C5).
        world.provider.reset()
        world.provider.acceptNext(1, channel: "meta")
        let agentText = "Hi, this is Thandi from Cape Shuttle Co. How can I help?"
        let posted = try await world.server.api("POST", "/api/conversations/\(conversationId)/messages", ["content": .string(agentText)],
                                                token: world.token)
        let agentMessage = posted["message"]
        #expect(agentMessage["direction"] == "outbound")
        #expect(agentMessage["sent_by"] == "human")
        #expect(agentMessage["sent_by_user_id"].stringValue == world.userId)
        #expect(agentMessage["content"].stringValue == agentText)
        #expect(agentMessage["message_type"] == "text")
        #expect(agentMessage["status"] == "queued")
        let handedOff = try await world.server.api("GET", "/api/conversations/\(conversationId)", token: world.token)["conversation"]
        #expect(handedOff["status"] == "handed_off")
        #expect(handedOff["assigned_to"].stringValue == world.userId)
        _ = try await world.waitForOutbound(conversation, count: 2, status: "sent")
        #expect(world.metaSends(to: customer).map { $0.json["text"]["body"].stringValue } == [agentText])

        // The customer writes again: stored, but the bot stays silent.
        let silentId = try await world.customerSaysOnMeta(customer, "how much is the fare?")
        let silentInbound = try await world.waitForInbound(conversation, providerMessageId: silentId)
        let silentInboundId = try #require(silentInbound["id"].stringValue)
        try await waitUntil("the reply job of the silenced message to finish") {
            try world.db.jobState(dedupeKey: "reply:\(silentInboundId)") == "succeeded"
        }
        try await world.db.waitForQuiet()
        let afterSilence = try await world.server.messages(conversation: conversationId, token: world.token)
        #expect(afterSilence.filter { $0["in_reply_to"] == .string(silentInboundId) }.isEmpty)
        #expect(afterSilence.count == 4)  // inbound, welcome, agent reply, inbound
        #expect(world.provider.requests.count == 1)

        // Back to the bot (C3): the next customer message is answered again.
        let reactivated = try await world.server.api("PATCH", "/api/conversations/\(conversationId)", ["status": "active"], token: world.token)
        #expect(reactivated["conversation"]["status"] == "active")
        world.provider.acceptNext(1, channel: "meta")
        let answeredId = try await world.customerSaysOnMeta(customer, "how much is the fare?")
        let answeredInbound = try await world.waitForInbound(conversation, providerMessageId: answeredId)
        let messages = try await world.waitForOutbound(conversation, count: 3, status: "sent")
        let replies = messages.filter { $0["in_reply_to"] == answeredInbound["id"] }
        #expect(replies.count == 1)
        #expect(replies.first?["content"].stringValue == world.pricing)
        #expect(replies.first?["metadata"]["reply_source"] == "intent")
        #expect(world.metaSends(to: customer).map { $0.json["text"]["body"].stringValue } == [agentText, world.pricing])
    }

    @Test func resolvedConversationIsClosedToAgentsAndTheNextMessageOpensANewOne() async throws {
        try await world.begin()
        let (customer, conversation) = try await world.openedMetaConversation()
        let conversationId = try #require(conversation["id"].stringValue)
        let resolved = try await world.server.api("PATCH", "/api/conversations/\(conversationId)", ["status": "resolved"], token: world.token)
        #expect(resolved["conversation"]["status"] == "resolved")
        #expect(resolved["conversation"]["ended_at"].stringValue != nil)
        let closed = try await world.server.api("POST", "/api/conversations/\(conversationId)/messages", ["content": "Are you still there?"],
                                                token: world.token, expect: 409)
        #expect(closed == ["error": "Conversation is closed"])

        // behaviour §6.2: a resolved conversation is never reused; the customer starts a new one (welcome again).
        world.provider.reset()
        world.provider.acceptNext(2, channel: "meta")
        try await world.customerSaysOnMeta(customer, "how much is the fare?")
        let fresh = try await eventually("a new conversation for \(customer)") {
            try await world.server.conversation(customer: customer, token: world.token).flatMap { $0["id"].stringValue == conversationId ? nil : $0 }
        }
        #expect(fresh["status"] == "active")
        let messages = try await world.waitForOutbound(fresh, count: 2, status: "sent")
        #expect(messages.map { $0["metadata"]["reply_source"] } == [.null, "welcome", "intent"])
        #expect(try await world.server.messages(conversation: conversationId, token: world.token).count == 2)  // untouched
        #expect(world.metaSends(to: customer).map { $0.json["text"]["body"].stringValue } == [world.welcome, world.pricing])
    }

    @Test func handoffKeywordSendsTheHandoffMessageAndHandsOff() async throws {
        try await world.begin()
        world.provider.acceptNext(2, channel: "meta")
        let customer = world.newCustomer()
        _ = try await world.customerSaysOnMeta(customer, "I want to talk to a human")
        let conversation = try #require(try await world.server.conversation(customer: customer, token: world.token))
        let messages = try await world.waitForOutbound(conversation, count: 2, status: "sent")
        let outbound = messages.filter { $0["direction"] == "outbound" }
        #expect(outbound.map { $0["metadata"]["reply_source"] } == ["welcome", "handoff"])
        #expect(outbound.last?["content"] == "Thanks for your message. A member of our team will reply here shortly.")
        #expect(outbound.last?["metadata"]["needs_handoff"] == true)

        let current = try await world.server.api("GET", "/api/conversations/\(conversation["id"].stringValue!)", token: world.token)["conversation"]
        #expect(current["status"] == "handed_off")
        #expect(current["metadata"]["handoff_reason"] == "keyword:human")
        #expect(current["metadata"]["handoff_requested_at"].stringValue != nil)
        #expect(world.metaSends(to: customer).map { $0.json["text"]["body"].stringValue } == [world.welcome, HandoffText.message])

        // Handed off: the next message is stored and left for the team.
        let laterId = try await world.customerSaysOnMeta(customer, "hello?")
        let later = try await world.waitForInbound(conversation, providerMessageId: laterId)
        let laterInboundId = try #require(later["id"].stringValue)
        try await waitUntil("the reply job to finish") { try world.db.jobState(dedupeKey: "reply:\(laterInboundId)") == "succeeded" }
        try await world.db.waitForQuiet()
        #expect(world.provider.requests.count == 2)
    }

    // MARK: WH2 — Twilio

    @Test func twilioSignedMessageIsStoredRepliedThroughTheAPIAndStatusCallbacksMoveForwardOnly() async throws {
        try await world.begin()
        let sids = world.provider.acceptNext(2, channel: "twilio")
        let customer = world.newCustomer()
        let inboundSid = "SM\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let parameters = world.twilioInbound(from: customer, text: "how much is the fare?", sid: inboundSid)
        let response = try await world.postTwilio(parameters, signature: world.twilioSignature(parameters))
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/xml") == true, "\(String(describing: response.header("Content-Type")))")
        #expect(response.text == "<Response></Response>")

        let conversation = try #require(try await world.server.conversation(customer: customer, token: world.token))
        #expect(conversation["whatsapp_account_id"].stringValue == world.twilio.accountId)
        #expect(conversation["customer_name"] == "Sipho")
        let messages = try await world.waitForOutbound(conversation, count: 2, status: "sent")
        #expect(messages.first?["provider_message_id"].stringValue == inboundSid)
        #expect(messages.dropFirst().map { $0["provider_message_id"].stringValue } == sids.map { Optional($0) })

        let sends = world.provider.requests
        #expect(sends.count == 2)
        let basic = "Basic " + Data("\(WebhookWorld.Twilio.accountSid):\(WebhookWorld.Twilio.authToken)".utf8).base64EncodedString()
        for (send, text) in zip(sends, [world.welcome, world.pricing]) {
            #expect(send.method == "POST")
            #expect(send.path == "/2010-04-01/Accounts/\(WebhookWorld.Twilio.accountSid)/Messages.json")
            #expect(send.header("authorization") == basic)
            #expect(send.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true)
            let form = send.form
            #expect(form.map(\.0).sorted() == ["Body", "From", "StatusCallback", "To"])
            let fields = Dictionary(form, uniquingKeysWith: { a, _ in a })
            #expect(fields["From"] == "whatsapp:\(WebhookWorld.Twilio.phone)")
            #expect(fields["To"] == "whatsapp:\(customer)")
            #expect(fields["Body"] == text)
            #expect(fields["StatusCallback"] == "\(WebhookWorld.publicBaseURL)/webhooks/twilio/whatsapp")
        }

        // Status callbacks: From is the business number; statuses only move forward.
        let replySid = sids[1]
        let delivered = world.twilioStatus(sid: replySid, status: "delivered", customer: customer)
        let deliveredResponse = try await world.postTwilio(delivered, signature: world.twilioSignature(delivered))
        #expect(deliveredResponse.status == 200)
        #expect(deliveredResponse.json.canonical == (["status": "ok", "message": "No body content, skipping"] as JSON).canonical,
                "\(deliveredResponse.text)")
        var statuses = try await world.outboundStatuses(conversation)
        #expect(statuses[replySid] == "delivered")
        #expect(statuses[sids[0]] == "sent")

        let late = world.twilioStatus(sid: replySid, status: "sent", customer: customer)
        let lateResponse = try await world.postTwilio(late, signature: world.twilioSignature(late))
        #expect(lateResponse.status == 200)
        statuses = try await world.outboundStatuses(conversation)
        #expect(statuses[replySid] == "delivered")

        // `read` is final: a later `failed` does not replace it; `undelivered` (→ failed) replaces `sent`.
        for (sid, status) in [(replySid, "read"), (replySid, "failed"), (sids[0], "undelivered")] {
            let callback = world.twilioStatus(sid: sid, status: status, customer: customer)
            let callbackResponse = try await world.postTwilio(callback, signature: world.twilioSignature(callback))
            #expect(callbackResponse.status == 200, "\(status)")
        }
        statuses = try await world.outboundStatuses(conversation)
        #expect(statuses[replySid] == "read")
        #expect(statuses[sids[0]] == "failed")
        // A status callback never sends anything.
        try await world.db.waitForQuiet()
        #expect(world.provider.requests.count == 2)
    }

    @Test func twilioMessageWithInvalidOrMissingSignatureIsRefusedAndStoresNothing() async throws {
        try await world.begin()
        let customer = world.newCustomer()
        let sid = "SM\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let parameters = world.twilioInbound(from: customer, text: "how much is the fare?", sid: sid)
        var tampered = parameters
        tampered[tampered.firstIndex { $0.0 == "Body" }!].1 = "how much is the fare? (tampered)"
        let attempts: [(String, [(String, String)], String?)] = [
            ("wrong auth token", parameters, WebhookSignatures.twilioSignature(
                authToken: "not-the-auth-token", url: WebhookWorld.publicBaseURL + "/webhooks/twilio/whatsapp", parameters: parameters)),
            ("signed for another URL", parameters, WebhookSignatures.twilioSignature(
                authToken: WebhookWorld.Twilio.authToken, url: world.server.baseURL + "/webhooks/twilio/whatsapp", parameters: parameters)),
            ("tampered body", tampered, world.twilioSignature(parameters)),
            ("missing", parameters, nil),
            ("empty", parameters, ""),
        ]
        for (label, form, signature) in attempts {
            let response = try await world.postTwilio(form, signature: signature)
            #expect(response.status == 403, "\(label)")
            #expect(response.json == ["error": "Invalid signature"], "\(label): \(response.text)")
        }
        #expect(try await world.server.conversation(customer: customer, token: world.token) == nil)
        #expect(try world.db.int("SELECT count(*) FROM messages WHERE provider_message_id = ?", [sid]) == 0)
        try await world.db.waitForQuiet()
        #expect(world.provider.requests.isEmpty)
    }

    // MARK: Outbox failures (behaviour §6.7)

    @Test func retryableProviderFailuresAreRetriedUntilTheMessageIsSent() async throws {
        try await world.begin()
        let (customer, conversation) = try await world.openedMetaConversation()
        world.provider.reset()
        world.provider.failNext(2, status: 503, body: #"{"error":{"message":"Service temporarily unavailable","code":2}}"#)
        world.provider.acceptNext(1, channel: "meta")
        let id = try await world.customerSaysOnMeta(customer, "how much is the fare?")
        let inbound = try await world.waitForInbound(conversation, providerMessageId: id)
        let messages = try await world.waitForOutbound(conversation, count: 2, status: "sent", timeout: 20)
        let reply = try #require(messages.last)
        #expect(reply["in_reply_to"] == inbound["id"])
        #expect(reply["content"].stringValue == world.pricing)

        let sends = world.metaSends(to: customer)
        #expect(sends.count == 3)
        #expect(Set(sends.map(\.text)).count == 1)  // the same request each time
        #expect(sends.first?.json["text"]["body"].stringValue == world.pricing)
        let replyId = try #require(reply["id"].stringValue)
        let outboxId = try #require(try world.db.string("SELECT id FROM outbox WHERE message_id = ?", [replyId]))
        #expect(try world.db.string("SELECT state FROM outbox WHERE id = ?", [outboxId]) == "sent")
        #expect(try world.db.jobState(dedupeKey: "deliver:\(outboxId)") == "succeeded")
        #expect(try world.db.int("SELECT attempts FROM jobs WHERE dedupe_key = ?", ["deliver:\(outboxId)"]) == 3)
        try await world.db.waitForQuiet()
        #expect(world.provider.requests.count == 3)
    }

    @Test func permanentProviderFailureMarksTheMessageFailedWithoutRetrying() async throws {
        try await world.begin()
        let (customer, conversation) = try await world.openedMetaConversation()
        world.provider.reset()
        world.provider.failNext(1, status: 400, body: #"{"error":{"message":"(#131030) Recipient phone number not in allowed list","code":131030}}"#)
        let id = try await world.customerSaysOnMeta(customer, "how much is the fare?")
        let inbound = try await world.waitForInbound(conversation, providerMessageId: id)
        let messages = try await world.waitForOutbound(conversation, count: 2, status: nil)
        let reply = try #require(messages.last)
        #expect(reply["in_reply_to"] == inbound["id"])
        let replyId = try #require(reply["id"].stringValue)
        try await waitUntil("the reply to be marked failed") {
            try await world.server.messages(conversation: conversation["id"].stringValue!, token: world.token)
                .first { $0["id"].stringValue == replyId }?["status"] == "failed"
        }
        try await world.db.waitForQuiet()
        let outboxId = try #require(try world.db.string("SELECT id FROM outbox WHERE message_id = ?", [replyId]))
        #expect(try world.db.string("SELECT state FROM outbox WHERE id = ?", [outboxId]) == "failed")
        #expect(try world.db.string("SELECT last_error FROM outbox WHERE id = ?", [outboxId])?.contains("400") == true)
        #expect(try world.db.jobState(dedupeKey: "deliver:\(outboxId)") == "dead")
        #expect(try world.db.int("SELECT attempts FROM jobs WHERE dedupe_key = ?", ["deliver:\(outboxId)"]) == 1)
        #expect(world.metaSends(to: customer).count == 1)
        #expect(world.provider.requests.count == 1)
    }

    // MARK: WH1 — Bird

    @Test func birdMessageCreatedIsStoredAndRepliedThroughTheBirdAPI() async throws {
        try await world.begin()
        let ids = world.provider.acceptNext(3, channel: "bird")
        let customer = world.newCustomer()
        let messageId = "bird-in-\(UUID().uuidString)"
        let response = try await world.server.send("POST", "/webhooks/bird/whatsapp", body: Data(JSONWriter.bytes([
            "type": "message.created",
            "payload": [
                "channelId": .string(WebhookWorld.Bird.channelId),
                "message": ["id": .string(messageId), "direction": "received", "content": ["text": "how much is the fare?"]],
                "contact": ["identifierValue": .string(customer), "displayName": "Lerato"],
            ],
        ])), headers: ["Content-Type": "application/json"])
        #expect(response.status == 200)
        #expect(response.json == ["status": "ok"], "\(response.text)")

        let conversation = try #require(try await world.server.conversation(customer: customer, token: world.token))
        #expect(conversation["whatsapp_account_id"].stringValue == world.bird.accountId)
        #expect(conversation["customer_name"] == "Lerato")
        let messages = try await world.waitForOutbound(conversation, count: 2, status: "sent")
        #expect(messages.first?["provider_message_id"].stringValue == messageId)
        #expect(messages.dropFirst().map { $0["provider_message_id"].stringValue } == ids.prefix(2).map { Optional($0) })
        let sends = world.provider.requests
        #expect(sends.count == 2)
        for (send, text) in zip(sends, [world.welcome, world.pricing]) {
            #expect(send.method == "POST")
            #expect(send.path == "/workspaces/\(WebhookWorld.Bird.workspaceId)/channels/\(WebhookWorld.Bird.channelId)/messages")
            #expect(send.header("authorization") == "AccessKey \(WebhookWorld.Bird.accessKey)")
            let expected: JSON = [
                "receiver": ["contacts": [["identifierValue": .string(customer)]]],
                "body": ["type": "text", "text": ["text": .string(text)]],
            ]
            #expect(send.json.canonical == expected.canonical, "\(send.text)")
        }

        // The `whatsapp.inbound` shape reaches the same conversation.
        let followUp = "bird-in-\(UUID().uuidString)"
        let second = try await world.server.send("POST", "/webhooks/bird/whatsapp", body: Data(JSONWriter.bytes([
            "type": "whatsapp.inbound",
            "data": ["id": .string(followUp), "from": .string(customer), "profileName": "Lerato", "channelId": .string(WebhookWorld.Bird.channelId),
                     "content": ["text": "what are your operating hours?"]],
        ])), headers: ["Content-Type": "application/json"])
        #expect(second.status == 200)
        #expect(second.json == ["status": "ok"])
        let all = try await world.waitForOutbound(conversation, count: 3, status: "sent")
        #expect(all.filter { $0["direction"] == "inbound" }.map { $0["provider_message_id"].stringValue } == [messageId, followUp])
        #expect(all.last?["metadata"]["intent"] == "hours")
    }

    @Test func birdUnknownChannelOutboundEchoAndOtherTypesAreAcknowledgedWithoutStoring() async throws {
        try await world.begin()
        let customer = world.newCustomer()
        func post(_ body: JSON) async throws -> HTTPResult {
            try await world.server.send("POST", "/webhooks/bird/whatsapp", body: Data(JSONWriter.bytes(body)), headers: ["Content-Type": "application/json"])
        }
        func messageCreated(channel: String, direction: String) -> JSON {
            ["type": "message.created", "payload": [
                "channelId": .string(channel),
                "message": ["id": .string("bird-in-\(UUID().uuidString)"), "direction": .string(direction), "content": ["text": "how much is the fare?"]],
                "contact": ["identifierValue": .string(customer), "displayName": "Lerato"],
            ]]
        }
        let unknown = try await post(messageCreated(channel: "no-such-channel", direction: "received"))
        #expect(unknown.status == 200)
        #expect(unknown.json.canonical == (["status": "ok", "message": "Unknown channel"] as JSON).canonical, "\(unknown.text)")
        let outbound = try await post(messageCreated(channel: WebhookWorld.Bird.channelId, direction: "sent"))
        #expect(outbound.status == 200)
        #expect(outbound.json.canonical == (["status": "ok", "message": "Outbound message, skipping"] as JSON).canonical, "\(outbound.text)")
        let other = try await post(["type": "channel.updated", "payload": ["channelId": .string(WebhookWorld.Bird.channelId)]])
        #expect(other.status == 200)
        #expect(other.json == ["status": "ok"])

        #expect(try await world.server.conversation(customer: customer, token: world.token) == nil)
        try await world.db.waitForQuiet()
        #expect(world.provider.requests.isEmpty)
    }
}

enum HandoffText {
    /// behaviour §6.6: the handoff message when the bot config has none.
    static let message = "Thanks for your message. A member of our team will reply here shortly."
}

// MARK: - The shared world

/// Starts the suite's world (fake provider, server, organization, accounts, bots) once, makes it available as
/// `WebhookWorld.current` to every test of the suite, and tears it down afterwards.
struct WebhookWorldTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let world = try await WebhookWorld.make()
        defer { world.shutdown() }
        try await WebhookWorld.$current.withValue(world) { try await function() }
    }
}

extension Trait where Self == WebhookWorldTrait {
    static var webhookWorld: Self { WebhookWorldTrait() }
}

final class WebhookWorld: Sendable {
    @TaskLocal static var current: WebhookWorld?

    /// Twilio signatures are computed over PUBLIC_BASE_URL + path (behaviour §5.7), so the server gets a fixed one.
    static let publicBaseURL = "https://bots.example.com"
    static let globalAppSecret = "global-meta-app-secret-e2e"
    static let globalVerifyToken = "global-verify-token-e2e"

    enum Meta {
        static let phone = "+27215550101"
        static let phoneNumberId = "100200300400500"
        static let accessToken = "EAAG-e2e-access-token"
        static let appSecret = "account-meta-app-secret-e2e"
        static let verifyToken = "account-verify-token-e2e"
    }

    enum Twilio {
        static let phone = "+14155550100"
        static let accountSid = "AC0123456789abcdef0123456789abcdef"
        static let authToken = "twilio-auth-token-e2e"
    }

    enum Bird {
        static let phone = "+27215550102"
        static let accessKey = "bird-access-key-e2e"
        static let channelId = "e2e-bird-channel"
        static let workspaceId = "e2e-bird-workspace"
    }

    struct Account: Sendable { let accountId: String; let botId: String }

    static let fieldValues: JSON = [
        "business_name": "Cape Shuttle Co", "booking_phone": "+27 21 555 1234", "service_area": "Cape Town",
        "pricing_model": "Per kilometer", "vehicle_types": ["Sedan (4 seater)", "SUV (6 seater)"], "operating_hours": "24/7",
        "base_rate": 50, "per_km_rate": 12,
    ]

    let server: ServerProcess
    let provider: FakeProvider
    let db: DatabaseProbe
    let token: String
    let userId: String
    let meta: Account
    let twilio: Account
    let bird: Account
    /// The taxi template's welcome and pricing texts with the business's values substituted (behaviour §9.4).
    let welcome: String
    let pricing: String
    private let customerCounter = Atomic<Int>(0)

    private init(server: ServerProcess, provider: FakeProvider, db: DatabaseProbe, token: String, userId: String,
                 meta: Account, twilio: Account, bird: Account, welcome: String, pricing: String) {
        self.server = server; self.provider = provider; self.db = db; self.token = token; self.userId = userId
        self.meta = meta; self.twilio = twilio; self.bird = bird; self.welcome = welcome; self.pricing = pricing
    }

    static func make() async throws -> WebhookWorld {
        let provider = try await FakeProvider.start()
        let server = ServerProcess(environment: [
            "META_GRAPH_BASE_URL": provider.baseURL, "BIRD_API_BASE_URL": provider.baseURL, "TWILIO_API_BASE_URL": provider.baseURL,
            "PUBLIC_BASE_URL": publicBaseURL, "META_APP_SECRET": globalAppSecret, "META_VERIFY_TOKEN": globalVerifyToken,
            "JOB_BACKOFF_BASE_SECONDS": "0", "OUTBOUND_TIMEOUT_SECONDS": "5", "LLM_ENABLED": "false", "BACKUP_ENABLED": "false",
            "RATE_LIMIT_GLOBAL": "0", "RATE_LIMIT_AUTH": "0", "RATE_LIMIT_WEBHOOK": "0", "LOG_LEVEL": "info",
        ])
        do {
            try await server.start()
            let signup = try await server.api("POST", "/api/auth/signup", [
                "email": "thandi@capeshuttle.example", "password": "password123", "fullName": "Thandi Mokoena",
                "organizationName": "Cape Shuttle Co",
            ])
            let token = try #require(signup["token"].stringValue)
            let userId = try #require(signup["user"]["id"].stringValue)
            let organizationId = try #require(signup["organization"]["id"].stringValue)

            let templates = try await server.api("GET", "/api/templates/vertical/taxi")["templates"]
            let template = try #require(templates.arrayValue?.first { $0["name"] == "Taxi & Shuttle Service" })
            let templateId = try #require(template["id"].stringValue)
            let flow = template["conversation_flow"]
            let welcome = substitute(try #require(flow["welcomeMessage"].stringValue), fieldValues)
            let pricing = substitute(try #require(flow["intents"]["pricing"]["response"].stringValue), fieldValues)
            // The substitution really happened (and the expected texts are not vacuous).
            guard welcome.contains("Cape Shuttle Co"), !welcome.contains("{{"), pricing.contains("Per kilometer"),
                pricing.contains("+27 21 555 1234"), !pricing.contains("{{")
            else { throw ServerError("unexpected taxi template texts: \(welcome) / \(pricing)") }

            func connect(_ provider: String, _ phone: String, _ credentials: JSON) async throws -> String {
                let account = try await server.api("POST", "/api/whatsapp/connect", [
                    "provider": .string(provider), "phone_number": .string(phone), "display_name": .string("\(provider) line"),
                    "credentials": credentials,
                ], token: token)["whatsappAccount"]
                guard account["status"] == "active", let id = account["id"].stringValue else {
                    throw ServerError("\(provider) account not active: \(account.text)")
                }
                return id
            }
            func bot(_ accountId: String, _ name: String) async throws -> String {
                let created = try await server.api("POST", "/api/bots/create-from-template", [
                    "template_id": .string(templateId), "organization_id": .string(organizationId), "whatsapp_account_id": .string(accountId),
                    "bot_name": .string(name), "field_values": fieldValues,
                ], token: token, expect: 201)
                return try #require(created["bot"]["id"].stringValue)
            }
            let metaAccount = try await connect("meta", Meta.phone, [
                "accessToken": .string(Meta.accessToken), "phoneNumberId": .string(Meta.phoneNumberId),
                "appSecret": .string(Meta.appSecret), "verifyToken": .string(Meta.verifyToken),
            ])
            let twilioAccount = try await connect("twilio", Twilio.phone, [
                "accountSid": .string(Twilio.accountSid), "authToken": .string(Twilio.authToken),
            ])
            let birdAccount = try await connect("bird", Bird.phone, [
                "accessKey": .string(Bird.accessKey), "channelId": .string(Bird.channelId), "workspaceId": .string(Bird.workspaceId),
            ])
            let meta = Account(accountId: metaAccount, botId: try await bot(metaAccount, "Shuttle Assistant (Meta)"))
            let twilio = Account(accountId: twilioAccount, botId: try await bot(twilioAccount, "Shuttle Assistant (Twilio)"))
            let bird = Account(accountId: birdAccount, botId: try await bot(birdAccount, "Shuttle Assistant (Bird)"))
            return WebhookWorld(server: server, provider: provider, db: try DatabaseProbe(path: server.databasePath), token: token,
                                userId: userId, meta: meta, twilio: twilio, bird: bird, welcome: welcome, pricing: pricing)
        } catch {
            server.stop()
            provider.stop()
            throw ServerError("webhook world setup failed: \(error)\n--- server log ---\n\(server.log.suffix(4000))")
        }
    }

    func shutdown() {
        server.stop()
        provider.stop()
    }

    /// Each test starts here: the previous test's pipeline work is finished and the provider forgets everything.
    func begin() async throws {
        try await db.waitForQuiet()
        provider.reset()
    }

    /// A customer number no other test uses.
    func newCustomer() -> String {
        let n = customerCounter.add(1, ordering: .relaxed).newValue
        return "+2783100" + String(format: "%04d", n)
    }

    // MARK: Meta

    static func metaSignature(_ body: Data, secret: String) -> String {
        "sha256=" + WebhookSignatures.hmacSHA256Hex(secret: secret, body: Array(body))
    }

    /// A WhatsApp Cloud API webhook with one text message from `customer` to the Meta account.
    func metaBody(from customer: String, text: String, id: String, name: String = "Jane") -> Data {
        let waId = String(customer.dropFirst())
        return Data(JSONWriter.bytes([
            "object": "whatsapp_business_account",
            "entry": [[
                "id": "102290129340398",
                "changes": [[
                    "field": "messages",
                    "value": [
                        "messaging_product": "whatsapp",
                        "metadata": ["display_phone_number": .string(String(Meta.phone.dropFirst())), "phone_number_id": .string(Meta.phoneNumberId)],
                        "contacts": [["profile": ["name": .string(name)], "wa_id": .string(waId)]],
                        "messages": [[
                            "from": .string(waId), "id": .string(id), "timestamp": .string(String(Int(Date().timeIntervalSince1970))),
                            "type": "text", "text": ["body": .string(text)],
                        ]],
                    ],
                ]],
            ]],
        ]))
    }

    func postMeta(_ body: Data, signature: String?) async throws -> HTTPResult {
        var headers = ["Content-Type": "application/json"]
        if let signature { headers["X-Hub-Signature-256"] = signature }
        return try await server.send("POST", "/webhooks/meta/whatsapp", body: body, headers: headers)
    }

    /// Posts a correctly signed customer text to the Meta webhook; returns the message id used.
    @discardableResult
    func customerSaysOnMeta(_ customer: String, _ text: String) async throws -> String {
        let id = "wamid.IN\(UUID().uuidString)"
        let body = metaBody(from: customer, text: text, id: id)
        let response = try await postMeta(body, signature: Self.metaSignature(body, secret: Self.globalAppSecret))
        guard response.status == 200 else { throw ServerError("Meta webhook answered \(response.status): \(response.text)") }
        return id
    }

    /// A new Meta customer whose first message ("hi") has been answered with the welcome: the conversation exists
    /// and the next message gets exactly one reply.
    func openedMetaConversation() async throws -> (String, JSON) {
        provider.acceptNext(1, channel: "meta")
        let customer = newCustomer()
        try await customerSaysOnMeta(customer, "hi")
        let conversation = try await eventually("the conversation of \(customer)") {
            try await server.conversation(customer: customer, token: token)
        }
        _ = try await waitForOutbound(conversation, count: 1, status: "sent")
        try await db.waitForQuiet()
        return (customer, conversation)
    }

    /// The sends the fake Graph API received for this customer, oldest first.
    func metaSends(to customer: String) -> [FakeProvider.RecordedRequest] {
        provider.requests.filter { $0.path.hasSuffix("/messages") && $0.json["to"].stringValue == String(customer.dropFirst()) }
    }

    // MARK: Twilio

    func twilioInbound(from customer: String, text: String, sid: String) -> [(String, String)] {
        [
            ("SmsMessageSid", sid), ("NumMedia", "0"), ("ProfileName", "Sipho"), ("SmsSid", sid), ("WaId", String(customer.dropFirst())),
            ("SmsStatus", "received"), ("Body", text), ("To", "whatsapp:\(Twilio.phone)"), ("NumSegments", "1"),
            ("MessageSid", sid), ("AccountSid", Twilio.accountSid), ("From", "whatsapp:\(customer)"), ("ApiVersion", "2010-04-01"),
        ]
    }

    /// A delivery report for one of our messages: Twilio sends it From the business number To the customer.
    func twilioStatus(sid: String, status: String, customer: String) -> [(String, String)] {
        [
            ("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status), ("ChannelToAddress", String(customer.dropFirst())),
            ("To", "whatsapp:\(customer)"), ("ChannelPrefix", "whatsapp"), ("MessageSid", sid), ("AccountSid", Twilio.accountSid),
            ("From", "whatsapp:\(Twilio.phone)"), ("ApiVersion", "2010-04-01"),
        ]
    }

    func twilioSignature(_ parameters: [(String, String)]) -> String {
        WebhookSignatures.twilioSignature(authToken: Twilio.authToken, url: Self.publicBaseURL + "/webhooks/twilio/whatsapp",
                                          parameters: parameters)
    }

    func postTwilio(_ parameters: [(String, String)], signature: String?) async throws -> HTTPResult {
        var headers = ["Content-Type": "application/x-www-form-urlencoded"]
        if let signature { headers["X-Twilio-Signature"] = signature }
        return try await server.send("POST", "/webhooks/twilio/whatsapp", body: Form.encode(parameters), headers: headers)
    }

    // MARK: Conversation probes (C4)

    /// Waits until the conversation has exactly `count` outbound messages, all in `status` (any status when nil);
    /// returns all its messages, oldest first.
    func waitForOutbound(_ conversation: JSON, count: Int, status: String?, timeout: Double = 10) async throws -> [JSON] {
        let id = conversation["id"].stringValue ?? ""
        var last: [JSON] = []
        do {
            return try await eventually("\(count) outbound message(s) \(status ?? "") in conversation \(id)", timeout: timeout) {
                last = try await server.messages(conversation: id, token: token)
                let outbound = last.filter { $0["direction"] == "outbound" }
                guard outbound.count == count, status == nil || outbound.allSatisfy({ $0["status"].stringValue == status }) else { return nil }
                return last
            }
        } catch {
            throw ServerError("\(error); messages: \(last.map { "\($0["direction"].stringValue ?? "") \($0["status"].stringValue ?? ""): \($0["content"].stringValue ?? "")" })")
        }
    }

    /// Waits until the inbound message with this provider id is in the conversation; returns it.
    func waitForInbound(_ conversation: JSON, providerMessageId: String) async throws -> JSON {
        let id = conversation["id"].stringValue ?? ""
        return try await eventually("inbound \(providerMessageId) in conversation \(id)") {
            try await server.messages(conversation: id, token: token).first { $0["provider_message_id"].stringValue == providerMessageId }
        }
    }

    /// Provider message id → status of the conversation's outbound messages.
    func outboundStatuses(_ conversation: JSON) async throws -> [String: String] {
        var result: [String: String] = [:]
        for m in try await server.messages(conversation: conversation["id"].stringValue ?? "", token: token) where m["direction"] == "outbound" {
            if let id = m["provider_message_id"].stringValue { result[id] = m["status"].stringValue }
        }
        return result
    }
}

/// Placeholder substitution as behaviour §9.4 defines it (strings as is, numbers in shortest form, arrays joined with
/// ", "), written independently of the server's implementation.
func substitute(_ text: String, _ values: JSON) -> String {
    var out = ""
    var rest = Substring(text)
    while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
        out += rest[..<open.lowerBound]
        let key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
        func format(_ value: JSON) -> String {
            switch value {
            case .string(let s): return s
            case .int(let i): return String(i)
            case .double(let d): return d.rounded() == d ? String(Int64(d)) : String(d)
            case .bool(let b): return b ? "true" : "false"
            case .array(let items): return items.map(format).joined(separator: ", ")
            case .null: return ""
            case .object: return value.text
            }
        }
        if case .object(let o) = values, let value = o[key] { out += format(value) } else { out += rest[open.lowerBound..<close.upperBound] }
        rest = rest[close.upperBound...]
    }
    return out + rest
}
