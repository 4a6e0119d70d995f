import BotFlowCache
import BotFlowCore
import BotFlowTestSupport
import Testing

/// behaviour.md §3: the shared LRU, tiers and TTLs, single flight, invalidation and statistics, on the real cache
/// with a hand-moved clock.
@Suite struct ResponseCacheTests {
    let clock = ManualClock()

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func missThenHitReturnsTheSameBytesAndCounts() async throws {
        let cache = ResponseCache(maxBytes: 1 << 20, enabled: true, clock: clock)
        let first = try await cache.fetch("bot:list:o1", tier: .WARM) { bytes(#"{"bots":[]}"#) }
        let second = try await cache.fetch("bot:list:o1", tier: .WARM) { bytes("recomputed") }
        #expect(first.hit == false && second.hit == true)
        #expect(second.bytes == first.bytes)
        let warm = cache.statistics().tiers[.WARM]!
        #expect(warm.hits == 1 && warm.misses == 1 && warm.entries == 1)
        #expect(warm.bytes == "bot:list:o1".utf8.count + #"{"bots":[]}"#.utf8.count)
        #expect(warm.hitRate == 0.5)
        #expect(cache.statistics().total.hits == 1)
    }

    @Test(arguments: CacheTier.allCases)
    func entriesExpireAfterTheirTiersTTL(_ tier: CacheTier) async throws {
        let cache = ResponseCache(maxBytes: 1 << 20, enabled: true, clock: clock)
        _ = try await cache.fetch("k:1", tier: tier) { bytes("v1") }
        clock.advance(seconds: tier.ttlSeconds - 1)
        #expect(try await cache.fetch("k:1", tier: tier) { bytes("v2") }.hit)
        clock.advance(seconds: 1)
        let after = try await cache.fetch("k:1", tier: tier) { bytes("v3") }
        #expect(after.hit == false && after.bytes == bytes("v3"))
    }

    @Test func ttlsFollowTheSpec() {
        #expect(CacheTier.REALTIME.ttlSeconds == 60 && CacheTier.HOT.ttlSeconds == 300 && CacheTier.WARM.ttlSeconds == 3600)
        #expect(CacheTier.COLD.ttlSeconds == 86_400 && CacheTier.TEMPLATE.ttlSeconds == 604_800)
    }

    @Test func leastRecentlyUsedEntriesAreEvictedUnderTheBudgetAndCounted() async throws {
        // Each entry: 3-byte key + 97-byte value = 100 bytes; budget 1000 → ten fit, and 100 ≤ 1000/8.
        let cache = ResponseCache(maxBytes: 1000, enabled: true, clock: clock)
        let value = [UInt8](repeating: 65, count: 97)
        for i in 0..<10 { _ = try await cache.fetch("k:\(i)", tier: i < 5 ? .HOT : .COLD) { value } }
        #expect(cache.statistics().total.entries == 10)
        // Touch k:0 so k:1 is now the least recently used.
        #expect(try await cache.fetch("k:0", tier: .HOT) { [] }.hit)
        _ = try await cache.fetch("k:a", tier: .WARM) { value }
        let stats = cache.statistics()
        #expect(stats.total.entries == 10 && stats.total.bytes == 1000)
        #expect(stats.tiers[.HOT]!.evictions == 1 && stats.total.evictions == 1)
        #expect(try await cache.fetch("k:0", tier: .HOT) { [] }.hit, "recently used entry survives")
        #expect(try await cache.fetch("k:1", tier: .HOT) { value }.hit == false, "least recently used entry was evicted")
    }

    @Test func aValueLargerThanAnEighthOfTheBudgetIsNotCached() async throws {
        let cache = ResponseCache(maxBytes: 800, enabled: true, clock: clock)
        _ = try await cache.fetch("k:big", tier: .HOT) { [UInt8](repeating: 1, count: 100) }
        #expect(try await cache.fetch("k:big", tier: .HOT) { [] }.hit == false)
        _ = try await cache.fetch("k:ok", tier: .HOT) { [UInt8](repeating: 1, count: 90) }
        #expect(try await cache.fetch("k:ok", tier: .HOT) { [] }.hit)
    }

    @Test func concurrentMissesComputeOnce() async throws {
        let cache = ResponseCache(maxBytes: 1 << 20, enabled: true, clock: clock)
        let computations = LockedValue(0)
        let results = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await cache.fetch("k:flight", tier: .HOT) {
                        computations.withLock { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(100))
                        return Array("computed".utf8)
                    }.bytes
                }
            }
            return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(computations.withLock { $0 } == 1)
        #expect(results.count == 50 && results.allSatisfy { $0 == Array("computed".utf8) })
    }

