import BotFlowCore
import BotFlowStorage

/// Wire shapes of api.md §2.4–§2.6.
extension Present {
    static func bot(_ b: BotRecord) -> JSONObject {
        [
            "id": .string(b.id), "user_id": .string(b.userId), "organization_id": .string(b.organizationId),
            "whatsapp_account_id": .string(b.whatsappAccountId), "name": .string(b.name), "description": .string(b.description),
            "template_id": .string(b.templateId), "task_type": .string(b.taskType), "status": .string(b.status),
            "is_active": .bool(b.isActive), "config": b.config, "configuration": b.config, "system_prompt": .string(b.systemPrompt),
            "model_config": b.modelConfig, "ai_model": .string(b.aiModel), "ai_temperature": .double(b.aiTemperature),
            "fallback_behavior": .string(b.fallbackBehavior), "created_at": .string(b.createdAt), "updated_at": .string(b.updatedAt),
        ]
    }

    /// List/summary form of a workflow version (no blueprint, nodes, edges).
    static func workflowSummary(_ w: WorkflowVersionRecord) -> JSONObject {
        [
            "id": .string(w.id), "bot_id": .string(w.botId), "version": .int(w.version), "name": .string(w.name),
            "status": .string(w.status), "is_active": .bool(w.status == "active"), "template_id": .string(w.templateId),
            "error_message": .string(w.errorMessage), "created_by": .string(w.createdBy), "created_at": .string(w.createdAt),
            "updated_at": .string(w.updatedAt), "deployed_at": .string(w.deployedAt),
        ]
    }

    static func template(_ t: TemplateRecord) -> JSON {
        [
            "id": .string(t.id), "name": .string(t.name), "vertical": .string(t.vertical), "tier": .int(t.tier),
            "description": .string(t.description), "tagline": .string(t.tagline), "icon": .string(t.icon),
            "required_fields": t.requiredFields, "conversation_flow": t.conversationFlow, "example_prompts": t.examplePrompts,
            "integrations": t.integrations, "is_published": .bool(t.isPublished), "version": .int(t.version),
            "created_by": .string(t.createdBy), "created_at": .string(t.createdAt), "updated_at": .string(t.updatedAt),
        ]
    }
}
