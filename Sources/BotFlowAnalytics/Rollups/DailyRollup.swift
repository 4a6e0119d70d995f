import BotFlowCore
import GRDB

/// The daily rollup's rows (behaviour §10.6 "Daily" and "Monthly") for one date.
struct DailyRollup: Sendable {
    struct BotDay: Sendable { let botId: String; let organizationId: String; let metrics: DailyBotMetrics }
    struct Month: Sendable {
        let organizationId: String
        let periodStart: String, periodEnd: String
        let conversations: Int, messages: Int, tokens: Int
        let cost: Double
    }

    let date: String
    var bots: [BotDay] = []
    var months: [Month] = []

    var organizations: Set<String> { Set(bots.map(\.organizationId) + months.map(\.organizationId)) }

    static func compute(_ db: Database, date: String, costPer1K: Double) throws -> DailyRollup {
        var out = DailyRollup(date: date)
        for row in try Row.fetchAll(db, sql: "SELECT id, organization_id FROM bots ORDER BY id") {
            let metrics = try DailyBotMetrics.compute(db, botId: row["id"], date: date, costPer1K: costPer1K)
            if metrics.totalConversations > 0 { out.bots.append(BotDay(botId: row["id"], organizationId: row["organization_id"], metrics: metrics)) }
        }
        // The month containing the date, "so far" = through the end of that date (a re-run gives the same row).
        let monthStart = String(date.prefix(8)) + "01"
        let dayEnd = Timestamp.format(epochMilliseconds: Timestamp.parseDate(date)! + 86_400_000)
        let periodEnd = Self.lastDayOfMonth(monthStart)
        let from = monthStart + "T00:00:00.000Z"
        for org in try String.fetchAll(db, sql: "SELECT id FROM organizations ORDER BY id") {
            let conversations = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT count(*) FROM conversations WHERE organization_id = ? AND created_at >= ? AND created_at < ?
                """), arguments: [org, from, dayEnd]) ?? 0
            let messages = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT count(*) FROM messages WHERE organization_id = ? AND direction IN ('inbound', 'outbound') AND created_at >= ? AND created_at < ?
                """), arguments: [org, from, dayEnd]) ?? 0
            guard conversations + messages > 0 else { continue }
            let tokens = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT coalesce(sum(coalesce(json_extract(metadata, '$.tokens_used'), 0)), 0) FROM messages INDEXED BY idx_messages_bot_facts
                WHERE organization_id = ? AND sent_by = 'bot' AND created_at >= ? AND created_at < ?
                """), arguments: [org, from, dayEnd]) ?? 0
            out.months.append(Month(organizationId: org, periodStart: monthStart, periodEnd: periodEnd, conversations: conversations,
                                    messages: messages, tokens: tokens,
                                    cost: AnalyticsMath.round(AnalyticsMath.cost(tokens: tokens, costPer1K: costPer1K), 2)))
        }
        return out
    }

    func upsert(_ db: Database, now: String) throws {
        for b in bots { try b.metrics.upsert(db, botId: b.botId, organizationId: b.organizationId, date: date, now: now) }
        for m in months {
            // I-82 (organization_id, period_start).
            try db.cachedStatement(sql: """
                INSERT INTO usage_records (id, organization_id, period_start, period_end, conversation_count, message_count,
                    ai_tokens_used, total_cost_usd, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (organization_id, period_start) DO UPDATE SET period_end = excluded.period_end,
                    conversation_count = excluded.conversation_count, message_count = excluded.message_count,
                    ai_tokens_used = excluded.ai_tokens_used, total_cost_usd = excluded.total_cost_usd, updated_at = excluded.updated_at
                """).execute(arguments: [Identifiers.uuid(), m.organizationId, m.periodStart, m.periodEnd, m.conversations, m.messages,
                                         m.tokens, m.cost, now, now])
        }
    }

    /// `YYYY-MM-DD` of the last day of the month starting at `monthStart`.
    static func lastDayOfMonth(_ monthStart: String) -> String {
        let start = Timestamp.parseDate(monthStart)!
        // 32 days after the 1st is always in the next month; step back to its 1st, then one day.
        let next = Timestamp.date(epochMilliseconds: start + 32 * 86_400_000)
        return Timestamp.date(epochMilliseconds: Timestamp.parseDate(String(next.prefix(8)) + "01")! - 86_400_000)
    }
}
