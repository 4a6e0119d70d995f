import BotFlowCore
import BotFlowMessaging
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB

/// A seeded analytics dataset and the figures behaviour §10 says it must produce, computed here in plain Swift over
/// the rows the test inserted — never by calling the product's analytics code.
struct AnalyticsDataset {
    struct Message {
        let id: String, conversation: String, organization: String
        let direction: String, sentBy: String?, status: String
        let createdMs: Int64
        let responseTimeMs: Int?
        let metadata: JSON
        var created: String { Timestamp.format(epochMilliseconds: createdMs) }
        var isBot: Bool { sentBy == "bot" }
        var tokens: Int { Int(metadata["tokens_used"].integerValue ?? 0) }
    }
    struct Conversation {
        let id: String, organization: String, bot: String?, phone: String, status: String
        let createdMs: Int64
        var endedMs: Int64?
        let handoffRequested: Bool
        var created: String { Timestamp.format(epochMilliseconds: createdMs) }
    }

    static let cost = 0.0375
    let now: Int64
    let org: String, otherOrg: String
    let botA: String, botB: String, otherBot: String
    var conversations: [Conversation] = []
    var messages: [Message] = []

    static func round(_ x: Double) -> Int { Int(x.rounded()) }   // Swift's default: half away from zero
    static func round(_ x: Double, _ d: Double) -> Double { (x * pow(10, d)).rounded() / pow(10, d) }
    static func nearest(_ v: [Int], _ p: Double) -> Int? {
        let s = v.sorted()
        guard !s.isEmpty else { return nil }
        return s[min(max(Int((Double(s.count) * p).rounded(.up)) - 1, 0), s.count - 1)]
    }
    static func mean(_ v: [Int]) -> Int? { v.isEmpty ? nil : round(Double(v.reduce(0, +)) / Double(v.count)) }

    /// Builds the rows: 60 conversations over the last ~23 h, 24 on the four days before, a second organization.
    init(now: Int64, org: String, otherOrg: String, botA: String, botB: String, otherBot: String) {
        self.now = now; self.org = org; self.otherOrg = otherOrg; self.botA = botA; self.botB = botB; self.otherBot = otherBot
        let minute: Int64 = 60_000, day: Int64 = 86_400_000
        var starts: [Int64] = (0..<60).map { now - 15 * minute - Int64($0) * 23 * minute }
        starts += (0..<24).map { j in now - Int64(1 + j % 4) * day - Int64(j) * 37 * minute }
        for (seed, start) in starts.enumerated() {
            addConversation(seed: seed, start: start, organization: org, bot: seed % 17 == 16 ? nil : (seed % 3 == 0 ? botB : botA))
        }
        // Another tenant, active in the last hour: none of it may show up in the first organization's figures.
        addConversation(seed: 5, start: now - 10 * minute, organization: otherOrg, bot: otherBot)
    }

    private mutating func addConversation(seed: Int, start: Int64, organization: String, bot: String?) {
        let id = UUID().uuidString.lowercased()
        let status = ["resolved", "active", "pending", "handed_off"][seed % 4]
        var c = Conversation(id: id, organization: organization, bot: bot, phone: "+2783\(String(format: "%07d", 1000 + seed))",
                             status: status, createdMs: start, endedMs: nil, handoffRequested: status == "handed_off")
        let pairs = 1 + seed % 4
        var last = start
        for k in 0..<pairs {
            let inboundAt = start + Int64(k) * 180_000
            let replyFailed = seed % 11 == 3 && k == 0
            messages.append(Message(id: UUID().uuidString.lowercased(), conversation: id, organization: organization, direction: "inbound",
                                    sentBy: nil, status: "delivered", createdMs: inboundAt, responseTimeMs: nil,
                                    metadata: replyFailed ? ["reply_failed": true] : [:]))
            last = inboundAt
            guard !replyFailed else { continue }
            let rt = 120 + (seed * 37 + k * 53) % 1900
            let source = (seed + k) % 5 == 0 ? "fallback" : ((seed + k) % 3 == 0 ? "knowledge" : "llm")
            let searched = seed % 3 != 0
            let meta: JSON = ["reply_source": .string(source), "knowledge_searched": .bool(searched),
                              "knowledge_used": .bool(searched && (seed + k) % 2 == 0), "knowledge_results_count": 1,
                              "tokens_used": .int(source == "llm" ? Int64(40 * (seed % 7 + k + 1)) : 0), "processing_time_ms": 5,
                              "needs_handoff": false]
            messages.append(Message(id: UUID().uuidString.lowercased(), conversation: id, organization: organization, direction: "outbound",
                                    sentBy: "bot", status: (seed + k) % 6 == 0 ? "failed" : "delivered", createdMs: inboundAt + Int64(rt),
                                    responseTimeMs: rt, metadata: meta))
            last = inboundAt + Int64(rt)
        }
        if seed % 9 == 4 {
            last = start + Int64(pairs) * 180_000
            messages.append(Message(id: UUID().uuidString.lowercased(), conversation: id, organization: organization, direction: "outbound",
                                    sentBy: "human", status: "sent", createdMs: last, responseTimeMs: nil, metadata: [:]))
        }
        if status == "resolved" { c.endedMs = last }
        conversations.append(c)
    }

