import BotFlowCore
import BotFlowStorage

/// B6 `POST /api/bots/create-from-template` (api.md §4.5, behaviour §9.3–§9.4).
extension BotService {
    public func createFromTemplate(_ body: JSON, identity: Identity) async throws -> (BotRecord, TemplateRecord) {
        let orgId = try identity.organizationId()
        var v = Validator(body)
        let templateId = v.string("template_id", required: true, format: .uuid)?.lowercased()
        let organizationId = v.string("organization_id", required: true, format: .uuid)?.lowercased()
        let accountId = v.string("whatsapp_account_id", required: true, format: .uuid)?.lowercased()
        let botName = v.string("bot_name", required: true, min: 1, max: 100)
        let submitted = v.object("field_values", required: true)
        try v.finish()
        guard let templateId, let organizationId, let accountId, let botName, let submitted else { throw APIError.validation(v.issues) }

        let nowMs = ctx.clock.nowMilliseconds()
        let now = Timestamp.format(epochMilliseconds: nowMs)
        return try await ctx.database.write { db in
            guard organizationId == orgId else { throw APIError.notFound("Organization not found") }
            guard let template = try TemplateRepository.find(db, id: templateId), template.isPublished else {
                throw APIError.notFound("Template not found")
            }
            guard try WhatsAppAccountRepository.find(db, id: accountId, organizationId: orgId) != nil else { throw Self.accountNotFound }
            let outcome = TemplateFieldValues.validate(submitted, against: template.requiredFields.objectValue ?? [:])
            if !outcome.issues.isEmpty {
                throw APIError(status: 400, body: [
                    "error": .string(outcome.issues[0].message), "details": .array(outcome.issues.map(\.json)),
                ])
            }
            let flow = Self.substitute(template.conversationFlow, values: outcome.values)
            let config: JSON = [
                "template_id": .string(template.id), "template_version": .int(template.version), "template_name": .string(template.name),
                "vertical": .string(template.vertical), "field_values": .object(outcome.values), "conversation_flow": flow,
                "integrations": template.integrations, "welcomeMessage": flow["welcomeMessage"].stringValue.map(JSON.string) ?? .null,
                "fallbackMessage": .null,
            ]
            let bot = BotRecord(
                id: Identifiers.uuid(), organizationId: orgId, userId: identity.userId, whatsappAccountId: accountId, name: botName,
                description: template.description, templateId: template.id, taskType: template.vertical, status: "active",
                isActive: true, config: config, systemPrompt: nil, modelConfig: Self.defaultModelConfig, aiModel: "gpt-4o",
                aiTemperature: 0.7, fallbackBehavior: "human_handoff", createdAt: now, updatedAt: now)
            try BotRepository.insert(db, bot)
            return (bot, template)
        }
    }

    /// Deep copy of `conversation_flow` with placeholders substituted in the system prompt, welcome message, rules,
    /// intent responses and example bot lines (triggers and handoff conditions stay as written).
    static func substitute(_ flow: JSON, values: JSONObject) -> JSON {
        guard var f = flow.objectValue else { return flow }
        func sub(_ j: JSON?) -> JSON? { j?.stringValue.map { .string(Placeholders.substitute($0, values: values)) } ?? j }
        if f["systemPrompt"] != nil { f["systemPrompt"] = sub(f["systemPrompt"]) }
        if f["welcomeMessage"] != nil { f["welcomeMessage"] = sub(f["welcomeMessage"]) }
        if let rules = f["rules"]?.arrayValue { f["rules"] = .array(rules.map { sub($0) ?? $0 }) }
        if var intents = f["intents"]?.objectValue {
            for (name, intent) in intents {
                guard var i = intent.objectValue else { continue }
                if i["response"] != nil { i["response"] = sub(i["response"]) }
                intents[name] = .object(i)
            }
            f["intents"] = .object(intents)
        }
        if let examples = f["exampleConversations"]?.arrayValue {
            f["exampleConversations"] = .array(examples.map { example in
                guard var e = example.objectValue else { return example }
                if e["bot"] != nil { e["bot"] = sub(e["bot"]) }
                return .object(e)
            })
        }
        return .object(f)
    }
}
