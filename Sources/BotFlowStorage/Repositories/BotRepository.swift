import BotFlowCore
import GRDB

/// `bots` (data-model §2.6). Every read and write takes the caller's organization id.
public enum BotRepository {
    public static func list(_ db: Database, organizationId: String) throws -> [BotRecord] {
        try db.cachedStatement(sql: "SELECT * FROM bots WHERE organization_id = ? ORDER BY created_at DESC, id DESC").decodeAll(arguments: [organizationId], BotRecord.init)
    }

    public static func find(_ db: Database, id: String, organizationId: String) throws -> BotRecord? {
        try db.cachedStatement(sql: "SELECT * FROM bots WHERE id = ? AND organization_id = ?").decodeOne(arguments: [id, organizationId], BotRecord.init)
    }

    /// Inserts every column of `bot` (ids and timestamps included).
    public static func insert(_ db: Database, _ bot: BotRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO bots (id, organization_id, user_id, whatsapp_account_id, name, description, template_id, task_type, status,
                is_active, config, system_prompt, model_config, ai_model, ai_temperature, fallback_behavior, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                bot.id, bot.organizationId, bot.userId, bot.whatsappAccountId, bot.name, bot.description, bot.templateId,
                bot.taskType, bot.status, bot.isActive, bot.config.columnText, bot.systemPrompt, bot.modelConfig.columnText,
                bot.aiModel, bot.aiTemperature, bot.fallbackBehavior, bot.createdAt, bot.updatedAt,
            ])
    }

    /// Writes the mutable columns of `bot` (B4).
    public static func update(_ db: Database, _ bot: BotRecord) throws {
        try db.cachedStatement(sql: """
            UPDATE bots SET whatsapp_account_id = ?, name = ?, description = ?, task_type = ?, status = ?, is_active = ?, config = ?,
                system_prompt = ?, model_config = ?, ai_model = ?, ai_temperature = ?, fallback_behavior = ?, updated_at = ?
            WHERE id = ? AND organization_id = ?
            """).execute(arguments: [
                bot.whatsappAccountId, bot.name, bot.description, bot.taskType, bot.status, bot.isActive, bot.config.columnText,
                bot.systemPrompt, bot.modelConfig.columnText, bot.aiModel, bot.aiTemperature, bot.fallbackBehavior, bot.updatedAt,
                bot.id, bot.organizationId,
            ])
    }

    /// Deletes the bot; foreign keys cascade to its versions, executions, knowledge, integrations and metrics, and
    /// set `conversations.bot_id` to NULL (data-model §7). Returns false when no such bot is in the organization.
    public static func delete(_ db: Database, id: String, organizationId: String) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM bots WHERE id = ? AND organization_id = ?").execute(arguments: [id, organizationId])
        return db.changesCount > 0
    }
}

/// `bot_workflows` (data-model §2.7).
public enum WorkflowVersionRepository {
    /// All versions of a bot, newest first.
    public static func list(_ db: Database, botId: String) throws -> [WorkflowVersionRecord] {
        try db.cachedStatement(sql: "SELECT * FROM bot_workflows WHERE bot_id = ? ORDER BY version DESC").decodeAll(arguments: [botId], WorkflowVersionRecord.init)
    }

    public static func insert(_ db: Database, _ v: WorkflowVersionRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO bot_workflows (id, bot_id, version, name, status, blueprint, template_id, error_message, created_by,
                deployed_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                v.id, v.botId, v.version, v.name, v.status, v.blueprint.columnText, v.templateId, v.errorMessage, v.createdBy,
                v.deployedAt, v.createdAt, v.updatedAt,
            ])
    }
}

extension WorkflowVersionRepository {
    public static func find(_ db: Database, id: String) throws -> WorkflowVersionRecord? {
        try db.cachedStatement(sql: "SELECT * FROM bot_workflows WHERE id = ?").decodeOne(arguments: [id], WorkflowVersionRecord.init)
    }
}