    @Test func aComputationInvalidatedMidwayIsNotStoredAndLaterCallersRecompute() async throws {
        let cache = ResponseCache(maxBytes: 1 << 20, enabled: true, clock: clock)
        let started = LockedValue(false)
        let slow = Task {
            try await cache.fetch("messages:c1:20:-", tier: .HOT) {
                started.withLock { $0 = true }
                try await Task.sleep(for: .milliseconds(200))
                return Array("old".utf8)
            }
        }
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
        // A write commits and invalidates while the old value is still being computed.
        cache.invalidate([.prefix("messages:c1:")])
        let fresh = try await cache.fetch("messages:c1:20:-", tier: .HOT) { Array("new".utf8) }
        #expect(fresh.bytes == Array("new".utf8), "a read after the write never joins the stale computation")
        #expect(try await slow.value.bytes == Array("old".utf8))
        let later = try await cache.fetch("messages:c1:20:-", tier: .HOT) { Array("again".utf8) }
        #expect(later.hit && later.bytes == Array("new".utf8), "the stale result was not stored over the fresh one")
    }

    @Test func invalidationDeletesExactKeysAndPrefixesOnly() async throws {
        let cache = ResponseCache(maxBytes: 1 << 20, enabled: true, clock: clock)
        for key in ["conversation:list:o1:*:*:*:20:-", "conversation:list:o1:active:*:*:20:-", "conversation:list:o2:*:*:*:20:-",
                    "conversation:o1:c1", "conversation:o1:c2", "bot:list:o1"] {
            _ = try await cache.fetch(key, tier: .HOT) { Array(key.utf8) }
        }
        cache.invalidate(CacheInvalidation.conversationChanged(org: "o1", conversation: "c1"))
        func hit(_ key: String) async throws -> Bool { try await cache.fetch(key, tier: .HOT) { [] }.hit }
        #expect(try await hit("conversation:list:o1:*:*:*:20:-") == false)
        #expect(try await hit("conversation:list:o1:active:*:*:20:-") == false)
        #expect(try await hit("conversation:o1:c1") == false)
        #expect(try await hit("conversation:list:o2:*:*:*:20:-"))
        #expect(try await hit("conversation:o1:c2"))
        #expect(try await hit("bot:list:o1"))
    }

    @Test func anEntryIsServedOnlyToItsOwnerScope() async throws {
        let cache = ResponseCache(maxBytes: 1 << 20, enabled: true, clock: clock)
        _ = try await cache.fetch("bot:detail:b1", tier: .WARM, owner: "o1") { Array("o1 data".utf8) }
        let other = try await cache.fetch("bot:detail:b1", tier: .WARM, owner: "o2") { Array("o2 computed".utf8) }
        #expect(other.hit == false && other.bytes == Array("o2 computed".utf8))
    }

    @Test func disabledCacheStoresNothingAndCountsMisses() async throws {
        let cache = ResponseCache(maxBytes: 1 << 20, enabled: false, clock: clock)
        _ = try await cache.fetch("k:1", tier: .HOT) { [1] }
        let second = try await cache.fetch("k:1", tier: .HOT) { [2] }
        #expect(second.hit == false && second.bytes == [2])
        #expect(cache.statistics().total.entries == 0 && cache.statistics().tiers[.HOT]!.misses == 2)
    }

    @Test func theSweeperRemovesExpiredEntries() async throws {
        let cache = ResponseCache(maxBytes: 1 << 20, enabled: true, clock: clock)
        _ = try await cache.fetch("k:rt", tier: .REALTIME) { [1] }
        _ = try await cache.fetch("k:hot", tier: .HOT) { [1] }
        clock.advance(seconds: 61)
        #expect(cache.sweep() == 1)
        let stats = cache.statistics()
        #expect(stats.tiers[.REALTIME]!.entries == 0 && stats.tiers[.HOT]!.entries == 1)
    }

    @Test func statisticsJSONHasEveryTier() async throws {
        let cache = ResponseCache(maxBytes: 4096, enabled: true, clock: clock)
        let json = cache.statistics().json
        #expect(json["tiers"].objectValue.map { Array($0.keys) } == ["REALTIME", "HOT", "WARM", "COLD", "TEMPLATE"])
        #expect(json["total"]["hit_rate"] == .double(0))
        #expect(json["max_bytes"] == .int(4096))
    }
}
