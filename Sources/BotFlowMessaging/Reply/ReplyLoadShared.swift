import BotFlowCore
import BotFlowStorage
import GRDB

/// The rows a batch of reply loads shares inside one read transaction: a bot with its active workflow and globals,
/// and accounts. Valid only for that transaction (one snapshot), so it needs no invalidation. Inside a write
/// transaction a `BotDirectory` may serve the bots instead.
struct ReplyLoadShared {
    struct PerBot: Sendable {
        let bot: BotRecord
        let activeWorkflow: WorkflowVersionRecord?
        let globals: JSONObject

        static func load(_ db: Database, id: String, organizationId: String) throws -> PerBot? {
            try BotRepository.find(db, id: id, organizationId: organizationId).map { bot in
                PerBot(bot: bot, activeWorkflow: try ExecutionRepository.activeWorkflow(db, botId: bot.id),
                       globals: try WorkflowGlobalsRepository.all(db, botId: bot.id))
            }
        }
    }

    private var bots: [String: PerBot?] = [:]
    private var accounts: [String: WhatsAppAccountRecord?] = [:]
    private let directory: BotDirectory?

    init(directory: BotDirectory? = nil) { self.directory = directory }

    /// An account the caller has already read in this transaction.
    mutating func remember(_ account: WhatsAppAccountRecord) { accounts[account.id] = account }

    mutating func bot(_ db: Database, id: String, organizationId: String) throws -> PerBot? {
        if let directory { return try directory.bot(db, id: id, organizationId: organizationId) }
        let key = "\(organizationId)/\(id)"
        if let known = bots[key] { return known }
        let loaded = try PerBot.load(db, id: id, organizationId: organizationId)
        bots[key] = loaded
        return loaded
    }

    mutating func account(_ db: Database, id: String) throws -> WhatsAppAccountRecord? {
        if let known = accounts[id] { return known }
        let loaded = try WhatsAppAccountRepository.find(db, id: id)
        accounts[id] = loaded
        return loaded
    }
}
