import BotFlowCore

/// The deterministic half of the builder (behaviour §8.7): intent → blueprint without an LLM, the confidence
/// figure, and rule-based optimisation hints.
enum BlueprintDrafting {
    /// generate without LLM: trigger node `1`, one node per step (`2`, `3`, …), linear edges `e1`, `e2`, …; each
    /// condition becomes a suggestion.
    static func generate(_ intent: IntentAnalysis, botId: String) -> (blueprint: JSON, suggestions: [String]) {
        let library = Set(BuilderValidation.nodeTypes)
        var triggerConfig = intent.triggerHints ?? [:]
        if triggerConfig["keyword"] == nil { triggerConfig["keyword"] = "" }
        let triggerType = intent.triggerNode.flatMap { BuilderValidation.triggerTypes.contains($0) ? $0 : nil } ?? "whatsapp_trigger"
        var nodes: [JSON] = [["id": "1", "type": .string(triggerType), "config": .object(triggerConfig)]]
        for (index, step) in intent.steps.enumerated() {
            var config = step.configHints ?? [:]
            var type = step.suggestedNode ?? ""
            if !library.contains(type) {
                type = "whatsapp_reply"
                config["message"] = .string(step.description)
                config["recipient"] = "{{customer.phone}}"
            }
            nodes.append(["id": .string(String(index + 2)), "type": .string(type), "config": .object(config)])
        }
        let edges: [JSON] = (1..<max(nodes.count, 1)).map { n in
            ["id": .string("e\(n)"), "source": .string(String(n)), "target": .string(String(n + 1))]
        }
        let blueprint: JSON = [
            "bot_id": .string(botId), "version": "1.0.0", "name": "Generated workflow", "nodes": .array(nodes), "edges": .array(edges),
            "variables": [:], "credentials": [],
        ]
        return (blueprint, intent.conditions.map { "Add an if_condition for: \($0.condition)" })
    }

    /// 1 − min(0.2 × errors, 0.8) − min(0.1 × warnings, 0.3) − 0.05 without a description − 0.3 under two nodes −
    /// 0.2 for several nodes without edges; clamped to 0…1, two decimals. Computed in hundredths (exact).
    static func confidence(_ blueprint: JSON, errors: Int, warnings: Int) -> Double {
        let nodes = blueprint["nodes"].arrayValue?.count ?? 0
        let edges = blueprint["edges"].arrayValue?.count ?? 0
        let description = blueprint["description"].stringValue?.trimmingWhitespace() ?? ""
        var hundredths = 100 - min(20 * errors, 80) - min(10 * warnings, 30)
        if description.isEmpty { hundredths -= 5 }
        if nodes < 2 { hundredths -= 30 }
        if nodes > 1 && edges == 0 { hundredths -= 20 }
        return Double(min(max(hundredths, 0), 100)) / 100
    }

    static let errorHandlerHint = "Add an error_handler node to handle failing integrations"

    /// optimize without LLM: validation warnings, the validator's suggestions, and an error handler for blueprints
    /// that call out (integration or HTTP nodes) without one.
    static func optimize(_ blueprint: JSON, check: BlueprintCheck) -> [String] {
        var out = check.warnings + check.suggestions
        let types = (blueprint["nodes"].arrayValue ?? []).compactMap { $0["type"].stringValue }
        let callsOut = types.contains { $0 == "http_request" || BuilderValidation.integrationTypes.contains($0) }
        if callsOut && !types.contains("error_handler") { out.append(errorHandlerHint) }
        return out
    }
}
