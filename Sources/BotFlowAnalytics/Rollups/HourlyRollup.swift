import BotFlowCore
import GRDB

/// One `usage_analytics` row (behaviour §10.6 "Hourly") for an organization and hour.
struct HourlyUsage: Sendable {
    let organizationId: String
    let hour: String
    var sent = 0, received = 0, started = 0, ended = 0, activeUsers = 0, botsActive = 0
    var mostActiveBot: String?
    var tokens = 0
    var cost = 0.0

    /// Computes every organization's row for the hour starting at `hourStart`; organizations without activity
    /// (no message, no conversation started or ended) get none.
    static func compute(_ db: Database, hourStart: Int64, costPer1K: Double) throws -> [HourlyUsage] {
        let from = Timestamp.format(epochMilliseconds: hourStart)
        let to = Timestamp.format(epochMilliseconds: hourStart + HourGrid.hourMilliseconds)
        var out: [HourlyUsage] = []
        for org in try String.fetchAll(db, sql: "SELECT id FROM organizations ORDER BY id") {
            var u = HourlyUsage(organizationId: org, hour: from)
            // I-07, index-only.
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT direction, count(*) AS n FROM messages
                WHERE organization_id = ? AND direction IN ('inbound', 'outbound') AND created_at >= ? AND created_at < ?
                GROUP BY direction
                """), arguments: [org, from, to]) {
                if (row["direction"] as String) == "inbound" { u.received = row["n"] } else { u.sent = row["n"] }
            }
            // I-01 (organization_id, created_at DESC).
            u.started = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT count(*) FROM conversations WHERE organization_id = ? AND created_at >= ? AND created_at < ?
                """), arguments: [org, from, to]) ?? 0
            // idx_conversations_org_ended (002).
            u.ended = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT count(*) FROM conversations WHERE organization_id = ? AND ended_at >= ? AND ended_at < ?
                """), arguments: [org, from, to]) ?? 0
            guard u.sent + u.received + u.started + u.ended > 0 else { continue }
            u.activeUsers = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT count(DISTINCT conversation_id) FROM messages
                WHERE organization_id = ? AND direction IN ('inbound', 'outbound') AND created_at >= ? AND created_at < ?
                """), arguments: [org, from, to]) ?? 0
            // I-16 (organization_id, created_at DESC) WHERE is_active = 1.
            u.botsActive = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM bots WHERE organization_id = ? AND is_active = 1"),
                                            arguments: [org]) ?? 0
            u.mostActiveBot = try String.fetchOne(db.cachedStatement(sql: """
                SELECT c.bot_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.organization_id = ? AND m.direction IN ('inbound', 'outbound') AND m.created_at >= ? AND m.created_at < ?
                  AND c.bot_id IS NOT NULL
                GROUP BY c.bot_id ORDER BY count(*) DESC, c.bot_id ASC LIMIT 1
                """), arguments: [org, from, to])
            u.tokens = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT coalesce(sum(coalesce(json_extract(metadata, '$.tokens_used'), 0)), 0) FROM messages INDEXED BY idx_messages_bot_facts
                WHERE organization_id = ? AND sent_by = 'bot' AND created_at >= ? AND created_at < ?
                """), arguments: [org, from, to]) ?? 0
            u.cost = AnalyticsMath.round(AnalyticsMath.cost(tokens: u.tokens, costPer1K: costPer1K), 6)
            out.append(u)
        }
        return out
    }

    /// Idempotent upsert keyed by I-81; the API/webhook counters belong to the counter flush and are left alone.
    func upsert(_ db: Database, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO usage_analytics (id, organization_id, hour, messages_sent, messages_received, conversations_started,
                conversations_ended, active_users, bots_active, most_active_bot_id, tokens_used, estimated_cost_usd, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (organization_id, hour) DO UPDATE SET messages_sent = excluded.messages_sent,
                messages_received = excluded.messages_received, conversations_started = excluded.conversations_started,
                conversations_ended = excluded.conversations_ended, active_users = excluded.active_users,
                bots_active = excluded.bots_active, most_active_bot_id = excluded.most_active_bot_id,
                tokens_used = excluded.tokens_used, estimated_cost_usd = excluded.estimated_cost_usd, updated_at = excluded.updated_at
            """).execute(arguments: [Identifiers.uuid(), organizationId, hour, sent, received, started, ended, activeUsers, botsActive,
                                     mostActiveBot, tokens, cost, now, now])
    }
}
