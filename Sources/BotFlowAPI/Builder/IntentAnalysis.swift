import BotFlowCore

/// The builder's IntentAnalysis (api.md §4.7): what a business described, as a trigger, steps, conditions,
/// integrations and variables. Read from a BB2 body or from the LLM's analyze answer, and written back normalised.
struct IntentAnalysis: Sendable {
    struct Step: Sendable {
        var action: String?
        var description: String
        var suggestedNode: String?
        var configHints: JSONObject?
    }

    var triggerType: String
    var triggerDescription: String?
    var triggerNode: String?
    var triggerHints: JSONObject?
    var steps: [Step]
    var conditions: [(condition: String, truePath: String?, falsePath: String?)]
    var integrations: [(service: String, purpose: String?)]
    var variables: [String]

    static let triggerTypes = ["keyword", "any_message", "webhook", "schedule"]
    /// One node is the trigger; the blueprint limit is 200 nodes (behaviour §8.1).
    static let maxSteps = 199

    /// Reads the intent under `key`; every problem is an issue of `v` (paths under `key`). `strict` (request bodies)
    /// requires every field the contract does not mark optional; the LLM's answer may leave out descriptive parts,
    /// which are filled in when the intent is written back.
    static func read(_ v: inout Validator, key: String, strict: Bool = true) -> IntentAnalysis? {
        v.nested(key, required: true) { (i: inout Validator) -> IntentAnalysis? in
            let trigger = i.nested("trigger", required: true) { (t: inout Validator) in
                (type: t.string("type", required: true, oneOf: triggerTypes), description: t.string("description", required: strict, max: 5000),
                 node: t.string("suggested_node", required: strict, max: 100), hints: t.object("config_hints"))
            }
            var steps: [Step] = []
            for (index, item) in (i.array("steps", required: true, max: maxSteps) ?? []).enumerated() {
                var s = Validator(item, path: i.path + ["steps", .index(index)])
                if !s.isValid { i.absorb(s); continue }
                let step = Step(action: s.string("action", required: strict, max: 500),
                                description: s.string("description", required: true, max: 4096) ?? "",
                                suggestedNode: s.string("suggested_node", required: strict, max: 100), configHints: s.object("config_hints"))
                if s.isValid { steps.append(step) }
                i.absorb(s)
            }
            var conditions: [(String, String?, String?)] = []
            for (index, item) in (i.array("conditions", required: strict) ?? []).enumerated() {
                var c = Validator(item, path: i.path + ["conditions", .index(index)])
                if !c.isValid { i.absorb(c); continue }
                let condition = c.string("condition", required: true, min: 1, max: 1000)
                let yes = c.string("true_path", required: strict, max: 1000), no = c.string("false_path", required: strict, max: 1000)
                if let condition, c.isValid { conditions.append((condition, yes, no)) }
                i.absorb(c)
            }
            var integrations: [(String, String?)] = []
            for (index, item) in (i.array("integrations", required: strict) ?? []).enumerated() {
                var s = Validator(item, path: i.path + ["integrations", .index(index)])
                if !s.isValid { i.absorb(s); continue }
                let service = s.string("service", required: true, min: 1, max: 100)
                let purpose = s.string("purpose", required: strict, max: 1000)
                if let service, s.isValid { integrations.append((service, purpose)) }
                i.absorb(s)
            }
            let variables = i.stringArray("variables", required: strict, itemMin: 1, itemMax: 100) ?? []
            guard i.isValid, let trigger, let type = trigger.type else { return nil }
            return IntentAnalysis(triggerType: type, triggerDescription: trigger.description, triggerNode: trigger.node,
                                  triggerHints: trigger.hints, steps: steps, conditions: conditions, integrations: integrations,
                                  variables: variables)
        } ?? nil
    }

    /// Parses an LLM answer (the intent itself or `{"intent": …}`); nil when it is not a usable IntentAnalysis.
    static func fromLLM(_ value: JSON) -> IntentAnalysis? {
        let body: JSON = value["intent"].objectValue != nil ? ["intent": value["intent"]] : ["intent": value]
        var v = Validator(body)
        let intent = read(&v, key: "intent", strict: false)
        return v.isValid ? intent : nil
    }

    var json: JSON {
        var trigger: JSONObject = ["type": .string(triggerType), "description": .string(triggerDescription ?? ""),
                                   "suggested_node": .string(triggerNode ?? "whatsapp_trigger")]
        if let triggerHints { trigger["config_hints"] = .object(triggerHints) }
        return [
            "trigger": .object(trigger),
            "steps": .array(steps.map { s in
                var o: JSONObject = ["action": .string(s.action ?? ""), "description": .string(s.description),
                                     "suggested_node": .string(s.suggestedNode ?? "whatsapp_reply")]
                if let hints = s.configHints { o["config_hints"] = .object(hints) }
                return .object(o)
            }),
            "conditions": .array(conditions.map { ["condition": .string($0.condition), "true_path": .string($0.truePath ?? ""),
                                                   "false_path": .string($0.falsePath ?? "")] }),
            "integrations": .array(integrations.map { ["service": .string($0.service), "purpose": .string($0.purpose ?? "")] }),
            "variables": .strings(variables),
        ]
    }
}
