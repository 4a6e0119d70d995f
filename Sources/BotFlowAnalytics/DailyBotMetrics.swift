import BotFlowCore
import BotFlowStorage
import GRDB

/// One `bot_performance_metrics` row (behaviour §10.6 "Daily"): computed over the `conversation_metrics` rows of a
/// bot whose conversation started on the date. The daily rollup stores it; AN4 computes today's live.
public struct DailyBotMetrics: Sendable, Equatable {
    public var totalConversations = 0
    public var totalMessages = 0
    public var activeConversations = 0
    public var avgResponseTimeMs: Int?
    public var p50: Int?, p95: Int?, p99: Int?
    public var successRate = 0.0, errorRate = 0.0, fallbackRate = 0.0, handoffRate = 0.0, knowledgeBaseHitRate = 0.0
    public var avgTokensPerConversation = 0
    public var totalTokensUsed = 0
    public var totalCostUSD = 0.0
    public var costPerConversationUSD = 0.0
    public var avgConversationDurationSeconds: Int?
    public var avgMessagesPerConversation = 0.0
    public var customerSatisfactionAvg: Double?

    /// `date` is `YYYY-MM-DD` (UTC).
    public static func compute(_ db: Database, botId: String, date: String, costPer1K: Double) throws -> DailyBotMetrics {
        let start = date + "T00:00:00.000Z"
        let end = Timestamp.format(epochMilliseconds: Timestamp.parseDate(date)! + 86_400_000)
        // I-19 (bot_id, started_at DESC).
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT m.total_messages, m.avg_response_time_ms, m.successful_responses, m.failed_responses, m.fallback_responses,
                   m.handoff_triggered, m.knowledge_base_hits, m.knowledge_base_misses, m.tokens_used, m.duration_seconds,
                   m.customer_satisfaction, c.status
            FROM conversation_metrics m LEFT JOIN conversations c ON c.id = m.conversation_id
            WHERE m.bot_id = ? AND m.started_at >= ? AND m.started_at < ?
            """), arguments: [botId, start, end])
        var d = DailyBotMetrics()
        let n = rows.count
        guard n > 0 else { return d }
        var averages: [Int] = [], durations: [Int] = [], ratings: [Int] = []
        var successful = 0, failed = 0, fallback = 0, handoffs = 0, hits = 0, misses = 0
        for row in rows {
            d.totalMessages += row["total_messages"] as Int
            if let status: String = row["status"], ["active", "pending", "handed_off"].contains(status) { d.activeConversations += 1 }
            if let avg: Int = row["avg_response_time_ms"] { averages.append(avg) }
            successful += row["successful_responses"] as Int
            failed += row["failed_responses"] as Int
            fallback += row["fallback_responses"] as Int
            if row.bool("handoff_triggered") { handoffs += 1 }
            hits += row["knowledge_base_hits"] as Int
            misses += row["knowledge_base_misses"] as Int
            d.totalTokensUsed += row["tokens_used"] as Int
            if let duration: Int = row["duration_seconds"] { durations.append(duration) }
            if let rating: Int = row["customer_satisfaction"] { ratings.append(rating) }
        }
        averages.sort()
        d.totalConversations = n
        d.avgResponseTimeMs = AnalyticsMath.roundedMean(averages)
        d.p50 = averages.isEmpty ? nil : AnalyticsMath.percentile(sorted: averages, 0.50)
        d.p95 = averages.isEmpty ? nil : AnalyticsMath.percentile(sorted: averages, 0.95)
        d.p99 = averages.isEmpty ? nil : AnalyticsMath.percentile(sorted: averages, 0.99)
        d.successRate = AnalyticsMath.rate(successful, successful + failed)
        d.errorRate = AnalyticsMath.rate(failed, successful + failed)
        d.fallbackRate = AnalyticsMath.rate(fallback, successful + failed)
        d.handoffRate = AnalyticsMath.rate(handoffs, n)
        d.knowledgeBaseHitRate = AnalyticsMath.rate(hits, hits + misses)
        d.avgTokensPerConversation = AnalyticsMath.round(Double(d.totalTokensUsed) / Double(n))
        let cost = AnalyticsMath.cost(tokens: d.totalTokensUsed, costPer1K: costPer1K)
        d.totalCostUSD = AnalyticsMath.round(cost, 2)
        d.costPerConversationUSD = AnalyticsMath.round(cost / Double(n), 6)
        d.avgConversationDurationSeconds = AnalyticsMath.roundedMean(durations)
        d.avgMessagesPerConversation = AnalyticsMath.round(Double(d.totalMessages) / Double(n), 2)
        d.customerSatisfactionAvg = ratings.isEmpty ? nil : AnalyticsMath.round(Double(ratings.reduce(0, +)) / Double(ratings.count), 2)
        return d
    }

    /// The idempotent upsert keyed by I-79 (bot_id, date).
    public func upsert(_ db: Database, botId: String, organizationId: String, date: String, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO bot_performance_metrics (id, bot_id, organization_id, date, total_conversations, total_messages,
                active_conversations, avg_response_time_ms, p50_response_time_ms, p95_response_time_ms, p99_response_time_ms,
                success_rate, error_rate, fallback_rate, handoff_rate, knowledge_base_hit_rate, avg_tokens_per_conversation,
                total_tokens_used, total_cost_usd, cost_per_conversation_usd, avg_conversation_duration_seconds,
                avg_messages_per_conversation, customer_satisfaction_avg, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (bot_id, date) DO UPDATE SET organization_id = excluded.organization_id,
                total_conversations = excluded.total_conversations, total_messages = excluded.total_messages,
                active_conversations = excluded.active_conversations, avg_response_time_ms = excluded.avg_response_time_ms,
                p50_response_time_ms = excluded.p50_response_time_ms, p95_response_time_ms = excluded.p95_response_time_ms,
                p99_response_time_ms = excluded.p99_response_time_ms, success_rate = excluded.success_rate,
                error_rate = excluded.error_rate, fallback_rate = excluded.fallback_rate, handoff_rate = excluded.handoff_rate,
                knowledge_base_hit_rate = excluded.knowledge_base_hit_rate,
                avg_tokens_per_conversation = excluded.avg_tokens_per_conversation, total_tokens_used = excluded.total_tokens_used,
                total_cost_usd = excluded.total_cost_usd, cost_per_conversation_usd = excluded.cost_per_conversation_usd,
                avg_conversation_duration_seconds = excluded.avg_conversation_duration_seconds,
                avg_messages_per_conversation = excluded.avg_messages_per_conversation,
                customer_satisfaction_avg = excluded.customer_satisfaction_avg, updated_at = excluded.updated_at
            """).execute(arguments: [
                Identifiers.uuid(), botId, organizationId, date, totalConversations, totalMessages, activeConversations,
                avgResponseTimeMs, p50, p95, p99, successRate, errorRate, fallbackRate, handoffRate, knowledgeBaseHitRate,
                avgTokensPerConversation, totalTokensUsed, totalCostUSD, costPerConversationUSD, avgConversationDurationSeconds,
                avgMessagesPerConversation, customerSatisfactionAvg, now, now,
            ])
    }
}
