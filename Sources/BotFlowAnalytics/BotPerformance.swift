import BotFlowCore
import GRDB

/// AN4 (behaviour §10.4): the rolled-up days of [startDate, endDate] plus today computed live when the range
/// reaches it.
public enum BotPerformance {
    struct Day { let conversations: Int; let messages: Int; let avg: Int?; let successRate: Double; let cost: Double }

    public static func compute(_ db: Database, botId: String, startDate: String, endDate: String, today: String,
                               costPer1K: Double) throws -> JSON {
        var days: [Day] = []
        let liveToday = startDate <= today && endDate >= today
        // I-79 (bot_id, date).
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT date, total_conversations, total_messages, avg_response_time_ms, success_rate, total_cost_usd
            FROM bot_performance_metrics WHERE bot_id = ? AND date >= ? AND date <= ?
            """), arguments: [botId, startDate, endDate])
        for row in rows where !(liveToday && (row["date"] as String) == today) {
            days.append(Day(conversations: row["total_conversations"], messages: row["total_messages"], avg: row["avg_response_time_ms"],
                            successRate: row["success_rate"], cost: row["total_cost_usd"]))
        }
        if liveToday {
            let d = try DailyBotMetrics.compute(db, botId: botId, date: today, costPer1K: costPer1K)
            days.append(Day(conversations: d.totalConversations, messages: d.totalMessages, avg: d.avgResponseTimeMs,
                            successRate: d.successRate, cost: d.totalCostUSD))
        }
        let averages = days.compactMap(\.avg)
        let rates = days.filter { $0.conversations > 0 }.map(\.successRate)
        return [
            "total_conversations": .int(Int64(days.reduce(0) { $0 + $1.conversations })),
            "total_messages": .int(Int64(days.reduce(0) { $0 + $1.messages })),
            "avg_response_time_ms": .int(Int64(AnalyticsMath.roundedMean(averages) ?? 0)),
            "success_rate": .double(rates.isEmpty ? 0 : AnalyticsMath.round(rates.reduce(0, +) / Double(rates.count), 2)),
            "total_cost_usd": .double(AnalyticsMath.round(days.reduce(0) { $0 + $1.cost }, 2)),
        ]
    }
}
