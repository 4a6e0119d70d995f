import BotFlowCore
import Foundation
import GRDB

/// Bulk conversations, messages and their `conversation_metrics` rows (data-model §2.10, §2.12, §2.25), written with
/// prepared statements in large transactions. Each conversation is built in memory first, so its metrics row is
/// computed from exactly the messages written (the formulas of behaviour §10.2).
struct ConversationGenerator {
    /// One organization's share of the bulk data.
    struct Tenant: Sendable {
        let organizationId: String
        let accountId: String
        let memberIds: [String]
        let memberNames: [String]
        let scripts: [BotScript]
        let conversations: Int
        /// Index of the first conversation (customer numbers stay unique across tenants).
        let firstIndex: Int
    }

    let plan: DemoPlan
    let costPer1KTokens: Double

    /// Writes every tenant's conversations; returns (conversations, messages, metrics rows).
    func run(_ db: Database, tenants: [Tenant], source: inout SeededSource) throws -> (Int, Int, Int) {
        let insertConversation = try db.makeStatement(sql: """
            INSERT INTO conversations (id, organization_id, bot_id, whatsapp_account_id, customer_phone, customer_name, status,
                assigned_to, metadata, started_at, ended_at, last_message_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertMessage = try db.makeStatement(sql: """
            INSERT INTO messages (id, conversation_id, organization_id, whatsapp_account_id, provider_message_id, direction,
                message_type, content, metadata, status, sent_by, sent_by_user_id, in_reply_to, response_time_ms, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 'text', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertMetrics = try db.makeStatement(sql: """
            INSERT INTO conversation_metrics (id, conversation_id, bot_id, organization_id, started_at, ended_at, duration_seconds,
                total_messages, user_messages, bot_messages, avg_response_time_ms, p50_response_time_ms, p95_response_time_ms,
                p99_response_time_ms, successful_responses, failed_responses, fallback_responses, handoff_triggered,
                knowledge_base_hits, knowledge_base_misses, tokens_used, estimated_cost_usd, resolution_status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var counts = (0, 0, 0)
        for tenant in tenants {
            var done = 0
            while done < tenant.conversations {
                let batch = min(plan.batchConversations, tenant.conversations - done)
                try db.inTransaction {
                    for i in 0..<batch {
                        let conversation = makeConversation(tenant, index: tenant.firstIndex + done + i, source: &source)
                        try insertConversation.execute(arguments: conversation.row)
                        for message in conversation.messages { try insertMessage.execute(arguments: message) }
                        try insertMetrics.execute(arguments: conversation.metrics)
                        counts.0 += 1
                        counts.1 += conversation.messages.count
                        counts.2 += 1
                    }
                    return .commit
                }
                done += batch
            }
        }
        return counts
    }

    struct Built {
        var row: StatementArguments
        var messages: [StatementArguments]
        var metrics: StatementArguments
    }

    /// Status mix: most conversations are closed; a fifth are still open (recent), some went to an agent.
    private func makeConversation(_ tenant: Tenant, index: Int, source: inout SeededSource) -> Built {
        let id = source.uuid()
        let script = source.pick(tenant.scripts)
        let roll = Double(source.int(0...9_999)) / 10_000
        let status = roll < 0.55 ? "resolved" : roll < 0.65 ? "archived" : roll < 0.75 ? "handed_off" : roll < 0.80 ? "pending" : "active"
        let open = status == "active" || status == "pending" || status == "handed_off"
        let windowMs = Int64(plan.days) * 86_400_000
        // Open conversations are recent (the last two days); closed ones anywhere in the window, ending before now.
        let startMs: Int64 = open
            ? plan.nowMilliseconds - Int64(source.int(10 * 60_000...2 * 86_400_000))
            : plan.nowMilliseconds - windowMs + Int64(source.int(0...Int(windowMs - 6 * 3_600_000)))
        let digits = String(index)
        let phone = "+2782" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
        let customer = DemoCatalogue.customerName(&source)
        let handoff = status == "handed_off" || (status != "active" && source.chance(0.05))
        let agent = handoff ? source.int(0...(tenant.memberIds.count - 1)) : 0

        // Turns: a customer message and one bot reply each; the mean comes out at messagesPerConversation.
        let meanTurns = max(1, plan.messagesPerConversation / 2)
        let turns = source.int(1...max(1, 2 * meanTurns - 1))
        var messages: [StatementArguments] = []
        messages.reserveCapacity(2 * turns + 1)
        var facts = MetricsFacts()
        var t = startMs
        var lastInbound = ""
        for turn in 0..<turns {
            let inboundId = source.uuid()
            let text: String
            let intent: BotScript.Intent?
            let kind: Int
            if turn == 0 {
                text = source.pick(DemoCatalogue.greetings); intent = nil; kind = 0
            } else {
                let r = source.int(0...99)
                if r < 60, !script.intents.isEmpty {
                    let chosen = source.pick(script.intents); intent = chosen; text = source.pick(chosen.questions); kind = 1
                } else if r < 75 {
                    text = source.pick(script.examplePrompts); intent = nil; kind = 2
                } else if r < 88 {
                    text = source.pick(DemoCatalogue.followUps); intent = nil; kind = 3
                } else {
                    text = source.pick(DemoCatalogue.followUps); intent = nil; kind = 4
                }
            }
            let inboundAt = Timestamp.format(epochMilliseconds: t)
            messages.append([inboundId, id, tenant.organizationId, tenant.accountId, "wamid.demo\(index).\(turn)", "inbound", text, "{}",
                             "delivered", nil, nil, nil, nil, inboundAt, inboundAt])
            facts.inbound(at: inboundAt)
            lastInbound = inboundId

            let responseMs = source.skewed(minimum: 120, typical: 450, maximum: 4_000)
            t += Int64(responseMs)
            let replyAt = Timestamp.format(epochMilliseconds: t)
            let (reply, source_, searched, used) = replyText(kind: kind, script: script, intent: intent, source: &source)
            let failed = source.chance(0.01)
            let deliveryStatus = failed ? "failed" : source.pick(["sent", "delivered", "read", "read"])
            let processing = max(1, responseMs / 10)
            var meta = "{\"reply_source\":\"\(source_)\""
            if let intent { meta += ",\"intent\":\"\(intent.name)\"" }
            meta += ",\"knowledge_searched\":\(searched),\"knowledge_used\":\(used),\"knowledge_results_count\":\(used ? 3 : 0)"
            meta += ",\"tokens_used\":0,\"processing_time_ms\":\(processing),\"needs_handoff\":false}"
            messages.append([source.uuid(), id, tenant.organizationId, tenant.accountId, "sandbox-demo\(index).\(turn)", "outbound", reply,
                             meta, deliveryStatus, "bot", nil, inboundId, responseMs, replyAt, replyAt])
            facts.bot(at: replyAt, responseMs: responseMs, failed: failed, fallback: source_ == "fallback",
                      knowledgeSearched: searched, knowledgeUsed: used)
            t += Int64(source.skewed(minimum: 5_000, typical: 40_000, maximum: 900_000))
        }
        if handoff {
            let at = Timestamp.format(epochMilliseconds: t)
            let text = source.pick(DemoCatalogue.agentReplies).replacingPlaceholder(tenant.memberNames[agent])
            messages.append([source.uuid(), id, tenant.organizationId, tenant.accountId, "sandbox-demo\(index).agent", "outbound", text, "{}",
                             "delivered", "human", tenant.memberIds[agent], lastInbound, nil, at, at])
            facts.agent(at: at)
        }
        let createdAt = Timestamp.format(epochMilliseconds: startMs)
        let lastAt = facts.lastAt ?? createdAt
        let metadata = handoff ? "{\"handoff_requested_at\":\"\(lastAt)\",\"handoff_reason\":\"Customer asked for a person\"}" : "{}"
        let closed = status == "resolved" || status == "archived"
        let row: StatementArguments = [
            id, tenant.organizationId, script.botId, tenant.accountId, phone, customer, status,
            handoff ? tenant.memberIds[agent] : nil, metadata, createdAt, closed ? lastAt : nil, lastAt, createdAt, lastAt,
        ]
        let m = facts.metrics(startedAt: createdAt, status: status, handoff: handoff, costPer1KTokens: costPer1KTokens)
        let metrics: StatementArguments = [
            source.uuid(), id, script.botId, tenant.organizationId, createdAt, m.endedAt, m.durationSeconds, m.total, m.user, m.bot,
            m.avg, m.p50, m.p95, m.p99, m.successful, m.failed, m.fallback, m.handoff, m.hits, m.misses, m.tokens, m.cost,
            m.resolution, lastAt, lastAt,
        ]
        return Built(row: row, messages: messages, metrics: metrics)
    }

    /// The bot's answer for a customer message of the given kind (welcome, intent, example prompt, follow-up, unknown).
    private func replyText(kind: Int, script: BotScript, intent: BotScript.Intent?, source: inout SeededSource)
        -> (String, String, Bool, Bool)
    {
        switch kind {
        case 0: return (script.welcome, "welcome", false, false)
        case 1: return (intent!.response, "intent", false, false)
        case 2:
            // A question the knowledge base answers (most of the time).
            let used = source.chance(0.8)
            return used ? ("Here's what I found: \(source.pick(script.intents.map(\.response) + [script.welcome]))", "knowledge", true, true)
                : (DemoCatalogue.fallback, "fallback", true, false)
        case 3: return ("You're welcome! Anything else I can help with?", "workflow", false, false)
        default: return (DemoCatalogue.fallback, "fallback", false, false)
        }
    }
}

private extension String {
    func replacingPlaceholder(_ agent: String) -> String {
        var out = self
        while let range = out.range(of: "{{agent}}") { out.replaceSubrange(range, with: agent) }
        return out
    }
}
