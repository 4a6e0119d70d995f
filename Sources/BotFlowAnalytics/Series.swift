import BotFlowCore
import BotFlowStorage
import GRDB

/// AN2 and AN3 (behaviour §10.4) on the hour grid.
public enum Series {
    /// AN2: per hour, avg / p50 / p95 of the bot messages' `response_time_ms`; zeros for empty hours.
    public static func responseTimes(_ db: Database, organizationId org: String, grid: HourGrid) throws -> JSON {
        var byHour: [String: [Int]] = [:]
        // idx_messages_bot_facts (002) covers organization, time and response_time_ms.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT substr(created_at, 1, 13) AS hour, response_time_ms FROM messages INDEXED BY idx_messages_bot_facts
            WHERE organization_id = ? AND sent_by = 'bot' AND created_at >= ? AND created_at < ? AND response_time_ms IS NOT NULL
            """), arguments: [org, Timestamp.format(epochMilliseconds: grid.start), Timestamp.format(epochMilliseconds: grid.end)])
        while let row = try rows.next() { byHour[row["hour"], default: []].append(row["response_time_ms"]) }
        let points: [JSON] = grid.hours.map { start in
            let hour = HourGrid.Hour(start)
            let values = (byHour[String(hour.key)] ?? []).sorted()
            return ["time": .string(hour.clockLabel), "timestamp": .string(hour.timestamp),
                    "avg": .int(Int64(AnalyticsMath.roundedMean(values) ?? 0)),
                    "p50": .int(Int64(AnalyticsMath.percentile(sorted: values, 0.50))),
                    "p95": .int(Int64(AnalyticsMath.percentile(sorted: values, 0.95)))]
        }
        return ["data": .array(points)]
    }

    /// AN3: inbound / outbound per hour — rolled-up hours from `usage_analytics`, later hours live from `messages`.
    public static func messageVolume(_ db: Database, organizationId org: String, grid: HourGrid) throws -> JSON {
        var counts: [String: (inbound: Int, outbound: Int)] = [:]
        let lastRollup = try AppMeta.get(db, RollupState.lastHourKey).flatMap(Timestamp.parse)
        let liveFrom = max(grid.start, lastRollup.map { $0 + HourGrid.hourMilliseconds } ?? grid.start)
        if liveFrom > grid.start {
            // I-81 (organization_id, hour).
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT substr(hour, 1, 13) AS hour, messages_received, messages_sent FROM usage_analytics
                WHERE organization_id = ? AND hour >= ? AND hour < ?
                """), arguments: [org, Timestamp.format(epochMilliseconds: grid.start), Timestamp.format(epochMilliseconds: liveFrom)])
            while let row = try rows.next() { counts[row["hour"]] = (row["messages_received"], row["messages_sent"]) }
        }
        if liveFrom < grid.end {
            // I-07 (organization_id, direction, created_at), index-only.
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT substr(created_at, 1, 13) AS hour, direction, count(*) AS n FROM messages
                WHERE organization_id = ? AND direction IN ('inbound', 'outbound') AND created_at >= ? AND created_at < ?
                GROUP BY hour, direction
                """), arguments: [org, Timestamp.format(epochMilliseconds: liveFrom), Timestamp.format(epochMilliseconds: grid.end)])
            while let row = try rows.next() {
                let hour: String = row["hour"], n: Int = row["n"]
                var c = counts[hour] ?? (0, 0)
                if (row["direction"] as String) == "inbound" { c.inbound += n } else { c.outbound += n }
                counts[hour] = c
            }
        }
        let points: [JSON] = grid.hours.map { start in
            let hour = HourGrid.Hour(start)
            let c = counts[String(hour.key)] ?? (0, 0)
            return ["time": .string(hour.dayHourLabel), "timestamp": .string(hour.timestamp),
                    "inbound": .int(Int64(c.inbound)), "outbound": .int(Int64(c.outbound))]
        }
        return ["data": .array(points)]
    }

    /// AN5: nearest-rank p50/p95/p99 of the bot's replies of the last 60 minutes (via the conversation's bot).
    public static func botPercentiles(_ db: Database, organizationId org: String, botId: String, nowMilliseconds now: Int64) throws -> JSON {
        let values = try Int.fetchAll(db.cachedStatement(sql: """
            SELECT m.response_time_ms FROM messages m INDEXED BY idx_messages_bot_facts JOIN conversations c ON c.id = m.conversation_id
            WHERE m.organization_id = ? AND m.sent_by = 'bot' AND m.response_time_ms IS NOT NULL AND m.created_at >= ? AND c.bot_id = ?
            ORDER BY m.response_time_ms
            """), arguments: [org, Timestamp.format(epochMilliseconds: now - 3_600_000), botId])
        return ["p50": .int(Int64(AnalyticsMath.percentile(sorted: values, 0.50))),
                "p95": .int(Int64(AnalyticsMath.percentile(sorted: values, 0.95))),
                "p99": .int(Int64(AnalyticsMath.percentile(sorted: values, 0.99)))]
    }
}
