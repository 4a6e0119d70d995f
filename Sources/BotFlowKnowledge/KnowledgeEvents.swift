import BotFlowCore

/// Post-commit notices that a bot's knowledge changed (articles, metadata, chunks): the API layer invalidates its
/// cached K1/K6 responses from here, for HTTP writes and background jobs alike.
public final class KnowledgeEvents: Sendable {
    private let observers = LockedValue<[@Sendable (String) -> Void]>([])

    public init() {}

    public func observe(_ observer: @escaping @Sendable (_ botId: String) -> Void) { observers.withLock { $0.append(observer) } }

    func changed(botId: String) { for o in observers.withLock({ $0 }) { o(botId) } }
}
