import BotFlowCore
import BotFlowStorage

/// A validated B4 body. Double optionals distinguish "not given" (nil) from "set to null" (.some(nil)).
struct BotPatch {
    var name: String?
    var description: String?
    var status: String?
    var isActive: Bool?
    var systemPrompt: String??
    var modelConfig: JSONObject?
    var aiModel: String?
    var aiTemperature: Double?
    var config: JSONObject?
    var whatsappAccountId: String??
    var fallbackBehavior: String?
    var taskType: String?

    static func parse(_ body: JSON) throws(APIError) -> BotPatch {
        var v = Validator(body)
        var p = BotPatch()
        p.name = v.string("name", min: 1, max: 100)
        p.description = v.string("description", max: 1000)
        p.status = v.string("status", oneOf: ["active", "inactive", "draft"])
        p.isActive = v.bool("is_active")
        // Aliases: the camelCase name wins when both are sent.
        let promptKey = v.has("systemPrompt") ? "systemPrompt" : "system_prompt"
        if v.has(promptKey) {
            let prompt = v.string(promptKey, nullable: true, max: 10_000)
            if v.isNull(promptKey) { p.systemPrompt = .some(nil) } else if let prompt { p.systemPrompt = .some(prompt) }
        }
        let modelKey = v.has("modelConfig") ? "modelConfig" : "model_config"
        p.modelConfig = v.nested(modelKey) { (m: inout Validator) -> JSONObject in
            var out = JSONObject()
            if let provider = m.string("provider") { out["provider"] = .string(provider) }
            if let model = m.string("model", min: 1, max: 100) { out["model"] = .string(model) }
            if let t = m.number("temperature", min: 0, max: 2) { out["temperature"] = .double(t) }
            return out
        }
        p.aiModel = v.string("ai_model", min: 1, max: 100)
        p.aiTemperature = v.number("ai_temperature", min: 0, max: 2)
        p.config = v.object(v.has("config") ? "config" : "configuration")
        if v.has("whatsapp_account_id") {
            let account = v.string("whatsapp_account_id", nullable: true)
            if v.isNull("whatsapp_account_id") { p.whatsappAccountId = .some(nil) } else if let account { p.whatsappAccountId = .some(account) }
        }
        p.fallbackBehavior = v.string("fallback_behavior", oneOf: ["human_handoff", "end_conversation", "loop"])
        p.taskType = v.string("task_type", min: 1, max: 50)
        try v.finish()
        return p
    }

    func apply(to bot: inout BotRecord) {
        if let name { bot.name = name }
        if let description { bot.description = description }
        if let status {
            bot.status = status
        } else if let isActive {
            bot.status = isActive ? "active" : "inactive"
        }
        bot.isActive = bot.status == "active"
        if let systemPrompt { bot.systemPrompt = systemPrompt }

        var model = bot.modelConfig.objectValue ?? [:]
        if let modelConfig { for (k, v) in modelConfig { model[k] = v } }
        if let aiModel { model["model"] = .string(aiModel) }
        if let aiTemperature { model["temperature"] = .double(aiTemperature) }
        bot.modelConfig = .object(model)
        if let m = model["model"]?.stringValue { bot.aiModel = m }
        if let t = model["temperature"]?.numberValue { bot.aiTemperature = t }

        if let config {
            var merged = bot.config.objectValue ?? [:]
            for (k, v) in config {
                if v == .null { merged.removeValue(forKey: k) } else { merged[k] = v }
            }
            bot.config = .object(merged)
        }
        if let whatsappAccountId { bot.whatsappAccountId = whatsappAccountId }
        if let fallbackBehavior { bot.fallbackBehavior = fallbackBehavior }
        if let taskType { bot.taskType = taskType }
    }
}
