import BotFlowCore
import BotFlowStorage
import GRDB

/// Bots B1–B5 (api.md §4.5). Everything is scoped to the caller's organization; a foreign or unknown bot is 404.
public struct BotService: Sendable {
    let ctx: DomainContext
    public init(_ ctx: DomainContext) { self.ctx = ctx }

    static let notFound = APIError.notFound("Bot not found")
    static let accountNotFound = APIError.notFound("WhatsApp account not found")
    public static let legacyKeys = [
        "booking", "booking_bot", "transport", "transport_bot", "order_tracking", "restaurant", "restaurant_bot", "lead_gen",
        "lead_generation", "lead_gen_bot", "ecommerce", "ecommerce_bot", "support", "faq", "support_bot", "survey", "survey_bot",
    ]
    public static let defaultModelConfig: JSON = ["provider": "openai", "model": "gpt-4o", "temperature": 0.7]

    public func list(identity: Identity) async throws -> [BotRecord] {
        let orgId = try identity.organizationId()
        return try await ctx.database.read { db in try BotRepository.list(db, organizationId: orgId) }
    }

    /// B3: the bot with all its workflow versions, newest first.
    public func get(_ id: String, identity: Identity) async throws -> (BotRecord, [WorkflowVersionRecord]) {
        let orgId = try identity.organizationId()
        return try await ctx.database.read { db in
            guard let bot = try BotRepository.find(db, id: id, organizationId: orgId) else { throw Self.notFound }
            return (bot, try WorkflowVersionRepository.list(db, botId: bot.id))
        }
    }

    /// B2: a bot with a legacy starter workflow (version 1, active).
    public func create(_ body: JSON, identity: Identity) async throws -> (BotRecord, WorkflowVersionRecord) {
        let orgId = try identity.organizationId()
        var v = Validator(body)
        let templateId = v.string("templateId", required: true, min: 1, max: 100)
        let config = v.nested("config", required: true) { (c: inout Validator) -> JSON in
            let name = c.string("name", required: true, min: 1, max: 100)
            let description = c.string("description", nullable: true, max: 1000)
            let welcome = c.string("welcomeMessage", required: true, min: 1, max: 1000)
            let fallback = c.string("fallbackMessage", nullable: true, max: 1000)
            return ["name": .string(name), "description": .string(description ?? ""), "welcomeMessage": .string(welcome),
                    "fallbackMessage": .string(fallback)]
        }
        let systemPrompt = v.string("systemPrompt", nullable: true, max: 10_000)
        let modelConfig = v.nested("modelConfig") { (m: inout Validator) -> JSON in
            let provider = m.string("provider") ?? "openai"
            let model = m.string("model", min: 1, max: 100) ?? "gpt-4o"
            let temperature = m.number("temperature", min: 0, max: 2) ?? 0.7
            return ["provider": .string(provider), "model": .string(model), "temperature": .double(temperature)]
        } ?? Self.defaultModelConfig
        let accountId = v.string("whatsapp_account_id", nullable: true, format: .uuid)?.lowercased()
        try v.finish()
        guard let templateId, let config else { throw APIError.validation(v.issues) }

        let nowMs = ctx.clock.nowMilliseconds()
        let now = Timestamp.format(epochMilliseconds: nowMs)
        let botId = Identifiers.legacyBotId(epochMilliseconds: nowMs)
        let bot = BotRecord(
            id: botId, organizationId: orgId, userId: identity.userId, whatsappAccountId: accountId,
            name: config["name"].stringValue!, description: config["description"].stringValue ?? "", templateId: templateId,
            taskType: LegacyStarterWorkflow.taskType(for: templateId), status: "active", isActive: true, config: config,
            systemPrompt: systemPrompt, modelConfig: modelConfig, aiModel: modelConfig["model"].stringValue ?? "gpt-4o",
            aiTemperature: modelConfig["temperature"].numberValue ?? 0.7, fallbackBehavior: "loop", createdAt: now, updatedAt: now)
        let workflow = WorkflowVersionRecord(
            id: Identifiers.uuid(), botId: botId, version: 1, name: "Workflow v1", status: "active",
            blueprint: LegacyStarterWorkflow.blueprint(for: templateId, botId: botId), templateId: templateId, errorMessage: nil,
            createdBy: identity.userId, deployedAt: now, createdAt: now, updatedAt: now)
        try await ctx.database.write { db in
            if let accountId, try WhatsAppAccountRepository.find(db, id: accountId, organizationId: orgId) == nil {
                throw Self.accountNotFound
            }
            try BotRepository.insert(db, bot)
            try WorkflowVersionRepository.insert(db, workflow)
        }
        return (bot, workflow)
    }

    /// B4 with the merge rules of api.md §4.5.
    public func update(_ id: String, body: JSON, identity: Identity) async throws -> BotRecord {
        let orgId = try identity.organizationId()
        let patch = try BotPatch.parse(body)
        let now = ctx.clock.now()
        return try await ctx.database.write { db in
            guard var bot = try BotRepository.find(db, id: id, organizationId: orgId) else { throw Self.notFound }
            if case .some(.some(let accountId)) = patch.whatsappAccountId,
                try WhatsAppAccountRepository.find(db, id: accountId, organizationId: orgId) == nil
            {
                throw Self.accountNotFound
            }
            patch.apply(to: &bot)
            bot.updatedAt = now
            try BotRepository.update(db, bot)
            return bot
        }
    }

    /// B5: deletes the bot and everything below it; its conversations stay with `bot_id` = null.
    public func delete(_ id: String, identity: Identity) async throws {
        let orgId = try identity.organizationId()
        let deleted = try await ctx.database.write { db in try BotRepository.delete(db, id: id, organizationId: orgId) }
        if !deleted { throw Self.notFound }
    }
}
