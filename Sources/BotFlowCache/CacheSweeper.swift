import ServiceLifecycle

/// Removes expired entries every 60 s (behaviour §3.1); expired entries are also dropped on access.
public struct CacheSweeper: Service {
    let cache: ResponseCache
    let interval: Duration

    public init(cache: ResponseCache, interval: Duration = .seconds(60)) { self.cache = cache; self.interval = interval }

    public func run() async throws {
        for await _ in AsyncTimerSequence(interval: interval).cancelOnGracefulShutdown() { cache.sweep() }
    }
}

/// A plain timer; swift-async-algorithms is not a dependency for one ticker.
struct AsyncTimerSequence: AsyncSequence, Sendable {
    let interval: Duration
    struct AsyncIterator: AsyncIteratorProtocol {
        let interval: Duration
        mutating func next() async -> Void? {
            do { try await Task.sleep(for: interval) } catch { return nil }
            return ()
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(interval: interval) }
}