    /// Inserts everything (the organizations, bots and account exist already) and recomputes conversation_metrics
    /// with the pipeline's own function — which `expectedMetrics` then checks.
    func insert(_ database: AppDatabase, accounts: [String: String]) async throws {
        try await database.write { db in
            for c in conversations {
                let handoff: JSON = c.handoffRequested ? ["handoff_requested_at": .string(c.created)] : [:]
                try db.execute(sql: """
                    INSERT INTO conversations (id, organization_id, bot_id, whatsapp_account_id, customer_phone, status, metadata,
                                               started_at, ended_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [c.id, c.organization, c.bot, accounts[c.organization]!, c.phone, c.status, handoff.columnText,
                                     c.created, c.endedMs.map { Timestamp.format(epochMilliseconds: $0) }, c.created, c.created])
            }
            for m in messages {
                try db.execute(sql: """
                    INSERT INTO messages (id, conversation_id, organization_id, whatsapp_account_id, direction, content, metadata, status,
                                          sent_by, response_time_ms, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, 'text', ?, ?, ?, ?, ?, ?)
                    """, arguments: [m.id, m.conversation, m.organization, accounts[m.organization]!, m.direction, m.metadata.columnText,
                                     m.status, m.sentBy, m.responseTimeMs, m.created, m.created])
            }
            for c in conversations {
                try ConversationMetrics.recompute(db, conversationId: c.id, costPer1KTokens: Self.cost, now: Timestamp.format(epochMilliseconds: now))
            }
        }
    }

    // MARK: expected figures

    func messages(of org: String) -> [Message] { messages.filter { $0.organization == org } }

    struct Metrics: Equatable {
        var total = 0, user = 0, bot = 0
        var avg: Int?, p50: Int?, p95: Int?, p99: Int?
        var successful = 0, failed = 0, fallback = 0, hits = 0, misses = 0, tokens = 0
        var handoff = false
        var started = "", ended: String?, duration: Int?
        var cost = 0.0
        var resolution = ""
    }

    /// §10.2 for one conversation.
    func expectedMetrics(_ c: Conversation) -> Metrics {
        let ms = messages.filter { $0.conversation == c.id }
        let bots = ms.filter(\.isBot)
        let times = bots.compactMap(\.responseTimeMs)
        var m = Metrics()
        m.total = ms.count
        m.user = ms.filter { $0.direction == "inbound" }.count
        m.bot = bots.count
        m.avg = Self.mean(times); m.p50 = Self.nearest(times, 0.5); m.p95 = Self.nearest(times, 0.95); m.p99 = Self.nearest(times, 0.99)
        m.successful = bots.filter { $0.status != "failed" }.count
        m.failed = bots.filter { $0.status == "failed" }.count + ms.filter { $0.metadata["reply_failed"] == true }.count
        m.fallback = bots.filter { $0.metadata["reply_source"] == "fallback" }.count
        m.hits = bots.filter { $0.metadata["knowledge_searched"] == true && $0.metadata["knowledge_used"] == true }.count
        m.misses = bots.filter { $0.metadata["knowledge_searched"] == true && $0.metadata["knowledge_used"] == false }.count
        m.tokens = bots.reduce(0) { $0 + $1.tokens }
        m.handoff = c.handoffRequested || ms.contains { $0.sentBy == "human" }
        m.started = c.created
        let last = ms.map(\.createdMs).max()
        m.ended = last.map { Timestamp.format(epochMilliseconds: $0) }
        m.duration = last.map { Int(($0 - c.createdMs) / 1000) }
        m.cost = Self.round(Double(m.tokens) / 1000 * Self.cost, 6)
        m.resolution = c.status == "resolved" ? "resolved" : (m.handoff || c.status == "pending" || c.status == "handed_off") ? "escalated" : "unresolved"
        return m
    }

    /// §10.3.
    func expectedRealtime() -> JSON {
        let ms = messages(of: org)
        let hourAgo = now - 3_600_000, dayAgo = now - 86_400_000, clockHour = now - now % 3_600_000
        let active = Set(ms.filter { $0.createdMs >= hourAgo }.map(\.conversation)).count
        let recent = ms.filter { $0.isBot && $0.responseTimeMs != nil && $0.createdMs >= hourAgo }.sorted { $0.createdMs > $1.createdMs }.prefix(100)
        let dayBots = ms.filter { $0.isBot && $0.createdMs >= dayAgo }
        let ok = dayBots.filter { $0.status != "failed" }.count
        let bad = dayBots.filter { $0.status == "failed" }.count + ms.filter { $0.createdMs >= dayAgo && $0.metadata["reply_failed"] == true }.count
        return ["activeConversations": .int(Int64(active)),
                "avgResponseTime": .int(Int64(Self.mean(recent.compactMap(\.responseTimeMs)) ?? 0)),
                "successRate": .double(ok + bad == 0 ? 0 : Self.round(100 * Double(ok) / Double(ok + bad), 2)),
                "messagesPerHour": .int(Int64(ms.filter { $0.createdMs >= clockHour }.count))]
    }

    func hourStarts(_ n: Int) -> [Int64] {
        let current = now - now % 3_600_000
        return (0..<n).map { current - Int64(n - 1 - $0) * 3_600_000 }
    }

    /// AN2 values per hour (labels are checked separately, with literals).
    func expectedResponseTimes(points n: Int) -> [[Int]] {
        hourStarts(n).map { h in
            let v = messages(of: org).filter { $0.isBot && $0.createdMs >= h && $0.createdMs < h + 3_600_000 }.compactMap(\.responseTimeMs)
            return [Self.mean(v) ?? 0, Self.nearest(v, 0.5) ?? 0, Self.nearest(v, 0.95) ?? 0]
        }
    }

    /// AN3 values per hour.
    func expectedVolume(points n: Int) -> [[Int]] {
        hourStarts(n).map { h in
            let v = messages(of: org).filter { $0.createdMs >= h && $0.createdMs < h + 3_600_000 }
            return [v.filter { $0.direction == "inbound" }.count, v.filter { $0.direction == "outbound" }.count]
        }
    }

    /// AN5 for a bot.
    func expectedPercentiles(bot: String) -> JSON {
        let convs = Set(conversations.filter { $0.bot == bot }.map(\.id))
        let v = messages.filter { $0.isBot && convs.contains($0.conversation) && $0.createdMs >= now - 3_600_000 }.compactMap(\.responseTimeMs)
        return ["p50": .int(Int64(Self.nearest(v, 0.5) ?? 0)), "p95": .int(Int64(Self.nearest(v, 0.95) ?? 0)),
                "p99": .int(Int64(Self.nearest(v, 0.99) ?? 0))]
    }

    struct Daily { var conversations = 0, messages = 0; var avg: Int?; var successRate = 0.0; var cost = 0.0 }

    /// The daily formulas of §10.6 for (bot, date).
    func expectedDaily(bot: String, date: String) -> Daily {
        let rows = conversations.filter { $0.bot == bot && $0.created.hasPrefix(date) }.map(expectedMetrics)
        var d = Daily()
        guard !rows.isEmpty else { return d }
        d.conversations = rows.count
        d.messages = rows.reduce(0) { $0 + $1.total }
        d.avg = Self.mean(rows.compactMap(\.avg))
        let s = rows.reduce(0) { $0 + $1.successful }, f = rows.reduce(0) { $0 + $1.failed }
        d.successRate = s + f == 0 ? 0 : Self.round(100 * Double(s) / Double(s + f), 2)
        d.cost = Self.round(Double(rows.reduce(0) { $0 + $1.tokens }) / 1000 * Self.cost, 2)
        return d
    }

    /// AN4 over dates (all rolled up or live).
    func expectedPerformance(bot: String, dates: [String]) -> JSON {
        let days = dates.map { expectedDaily(bot: bot, date: $0) }
        let avgs = days.compactMap(\.avg)
        let rates = days.filter { $0.conversations > 0 }.map(\.successRate)
        return ["total_conversations": .int(Int64(days.reduce(0) { $0 + $1.conversations })),
                "total_messages": .int(Int64(days.reduce(0) { $0 + $1.messages })),
                "avg_response_time_ms": .int(Int64(Self.mean(avgs) ?? 0)),
                "success_rate": .double(rates.isEmpty ? 0 : Self.round(rates.reduce(0, +) / Double(rates.count), 2)),
                "total_cost_usd": .double(Self.round(days.reduce(0) { $0 + $1.cost }, 2))]
    }

    /// AN6 body for conversations started since `from` (newest first).
    func expectedCSV(from: Int64, botNames: [String: String]) -> String {
        var out = "Date,Bot Name,Customer Phone,Total Messages,User Messages,Bot Messages,Avg Response Time (ms),p50 Response Time (ms),p95 Response Time (ms),Successful Responses,Failed Responses,Knowledge Base Hits,Tokens Used,Estimated Cost (USD),Duration (seconds),Status,Customer Satisfaction\n"
        let rows = conversations.filter { $0.organization == org && $0.bot != nil && $0.createdMs >= from }.sorted { $0.createdMs > $1.createdMs }
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        for c in rows {
            let m = expectedMetrics(c)
            let cols: [String] = [m.started, q(botNames[c.bot!]!), q(c.phone), "\(m.total)", "\(m.user)", "\(m.bot)", "\(m.avg ?? 0)", "\(m.p50 ?? 0)",
                                  "\(m.p95 ?? 0)", "\(m.successful)", "\(m.failed)", "\(m.hits)", "\(m.tokens)", String(format: "%.6f", m.cost),
                                  "\(m.duration ?? 0)", q(c.status), "N/A"]
            out += cols.joined(separator: ",") + "\n"
        }
        return out
    }
}
