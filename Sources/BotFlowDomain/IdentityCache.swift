import BotFlowCore
import BotFlowSecurity
import BotFlowStorage

/// Bearer tokens already verified → the identity they resolved to (issue 10: a cached GET must not pay a JWT
/// verification and a database read). An entry is used only while
/// - the token has not expired (its own `exp`, checked on every hit against the clock),
/// - no commit has changed `users`, `organization_members` or `organizations` since it was read
///   (`AppDatabase.identityTables`), and
/// - it is younger than `ttlMilliseconds`, a backstop for changes made outside this process.
/// Invalid tokens are never cached, so forged tokens cannot fill it. The stamp is coarse on purpose: any change to those
/// tables (a login's `last_login_at` included) retires every entry — a lower hit rate right after a login, never a
/// stale identity.
public final class IdentityCache: Sendable {
    struct Entry: Sendable {
        let identity: Identity
        let expiresAtSeconds: Int64
        let storedAtMs: Int64
        let version: UInt64
    }

    private let entries = LockedValue<[TokenFingerprint: Entry]>([:])
    private let version: TableVersion
    private let clock: any AppClock
    let ttlMilliseconds: Int64
    let capacity: Int

    public init(version: TableVersion, clock: any AppClock, ttlMilliseconds: Int64 = 30_000, capacity: Int = 10_000) {
        self.version = version; self.clock = clock; self.ttlMilliseconds = ttlMilliseconds; self.capacity = capacity
    }

    /// The version to stamp a value read from the database now (take it before the read).
    var currentVersion: UInt64 { version.current }

    func identity(for key: TokenFingerprint) -> Identity? {
        let nowMs = clock.nowMilliseconds()
        let current = version.current
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.version == current, entry.expiresAtSeconds > nowMs / 1000, nowMs - entry.storedAtMs < ttlMilliseconds else {
                entries.removeValue(forKey: key)
                return nil
            }
            return entry.identity
        }
    }

    func store(_ identity: Identity, for key: TokenFingerprint, expiresAtSeconds: Int64, version: UInt64) {
        let entry = Entry(identity: identity, expiresAtSeconds: expiresAtSeconds, storedAtMs: clock.nowMilliseconds(), version: version)
        entries.withLock { entries in
            // Many distinct live tokens at once is unusual for one appliance; starting over is simpler than LRU.
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
    }

    public var count: Int { entries.withLock { $0.count } }
}
