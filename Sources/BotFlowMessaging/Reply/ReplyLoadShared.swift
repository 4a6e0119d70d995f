import BotFlowCore
import BotFlowStorage
import GRDB

/// The rows a batch of reply loads shares inside one read transaction: a bot with its active workflow and globals,
/// and accounts. Valid only for that transaction (one snapshot), so it needs no invalidation.
struct ReplyLoadShared {
    struct PerBot {
        let bot: BotRecord
        let activeWorkflow: WorkflowVersionRecord?
        let globals: JSONObject
    }

    private var bots: [String: PerBot?] = [:]
    private var accounts: [String: WhatsAppAccountRecord?] = [:]

    mutating func bot(_ db: Database, id: String, organizationId: String) throws -> PerBot? {
        let key = "\(organizationId)/\(id)"
        if let known = bots[key] { return known }
        let loaded = try BotRepository.find(db, id: id, organizationId: organizationId).map { bot in
            PerBot(bot: bot, activeWorkflow: try ExecutionRepository.activeWorkflow(db, botId: bot.id),
                   globals: try WorkflowGlobalsRepository.all(db, botId: bot.id))
        }
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
