import BotFlowCore
import BotFlowStorage

/// System prompts for the LLM stage (behaviour §6.5 stage 5, §8.6, §9.5).
enum PromptBuilder {
    static func systemPrompt(bot: BotRecord, hits: [KnowledgeHit]) -> String {
        var prompt: String
        if let own = bot.systemPrompt, !own.trimmingWhitespace().isEmpty {
            prompt = own
        } else if bot.config["template_id"] != .null, let flow = bot.config["conversation_flow"].objectValue {
            prompt = templatePrompt(flow)
        } else {
            prompt = taskTypePrompt(bot.taskType)
        }
        if !hits.isEmpty {
            prompt += "\n\n## Knowledge\nAnswer from these excerpts of the business's documents when they are relevant; "
                + "if the answer is not in them, say so.\n"
            prompt += hits.enumerated().map { "[\($0.offset + 1)] \($0.element.content)" }.joined(separator: "\n")
        }
        return prompt
    }

    /// §9.5: the substituted system prompt, numbered rules, one line per intent, and a closing instruction.
    static func templatePrompt(_ flow: JSONObject) -> String {
        var parts = [flow["systemPrompt"]?.stringValue ?? ""]
        let rules = flow["rules"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !rules.isEmpty {
            parts.append("## Rules\n" + rules.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n"))
        }
        if let intents = flow["intents"]?.objectValue, !intents.isEmpty {
            let lines = intents.map { name, intent -> String in
                let title = name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
                let triggers = intent["triggers"].arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? ""
                return "- \(title) (triggers: \(triggers)): \(intent["response"].stringValue ?? "")"
            }
            parts.append("## Intents\n" + lines.joined(separator: "\n"))
        }
        parts.append("## Conversation\nReply helpfully and professionally to the customer's latest message.")
        return parts.joined(separator: "\n\n")
    }

    static func taskTypePrompt(_ taskType: String) -> String {
        switch taskType {
        case "booking":
            return "You are a friendly booking assistant. Collect the date and time, the number of people, the pickup location if relevant, and contact details. Confirm every detail before finalising. Keep replies short."
        case "faq":
            return "You answer customer questions using the business's information. Be brief and accurate. If you do not know the answer, offer to connect the customer with a person."
        case "order_tracking":
            return "You help customers track their orders. Ask for the order number and report the status clearly."
        default:
            return "You are a helpful customer service assistant for this business. Answer clearly and briefly."
        }
    }
}
