import BotFlowCore
import BotFlowWorkflow

/// Handoff keywords, messages and template conditions (behaviour §6.6).
enum HandoffRules {
    static let defaultKeywords = ["human", "real person", "live agent", "speak to someone", "talk to someone", "representative"]
    static let defaultMessage = "Thanks for your message. A member of our team will reply here shortly."

    /// `config.handoffKeywords` when present (`[]` disables), else the default list.
    static func keywords(config: JSON) -> [String] {
        if let list = config["handoffKeywords"].arrayValue { return list.compactMap(\.stringValue).filter { !$0.isEmpty } }
        return defaultKeywords
    }

    /// The first keyword that is a case-insensitive substring of the text.
    static func matchingKeyword(in text: String, config: JSON) -> String? {
        let lowered = text.lowercased()
        return keywords(config: config).first { lowered.containsBytes(of: $0.lowercased()) }
    }

    static func message(config: JSON) -> String {
        if let m = config["handoffMessage"].stringValue, !m.isEmpty { return m }
        return defaultMessage
    }

    static let angry = ["angry", "frustrated", "terrible", "horrible", "worst", "useless", "stupid", "pathetic", "ridiculous"]
    static let cancel = ["cancel", "change booking", "modify", "reschedule"]
    static let unable = ["unable to", "cannot help", "don't know", "not sure", "beyond my"]

    /// The first template handoff condition that fires for this exchange, by the wording rules of §6.6.
    static func firedCondition(conditions: [String], customerText: String, botReply: String, replyIsLLM: Bool) -> String? {
        let text = customerText.lowercased(), reply = botReply.lowercased()
        for condition in conditions {
            let c = condition.lowercased()
            if c.containsBytes(of: "angry") || c.containsBytes(of: "frustrat"), angry.contains(where: text.containsBytes) { return condition }
            if c.containsBytes(of: "cancel") || c.containsBytes(of: "modify"), cancel.contains(where: text.containsBytes) { return condition }
            if replyIsLLM, c.containsBytes(of: "outside") || c.containsBytes(of: "special") || c.containsBytes(of: "technical"), unable.contains(where: reply.containsBytes) {
                return condition
            }
        }
        return nil
    }
}

/// Template intents (behaviour §9.5): a trigger is a case-insensitive substring; the longest matched trigger wins,
/// ties go to the intent name in ascending order.
enum IntentMatcher {
    static func match(_ text: String, intents: JSONObject) -> (name: String, response: String)? {
        let lowered = text.lowercased()
        var best: (name: String, response: String, length: Int)?
        for (name, intent) in intents {
            guard let response = intent["response"].stringValue else { continue }
            for trigger in intent["triggers"].arrayValue?.compactMap(\.stringValue) ?? [] where !trigger.isEmpty {
                guard lowered.containsBytes(of: trigger.lowercased()) else { continue }
                let length = trigger.count
                if best == nil || length > best!.length || (length == best!.length && name < best!.name) {
                    best = (name, response, length)
                }
            }
        }
        return best.map { ($0.name, $0.response) }
    }
}

/// Rules for every bot message (behaviour §6.5): leftover `{{…}}` placeholders removed; over 4096 characters cut at
/// the last whitespace before 4096 with `…` appended.
enum OutgoingText {
    static let citation = "\n\n_💡 Based on uploaded documentation_"

    static func clean(_ text: String) -> String { OutgoingMessageRules.clean(text) }
}
