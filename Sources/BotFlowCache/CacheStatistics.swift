import BotFlowCore

/// Behaviour §3.5: per tier and in total; counters reset on restart.
public struct CacheStatistics: Sendable {
    public struct Tier: Sendable {
        public var hits: Int, misses: Int, evictions: Int, entries: Int, bytes: Int

        /// hits / (hits + misses), 4 decimals, 0 when both are 0.
        public var hitRate: Double {
            hits + misses == 0 ? 0 : (Double(hits) / Double(hits + misses) * 10_000).rounded() / 10_000
        }
    }

    public let tiers: [CacheTier: Tier]
    public let maxBytes: Int

    public var total: Tier {
        tiers.values.reduce(Tier(hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0)) { sum, t in
            Tier(hits: sum.hits + t.hits, misses: sum.misses + t.misses, evictions: sum.evictions + t.evictions,
                 entries: sum.entries + t.entries, bytes: sum.bytes + t.bytes)
        }
    }

    /// The `cache` object of `/metrics` (behaviour §11.2).
    public var json: JSON {
        func object(_ t: Tier) -> JSON {
            ["hits": .int(t.hits), "misses": .int(t.misses), "hit_rate": .double(t.hitRate), "evictions": .int(t.evictions),
             "entries": .int(t.entries), "bytes": .int(t.bytes)]
        }
        var tierObject = JSONObject()
        for tier in CacheTier.allCases { tierObject[tier.rawValue] = object(tiers[tier]!) }
        return ["tiers": .object(tierObject), "total": object(total), "max_bytes": .int(maxBytes)]
    }
}
