import BotFlowCore
import GRDB

public struct BotRecord: Sendable {
    public var id: String
    public var organizationId: String
    public var userId: String?
    public var whatsappAccountId: String?
    public var name: String
    public var description: String
    public var templateId: String?
    public var taskType: String
    public var status: String
    public var isActive: Bool
    public var config: JSON
    public var systemPrompt: String?
    public var modelConfig: JSON
    public var aiModel: String
    public var aiTemperature: Double
    public var fallbackBehavior: String
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, organizationId: String, userId: String?, whatsappAccountId: String?, name: String, description: String, templateId: String?, taskType: String, status: String, isActive: Bool, config: JSON, systemPrompt: String?, modelConfig: JSON, aiModel: String, aiTemperature: Double, fallbackBehavior: String, createdAt: String, updatedAt: String) {
        self.id = id; self.organizationId = organizationId; self.userId = userId; self.whatsappAccountId = whatsappAccountId; self.name = name; self.description = description; self.templateId = templateId; self.taskType = taskType; self.status = status; self.isActive = isActive; self.config = config; self.systemPrompt = systemPrompt; self.modelConfig = modelConfig; self.aiModel = aiModel; self.aiTemperature = aiTemperature; self.fallbackBehavior = fallbackBehavior; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public init(row: Row) {
        id = row["id"]; organizationId = row["organization_id"]; userId = row["user_id"]
        whatsappAccountId = row["whatsapp_account_id"]; name = row["name"]; description = row["description"]
        templateId = row["template_id"]; taskType = row["task_type"]; status = row["status"]
        isActive = row.bool("is_active"); config = row.json("config", fallback: [:])
        systemPrompt = row["system_prompt"]; modelConfig = row.json("model_config", fallback: [:])
        aiModel = row["ai_model"]; aiTemperature = row["ai_temperature"]; fallbackBehavior = row["fallback_behavior"]
        createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}

public struct WorkflowVersionRecord: Sendable {
    public var id: String
    public var botId: String
    public var version: Int
    public var name: String
    public var status: String
    public var blueprint: JSON
    public var templateId: String?
    public var errorMessage: String?
    public var createdBy: String?
    public var deployedAt: String?
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, botId: String, version: Int, name: String, status: String, blueprint: JSON, templateId: String?, errorMessage: String?, createdBy: String?, deployedAt: String?, createdAt: String, updatedAt: String) {
        self.id = id; self.botId = botId; self.version = version; self.name = name; self.status = status; self.blueprint = blueprint; self.templateId = templateId; self.errorMessage = errorMessage; self.createdBy = createdBy; self.deployedAt = deployedAt; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public init(row: Row) {
        id = row["id"]; botId = row["bot_id"]; version = row["version"]; name = row["name"]; status = row["status"]
        blueprint = row.json("blueprint", fallback: [:]); templateId = row["template_id"]
        errorMessage = row["error_message"]; createdBy = row["created_by"]; deployedAt = row["deployed_at"]
        createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}

public struct TemplateRecord: Sendable {
    public var id: String
    public var name: String
    public var vertical: String
    public var tier: Int
    public var description: String
    public var tagline: String?
    public var icon: String?
    public var requiredFields: JSON
    public var conversationFlow: JSON
    public var examplePrompts: JSON
    public var integrations: JSON
    public var isPublished: Bool
    public var version: Int
    public var createdBy: String?
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, name: String, vertical: String, tier: Int, description: String, tagline: String?, icon: String?, requiredFields: JSON, conversationFlow: JSON, examplePrompts: JSON, integrations: JSON, isPublished: Bool, version: Int, createdBy: String?, createdAt: String, updatedAt: String) {
        self.id = id; self.name = name; self.vertical = vertical; self.tier = tier; self.description = description; self.tagline = tagline; self.icon = icon; self.requiredFields = requiredFields; self.conversationFlow = conversationFlow; self.examplePrompts = examplePrompts; self.integrations = integrations; self.isPublished = isPublished; self.version = version; self.createdBy = createdBy; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public init(row: Row) {
        id = row["id"]; name = row["name"]; vertical = row["vertical"]; tier = row["tier"]
        description = row["description"]; tagline = row["tagline"]; icon = row["icon"]
        requiredFields = row.json("required_fields", fallback: [:]); conversationFlow = row.json("conversation_flow", fallback: [:])
        examplePrompts = row.json("example_prompts", fallback: []); integrations = row.json("integrations", fallback: [])
        isPublished = row.bool("is_published"); version = row["version"]; createdBy = row["created_by"]
        createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}
