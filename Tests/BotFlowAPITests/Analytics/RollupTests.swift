import BotFlowAnalytics
import BotFlowAPI
import BotFlowCore
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// Rollups (behaviour §10.6): figures, idempotency, catch-up, and the usage counters.
@Suite struct RollupTests {
    static let stable = "SELECT * FROM usage_analytics ORDER BY organization_id, hour"

    /// Rows without their volatile columns (ids and timestamps change on every upsert).
    static func snapshot(_ f: AnalyticsFixture, _ sql: String) async throws -> [[String: String]] {
        try await f.rows(sql).map { row in
            var out: [String: String] = [:]
            for (column, value) in row.values where !["id", "created_at", "updated_at"].contains(column) { out[column] = "\(value)" }
            return out
        }
    }

    @Test func schedulesAndCatchUpWindows() {
        let t = { (s: String) in Timestamp.parse(s)! }
        // Hourly at :05 for the previous hour; daily at 01:00 for the previous day.
        #expect(RollupState.dueHour(nowMilliseconds: t("2026-01-17T10:04:59.999Z")) == t("2026-01-17T08:00:00.000Z"))
        #expect(RollupState.dueHour(nowMilliseconds: t("2026-01-17T10:05:00.000Z")) == t("2026-01-17T09:00:00.000Z"))
        #expect(RollupState.dueDate(nowMilliseconds: t("2026-01-17T00:59:59.999Z")) == "2026-01-15")
        #expect(RollupState.dueDate(nowMilliseconds: t("2026-01-17T01:00:00.000Z")) == "2026-01-16")
        // Catch-up: after the mark, at most 48 hours / 7 days, oldest first; a re-run of a done period is that period.
        let target = t("2026-01-17T09:00:00.000Z")
        #expect(RollupState.hours(target: target, lastRolledUp: t("2026-01-17T06:00:00.000Z"))
                == [t("2026-01-17T07:00:00.000Z"), t("2026-01-17T08:00:00.000Z"), target])
        let fresh = RollupState.hours(target: target, lastRolledUp: nil)
        #expect(fresh.count == 48 && fresh.first == t("2026-01-15T10:00:00.000Z") && fresh.last == target)
        #expect(RollupState.hours(target: target, lastRolledUp: t("2026-01-01T00:00:00.000Z")).count == 48)
        #expect(RollupState.hours(target: target, lastRolledUp: target) == [target])
        #expect(RollupState.dates(target: "2026-01-16", lastRolledUp: "2026-01-14") == ["2026-01-15", "2026-01-16"])
        #expect(RollupState.dates(target: "2026-03-01", lastRolledUp: nil)
                == ["2026-02-23", "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01"])
    }

    @Test func hourlyRowsMatchTheMessagesOfEachHour() async throws {
        try await AnalyticsFixture.make { f, _ in
            try await f.rollUp()
            let now = f.clock.nowMilliseconds()
            let due = now - now % 3_600_000 - 3_600_000
            let rows = try await f.rows("SELECT * FROM usage_analytics WHERE organization_id = ? ORDER BY hour", [f.owner.organizationId])
            // Expected: every hour of the 48 h window with activity.
            var expectedHours: [String] = []
            for h in stride(from: due - 47 * 3_600_000, through: due, by: 3_600_000 as Int) {
                let ms = f.data.messages(of: f.data.org).filter { $0.createdMs >= h && $0.createdMs < h + 3_600_000 }
                let started = f.data.conversations.filter { $0.organization == f.data.org && $0.createdMs >= h && $0.createdMs < h + 3_600_000 }
                let ended = f.data.conversations.filter { $0.organization == f.data.org && ($0.endedMs ?? -1) >= h && ($0.endedMs ?? -1) < h + 3_600_000 }
                guard !ms.isEmpty || !started.isEmpty || !ended.isEmpty else { continue }
                let hour = Timestamp.format(epochMilliseconds: h)
                expectedHours.append(hour)
                let row = try #require(rows.first { ($0["hour"] as String) == hour })
                #expect(row["messages_received"] as Int == ms.filter { $0.direction == "inbound" }.count)
                #expect(row["messages_sent"] as Int == ms.filter { $0.direction == "outbound" }.count)
                #expect(row["conversations_started"] as Int == started.count && row["conversations_ended"] as Int == ended.count)
                #expect(row["active_users"] as Int == Set(ms.map(\.conversation)).count)
                #expect(row["bots_active"] as Int == 2)
                let tokens = ms.filter(\.isBot).reduce(0) { $0 + $1.tokens }
                #expect(row["tokens_used"] as Int == tokens)
                #expect(row["estimated_cost_usd"] as Double == AnalyticsDataset.round(Double(tokens) / 1000 * AnalyticsDataset.cost, 6))
                var perBot: [String: Int] = [:]
                for m in ms { if let bot = f.data.conversations.first(where: { $0.id == m.conversation })?.bot { perBot[bot, default: 0] += 1 } }
                let top = perBot.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.first?.key
                #expect(row["most_active_bot_id"] as String? == top, "hour \(hour)")
            }
            #expect(rows.map { $0["hour"] as String } == expectedHours)
            #expect(expectedHours.count >= 20)
        }
    }

    @Test func dailyRowsAndTheMonthlyUsageRecord() async throws {
        try await AnalyticsFixture.make { f, _ in
            try await f.rollUp()
            #expect(try await f.rows("SELECT value FROM app_meta WHERE key = 'last_rollup_date'").first?["value"] as String? == "2026-01-16")
            let rows = try await f.rows("SELECT * FROM bot_performance_metrics WHERE organization_id = ? ORDER BY date, bot_id", [f.owner.organizationId])
            var expectedKeys: [String] = []
            for date in (10...16).map({ "2026-01-\($0)" }) {
                for bot in [f.data.botA, f.data.botB].sorted() {
                    let convs = f.data.conversations.filter { $0.bot == bot && $0.created.hasPrefix(date) }
                    guard !convs.isEmpty else { continue }
                    expectedKeys.append("\(date) \(bot)")
                    let m = convs.map(f.data.expectedMetrics)
                    let row = try #require(rows.first { ($0["date"] as String) == date && ($0["bot_id"] as String) == bot })
                    let n = Double(m.count)
                    let s = m.reduce(0) { $0 + $1.successful }, fl = m.reduce(0) { $0 + $1.failed }, fb = m.reduce(0) { $0 + $1.fallback }
                    let hits = m.reduce(0) { $0 + $1.hits }, misses = m.reduce(0) { $0 + $1.misses }
                    let tokens = m.reduce(0) { $0 + $1.tokens }, total = m.reduce(0) { $0 + $1.total }
                    func rate(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : AnalyticsDataset.round(100 * Double(a) / Double(b), 2) }
                    let avgs = m.compactMap(\.avg)
                    #expect(row["total_conversations"] as Int == m.count && row["total_messages"] as Int == total)
                    #expect(row["active_conversations"] as Int == convs.filter { ["active", "pending", "handed_off"].contains($0.status) }.count)
                    #expect(row["avg_response_time_ms"] as Int? == AnalyticsDataset.mean(avgs))
                    #expect(row["p50_response_time_ms"] as Int? == AnalyticsDataset.nearest(avgs, 0.5))
                    #expect(row["p95_response_time_ms"] as Int? == AnalyticsDataset.nearest(avgs, 0.95))
                    #expect(row["p99_response_time_ms"] as Int? == AnalyticsDataset.nearest(avgs, 0.99))
                    #expect(row["success_rate"] as Double == rate(s, s + fl) && row["error_rate"] as Double == rate(fl, s + fl))
                    #expect(row["fallback_rate"] as Double == rate(fb, s + fl))
                    #expect(row["handoff_rate"] as Double == rate(m.filter(\.handoff).count, m.count))
                    #expect(row["knowledge_base_hit_rate"] as Double == rate(hits, hits + misses))
                    #expect(row["total_tokens_used"] as Int == tokens && row["avg_tokens_per_conversation"] as Int == AnalyticsDataset.round(Double(tokens) / n))
                    let cost = Double(tokens) / 1000 * AnalyticsDataset.cost
                    #expect(row["total_cost_usd"] as Double == AnalyticsDataset.round(cost, 2))
                    #expect(row["cost_per_conversation_usd"] as Double == AnalyticsDataset.round(cost / n, 6))
                    #expect(row["avg_conversation_duration_seconds"] as Int? == AnalyticsDataset.mean(m.compactMap(\.duration)))
                    #expect(row["avg_messages_per_conversation"] as Double == AnalyticsDataset.round(Double(total) / n, 2))
                    #expect(row["customer_satisfaction_avg"] as Double? == nil)
                }
            }
            #expect(rows.map { "\($0["date"] as String) \($0["bot_id"] as String)" } == expectedKeys)
            #expect(expectedKeys.count >= 6)

            // The month so far (through the rolled-up date).
            let record = try #require(try await f.rows("SELECT * FROM usage_records WHERE organization_id = ?", [f.owner.organizationId]).first)
            let monthEnd = Timestamp.parse("2026-01-17T00:00:00.000Z")!
            let convs = f.data.conversations.filter { $0.organization == f.data.org && $0.createdMs < monthEnd }
            let msgs = f.data.messages(of: f.data.org).filter { $0.createdMs < monthEnd }
            let tokens = msgs.filter(\.isBot).reduce(0) { $0 + $1.tokens }
            #expect(record["period_start"] as String == "2026-01-01" && record["period_end"] as String == "2026-01-31")
            #expect(record["conversation_count"] as Int == convs.count && record["message_count"] as Int == msgs.count)
            #expect(record["ai_tokens_used"] as Int == tokens)
            #expect(record["total_cost_usd"] as Double == AnalyticsDataset.round(Double(tokens) / 1000 * AnalyticsDataset.cost, 2))
        }
    }

    @Test func rerunningARollupChangesNothing() async throws {
        try await AnalyticsFixture.make { f, _ in
            try await f.rollUp()
            let hourly = try await Self.snapshot(f, Self.stable)
            let daily = try await Self.snapshot(f, "SELECT * FROM bot_performance_metrics ORDER BY bot_id, date")
            let monthly = try await Self.snapshot(f, "SELECT * FROM usage_records ORDER BY organization_id")
            #expect(!hourly.isEmpty && !daily.isEmpty && !monthly.isEmpty)
            // The same periods again (their first jobs finished, so the dedupe keys are free).
            try await f.rollUp()
            #expect(try await Self.snapshot(f, Self.stable) == hourly)
            #expect(try await Self.snapshot(f, "SELECT * FROM bot_performance_metrics ORDER BY bot_id, date") == daily)
            #expect(try await Self.snapshot(f, "SELECT * FROM usage_records ORDER BY organization_id") == monthly)
            let runs = try await f.rows("SELECT count(*) AS n FROM jobs WHERE type LIKE 'rollup%' AND state = 'succeeded'").first?["n"] as Int?
            #expect(runs == 4)
        }
    }

    @Test func catchUpAfterDowntimeRollsUpTheMissedHoursInOrder() async throws {
        try await AnalyticsFixture.make { f, _ in
            try await f.rollUp()
            let before = try await f.rows("SELECT hour FROM usage_analytics WHERE organization_id = ?", [f.owner.organizationId]).count
            // Down for five hours: the clock jumps; new messages arrived meanwhile (written straight to the table).
            f.clock.advance(seconds: 5 * 3600)
            let now = f.clock.nowMilliseconds()
            let account = try await f.rows("SELECT id FROM whatsapp_accounts WHERE organization_id = ?", [f.owner.organizationId]).first!["id"] as String
            let conversation = f.data.conversations.first { $0.organization == f.data.org && $0.status == "active" }!.id
            var perHour: [String: Int] = [:]
            for n in 0..<5 {
                let at = now - Int64(n) * 3_600_000 - 3_600_000 - 600_000
                perHour[Timestamp.format(epochMilliseconds: at - at % 3_600_000)] = n + 1
            }
            try await f.app.database.write { db in
                for n in 0..<5 {
                    let at = now - Int64(n) * 3_600_000 - 3_600_000 - 600_000   // inside each of the five missed hours
                    for _ in 0...n {
                        try db.execute(sql: """
                            INSERT INTO messages (id, conversation_id, organization_id, whatsapp_account_id, direction, content, status, created_at, updated_at)
                            VALUES (?, ?, ?, ?, 'inbound', 'late', 'delivered', ?, ?)
                            """, arguments: [Identifiers.uuid(), conversation, f.owner.organizationId, account,
                                             Timestamp.format(epochMilliseconds: at), Timestamp.format(epochMilliseconds: at)])
                    }
                }
            }
            try await f.rollUp()
            let due = Timestamp.format(epochMilliseconds: now - now % 3_600_000 - 3_600_000)
            #expect(try await f.rows("SELECT value FROM app_meta WHERE key = 'last_rollup_hour'").first?["value"] as String? == due)
            let after = try await f.rows("SELECT hour, messages_received FROM usage_analytics WHERE organization_id = ?", [f.owner.organizationId])
            for (hour, count) in perHour {
                let h = Timestamp.parse(hour)!
                let seeded = f.data.messages(of: f.data.org).filter { $0.direction == "inbound" && $0.createdMs >= h && $0.createdMs < h + 3_600_000 }.count
                #expect(after.first { ($0["hour"] as String) == hour }?["messages_received"] as Int? == count + seeded, "hour \(hour)")
            }
            #expect(perHour.count == 5 && after.count == before + 5)
            // One job for the due hour did all five.
            #expect(try await f.rows("SELECT 1 FROM jobs WHERE type = 'rollup_hourly'").count == 2)
        }
    }

    @Test func usageCountersAreAddedAndSurviveTheRollup() async throws {
        try await AnalyticsFixture.make { f, client in
            let counters = f.app.deps.analytics.counters
            let hour = Timestamp.format(epochMilliseconds: f.clock.nowMilliseconds() - f.clock.nowMilliseconds() % 3_600_000)
            func counts(_ org: String) async throws -> (Int, Int) {
                let row = try await f.rows("SELECT * FROM usage_analytics WHERE organization_id = ? AND hour = ?", [org, hour]).first
                return (row?["api_calls_made"] ?? 0, row?["webhook_calls_received"] ?? 0)
            }
            // The fixture's own setup calls (connecting the numbers) are the baseline.
            try await counters.flush(f.app.database)
            let base = try await counts(f.owner.organizationId), otherBase = try await counts(f.other.organizationId)
            #expect(base.0 >= 1 && otherBase.0 >= 1)

            for _ in 0..<3 { _ = try await client.call(.get, "/api/bots", token: f.owner.token) }
            _ = try await client.call(.get, "/api/analytics/export", token: f.owner.token)
            let sandbox = try await client.call(.post, "/webhooks/sandbox/whatsapp", json: [
                "to": "+27820000011", "from": "+27835550000", "text": "hello",
            ], token: f.owner.token)
            #expect(sandbox.status == 200, "\(sandbox.text)")
            _ = try await client.call(.get, "/api/bots")   // unauthenticated: not counted
            try await counters.flush(f.app.database)
            // Three GETs, the export, and the sandbox webhook (an authenticated call that is also routed to an account).
            #expect(try await counts(f.owner.organizationId) == (base.0 + 5, base.1 + 1))
            #expect(try await counts(f.other.organizationId) == otherBase)

            // The hourly rollup of this hour fills the message figures and leaves the counters alone; a flush adds.
            let current = f.clock.nowMilliseconds() - f.clock.nowMilliseconds() % 3_600_000
            try await f.app.deps.analytics.scheduler.enqueueHourly(hourStart: current)
            try await f.app.waitForJobsToSettle()
            let rolled = try await f.rows("SELECT messages_received FROM usage_analytics WHERE organization_id = ? AND hour = ?",
                                          [f.owner.organizationId, hour])
            let inbound = f.data.messages(of: f.data.org).filter { $0.createdMs >= current && $0.direction == "inbound" }.count
            #expect(rolled.first?["messages_received"] as Int? == inbound + 1)
            #expect(try await counts(f.owner.organizationId) == (base.0 + 5, base.1 + 1))
            _ = try await client.call(.get, "/api/bots", token: f.owner.token)
            try await counters.flush(f.app.database)
            #expect(try await counts(f.owner.organizationId) == (base.0 + 6, base.1 + 1))
        }
    }
}
