import BotFlowCore

/// The facts of behaviour §10.1 gathered while a conversation's messages are generated, turned into its
/// `conversation_metrics` row with the formulas of §10.2 (the same values `ConversationMetrics.recompute` derives).
struct MetricsFacts {
    private(set) var lastAt: String?
    private var total = 0, user = 0, bot = 0, successful = 0, failed = 0, fallback = 0, hits = 0, misses = 0, agentReplies = 0
    private var responseTimes: [Int] = []

    mutating func inbound(at: String) { total += 1; user += 1; lastAt = at }

    mutating func bot(at: String, responseMs: Int, failed isFailed: Bool, fallback isFallback: Bool, knowledgeSearched: Bool,
                      knowledgeUsed: Bool) {
        total += 1; bot += 1; lastAt = at
        responseTimes.append(responseMs)
        if isFailed { failed += 1 } else { successful += 1 }
        if isFallback { fallback += 1 }
        if knowledgeSearched { if knowledgeUsed { hits += 1 } else { misses += 1 } }
    }

    mutating func agent(at: String) { total += 1; agentReplies += 1; lastAt = at }

    struct Row {
        let endedAt: String?
        let durationSeconds: Int?
        let total, user, bot, successful, failed, fallback, hits, misses, tokens: Int
        let avg, p50, p95, p99: Int?
        let handoff: Bool
        let cost: Double
        let resolution: String
    }

    func metrics(startedAt: String, status: String, handoff handoffRequested: Bool, costPer1KTokens: Double) -> Row {
        let sorted = responseTimes.sorted()
        let handoff = handoffRequested || agentReplies > 0
        let resolution = status == "resolved" ? "resolved" : (handoff || status == "pending" || status == "handed_off") ? "escalated" : "unresolved"
        let duration = lastAt.flatMap { end in Timestamp.parse(end).flatMap { e in Timestamp.parse(startedAt).map { s in Int((e - s) / 1000) } } }
        let avg: Int? = sorted.isEmpty ? nil : Int((Double(sorted.reduce(0, +)) / Double(sorted.count)).rounded(.toNearestOrAwayFromZero))
        return Row(endedAt: lastAt, durationSeconds: duration, total: total, user: user, bot: bot, successful: successful, failed: failed,
                   fallback: fallback, hits: hits, misses: misses, tokens: 0, avg: avg, p50: Self.nearestRank(sorted, 0.50),
                   p95: Self.nearestRank(sorted, 0.95), p99: Self.nearestRank(sorted, 0.99), handoff: handoff, cost: 0,
                   resolution: resolution)
    }

    /// Nearest-rank percentile of behaviour §10.1 over sorted values; nil when there are none.
    static func nearestRank(_ sorted: [Int], _ p: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        return sorted[min(max(Int((Double(sorted.count) * p).rounded(.up)) - 1, 0), sorted.count - 1)]
    }
}
