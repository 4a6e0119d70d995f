import BotFlowAPI
import BotFlowCore
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// AN1–AN6 on a seeded dataset; every expected figure comes from `AnalyticsDataset`'s own arithmetic.
@Suite struct AnalyticsEndpointTests {
    @Test func conversationMetricsFollowTheSpecForEveryConversation() async throws {
        try await AnalyticsFixture.make { f, _ in
            for c in f.data.conversations where c.bot != nil {
                let row = try #require(try await f.rows("SELECT * FROM conversation_metrics WHERE conversation_id = ?", [c.id]).first)
                let e = f.data.expectedMetrics(c)
                var actual = AnalyticsDataset.Metrics()
                actual.total = row["total_messages"]; actual.user = row["user_messages"]; actual.bot = row["bot_messages"]
                actual.avg = row["avg_response_time_ms"]; actual.p50 = row["p50_response_time_ms"]
                actual.p95 = row["p95_response_time_ms"]; actual.p99 = row["p99_response_time_ms"]
                actual.successful = row["successful_responses"]; actual.failed = row["failed_responses"]
                actual.fallback = row["fallback_responses"]; actual.hits = row["knowledge_base_hits"]
                actual.misses = row["knowledge_base_misses"]; actual.tokens = row["tokens_used"]
                actual.handoff = (row["handoff_triggered"] as Int) != 0; actual.started = row["started_at"]; actual.ended = row["ended_at"]
                actual.duration = row["duration_seconds"]; actual.cost = row["estimated_cost_usd"]; actual.resolution = row["resolution_status"]
                #expect(actual == e, "conversation \(c.id)")
            }
            let withoutBot = f.data.conversations.filter { $0.bot == nil }.map(\.id)
            #expect(!withoutBot.isEmpty)
            for id in withoutBot { #expect(try await f.rows("SELECT 1 FROM conversation_metrics WHERE conversation_id = ?", [id]).isEmpty) }
        }
    }

    @Test func realtimeKPIs() async throws {
        try await AnalyticsFixture.make { f, client in
            let r = try await f.get(client, "/api/analytics/realtime")
            #expect(r.status == 200 && r.header("X-Cache") == "MISS")
            let expected = f.data.expectedRealtime()
            #expect(sameNumbers(r.json, expected), "\(r.json) vs \(expected)")
            #expect(r.json.objectValue.map { Array($0.keys) } == ["activeConversations", "avgResponseTime", "successRate", "messagesPerHour"])
            // A dataset that cannot hide mistakes: every figure is non-trivial.
            #expect(expected["activeConversations"].integerValue! >= 2 && expected["messagesPerHour"].integerValue! > 0)
            #expect(expected["successRate"].numberValue! > 0 && expected["successRate"].numberValue! < 100)
            let again = try await f.get(client, "/api/analytics/realtime")
            #expect(again.header("X-Cache") == "HIT" && again.body == r.body)
            // The other tenant sees only its own conversation.
            let other = try await f.get(client, "/api/analytics/realtime", token: f.other.token)
            #expect(other.json["activeConversations"] == 1)
        }
    }

    @Test func responseTimeSeriesOnTheThreeGrids() async throws {
        try await AnalyticsFixture.make { f, client in
            for (period, n) in [("24h", 24), ("7d", 168), ("30d", 720)] {
                let r = try await f.get(client, "/api/analytics/response-times?period=\(period)")
                #expect(r.status == 200)
                let points = try #require(r.json["data"].arrayValue)
                #expect(points.count == n)
                #expect(r.json.points(["avg", "p50", "p95"]) == f.data.expectedResponseTimes(points: n), "period \(period)")
                #expect(points.last?["timestamp"] == "2026-01-17T10:00:00.000Z" && points.last?["time"] == "10:00 AM")
            }
            let day = try await f.get(client, "/api/analytics/response-times")
            let points = try #require(day.json["data"].arrayValue)
            #expect(points.first?["timestamp"] == "2026-01-16T11:00:00.000Z" && points.first?["time"] == "11:00 AM")
            #expect(points[13]["time"] == "12:00 AM" && points[1]["time"] == "12:00 PM" && points[22]["time"] == "09:00 AM")
            #expect(points.first?.objectValue.map { Array($0.keys) } == ["time", "timestamp", "avg", "p50", "p95"])
            #expect(f.data.expectedResponseTimes(points: 24).filter { $0[0] > 0 }.count >= 10)
            let bad = try await f.get(client, "/api/analytics/response-times?period=1y")
            #expect(bad.status == 400 && bad.json["error"] == "Validation error")
        }
    }

    @Test func messageVolumeLiveAndFromRollups() async throws {
        try await AnalyticsFixture.make { f, client in
            let live = try await f.get(client, "/api/analytics/message-volume?period=7d")
            #expect(live.json.points(["inbound", "outbound"]) == f.data.expectedVolume(points: 168))
            let points = try #require(live.json["data"].arrayValue)
            #expect(points.last?["time"] == "Jan 17, 10 AM" && points[points.count - 11]["time"] == "Jan 17, 12 AM")
            #expect(points[points.count - 23]["time"] == "Jan 16, 12 PM" && points[0]["time"] == "Jan 10, 11 AM")
            #expect(points.last?.objectValue.map { Array($0.keys) } == ["time", "timestamp", "inbound", "outbound"])

            // After the rollup, hours up to last_rollup_hour come from usage_analytics: same figures...
            try await f.rollUp()
            let lastHour = try #require(try await f.rows("SELECT value FROM app_meta WHERE key = 'last_rollup_hour'").first?["value"] as String?)
            #expect(lastHour == "2026-01-17T09:00:00.000Z")
            let rolled = try await f.get(client, "/api/analytics/message-volume?period=7d")
            #expect(rolled.header("X-Cache") == "MISS")   // the rollup deleted the organization's analytics keys
            // The first run caught up 48 hours (points 119…166); older hours have no row and count 0.
            var expected = f.data.expectedVolume(points: 168)
            for i in 0..<119 { expected[i] = [0, 0] }
            #expect(rolled.json.points(["inbound", "outbound"]) == expected)
            #expect(f.data.expectedVolume(points: 168)[0..<119].contains { $0 != [0, 0] })
            // ...and a rolled-up hour is read from its row, not from messages.
            try await f.app.database.write { db in
                try db.execute(sql: "UPDATE usage_analytics SET messages_received = 999 WHERE organization_id = ? AND hour = ?",
                               arguments: [f.owner.organizationId, "2026-01-17T09:00:00.000Z"])
            }
            f.app.deps.cache.invalidate([.prefix("analytics:")])
            let tampered = try await f.get(client, "/api/analytics/message-volume?period=24h")
            #expect(tampered.json["data"][22]["inbound"] == 999)
            #expect(tampered.json["data"][23]["inbound"] == .int(Int64(f.data.expectedVolume(points: 24)[23][0])))
        }
    }

    @Test func botPercentilesOfTheLastHour() async throws {
        try await AnalyticsFixture.make { f, client in
            for bot in [f.data.botA, f.data.botB] {
                let r = try await f.get(client, "/api/analytics/bot/\(bot)/percentiles")
                #expect(r.status == 200 && r.json == f.data.expectedPercentiles(bot: bot))
                #expect(r.json.objectValue.map { Array($0.keys) } == ["p50", "p95", "p99"])
            }
            #expect(f.data.expectedPercentiles(bot: f.data.botA)["p50"] != 0)
            // Another tenant's bot is not found, and nor is a missing one.
            let foreign = try await f.get(client, "/api/analytics/bot/\(f.data.otherBot)/percentiles")
            #expect(foreign.status == 404 && foreign.json == ["error": "Bot not found"])
            #expect(try await f.get(client, "/api/analytics/bot/nope/performance").status == 404)
        }
    }

    @Test func botPerformanceSpansRolledUpDaysAndToday() async throws {
        try await AnalyticsFixture.make { f, client in
            try await f.rollUp()
            let dates = (0...5).map { Timestamp.date(epochMilliseconds: f.clock.nowMilliseconds() - Int64(5 - $0) * 86_400_000) }
            #expect(dates.first == "2026-01-12" && dates.last == "2026-01-17")
            for bot in [f.data.botA, f.data.botB] {
                let r = try await f.get(client, "/api/analytics/bot/\(bot)/performance?startDate=2026-01-12&endDate=2026-01-17")
                #expect(r.status == 200 && r.header("X-Cache") == "MISS")
                #expect(sameNumbers(r.json, f.data.expectedPerformance(bot: bot, dates: dates)), "bot \(bot)")
                #expect(r.json.objectValue.map { Array($0.keys) }
                        == ["total_conversations", "total_messages", "avg_response_time_ms", "success_rate", "total_cost_usd"])
            }
            // Both sources contribute: past days from bot_performance_metrics, today live.
            #expect(f.data.expectedDaily(bot: f.data.botA, date: "2026-01-17").conversations > 0)
            #expect(f.data.expectedDaily(bot: f.data.botA, date: "2026-01-15").conversations > 0)
            // A range of rolled-up days only reads the stored rows: change one and the answer follows.
            try await f.app.database.write { db in
                try db.execute(sql: "UPDATE bot_performance_metrics SET total_conversations = total_conversations + 100 WHERE bot_id = ? AND date = ?",
                               arguments: [f.data.botA, "2026-01-15"])
            }
            let past = try await f.get(client, "/api/analytics/bot/\(f.data.botA)/performance?startDate=2026-01-13&endDate=2026-01-16")
            let expectedPast = f.data.expectedPerformance(bot: f.data.botA, dates: ["2026-01-13", "2026-01-14", "2026-01-15", "2026-01-16"])
            #expect(past.json["total_conversations"].integerValue == expectedPast["total_conversations"].integerValue! + 100)
            // Defaults: today − 7 days … today.
            let defaults = try await f.get(client, "/api/analytics/bot/\(f.data.botB)/performance")
            let week = (0...7).map { Timestamp.date(epochMilliseconds: f.clock.nowMilliseconds() - Int64(7 - $0) * 86_400_000) }
            #expect(sameNumbers(defaults.json, f.data.expectedPerformance(bot: f.data.botB, dates: week)))
            #expect(try await f.get(client, "/api/analytics/bot/\(f.data.botA)/performance?startDate=2026-01-17&endDate=2026-01-12").status == 400)
            #expect(try await f.get(client, "/api/analytics/bot/\(f.data.botA)/performance?startDate=2026-02-30").status == 400)
            let foreign = try await f.get(client, "/api/analytics/bot/\(f.data.botA)/performance", token: f.other.token)
            #expect(foreign.status == 404 && foreign.json == ["error": "Bot not found"])
        }
    }

