import BotFlowCore
import BotFlowSecurity
import BotFlowTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// `kill -9` in the middle of a webhook burst (behaviour §1.3 step 4, §6.3, §6.4, §6.8): an acknowledged message is
/// never lost, a message is never stored twice, every stored message is answered exactly once, and no job is left
/// `running`. The real `botflow serve` process, a sandbox account and a legacy FAQ bot; the database is read
/// directly once the restarted server has drained its queue and stopped. So that the kill certainly interrupts a
/// running job, a Meta account's delivery is held open by the fake Graph API (no answer) when the server dies: after
/// the restart that job must be recovered and the message sent again (at least once towards the provider, §6.8).
@Suite(.serialized)
struct CrashRecoveryTests {
    static let customers = 400
    static let inFlight = 32
    static let killAfterAcknowledged = 150
    static let welcome = "Welcome to Crash Test Cafe! Ask us anything."
    /// behaviour §8.6: the `faq` starter workflow's reply to its `help, menu` trigger.
    static let faqReply = "Ask me anything about our business. If I can't answer, I'll connect you with a member of our team."

    /// One webhook of the burst: customer `i` says "help" (first message → welcome + starter-workflow reply).
    struct Delivery: Sendable {
        let index: Int
        var providerId: String { "crash-\(index)" }
        var customer: String { String(format: "+27840%06d", index) }
        func body(accountId: String) -> JSON {
            ["whatsapp_account_id": .string(accountId), "from": .string(customer), "text": "help",
             "message_id": .string(providerId), "profile_name": .string("Customer \(index)")]
        }
    }

    struct Ack: Sendable, Equatable { let messageId: String; let conversationId: String }

    /// What the burst observed.
    struct Ledger {
        var launched: [Int] = []
        var acknowledged: [String: Ack] = [:]   // provider id → stored ids
        var unacknowledged: [Int] = []
    }

    /// Shared by the burst's request tasks.
    final class BurstState: Sendable {
        let ledger = Mutex(Ledger())
        let killed = Atomic<Bool>(false)
        let finished = Atomic<Int>(0)
    }

    static let metaAppSecret = "crash-meta-app-secret"
    static let metaPhoneNumberId = "900800700600500"
    static let heldCustomer = "+27849999999"

    @Test func killNineDuringAWebhookBurstLosesNothingAndDuplicatesNothing() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let first = ServerProcess(environment: [
            "RATE_LIMIT_GLOBAL": "0", "RATE_LIMIT_AUTH": "0", "RATE_LIMIT_WEBHOOK": "0", "BACKUP_ENABLED": "false",
            "LLM_ENABLED": "false", "LOG_LEVEL": "info", "META_GRAPH_BASE_URL": provider.baseURL, "META_APP_SECRET": Self.metaAppSecret,
            "JOB_BACKOFF_BASE_SECONDS": "0",
        ])
        try await first.start()
        let signup = try await first.api("POST", "/api/auth/signup", [
            "email": "owner@crash.example", "password": "password123", "fullName": "Crash Owner", "organizationName": "Crash Test Cafe",
        ])
        let token = try #require(signup["token"].stringValue)
        let account = try await first.api("POST", "/api/whatsapp/connect", [
            "provider": "sandbox", "phone_number": "+15550001000", "display_name": "Sandbox",
        ], token: token)["whatsappAccount"]
        let accountId = try #require(account["id"].stringValue)
        let bot = try await first.api("POST", "/api/bots", [
            "templateId": "faq", "whatsapp_account_id": .string(accountId),
            "config": ["name": "Crash FAQ", "welcomeMessage": .string(Self.welcome)],
        ], token: token)
        #expect(bot["is_active"] == true)
        let metaAccount = try await first.api("POST", "/api/whatsapp/connect", [
            "provider": "meta", "phone_number": "+27215550900",
            "credentials": ["accessToken": "EAAG-crash", "phoneNumberId": .string(Self.metaPhoneNumberId)],
        ], token: token)["whatsappAccount"]
        let metaAccountId = try #require(metaAccount["id"].stringValue)
        try await first.api("POST", "/api/bots", [
            "templateId": "faq", "whatsapp_account_id": .string(metaAccountId),
            "config": ["name": "Crash FAQ (Meta)", "welcomeMessage": .string(Self.welcome)],
        ], token: token)

