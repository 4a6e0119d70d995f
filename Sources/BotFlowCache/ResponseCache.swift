import BotFlowCore
import NIOCore
import Synchronization

/// A cached response body (or pipeline row) with its tier and the scope allowed to read it. Held as a `ByteBuffer`
/// so a HIT hands the stored storage to the response without copying it (copy-on-write; nothing writes to it).
public struct CachedValue: Sendable {
    public let body: ByteBuffer
    public let tier: CacheTier
    /// The organization the value belongs to, for keys that do not carry it (e.g. `bot:detail:{botId}`): a caller
    /// of another organization never gets it, even before its own authorisation fails.
    public let owner: String?

    public init(body: ByteBuffer, tier: CacheTier, owner: String?) { self.body = body; self.tier = tier; self.owner = owner }
}

/// What to delete after a write (behaviour §3.4): one key, or every key under a `…:` prefix.
public enum CacheKeyPattern: Sendable, Hashable {
    case key(String)
    case prefix(String)
}

/// The in-process cache of behaviour §3: one byte-bounded LRU shared by the tiers, TTL per tier, single flight on
/// concurrent misses, exact invalidation, statistics. Values are exact response bytes, so a HIT is byte-identical
/// to the MISS that stored it.
public final class ResponseCache: Sendable {
    public let enabled: Bool
    public let maxBytes: Int
    private let clock: any AppClock
    private let state: Mutex<State>

    struct State {
        var store: LRUStore
        var counters: [CacheTier: TierCounters] = [:]
        var flights: [String: Flight] = [:]
    }

    struct TierCounters { var hits = 0, misses = 0, evictions = 0 }

    /// One computation in progress, run inline by the first caller (no task per miss); later callers of the same
    /// key wait for its result. `stale` is set when a write invalidated its key meanwhile.
    final class Flight: Sendable {
        let key: String
        let stale = Atomic<Bool>(false)
        private let waiters = LockedValue<(result: Result<ByteBuffer, any Error>?, continuations: [CheckedContinuation<ByteBuffer, any Error>])>((nil, []))
        init(key: String) { self.key = key }

        func wait() async throws -> ByteBuffer {
            try await withCheckedThrowingContinuation { continuation in
                let done = waiters.withLock { w -> Result<ByteBuffer, any Error>? in
                    if let result = w.result { return result }
                    w.continuations.append(continuation)
                    return nil
                }
                if let done { continuation.resume(with: done) }
            }
        }

        func finish(_ result: Result<ByteBuffer, any Error>) {
            let waiting = waiters.withLock { w in
                w.result = result
                defer { w.continuations = [] }
                return w.continuations
            }
            for continuation in waiting { continuation.resume(with: result) }
        }
    }

    public init(maxBytes: Int, enabled: Bool, clock: any AppClock) {
        self.enabled = enabled && maxBytes > 0
        self.maxBytes = maxBytes
        self.clock = clock
        state = Mutex(State(store: LRUStore(maxBytes: maxBytes)))
    }

    /// The cached bytes for `key` (HIT), or `compute()`'s bytes (MISS) stored under `tier`. Concurrent misses of
    /// one key and scope compute once. A value computed while a write invalidated its key is returned to the callers
    /// that were already waiting but not stored, and later callers compute afresh.
    public func fetch(_ key: String, tier: CacheTier, owner: String? = nil,
                      compute: @escaping @Sendable () async throws -> [UInt8]) async throws -> (bytes: [UInt8], hit: Bool) {
        let (body, hit) = try await fetchBody(key, tier: tier, owner: owner, compute: compute)
        return (Array(body.readableBytesView), hit)
    }