    @Test func csvExportBytes() async throws {
        try await AnalyticsFixture.make { f, client in
            let r = try await client.call(.get, "/api/analytics/export?token=\(f.owner.token)")
            #expect(r.status == 200)
            #expect(r.header("Content-Type") == "text/csv; charset=utf-8" && r.header("X-Cache") == nil)
            let disposition = try #require(r.header("Content-Disposition"))
            #expect(disposition == "attachment; filename=\"analytics-export-\(f.clock.nowMilliseconds()).csv\"")
            let expected = f.data.expectedCSV(from: f.clock.nowMilliseconds() - 7 * 86_400_000, botNames: f.botNames)
            #expect(r.text == expected)
            #expect(expected.contains("\"Ana \"\"the\"\" Bot\"") && expected.split(separator: "\n").count > 40)

            // The header token works too, and takes the same range.
            let header = try await client.call(.get, "/api/analytics/export", token: f.owner.token)
            #expect(header.text == expected)
            // today, a bot, a status, explicit dates.
            let today = try await client.call(.get, "/api/analytics/export?period=today&botId=\(f.data.botA)&status=resolved", token: f.owner.token)
            let midnight = f.clock.nowMilliseconds() - f.clock.nowMilliseconds() % 86_400_000
            let todayLines = expected.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().filter { line in
                line.hasPrefix(Timestamp.format(epochMilliseconds: midnight).prefix(10)) && line.contains("\"Ana \"\"the\"\" Bot\"")
                    && line.contains(",\"resolved\",")
            }
            #expect(today.text == CSVHeader.line + todayLines.map { $0 + "\n" }.joined())
            #expect(!todayLines.isEmpty)
            let explicit = try await client.call(.get, "/api/analytics/export?startDate=2026-01-13&endDate=2026-01-14&period=today", token: f.owner.token)
            let explicitExpected = expected.split(separator: "\n").dropFirst().filter { $0.hasPrefix("2026-01-13") || $0.hasPrefix("2026-01-14") }
            #expect(explicit.text == CSVHeader.line + explicitExpected.map { $0 + "\n" }.joined())

            #expect(try await client.call(.get, "/api/analytics/export").status == 401)
            #expect(try await client.call(.get, "/api/analytics/export?token=nonsense").status == 401)
            #expect(try await client.call(.get, "/api/analytics/export?startDate=2026-01-13", token: f.owner.token).status == 400)
            #expect(try await client.call(.get, "/api/analytics/export?period=year", token: f.owner.token).status == 400)
            #expect(try await client.call(.get, "/api/analytics/export?status=sleeping", token: f.owner.token).status == 400)
            // The other tenant's export holds only its own conversation.
            let other = try await client.call(.get, "/api/analytics/export?token=\(f.other.token)")
            #expect(other.text.split(separator: "\n").count == 2 && other.text.contains("\"Elsewhere\""))
        }
    }

