import BotFlowCore
import BotFlowStorage
import GRDB
import Logging
import ServiceLifecycle

/// `api_calls_made` and `webhook_calls_received` (behaviour §10.6), counted in memory per (organization, hour) and
/// added to `usage_analytics` every 60 s and at shutdown. Counting is a dictionary update under a lock: nothing on
/// the request path touches the database.
public final class UsageCounters: Sendable {
    struct Key: Hashable, Sendable { let organizationId: String; let hour: Int64 }
    struct Counts: Sendable { var api = 0; var webhook = 0 }

    private let pending = LockedValue<[Key: Counts]>([:])
    let clock: any AppClock

    init(clock: any AppClock) { self.clock = clock }

    public func countAPICall(organizationId: String) { add(organizationId) { $0.api += 1 } }
    public func countWebhook(organizationId: String) { add(organizationId) { $0.webhook += 1 } }

    private func add(_ org: String, _ change: (inout Counts) -> Void) {
        let now = clock.nowMilliseconds()
        let key = Key(organizationId: org, hour: now - HourGrid.floorMod(now, HourGrid.hourMilliseconds))
        pending.withLock { change(&$0[key, default: Counts()]) }
    }

    /// Adds the pending counts to their hours' rows (creating them when the hour has none yet). On failure the counts
    /// go back into the pending map for the next flush.
    public func flush(_ database: AppDatabase) async throws {
        let taken = pending.withLock { p -> [Key: Counts] in defer { p = [:] }; return p }
        guard !taken.isEmpty else { return }
        let now = clock.now()
        do {
            try await database.write { db in
                for (key, counts) in taken {
                    // Organizations deleted since the request: their counts are dropped with them.
                    guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM organizations WHERE id = ?)"),
                                            arguments: [key.organizationId]) == true else { continue }
                    try db.cachedStatement(sql: """
                        INSERT INTO usage_analytics (id, organization_id, hour, api_calls_made, webhook_calls_received, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (organization_id, hour) DO UPDATE SET
                            api_calls_made = api_calls_made + excluded.api_calls_made,
                            webhook_calls_received = webhook_calls_received + excluded.webhook_calls_received,
                            updated_at = excluded.updated_at
                        """).execute(arguments: [Identifiers.uuid(), key.organizationId, Timestamp.format(epochMilliseconds: key.hour),
                                                 counts.api, counts.webhook, now, now])
                }
            }
        } catch {
            pending.withLock { p in
                for (key, counts) in taken {
                    p[key, default: Counts()].api += counts.api
                    p[key, default: Counts()].webhook += counts.webhook
                }
            }
            throw error
        }
    }
}

/// Flushes the usage counters every 60 s and once more at graceful shutdown.
public struct UsageCounterFlusher: Service {
    let counters: UsageCounters
    let database: AppDatabase
    let logger: Logger
    var intervalSeconds = 60

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: .seconds(intervalSeconds))
                await flush()
            }
        }
        await flush()
    }

    private func flush() async {
        do { try await counters.flush(database) } catch {
            logger.error("usage counter flush failed", metadata: ["error": "\(error)"])
        }
    }
}