        // A delivery that is in flight when the server dies: the fake Graph API holds the first send unanswered.
        provider.enqueue(.init(status: 200, body: #"{"messages":[{"id":"wamid.NEVER"}]}"#, delay: .seconds(60)))
        let resentIds = provider.acceptNext(2, channel: "meta")
        let heldWebhook = Data(JSONWriter.bytes([
            "object": "whatsapp_business_account",
            "entry": [["id": "1", "changes": [["field": "messages", "value": [
                "messaging_product": "whatsapp", "metadata": ["phone_number_id": .string(Self.metaPhoneNumberId)],
                "contacts": [["profile": ["name": "Held"], "wa_id": .string(String(Self.heldCustomer.dropFirst()))]],
                "messages": [["from": .string(String(Self.heldCustomer.dropFirst())), "id": "wamid.IN-held", "type": "text",
                              "text": ["body": "help"]]],
            ]]]]],
        ]))
        let heldResponse = try await first.send("POST", "/webhooks/meta/whatsapp", body: heldWebhook, headers: [
            "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + WebhookSignatures.hmacSHA256Hex(secret: Self.metaAppSecret, body: Array(heldWebhook)),
        ])
        #expect(heldResponse.status == 200, "\(heldResponse.text)")
        // 30 s: the whole suite runs in parallel with this server on two cores; 10 s was once not enough in CI.
        try await waitUntil("the held Meta send to reach the fake Graph API", timeout: 30) { provider.requests.count == 1 }

        // The burst: `inFlight` requests at a time; the server is killed once `killAfterAcknowledged` were answered.
        let state = BurstState()
        @Sendable func fire(_ delivery: Delivery) async {
            do {
                let response = try await first.send("POST", "/webhooks/sandbox/whatsapp",
                                                     body: Data(JSONWriter.bytes(delivery.body(accountId: accountId))),
                                                     headers: ["Content-Type": "application/json"], token: token)
                let json = response.json
                if response.status == 200, json["duplicate"] == false, let m = json["message_id"].stringValue,
                    let c = json["conversation_id"].stringValue
                {
                    let count = state.ledger.withLock { l -> Int in
                        l.acknowledged[delivery.providerId] = Ack(messageId: m, conversationId: c)
                        return l.acknowledged.count
                    }
                    if count >= Self.killAfterAcknowledged, !state.killed.exchange(true, ordering: .acquiringAndReleasing) { first.kill() }
                    return
                }
            } catch {}
            state.ledger.withLock { $0.unacknowledged.append(delivery.index) }
        }
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            while true {
                let running = next - state.finished.load(ordering: .acquiring)
                if next < Self.customers, running < Self.inFlight, !state.killed.load(ordering: .acquiring) {
                    let delivery = Delivery(index: next)
                    next += 1
                    state.ledger.withLock { $0.launched.append(delivery.index) }
                    group.addTask {
                        await fire(delivery)
                        state.finished.add(1, ordering: .releasing)
                    }
                    continue
                }
                // Window full (or nothing more to launch): wait for one request to finish.
                guard await group.next() != nil else { break }
            }
        }
        let burst = state.ledger.withLock { $0 }
        let wasKilled = state.killed.load(ordering: .acquiring)
        #expect(wasKilled, "the server was never killed: \(burst.acknowledged.count) acknowledged")
        #expect(first.child?.endedBySignal == true)
        #expect(burst.acknowledged.count >= Self.killAfterAcknowledged)
        #expect(burst.launched.count < Self.customers, "the kill came after the burst ended")

        // Restart on the same data directory: startup recovery, then the queue drains.
        let second = first.restarted()
        try await second.start()
        let recoveredLine = second.log.split(separator: "\n").first { $0.contains("recovered interrupted jobs") }
        print("""
            crash recovery: \(burst.launched.count) webhooks sent, \(burst.acknowledged.count) acknowledged before the kill, \
            \(burst.unacknowledged.count) cut off; restart: \(recoveredLine.map(String.init) ?? "no interrupted jobs")
            """)

        // Redelivery after the restart: acknowledged ids are duplicates that create nothing…
        for delivery in burst.acknowledged.keys.sorted().prefix(5).map({ Delivery(index: Int($0.dropFirst("crash-".count))!) }) {
            let response = try await second.api("POST", "/webhooks/sandbox/whatsapp", delivery.body(accountId: accountId), token: token)
            #expect(response["duplicate"] == true, "\(delivery.providerId)")
            #expect(response["message_id"].stringValue == burst.acknowledged[delivery.providerId]?.messageId)
            #expect(response["conversation_id"].stringValue == burst.acknowledged[delivery.providerId]?.conversationId)
        }
        // …and the deliveries the crash cut off are redelivered (as a provider would) and stored at most once.
        for index in burst.unacknowledged {
            let response = try await second.api("POST", "/webhooks/sandbox/whatsapp", Delivery(index: index).body(accountId: accountId),
                                                token: token)
            #expect(response["status"] == "ok")
        }

        let live = try DatabaseProbe(path: second.databasePath)
        try await waitUntil("the reply and deliver jobs to drain after the restart", timeout: 30) { try live.unfinishedPipelineJobs() == 0 }
        // Spot check through the API: an acknowledged conversation reads inbound, welcome, workflow reply — all settled.
        if let (_, ack) = burst.acknowledged.first {
            let messages = try await second.messages(conversation: ack.conversationId, token: token)
            #expect(messages.map { $0["direction"].stringValue ?? "" } == ["inbound", "outbound", "outbound"])
            #expect(messages.map { $0["status"].stringValue ?? "" } == ["delivered", "sent", "sent"])
            #expect(messages.first?["id"].stringValue == ack.messageId)
        }
        #expect(second.stop() == 0)

        // The database after the dust settled.
        let db = try DatabaseProbe(path: second.databasePath)
        let inbound = try db.rows("SELECT id, provider_message_id, whatsapp_account_id FROM messages WHERE direction = 'inbound'")
        var inboundByProviderId: [String: [String]] = [:]
        for row in inbound where (row["whatsapp_account_id"] as String) == accountId {
            inboundByProviderId[row["provider_message_id"], default: []].append(row["id"])
        }
        // Every acknowledged message exists exactly once, with the id the acknowledgement gave.
        for (providerId, ack) in burst.acknowledged {
            #expect(inboundByProviderId[providerId] == [ack.messageId], "\(providerId)")
        }
        // Every launched delivery (acknowledged, or redelivered after the crash) is stored exactly once; nothing else is.
        #expect(Set(inboundByProviderId.keys) == Set(burst.launched.map { Delivery(index: $0).providerId }))
        #expect(inboundByProviderId.values.allSatisfy { $0.count == 1 })
        #expect(try db.int("SELECT count(DISTINCT customer_phone) FROM conversations") == inbound.count)
        #expect(try db.int("SELECT count(*) FROM conversations") == inbound.count)

        // Every inbound message is answered exactly once: welcome then the workflow reply, no duplicates.
        let outbound = try db.rows("""
            SELECT in_reply_to, content, status, json_extract(metadata, '$.reply_source') AS source FROM messages
            WHERE direction = 'outbound' ORDER BY created_at, rowid
            """)
        var replies: [String: [(source: String, content: String)]] = [:]
        for row in outbound {
            let inReplyTo: String? = row["in_reply_to"]
            replies[inReplyTo ?? "<none>", default: []].append((row["source"] ?? "", row["content"] ?? ""))
        }
        #expect(replies["<none>"] == nil)
        var wrong: [String] = []
        for row in inbound {
            let id: String = row["id"]
            let got = replies[id] ?? []
            if got.map(\.source) != ["welcome", "workflow"] || got.map(\.content) != [Self.welcome, Self.faqReply] {
                wrong.append("\(row["provider_message_id"] as String): \(got.map(\.source))")
            }
        }
        #expect(wrong.isEmpty, "inbound messages without exactly one reply: \(wrong.prefix(10)) (\(wrong.count) in all)")
        #expect(outbound.count == 2 * inbound.count)
        #expect(outbound.allSatisfy { ($0["status"] as String) == "sent" })

        // Outbox and jobs: one delivery per reply, all sent; nothing running, nothing dead.
        #expect(try db.int("SELECT count(*) FROM outbox") == outbound.count)
        #expect(try db.int("SELECT count(DISTINCT message_id) FROM outbox") == outbound.count)
        #expect(try db.int("SELECT count(*) FROM outbox WHERE state != 'sent'") == 0)
        #expect(try db.int("SELECT count(*) FROM jobs WHERE state = 'running'") == 0)
        #expect(try db.int("SELECT count(*) FROM jobs WHERE state = 'dead'") == 0)
        #expect(try db.int("SELECT count(*) FROM jobs WHERE state IN ('queued','retrying') AND type IN ('reply','deliver')") == 0)

        // The delivery the crash interrupted was recovered (job `running` → `retrying`, outbox `sending` → `queued`) and
        // sent again: the provider saw the welcome twice (the unanswered send and the resend) and the reply once.
        let heldInbound = try #require(try db.string(
            "SELECT id FROM messages WHERE direction = 'inbound' AND provider_message_id = 'wamid.IN-held'"))
        let heldWelcome = try #require(try db.string(
            "SELECT id FROM messages WHERE in_reply_to = ? AND json_extract(metadata, '$.reply_source') = 'welcome'", [heldInbound]))
        let heldOutbox = try #require(try db.string("SELECT id FROM outbox WHERE message_id = ?", [heldWelcome]))
        #expect(try db.int("SELECT attempts FROM jobs WHERE dedupe_key = ?", ["deliver:\(heldOutbox)"]) == 2)
        #expect(try db.string("SELECT state FROM jobs WHERE dedupe_key = ?", ["deliver:\(heldOutbox)"]) == "succeeded")
        #expect(try db.string("SELECT provider_message_id FROM messages WHERE id = ?", [heldWelcome]) == resentIds[0])
        let sentTexts = provider.requests.map { $0.json["text"]["body"].stringValue ?? "" }
        #expect(sentTexts == [Self.welcome, Self.welcome, Self.faqReply])
        #expect(provider.requests.allSatisfy { $0.path == "/\(Self.metaPhoneNumberId)/messages" && $0.json["to"] == "27849999999" })
    }
}