    @Test func csvExportStopsAtOneThousandRows() async throws {
        try await AnalyticsFixture.make { f, client in
            try await f.app.database.write { db in
                let account = try String.fetchOne(db, sql: "SELECT id FROM whatsapp_accounts WHERE organization_id = ?", arguments: [f.owner.organizationId])!
                for n in 0..<1001 {
                    let id = Identifiers.uuid()
                    let at = Timestamp.format(epochMilliseconds: f.clock.nowMilliseconds() - 3_600_000 - Int64(n) * 1000)
                    try db.execute(sql: """
                        INSERT INTO conversations (id, organization_id, bot_id, whatsapp_account_id, customer_phone, status, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, 'archived', ?, ?)
                        """, arguments: [id, f.owner.organizationId, f.data.botB, account, "+2784\(1_000_000 + n)", at, at])
                    try db.execute(sql: """
                        INSERT INTO conversation_metrics (id, conversation_id, bot_id, organization_id, started_at) VALUES (?, ?, ?, ?, ?)
                        """, arguments: [Identifiers.uuid(), id, f.data.botB, f.owner.organizationId, at])
                }
            }
            let r = try await client.call(.get, "/api/analytics/export?status=archived", token: f.owner.token)
            let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 1 + 1000 + 1)   // header, 1000 rows, the empty string after the last "\n"
            // Newest first; empty metrics are 0, satisfaction N/A.
            let nowHour = f.clock.nowMilliseconds() - 3_600_000
            #expect(lines[1] == "\(Timestamp.format(epochMilliseconds: nowHour)),\"Bravo\",\"+27841000000\",0,0,0,0,0,0,0,0,0,0,0.000000,0,\"archived\",N/A")
            #expect(lines[1000].hasPrefix(Timestamp.format(epochMilliseconds: nowHour - 999_000)))
        }
    }
}

enum CSVHeader {
    static let line = "Date,Bot Name,Customer Phone,Total Messages,User Messages,Bot Messages,Avg Response Time (ms),p50 Response Time (ms),p95 Response Time (ms),Successful Responses,Failed Responses,Knowledge Base Hits,Tokens Used,Estimated Cost (USD),Duration (seconds),Status,Customer Satisfaction\n"
}
