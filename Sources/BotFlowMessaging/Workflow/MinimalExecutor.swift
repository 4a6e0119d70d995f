import BotFlowCore
import BotFlowStorage

/// The workflow stage of the reply pipeline (behaviour §6.5 stages 1–2, §8.5) for the legacy starter workflows:
/// `whatsapp_trigger`, `ask_question` (persisted waits) and `whatsapp_reply`. Other node types fail the execution
/// ("not supported yet"), after which the pipeline continues with template intents. The Workflow issue replaces this
/// with the full 17-node executor; the persisted state (`workflow_executions`) is already the final format.
struct MinimalExecutor {
    static let stepLimit = 200

    let blueprint: JSON
    var execution: ExecutionRecord
    var context: WorkflowContext
    /// Bot messages emitted in this segment, in order.
    var emitted: [String] = []
    let nowMilliseconds: Int64

    init(blueprint: JSON, execution: ExecutionRecord, context: WorkflowContext, nowMilliseconds: Int64) {
        self.blueprint = blueprint
        self.execution = execution
        self.context = context
        // Blueprint `variables` are the last place a `{{name}}` is looked up (behaviour §8.2).
        self.context.blueprintVariables = blueprint["variables"].objectValue ?? [:]
        self.nowMilliseconds = nowMilliseconds
    }

    var nodes: [String: JSON] {
        var map: [String: JSON] = [:]
        for node in blueprint["nodes"].arrayValue ?? [] { if let id = node["id"].stringValue { map[id] = node } }
        return map
    }

    /// The first `whatsapp_trigger` (blueprint order) whose keyword matches (empty keyword matches everything).
    static func matchingTrigger(_ blueprint: JSON, text: String) -> String? {
        let lowered = text.lowercased()
        for node in blueprint["nodes"].arrayValue ?? [] where node["type"] == "whatsapp_trigger" {
            let keyword = node["config"]["keyword"].stringValue ?? ""
            let parts = keyword.split(separator: ",").map { String($0).trimmingWhitespace().lowercased() }.filter { !$0.isEmpty }
            if parts.isEmpty || parts.contains(where: lowered.contains) { return node["id"].stringValue }
        }
        return nil
    }

    /// Starts at a trigger node: records its outputs and walks its outgoing edges.
    mutating func start(triggerId: String) {
        execution.nodeOutputs[triggerId] = [
            "message": .string(context.message), "customer_phone": .string(context.customerPhone),
            "conversation_id": .string(context.conversationId),
        ]
        appendLog(triggerId, type: "whatsapp_trigger", outcome: "matched")
        execution.steps += 1
        walk(from: targets(of: triggerId, handle: nil))
    }

    /// Resumes a waiting `ask_question` with the customer's answer (stored in the conversation-scope variable).
    mutating func resume(answer: String) {
        guard execution.status == "waiting", execution.waitKind == "question", let nodeId = execution.currentNodeId else { return }
        if let variable = execution.waitVariable { context.conversation[variable] = .string(answer) }
        execution.nodeOutputs[nodeId] = ["response": .string(answer), "timed_out": false]
        clearWait()
        walk(from: targets(of: nodeId, handle: nil))
    }

    /// Resumes on timeout: only edges with handle `timeout` are followed (none → completed).
    mutating func resumeTimeout(nodeId: String) {
        guard execution.status == "waiting", execution.currentNodeId == nodeId else { return }
        execution.nodeOutputs[nodeId] = ["response": .null, "timed_out": true]
        clearWait()
        walk(from: targets(of: nodeId, handle: "timeout"))
    }

    private mutating func clearWait() {
        execution.status = "running"
        execution.waitKind = nil; execution.waitVariable = nil; execution.waitUntil = nil; execution.currentNodeId = nil
    }

    /// Outgoing edges in edge order; `handle` nil means "edges without the `timeout` handle".
    func targets(of nodeId: String, handle: String?) -> [String] {
        (blueprint["edges"].arrayValue ?? []).compactMap { edge in
            guard edge["source"].stringValue == nodeId else { return nil }
            let h = edge["sourceHandle"].stringValue
            if let handle { return h == handle ? edge["target"].stringValue : nil }
            return h == "timeout" ? nil : edge["target"].stringValue
        }
    }

    /// Depth-first, sequential walk; stops at a wait, a failure or the step limit.
    private mutating func walk(from start: [String]) {
        var stack = Array(start.reversed())
        let nodes = self.nodes
        while let id = stack.popLast() {
            execution.steps += 1
            guard execution.steps <= Self.stepLimit else { return fail("Step limit exceeded", nodeId: id, type: nil) }
            guard let node = nodes[id] else { return fail("Edge points to unknown node \(id)", nodeId: id, type: nil) }
            let type = node["type"].stringValue ?? ""
            let config = node["config"]
            context.nodeOutputs = execution.nodeOutputs
            switch type {
            case "whatsapp_reply":
                let recipient = context.render(config["recipient"].stringValue ?? "")
                guard recipient == context.customerPhone else {
                    return fail("Recipient must be the conversation's customer", nodeId: id, type: type)
                }
                emitted.append(context.render(config["message"].stringValue ?? ""))
                execution.nodeOutputs[id] = ["sent": true, "message_id": .null]
                appendLog(id, type: type, outcome: "sent")
                stack.append(contentsOf: targets(of: id, handle: nil).reversed())
            case "ask_question":
                let question = context.render(config["question"].stringValue ?? "")
                let timeout = Int(config["timeout"].integerValue ?? 300)
                emitted.append(question)
                execution.status = "waiting"
                execution.currentNodeId = id
                execution.waitKind = "question"
                execution.waitVariable = config["variable_name"].stringValue
                execution.waitUntil = Timestamp.format(epochMilliseconds: nowMilliseconds + Int64(min(max(timeout, 10), 3600)) * 1000)
                appendLog(id, type: type, outcome: "waiting")
                return
            case "whatsapp_trigger":
                appendLog(id, type: type, outcome: "skipped")
                stack.append(contentsOf: targets(of: id, handle: nil).reversed())
            default:
                return fail("Node type \(type) is not supported yet", nodeId: id, type: type)
            }
        }
        execution.status = "completed"
        execution.finishedAt = Timestamp.format(epochMilliseconds: nowMilliseconds)
    }

    private mutating func fail(_ message: String, nodeId: String, type: String?) {
        execution.status = "failed"
        execution.errorMessage = message
        execution.finishedAt = Timestamp.format(epochMilliseconds: nowMilliseconds)
        appendLog(nodeId, type: type ?? "unknown", outcome: "failed", error: message)
    }

    private mutating func appendLog(_ nodeId: String, type: String, outcome: String, error: String? = nil) {
        var entry: JSONObject = ["node_id": .string(nodeId), "type": .string(type),
                                 "at": .string(Timestamp.format(epochMilliseconds: nowMilliseconds)), "outcome": .string(outcome)]
        if let error { entry["error"] = .string(error) }
        execution.log.append(.object(entry))
    }
}
