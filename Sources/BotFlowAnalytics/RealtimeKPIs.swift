import BotFlowCore
import GRDB

/// AN1 and the WebSocket's `metrics_update` (behaviour §10.3).
public struct RealtimeKPIs: Sendable, Equatable {
    public var activeConversations: Int
    public var avgResponseTime: Int
    public var successRate: Double
    public var messagesPerHour: Int

    public var json: JSON {
        ["activeConversations": .int(Int64(activeConversations)), "avgResponseTime": .int(Int64(avgResponseTime)),
         "successRate": .double(successRate), "messagesPerHour": .int(Int64(messagesPerHour))]
    }

    public static func compute(_ db: Database, organizationId org: String, nowMilliseconds now: Int64) throws -> RealtimeKPIs {
        let lastHour = Timestamp.format(epochMilliseconds: now - 3_600_000)
        let lastDay = Timestamp.format(epochMilliseconds: now - 86_400_000)
        let clockHour = Timestamp.format(epochMilliseconds: now - HourGrid.floorMod(now, HourGrid.hourMilliseconds))
        // I-07 (organization_id, direction, created_at): `direction IN (…)` turns it into two range scans.
        let active = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(DISTINCT conversation_id) FROM messages
            WHERE organization_id = ? AND direction IN ('inbound', 'outbound') AND created_at >= ?
            """), arguments: [org, lastHour]) ?? 0
        // idx_messages_bot_facts (002): the newest 100 first replies of the hour, index-only.
        let times = try Int.fetchAll(db.cachedStatement(sql: """
            SELECT response_time_ms FROM messages
            WHERE organization_id = ? AND sent_by = 'bot' AND response_time_ms IS NOT NULL AND created_at >= ?
            ORDER BY created_at DESC LIMIT 100
            """), arguments: [org, lastHour])
        let bot = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) AS total, coalesce(sum(status = 'failed'), 0) AS failed FROM messages
            WHERE organization_id = ? AND sent_by = 'bot' AND created_at >= ?
            """), arguments: [org, lastDay])!
        // idx_messages_reply_failed (002): only inbound messages carry reply_failed.
        let failedReplies = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM messages
            WHERE organization_id = ? AND json_extract(metadata, '$.reply_failed') = 1 AND created_at >= ?
            """), arguments: [org, lastDay]) ?? 0
        let perHour = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM messages WHERE organization_id = ? AND direction IN ('inbound', 'outbound') AND created_at >= ?
            """), arguments: [org, clockHour]) ?? 0
        let botTotal: Int = bot["total"], botFailed: Int = bot["failed"]
        let successful = botTotal - botFailed
        return RealtimeKPIs(activeConversations: active, avgResponseTime: AnalyticsMath.roundedMean(times) ?? 0,
                            successRate: AnalyticsMath.rate(successful, successful + botFailed + failedReplies), messagesPerHour: perHour)
    }
}
