import BotFlowCore
import BotFlowStorage
import Foundation
import GRDB

/// `conversation_metrics` (behaviour §10.2), recomputed inside the transactions that store replies, delivery
/// outcomes, dead reply jobs and status changes.
public enum ConversationMetrics {
    public static func recompute(_ db: Database, conversationId: String, costPer1KTokens: Double, now: String) throws {
        guard let conversation = try ConversationRepository.find(db, id: conversationId) else { return }
        try recompute(db, conversation: conversation, costPer1KTokens: costPer1KTokens, now: now)
    }

    /// The same for a caller holding the conversation as it was just saved (the reply's Finish): one read fewer.
    public static func recompute(_ db: Database, conversation: ConversationRecord, costPer1KTokens: Double, now: String) throws {
        guard let botId = conversation.botId else { return }
        let conversationId = conversation.id
        let facts = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) AS total,
                   coalesce(sum(direction = 'inbound'), 0) AS user_messages,
                   coalesce(sum(sent_by = 'bot'), 0) AS bot_messages,
                   coalesce(sum(sent_by = 'bot' AND status != 'failed'), 0) AS successful,
                   coalesce(sum(sent_by = 'bot' AND status = 'failed'), 0)
                     + coalesce(sum(direction = 'inbound' AND json_extract(metadata, '$.reply_failed') = 1), 0) AS failed,
                   coalesce(sum(sent_by = 'bot' AND json_extract(metadata, '$.reply_source') = 'fallback'), 0) AS fallback,
                   coalesce(sum(sent_by = 'bot' AND json_extract(metadata, '$.knowledge_searched') = 1
                                AND json_extract(metadata, '$.knowledge_used') = 1), 0) AS hits,
                   coalesce(sum(sent_by = 'bot' AND json_extract(metadata, '$.knowledge_searched') = 1
                                AND coalesce(json_extract(metadata, '$.knowledge_used'), 0) = 0), 0) AS misses,
                   coalesce(sum(CASE WHEN sent_by = 'bot' THEN coalesce(json_extract(metadata, '$.tokens_used'), 0) END), 0) AS tokens,
                   coalesce(sum(sent_by = 'human'), 0) AS agent_replies,
                   max(created_at) AS last_at,
                   group_concat(CASE WHEN sent_by = 'bot' THEN response_time_ms END) AS response_times
            FROM messages WHERE conversation_id = ?
            """), arguments: [conversationId])!
        let times = ((facts["response_times"] as String?) ?? "").split(separator: ",").compactMap { Int($0) }.sorted()
        let metadata = conversation.metadata
        let status = conversation.status
        let handoff = metadata["handoff_requested_at"] != .null || (facts["agent_replies"] as Int) > 0
        let resolution = status == "resolved" ? "resolved" : (handoff || status == "pending" || status == "handed_off") ? "escalated" : "unresolved"
        let startedAt = conversation.createdAt
        let endedAt: String? = facts["last_at"]
        let duration = endedAt.flatMap { end in
            Timestamp.parse(end).flatMap { e in Timestamp.parse(startedAt).map { s in Int((e - s) / 1000) } }
        }
        let tokens: Int = facts["tokens"]
        let cost = (Double(tokens) / 1000 * costPer1KTokens * 1_000_000).rounded() / 1_000_000
        let avg: Int? = times.isEmpty ? nil : Int((Double(times.reduce(0, +)) / Double(times.count)).rounded(.toNearestOrAwayFromZero))

        try db.cachedStatement(sql: """
            INSERT INTO conversation_metrics (id, conversation_id, bot_id, organization_id, started_at, ended_at, duration_seconds,
                total_messages, user_messages, bot_messages, avg_response_time_ms, p50_response_time_ms, p95_response_time_ms,
                p99_response_time_ms, successful_responses, failed_responses, fallback_responses, handoff_triggered,
                knowledge_base_hits, knowledge_base_misses, tokens_used, estimated_cost_usd, resolution_status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (conversation_id) DO UPDATE SET bot_id = excluded.bot_id, ended_at = excluded.ended_at,
                duration_seconds = excluded.duration_seconds, total_messages = excluded.total_messages,
                user_messages = excluded.user_messages, bot_messages = excluded.bot_messages,
                avg_response_time_ms = excluded.avg_response_time_ms, p50_response_time_ms = excluded.p50_response_time_ms,
                p95_response_time_ms = excluded.p95_response_time_ms, p99_response_time_ms = excluded.p99_response_time_ms,
                successful_responses = excluded.successful_responses, failed_responses = excluded.failed_responses,
                fallback_responses = excluded.fallback_responses, handoff_triggered = excluded.handoff_triggered,
                knowledge_base_hits = excluded.knowledge_base_hits, knowledge_base_misses = excluded.knowledge_base_misses,
                tokens_used = excluded.tokens_used, estimated_cost_usd = excluded.estimated_cost_usd,
                resolution_status = excluded.resolution_status, updated_at = excluded.updated_at
            """).execute(arguments: [
                Identifiers.uuid(), conversationId, botId, conversation.organizationId, startedAt, endedAt, duration,
                facts["total"] as Int, facts["user_messages"] as Int, facts["bot_messages"] as Int, avg,
                Percentile.nearestRank(times, 0.50), Percentile.nearestRank(times, 0.95), Percentile.nearestRank(times, 0.99),
                facts["successful"] as Int, facts["failed"] as Int, facts["fallback"] as Int, handoff,
                facts["hits"] as Int, facts["misses"] as Int, tokens, cost, resolution, now, now,
            ])
    }
}

/// Nearest-rank percentile of behaviour §10.1: index = ⌈n × p⌉ − 1 over the sorted values; nil when empty.
public enum Percentile {
    public static func nearestRank(_ sorted: [Int], _ p: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let index = min(max(Int((Double(sorted.count) * p).rounded(.up)) - 1, 0), sorted.count - 1)
        return sorted[index]
    }
}
