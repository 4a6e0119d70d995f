import BotFlowCore
import Foundation

/// Fixed-window rate limiting of behaviour §4: per (bucket, client key) a window opens at the key's first request
/// and lasts `windowSeconds`; each request counts; a count over the limit is refused. Memory is bounded: at most
/// `maxKeys` keys per bucket, the least recently seen dropped first.
public final class RateLimiter: Sendable {
    public enum Bucket: String, Sendable, CaseIterable { case auth, webhook, global }

    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        public let limit: Int
        public let remaining: Int
        /// Whole seconds until the window closes, rounded up.
        public let resetSeconds: Int
    }

    private struct Window { var startMs: Int64; var count: Int; var lastSeenMs: Int64 }

    private let limits: [Bucket: Int]
    private let windowMs: Int64
    private let maxKeys: Int
    private let clock: any AppClock
    private let windows = LockedValue<[Bucket: [String: Window]]>([:])

    public init(limits: [Bucket: Int], windowSeconds: Int, maxKeys: Int = 10_000, clock: any AppClock) {
        self.limits = limits; self.windowMs = Int64(windowSeconds) * 1000; self.maxKeys = maxKeys; self.clock = clock
    }

    /// The bucket of a path: `/api/auth/…` → auth, `/webhooks/…` → webhook, anything else → global.
    public static func bucket(forPath raw: String) -> Bucket {
        // The router ignores empty segments (`//api//auth/login` reaches login), so the bucket must too.
        let path = hasDoubleSlash(raw) ? "/" + raw.split(separator: "/").joined(separator: "/") : raw
        if path.hasPrefix("/api/auth/") { return .auth }
        if path.hasPrefix("/webhooks/") { return .webhook }
        return .global
    }

    /// `raw.contains("//")` without Foundation's substring search (this runs for every request).
    static func hasDoubleSlash(_ raw: String) -> Bool {
        var previous: UInt8 = 0
        for byte in raw.utf8 {
            if byte == UInt8(ascii: "/") && previous == byte { return true }
            previous = byte
        }
        return false
    }

    /// Counts one request; nil when the bucket is disabled (limit 0): no limiting and no headers.
    public func check(_ bucket: Bucket, key: String) -> Decision? {
        guard let limit = limits[bucket], limit > 0 else { return nil }
        let now = clock.nowMilliseconds()
        return windows.withLock { all in
            // Mutated in place through the outer dictionary: copying a bucket's table per request would cost O(keys).
            if all[bucket] == nil { all[bucket] = [:] }
            var window = all[bucket]![key] ?? Window(startMs: now, count: 0, lastSeenMs: now)
            if now - window.startMs >= windowMs { window = Window(startMs: now, count: 0, lastSeenMs: now) }
            window.count += 1
            window.lastSeenMs = now
            if all[bucket]![key] == nil, all[bucket]!.count >= maxKeys { Self.dropLeastRecent(&all[bucket]!, keep: maxKeys - 1) }
            all[bucket]![key] = window
            let resetMs = max(0, window.startMs + windowMs - now)
            return Decision(allowed: window.count <= limit, limit: limit, remaining: max(0, limit - window.count),
                            resetSeconds: Int((resetMs + 999) / 1000))
        }
    }

    /// Drops the least recently seen tenth (at least down to `keep`), so eviction is rare and amortised.
    private static func dropLeastRecent(_ table: inout [String: Window], keep: Int) {
        let target = min(keep, table.count - max(1, table.count / 10))
        let sorted = table.sorted { $0.value.lastSeenMs < $1.value.lastSeenMs }
        for (key, _) in sorted.prefix(table.count - target) { table.removeValue(forKey: key) }
    }

    /// Keys currently held for a bucket (for tests of the memory bound).
    public func keyCount(_ bucket: Bucket) -> Int { windows.withLock { $0[bucket]?.count ?? 0 } }
}

/// Client addresses (behaviour §4): the socket peer, or — only when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy. Entries are addresses or CIDR ranges (IPv4 and IPv6).
public struct ClientAddress: Sendable {
    let trustedProxies: [AddressRange]
    let allowlist: [AddressRange]

    public init(trustedProxies: [String], allowlist: [String]) {
        self.trustedProxies = trustedProxies.compactMap(AddressRange.init)
        self.allowlist = allowlist.compactMap(AddressRange.init)
    }

    public func clientKey(peer: String?, forwardedFor: String?) -> String {
        guard let peer else { return "unknown" }
        guard isTrustedProxy(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !isTrustedProxy($0) } ?? hops.first ?? peer
    }

    public func isTrustedProxy(_ address: String) -> Bool { trustedProxies.contains { $0.contains(address) } }
    public func isAllowlisted(_ address: String) -> Bool { allowlist.contains { $0.contains(address) } }
}

/// An address or CIDR range.
struct AddressRange: Sendable {
    let bytes: [UInt8]
    let prefixLength: Int

    init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let bytes = IPAddressBytes.parse(String(first)) else { return nil }
        self.bytes = bytes
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...bytes.count * 8).contains(n) else { return nil }
            prefixLength = n
        } else {
            prefixLength = bytes.count * 8
        }
    }

    func contains(_ address: String) -> Bool {
        guard let other = IPAddressBytes.parse(address), other.count == bytes.count else { return false }
        var bits = prefixLength
        for i in 0..<bytes.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(0xFF << (8 - bits))
            if bytes[i] & mask != other[i] & mask { return false }
            bits -= 8
        }
        return true
    }
}

enum IPAddressBytes {
    /// IPv4 dotted quad or IPv6 (with `::`, IPv4-mapped tails are read as IPv4).
    static func parse(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("::ffff:"), text.contains(".") { text = String(text.dropFirst(7)) }
        if text.contains(".") && !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var out: [UInt8] = []
            // Plain decimal octets only: `0251.254.0251.254` is octal to inet_aton (getaddrinfo) — 169.254.169.254 —
            // so a leading zero makes it "not a literal" here and the caller resolves it like any name.
            for p in parts {
                guard p.count == 1 || p.first != "0", p.allSatisfy(\.isASCII), let v = UInt8(p) else { return nil }
                out.append(v)
            }
            return out
        }
        guard text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) { guard let v = UInt16(g, radix: 16) else { return nil }; out.append(v) }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
