import BotFlowAPI
import BotFlowCore
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import Testing

/// AN7 against a live server with HummingbirdWebSocket's client.
/// (Three minutes, not one: with the whole suite in parallel on two cores these tests waited over a minute for a
/// thread in one CI run; the limit only has to catch a hang.)
@Suite(.timeLimit(.minutes(3))) struct AnalyticsStreamTests {
    static let logger = Logger(label: "analytics-stream-test")

    static func url(_ client: any TestClientProtocol, token: String?) -> String {
        "ws://127.0.0.1:\(client.port!)/api/analytics/stream" + (token.map { "?token=\($0)" } ?? "")
    }

    /// Connects, hands every received text frame to `body` as JSON until it returns false, then closes.
    static func session(_ url: String, send: [String] = [], _ body: @escaping @Sendable (JSON, WebSocketOutboundWriter) async throws -> Bool)
        async throws -> WebSocketCloseFrame?
    {
        try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
            for text in send { try await outbound.write(.text(text)) }
            var done = false
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                if try await !body(try JSONParser.parse(Array(text.utf8)), outbound) { done = true; break }
            }
            // Close only when we stopped reading; after the server's own close (a refused connection) the handshake
            // is already complete, and a second close waits for an answer that never comes (a read timeout).
            if done { try await outbound.close(.normalClosure, reason: nil) }
        }
    }

    @Test func refusedConnectionsCloseWith1008AndTheReason() async throws {
        try await AnalyticsFixture.make(live: true) { f, client in
            let frames = LockedValue<[JSON]>([])
            let missing = try await Self.session(Self.url(client, token: nil)) { json, _ in frames.withLock { $0.append(json) }; return true }
            #expect(missing?.closeCode == .policyViolation && missing?.reason == "Authentication required")
            let invalid = try await Self.session(Self.url(client, token: "not.a.jwt")) { json, _ in frames.withLock { $0.append(json) }; return true }
            #expect(invalid?.closeCode == .policyViolation && invalid?.reason == "Invalid token")
            // A valid token whose membership ended.
            let leaver = try await client.signup(organization: "Gone Co")
            try await f.app.database.write { db in
                try db.execute(sql: "DELETE FROM organization_members WHERE user_id = ?", arguments: [leaver.userId])
            }
            let gone = try await Self.session(Self.url(client, token: leaver.token)) { json, _ in frames.withLock { $0.append(json) }; return true }
            #expect(gone?.closeCode == .policyViolation && gone?.reason == "Organization not found")
            #expect(frames.withLock { $0 }.isEmpty)
        }
    }

    @Test func metricsOnConnectPongAndNewMessages() async throws {
        try await AnalyticsFixture.make(live: true) { f, client in
            let expected = f.data.expectedRealtime()
            let received = LockedValue<[JSON]>([])
            let conversation = f.data.conversations.first { $0.organization == f.data.org && $0.status == "handed_off" }!.id
            let sent = LockedValue<String?>(nil)
            // Not JSON, too large, an unknown type: all ignored; then a ping.
            let close = try await Self.session(Self.url(client, token: f.owner.token),
                                               send: ["not json", "{\"type\":\"ping\",\"pad\":\"" + String(repeating: "x", count: 5000) + "\"}",
                                                      "{\"type\":\"hello\"}", "{\"type\":\"ping\"}"]) { json, _ in
                received.withLock { $0.append(json) }
                let all = received.withLock { $0 }
                if all.count == 2 {
                    // Connected and answered: an agent reply is stored → new_message.
                    let reply = try await client.call(.post, "/api/conversations/\(conversation)/messages", json: ["content": "On my way"],
                                                      token: f.owner.token)
                    sent.withLock { $0 = reply.json["message"]["id"].stringValue }
                }
                return all.count < 4
            }
            #expect(close == nil || close?.closeCode == .normalClosure)
            let frames = received.withLock { $0 }
            try #require(frames.count == 4)
            #expect(frames[0]["type"] == "metrics_update" && sameNumbers(frames[0]["data"], expected))
            #expect(frames[0].objectValue.map { Array($0.keys) } == ["type", "data", "timestamp"])
            #expect(frames[0]["timestamp"] == .string(f.clock.now()))
            #expect(frames[1] == ["type": "pong", "timestamp": .string(f.clock.now())])
            #expect(frames[2]["type"] == "new_message" && frames[2]["data"]["conversation_id"] == .string(conversation))
            #expect(frames[2]["data"]["message"]["id"] == .string(sent.withLock { $0 }) && frames[2]["data"]["message"]["content"] == "On my way")
            // Five seconds later, the next metrics_update (the agent reply is in this hour now).
            #expect(frames[3]["type"] == "metrics_update")
            #expect(frames[3]["data"]["messagesPerHour"].integerValue == expected["messagesPerHour"].integerValue! + 1)
            // Closed: the subscription is released.
            for _ in 0..<100 where f.app.deps.analytics.live.subscriberCount > 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(f.app.deps.analytics.live.subscriberCount == 0)
        }
    }

    @Test func anotherOrganizationsMessagesAreNotStreamed() async throws {
        try await AnalyticsFixture.make(live: true) { f, client in
            let types = LockedValue<[String]>([])
            let conversation = f.data.conversations.first { $0.organization == f.data.otherOrg }!.id
            _ = try await Self.session(Self.url(client, token: f.owner.token), send: ["{\"type\":\"ping\"}"]) { json, _ in
                types.withLock { $0.append(json["type"].stringValue ?? "") }
                if json["type"] == "pong" {
                    // The other tenant's agent replies; the next frame must be the 5-second metrics_update.
                    let r = try await client.call(.post, "/api/conversations/\(conversation)/messages", json: ["content": "Hi"], token: f.other.token)
                    #expect(r.status == 200)
                }
                return types.withLock { $0.count } < 3
            }
            let seen = types.withLock { $0 }
            #expect(seen.first == "metrics_update" && seen.contains("pong") && !seen.contains("new_message"))
        }
    }
}
