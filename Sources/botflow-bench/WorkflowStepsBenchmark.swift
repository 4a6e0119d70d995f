import BotFlowCore
import BotFlowWorkflow
import Foundation

/// `botflow-bench workflow-steps [nodes=199] [runs=2000]`: the executor's cost per node step (behaviour §8.5) on a
/// chain of cheap nodes (store_variable → text_manipulation → if_condition, repeated), in process, no I/O. Each run
/// is one segment from the trigger to the end, including placeholder rendering and the execution log.
struct WorkflowStepsBenchmark {
    let nodes: Int
    let runs: Int

    /// Never called: the chain has no node that leaves the process.
    struct NoServices: WorkflowServices {
        func http(method: String, url: String, headers: [(String, String)], body: [UInt8]?) async throws -> HTTPResult { throw NodeFailure("off") }
        func query(_ sql: String, parameters: [JSON]) async throws -> [JSON] { [] }
        func searchKnowledge(query: String, limit: Int, threshold: Double) async throws -> [JSON] { [] }
        func chat(model: String, systemPrompt: String, userMessage: String, temperature: Double) async throws -> (text: String, tokens: Int) { ("", 0) }
        func integration(service: String, botIntegrationId: String?) async throws -> IntegrationAccess { throw NodeFailure("off") }
    }

    func blueprint() -> JSON {
        var list: [JSON] = [["id": "n0", "type": "whatsapp_trigger", "config": ["keyword": ""]]]
        var edges: [JSON] = []
        for i in 1...nodes {
            let node: JSON
            var handle: String?
            switch i % 3 {
            case 1: node = ["id": .string("n\(i)"), "type": "store_variable",
                            "config": ["variable_name": "v", "value": .string("{{message}}-\(i)"), "scope": "session"]]
            case 2: node = ["id": .string("n\(i)"), "type": "text_manipulation",
                            "config": ["operation": "uppercase", "input_text": "{{v}} {{customer.name}}"]]
            default: node = ["id": .string("n\(i)"), "type": "if_condition",
                             "config": ["left_value": .string("{{node_n\(i - 1).result}}"), "operator": "is_not_empty"]]
            }
            if i > 1, (i - 1) % 3 == 0 { handle = "true" }
            list.append(node)
            var edge: JSONObject = ["id": .string("e\(i)"), "source": .string("n\(i - 1)"), "target": .string("n\(i)")]
            if let handle { edge["sourceHandle"] = .string(handle) }
            edges.append(.object(edge))
        }
        return ["nodes": .array(list), "edges": .array(edges), "variables": [:]]
    }

    func run() async {
        let compiled = CompiledBlueprint(blueprint())
        let report = BlueprintValidator.validate(blueprint())
        let scope = WorkflowScope(message: "order 42", customerPhone: "+27820000001", customerName: "Thandi", conversationId: "c", botId: "b", botName: "B")
        let limits = WorkflowLimits(maxSteps: nodes + 1)
        var steps = 0
        // Warm-up, then the timed runs.
        for round in 0..<2 {
            let count = round == 0 ? max(1, runs / 10) : runs
            let started = ContinuousClock.now
            steps = 0
            for _ in 0..<count {
                var executor = WorkflowExecutor(blueprint: compiled, state: ExecutionState(), scope: scope, services: NoServices(), limits: limits,
                                                clock: { 1_700_000_000_000 })
                await executor.start(triggerId: "n0")
                guard executor.state.status == "completed" else {
                    print("WORKFLOW_STEPS error: \(executor.state.status) \(executor.state.errorMessage ?? "")")
                    return
                }
                steps += executor.state.steps
            }
            guard round == 1 else { continue }
            let d = ContinuousClock.now - started
            let micros = (Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12) / Double(steps)
            print("WORKFLOW_STEPS nodes=\(nodes + 1) runs=\(count) steps=\(steps) validation_ms=\(report.compilationTimeMs)")
            print(String(format: "WORKFLOW_STEPS us_per_step=%.2f us_per_segment=%.1f", micros, micros * Double(steps / count)))
        }
    }
}
