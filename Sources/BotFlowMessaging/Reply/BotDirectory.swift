import BotFlowCore
import BotFlowStorage
import GRDB

/// The bots the reply pipeline answers with, parsed once: a bot row with its active workflow and globals, keyed by
/// organization and id. Replies composed inside the webhook's write transaction (`InlineReplier`) read a bot here
/// instead of three queries and a JSON parse per message. An entry is served only while no commit has changed
/// `bots`, `bot_workflows` or `workflow_globals` since it was read (`AppDatabase.botTables`) and the transaction
/// asking has not changed them itself. (GRDB reports a change inside a savepoint only once the savepoint is released,
/// so a caller must not ask about a bot its own open savepoint changed; the webhook path never writes bots.)
final class BotDirectory: Sendable {
    private struct Entry: Sendable {
        let bot: ReplyLoadShared.PerBot?
        let version: UInt64
    }

    private let version: TableVersion
    private let entries = LockedValue<[String: Entry]>([:])
    /// Bots per appliance are few; past this the directory starts over rather than tracking recency.
    private let capacity = 4_096

    init(version: TableVersion) { self.version = version }

    /// The bot as `db` sees it; `db` must be inside a write transaction (the freshness check relies on it).
    func bot(_ db: Database, id: String, organizationId: String) throws -> ReplyLoadShared.PerBot? {
        let key = organizationId + "/" + id
        let current = version.current
        let fresh = !version.changedInCurrentTransaction
        if fresh, let entry = entries.withLock({ $0[key] }), entry.version == current { return entry.bot }
        let loaded = try ReplyLoadShared.PerBot.load(db, id: id, organizationId: organizationId)
        if fresh {
            entries.withLock { entries in
                if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
                entries[key] = Entry(bot: loaded, version: current)
            }
        }
        return loaded
    }
}
