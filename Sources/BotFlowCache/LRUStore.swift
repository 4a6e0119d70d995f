import NIOCore
/// The byte-bounded LRU map under the cache's lock (behaviour §3.1). Nodes live in an array linked by indices, so
/// a hit is a dictionary lookup and two index swaps, with no allocation and no reference counting per entry.
struct LRUStore {
    struct Node {
        var key: String
        var value: CachedValue
        var expiresAtMs: Int64
        var size: Int
        var prev = -1
        var next = -1
    }

    private(set) var nodes: [Node] = []
    private var free: [Int] = []
    private var index: [String: Int] = [:]
    /// Most recently used first.
    private var head = -1
    private var tail = -1
    private(set) var bytes = 0
    /// Keys by each of their `…:` prefixes, so `invalidate(prefix:)` touches only the keys it deletes.
    private var groups: [String: Set<String>] = [:]
    private(set) var bytesByTier: [CacheTier: Int] = [:]
    private(set) var entriesByTier: [CacheTier: Int] = [:]
    let maxBytes: Int

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    var count: Int { index.count }

    /// The keys starting with `prefix` (which ends with `:`).
    func keys(withPrefix prefix: String) -> Set<String> { groups[prefix] ?? [] }

    private static func prefixes(of key: String) -> [String] {
        var out: [String] = []
        var i = key.startIndex
        while let colon = key[i...].firstIndex(of: ":") {
            out.append(String(key[...colon]))
            i = key.index(after: colon)
        }
        return out
    }

    /// The live value (moved to the front), or nil; an expired entry is removed and reported as a miss.
    mutating func get(_ key: String, nowMs: Int64) -> CachedValue? {
        guard let i = index[key] else { return nil }
        if nodes[i].expiresAtMs <= nowMs {
            remove(at: i)
            return nil
        }
        moveToFront(i)
        return nodes[i].value
    }

    /// Inserts or replaces; evicts least-recently-used entries until it fits. Returns the tiers of evicted entries.
    mutating func set(_ key: String, _ value: CachedValue, nowMs: Int64) -> [CacheTier] {
        let size = key.utf8.count + value.body.readableBytes
        guard size <= maxBytes / 8 else { return [] }
        if let i = index[key] { remove(at: i) }
        var evicted: [CacheTier] = []
        while bytes + size > maxBytes, tail >= 0 {
            evicted.append(nodes[tail].value.tier)
            remove(at: tail)
        }
        let node = Node(key: key, value: value, expiresAtMs: nowMs + value.tier.ttlSeconds * 1000, size: size)
        let i: Int
        if let slot = free.popLast() { nodes[slot] = node; i = slot } else { nodes.append(node); i = nodes.count - 1 }
        index[key] = i
        for prefix in Self.prefixes(of: key) { groups[prefix, default: []].insert(key) }
        linkFront(i)
        account(value.tier, size, +1)
        return evicted
    }

    @discardableResult
    mutating func remove(_ key: String) -> Bool {
        guard let i = index[key] else { return false }
        remove(at: i)
        return true
    }

    /// Removes every expired entry (the 60 s sweeper).
    mutating func removeExpired(nowMs: Int64) -> Int {
        var removed = 0
        var i = head
        while i >= 0 {
            let next = nodes[i].next
            if nodes[i].expiresAtMs <= nowMs { remove(at: i); removed += 1 }
            i = next
        }
        return removed
    }

    mutating func removeAll() {
        nodes = []; free = []; index = [:]; groups = [:]; head = -1; tail = -1; bytes = 0; bytesByTier = [:]; entriesByTier = [:]
    }

    private mutating func remove(at i: Int) {
        unlink(i)
        let key = nodes[i].key
        index.removeValue(forKey: key)
        for prefix in Self.prefixes(of: key) {
            groups[prefix]?.remove(key)
            if groups[prefix]?.isEmpty == true { groups.removeValue(forKey: prefix) }
        }
        account(nodes[i].value.tier, nodes[i].size, -1)
        nodes[i].key = ""
        nodes[i].value = CachedValue(body: ByteBuffer(), tier: .HOT, owner: nil)
        free.append(i)
    }

    private mutating func account(_ tier: CacheTier, _ size: Int, _ sign: Int) {
        bytes += sign * size
        bytesByTier[tier, default: 0] += sign * size
        entriesByTier[tier, default: 0] += sign
    }

    private mutating func moveToFront(_ i: Int) {
        guard head != i else { return }
        unlink(i)
        linkFront(i)
    }

    private mutating func linkFront(_ i: Int) {
        nodes[i].prev = -1
        nodes[i].next = head
        if head >= 0 { nodes[head].prev = i }
        head = i
        if tail < 0 { tail = i }
    }

    private mutating func unlink(_ i: Int) {
        let (p, n) = (nodes[i].prev, nodes[i].next)
        if p >= 0 { nodes[p].next = n } else { head = n }
        if n >= 0 { nodes[n].prev = p } else { tail = p }
        nodes[i].prev = -1
        nodes[i].next = -1
    }
}
