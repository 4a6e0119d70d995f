import BotFlowCore

/// The in-process publish/subscribe of behaviour §10.7, keyed by organization: every stored message is published
/// after its commit; each WebSocket connection subscribes to its organization with a bounded buffer (a slow reader
/// loses the oldest events rather than growing memory).
public final class LiveEvents: Sendable {
    public struct Event: Sendable { public let conversationId: String; public let messageIds: [String] }

    private struct Subscriber { let continuation: AsyncStream<Event>.Continuation }
    private let subscribers = LockedValue<[String: [Int: Subscriber]]>([:])
    private let nextId = LockedValue(0)

    public init() {}

    public func publish(organizationId: String, _ event: Event) {
        let targets = subscribers.withLock { $0[organizationId].map { Array($0.values) } ?? [] }
        for s in targets { s.continuation.yield(event) }
    }

    /// A stream of the organization's events until the returned stream is dropped or `cancel` runs.
    public func subscribe(organizationId: String, bufferSize: Int = 256) -> AsyncStream<Event> {
        let id = nextId.withLock { $0 += 1; return $0 }
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize))
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLock { subs in
                subs[organizationId]?[id] = nil
                if subs[organizationId]?.isEmpty == true { subs[organizationId] = nil }
            }
        }
        subscribers.withLock { $0[organizationId, default: [:]][id] = Subscriber(continuation: continuation) }
        return stream
    }

    /// Open subscriptions (tests check that closed connections release theirs).
    public var subscriberCount: Int { subscribers.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