    /// `fetch` without copying the stored bytes out (the HTTP layer sends the buffer as it is).
    public func fetchBody(_ key: String, tier: CacheTier, owner: String? = nil,
                          compute: @escaping @Sendable () async throws -> [UInt8]) async throws -> (body: ByteBuffer, hit: Bool) {
        guard enabled else {
            state.withLock { $0.counters[tier, default: .init()].misses += 1 }
            return (ByteBuffer(bytes: try await compute()), false)
        }
        let flightKey = owner.map { "\(key)\u{0}\($0)" } ?? key
        let nowMs = clock.nowMilliseconds()
        enum Lookup { case hit(ByteBuffer), join(Flight), lead(Flight) }
        let lookup: Lookup = state.withLock { s in
            if let value = s.store.get(key, nowMs: nowMs), value.owner == owner {
                s.counters[tier, default: .init()].hits += 1
                return .hit(value.body)
            }
            s.counters[tier, default: .init()].misses += 1
            if let flight = s.flights[flightKey] { return .join(flight) }
            let flight = Flight(key: key)
            s.flights[flightKey] = flight
            return .lead(flight)
        }
        switch lookup {
        case .hit(let body): return (body, true)
        case .join(let flight): return (try await flight.wait(), false)
        case .lead(let flight):
            let result: Result<ByteBuffer, any Error>
            do { result = .success(ByteBuffer(bytes: try await compute())) } catch { result = .failure(error) }
            state.withLock { s in
                if s.flights[flightKey] === flight { s.flights.removeValue(forKey: flightKey) }
                if case .success(let body) = result, !flight.stale.load(ordering: .sequentiallyConsistent) {
                    let evicted = s.store.set(key, CachedValue(body: body, tier: tier, owner: owner), nowMs: clock.nowMilliseconds())
                    for t in evicted { s.counters[t, default: .init()].evictions += 1 }
                }
            }
            flight.finish(result)
            return (try result.get(), false)
        }
    }

    /// Deletes the keys a committed write affects (call after the commit, before answering).
    public func invalidate(_ patterns: [CacheKeyPattern]) {
        guard enabled, !patterns.isEmpty else { return }
        state.withLock { s in
            for pattern in patterns {
                switch pattern {
                case .key(let key): s.store.remove(key)
                case .prefix(let prefix): for key in s.store.keys(withPrefix: prefix) { s.store.remove(key) }
                }
            }
            guard !s.flights.isEmpty else { return }
            for (flightKey, flight) in s.flights where patterns.contains(where: { $0.matches(flight.key) }) {
                flight.stale.store(true, ordering: .sequentiallyConsistent)
                s.flights.removeValue(forKey: flightKey)
            }
        }
    }

    /// Everything (restore).
    public func removeAll() {
        state.withLock { s in
            s.store.removeAll()
            for flight in s.flights.values { flight.stale.store(true, ordering: .sequentiallyConsistent) }
            s.flights.removeAll()
        }
    }

    /// Removes expired entries; the sweeper calls it every 60 s.
    @discardableResult
    public func sweep() -> Int {
        let nowMs = clock.nowMilliseconds()
        return state.withLock { $0.store.removeExpired(nowMs: nowMs) }
    }

    /// A cheap probe for the health check (`redis` of §11.1).
    public func probe() -> Bool { state.withLock { $0.store.bytes <= maxBytes } }

    public func statistics() -> CacheStatistics {
        state.withLock { s in
            var tiers: [CacheTier: CacheStatistics.Tier] = [:]
            for tier in CacheTier.allCases {
                let c = s.counters[tier] ?? .init()
                tiers[tier] = .init(hits: c.hits, misses: c.misses, evictions: c.evictions,
                                    entries: s.store.entriesByTier[tier] ?? 0, bytes: s.store.bytesByTier[tier] ?? 0)
            }
            return CacheStatistics(tiers: tiers, maxBytes: maxBytes)
        }
    }
}

extension CacheKeyPattern {
    func matches(_ key: String) -> Bool {
        switch self {
        case .key(let k): k == key
        case .prefix(let p): key.hasPrefix(p)
        }
    }
}
