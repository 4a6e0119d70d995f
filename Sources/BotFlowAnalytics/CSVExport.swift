import BotFlowCore
import Foundation
import GRDB

/// AN6 (behaviour §10.5): `conversation_metrics` rows as CSV, newest conversation first, at most 1000.
public enum CSVExport {
    public static let header = "Date,Bot Name,Customer Phone,Total Messages,User Messages,Bot Messages,Avg Response Time (ms),"
        + "p50 Response Time (ms),p95 Response Time (ms),Successful Responses,Failed Responses,Knowledge Base Hits,Tokens Used,"
        + "Estimated Cost (USD),Duration (seconds),Status,Customer Satisfaction"
    public static let rowLimit = 1000
    static let statuses = ["active", "pending", "handed_off", "resolved", "archived"]

    public struct Query: Sendable, Equatable {
        public var from: String
        public var to: String?
        public var botId: String?
        public var status: String?
    }

    /// Validates the query string: `startDate`/`endDate` (both or neither, `YYYY-MM-DD`) win over `period`.
    public static func query(_ q: [String: String], nowMilliseconds now: Int64) throws(APIError) -> Query {
        var v = QueryValidator(q)
        let period = v.oneOf("period", ["today", "7days", "30days"]) ?? "7days"
        let status = v.oneOf("status", statuses)
        var from = "", to: String?
        let start = q["startDate"], end = q["endDate"]
        if start != nil || end != nil {
            var issues: [ValidationIssue] = []
            for (key, value) in [("startDate", start), ("endDate", end)] {
                guard let value else {
                    issues.append(ValidationIssue(path: [.key(key)], message: "startDate and endDate are required together", code: .required))
                    continue
                }
                if !Self.isDate(value) { issues.append(ValidationIssue(path: [.key(key)], message: "Expected YYYY-MM-DD", code: .invalid_string)) }
            }
            if issues.isEmpty, let start, let end, start > end {
                issues.append(ValidationIssue(path: ["startDate"], message: "startDate must not be after endDate", code: .custom))
            }
            v.issues.append(contentsOf: issues)
            if let start, let end {
                from = start + "T00:00:00.000Z"
                to = end + "T23:59:59.999Z"
            }
        } else {
            let midnight = now - HourGrid.floorMod(now, 86_400_000)
            let since: Int64 = switch period { case "today": midnight; case "30days": now - 30 * 86_400_000; default: now - 7 * 86_400_000 }
            from = Timestamp.format(epochMilliseconds: since)
        }
        try v.finish()
        let bot = q["botId"].flatMap { $0.isEmpty ? nil : $0 }
        return Query(from: from, to: to, botId: bot, status: status)
    }

    /// A real calendar date `YYYY-MM-DD`.
    public static func isDate(_ text: String) -> Bool {
        guard let ms = Timestamp.parseDate(text) else { return false }
        return Timestamp.date(epochMilliseconds: ms) == text
    }

    public static func render(_ db: Database, organizationId org: String, query: Query) throws -> String {
        var sql = """
            SELECT m.started_at, b.name AS bot_name, c.customer_phone, m.total_messages, m.user_messages, m.bot_messages,
                   m.avg_response_time_ms, m.p50_response_time_ms, m.p95_response_time_ms, m.successful_responses,
                   m.failed_responses, m.knowledge_base_hits, m.tokens_used, m.estimated_cost_usd, m.duration_seconds,
                   c.status, m.customer_satisfaction
            FROM conversation_metrics m
            JOIN conversations c ON c.id = m.conversation_id
            LEFT JOIN bots b ON b.id = m.bot_id
            WHERE m.organization_id = ? AND m.started_at >= ?
            """
        var arguments: StatementArguments = [org, query.from]
        if let to = query.to { sql += " AND m.started_at <= ?"; arguments += [to] }
        if let bot = query.botId { sql += " AND m.bot_id = ?"; arguments += [bot] }
        if let status = query.status { sql += " AND c.status = ?"; arguments += [status] }
        // I-18 (organization_id, started_at DESC) gives the order; I-19 when filtered by bot.
        sql += " ORDER BY m.started_at DESC, m.conversation_id DESC LIMIT \(rowLimit)"
        var out = header + "\n"
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let r = try rows.next() {
            func n(_ column: String) -> String { (r[column] as Int64?).map(String.init) ?? "0" }
            let cost = (r["estimated_cost_usd"] as Double?) ?? 0
            let fields: [String] = [
                r["started_at"], quoted(r["bot_name"]), quoted(r["customer_phone"]), n("total_messages"), n("user_messages"),
                n("bot_messages"), n("avg_response_time_ms"), n("p50_response_time_ms"), n("p95_response_time_ms"),
                n("successful_responses"), n("failed_responses"), n("knowledge_base_hits"), n("tokens_used"),
                String(format: "%.6f", cost), n("duration_seconds"), quoted((r["status"] as String?) ?? "N/A"),
                (r["customer_satisfaction"] as Int64?).map(String.init) ?? "N/A",
            ]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// Always double-quoted, inner quotes doubled.
    static func quoted(_ value: String?) -> String { "\"" + (value ?? "").replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
