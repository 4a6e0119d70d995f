import BotFlowAnalytics
import BotFlowCache
import BotFlowCore
import BotFlowDomain
import BotFlowStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// AN7, `GET /api/analytics/stream?token=<jwt>` (api.md §4.13, behaviour §10.7): `metrics_update` on connect and
/// every 5 s, `new_message` for every stored message of the organization, `pong` for `{"type":"ping"}`.
///
/// The upgrade is decided before the router (the HTTP/1 channel's upgrade hook), so authentication happens on the
/// socket: a bad token is answered with close code 1008 and the reason of api.md.
struct AnalyticsStream: Sendable {
    static let path = "/api/analytics/stream"
    let analytics: AnalyticsRuntime
    let auth: AuthService
    let cache: ResponseCache
    let database: AppDatabase
    let clock: any AppClock
    var metricsInterval: Duration = .seconds(5)
    /// Client frames above this size are ignored (behaviour §10.7).
    static let maxClientFrame = 4096

    /// The HTTP/1 channel's settings: plain HTTP as before; the library pings every 30 s and closes a connection whose
    /// ping went unanswered.
    static let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
        http1: .init(), ws: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30))))

    /// The upgrade hook of `.http1WebSocketUpgrade`: only this path upgrades; every other request stays plain HTTP.
    func shouldUpgrade(_ request: HTTPRequest, _ channel: any Channel, _ logger: Logger)
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        guard let target = request.path, Self.pathOnly(target) == Self.path else { return .dontUpgrade }
        let token = Self.token(fromTarget: target)
        return .upgrade([:]) { inbound, outbound, context in
            try await session(token: token, inbound: inbound, outbound: outbound, logger: context.logger)
        }
    }

    static func pathOnly(_ target: String) -> Substring { target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] }

    static func token(fromTarget target: String) -> String? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        // The last `token=` wins, like every other query parameter (api.md §1.1).
        let value = parts[1].split(separator: "&").last { $0.hasPrefix("token=") }?.dropFirst(6)
        return value.flatMap { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func session(token: String?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger) async throws {
        guard let token else { return try await outbound.close(.policyViolation, reason: "Authentication required") }
        guard let identity = try await auth.identity(forToken: token) else {
            return try await outbound.close(.policyViolation, reason: "Invalid token")
        }
        guard identity.role != nil, let org = identity.claimedOrganizationId else {
            return try await outbound.close(.policyViolation, reason: "Organization not found")
        }
        let events = analytics.live.subscribe(organizationId: org)
        try await sendMetrics(org: org, outbound)
        // The first task to end (the client closed, or a write failed) ends the session; the others are cancelled,
        // which also ends the subscription.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: metricsInterval)
                    try await sendMetrics(org: org, outbound)
                }
            }
            group.addTask {
                for await event in events { try await sendMessages(event, org: org, outbound) }
            }
            group.addTask {
                for try await frame in inbound {
                    guard frame.opcode == .text, frame.fin, frame.data.readableBytes <= Self.maxClientFrame,
                        let message = try? JSONParser.parse(Array(buffer: frame.data)), message["type"] == "ping"
                    else { continue }
                    try await send(["type": "pong", "timestamp": .string(clock.now())], outbound)
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    private func sendMetrics(org: String, _ outbound: WebSocketOutboundWriter) async throws {
        // The same REALTIME entry AN1 serves.
        let (bytes, _) = try await cache.fetch(CacheKeys.analyticsRealtime(org: org), tier: .REALTIME, owner: nil) {
            JSONWriter.bytes(try await analytics.realtime(organizationId: org).json)
        }
        let data = (try? JSONParser.parse(bytes)) ?? [:]
        try await send(["type": "metrics_update", "data": data, "timestamp": .string(clock.now())], outbound)
    }

    private func sendMessages(_ event: LiveEvents.Event, org: String, _ outbound: WebSocketOutboundWriter) async throws {
        let messages = try await database.read { db in
            try event.messageIds.compactMap { try MessageRepository.find(db, id: $0) }.filter { $0.organizationId == org }
        }
        for m in messages {
            try await send(["type": "new_message", "data": ["conversation_id": .string(event.conversationId), "message": Present.message(m)],
                            "timestamp": .string(clock.now())], outbound)
        }
    }

    private func send(_ value: JSON, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.writeTextMessage(JSONWriter.string(value))
    }
}
