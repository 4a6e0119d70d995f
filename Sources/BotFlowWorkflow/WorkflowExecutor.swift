import BotFlowCore
import Foundation

/// The workflow executor of behaviour §8.5: a depth-first, sequential walk over a blueprint, one *segment* at a time
/// (from a start or a resume to the next wait or the end). It owns no storage: the caller loads the state, runs a
/// segment, then commits `state`, `emitted`, `scope.conversation`, `globalWrites` and `integrationCalls` in one write.
public struct WorkflowExecutor: Sendable {
    public let blueprint: CompiledBlueprint
    public var state: ExecutionState
    public var scope: WorkflowScope
    /// Bot messages emitted in this segment, in order.
    public private(set) var emitted: [String] = []
    /// `store_variable` writes with scope `global` (→ `workflow_globals`).
    public private(set) var globalWrites: JSONObject = [:]
    /// Integration calls to log (→ `integration_logs`).
    public private(set) var integrationCalls: [IntegrationCall] = []

    let services: any WorkflowServices
    let limits: WorkflowLimits
    let clock: @Sendable () -> Int64
    var frames: [WalkFrame] = []
    var segmentSteps = 0
    var segmentStarted = 0.0

    /// - Parameter clock: wall time in epoch milliseconds (log entries, wait deadlines).
    public init(blueprint: CompiledBlueprint, state: ExecutionState, scope: WorkflowScope, services: any WorkflowServices,
                limits: WorkflowLimits = WorkflowLimits(), clock: @escaping @Sendable () -> Int64) {
        self.blueprint = blueprint
        self.state = state
        self.scope = scope
        self.services = services
        self.limits = limits
        self.clock = clock
    }

    // MARK: Entry points

    /// Starts at a trigger node (reply Stage 2): records its outputs and walks its edges.
    public mutating func start(triggerId: String) async {
        beginSegment()
        state.nodeOutputs[triggerId] = [
            "message": .string(scope.message), "customer_phone": .string(scope.customerPhone), "conversation_id": .string(scope.conversationId),
        ]
        state.steps += 1
        segmentSteps += 1
        appendLog(triggerId, type: "whatsapp_trigger", outcome: "matched")
        push(blueprint.targets(of: triggerId))
        await walk()
    }

    /// Resumes a waiting question with the customer's answer (reply Stage 1). No-op unless waiting on a question.
    public mutating func answer(_ text: String) async {
        guard state.status == "waiting", state.waitKind == "question", let nodeId = state.currentNodeId else { return }
        beginSegment()
        if let variable = state.waitVariable { scope.conversation[variable] = .string(text) }
        state.nodeOutputs[nodeId] = ["response": .string(text), "timed_out": false]
        appendLog(nodeId, type: "ask_question", outcome: "answered")
        clearWait()
        push(blueprint.targets(of: nodeId, excluding: "timeout"))
        await walk()
    }

    /// Resumes by the `workflow_resume` job: a question's timeout (only `timeout` edges) or a finished delay. A
    /// resume whose execution is no longer waiting at `nodeId` does nothing (returns false).
    @discardableResult
    public mutating func resumeTimer(nodeId: String) async -> Bool {
        guard state.status == "waiting", state.currentNodeId == nodeId, let kind = state.waitKind else { return false }
        beginSegment()
        if kind == "question" {
            state.nodeOutputs[nodeId] = ["response": .null, "timed_out": true]
            appendLog(nodeId, type: "ask_question", outcome: "timed_out")
            clearWait()
            push(blueprint.targets(of: nodeId, handle: "timeout"))
        } else {
            state.nodeOutputs[nodeId] = ["completed": true]
            appendLog(nodeId, type: "delay", outcome: "completed")
            clearWait()
            push(blueprint.targets(of: nodeId))
        }
        await walk()
        return true
    }

    // MARK: Walk

    private mutating func beginSegment() {
        segmentSteps = 0
        segmentStarted = monotonicSeconds()
        frames = (state.nodeOutputs[ExecutionState.walkKey]?.arrayValue ?? []).compactMap(WalkFrame.init)
        state.nodeOutputs.removeValue(forKey: ExecutionState.walkKey)
    }

    private mutating func clearWait() {
        state.status = "running"
        state.waitKind = nil; state.waitVariable = nil; state.waitUntilMs = nil; state.currentNodeId = nil
    }

    /// Pushes targets so that the first one runs next (depth-first, edge order).
    private mutating func push(_ targets: [String]) {
        frames.append(contentsOf: targets.reversed().map(WalkFrame.node))
    }

    private var remainingSeconds: Double { limits.maxSeconds - (monotonicSeconds() - segmentStarted) }

    private mutating func walk() async {
        while state.status == "running", let frame = frames.popLast() {
            switch frame {
            case .loop(let id, let next, let items, let batchSize):
                continueLoop(id: id, next: next, items: items, batchSize: batchSize)
            case .node(let id):
                segmentSteps += 1
                state.steps += 1
                if segmentSteps > limits.maxSteps { return fail("Step limit exceeded", nodeId: id) }
                if remainingSeconds <= 0 { return fail("Time limit exceeded", nodeId: id) }
                guard let node = blueprint.nodes[id] else { return fail("Edge points to unknown node \(id)", nodeId: id) }
                do {
                    try await run(node)
                } catch is TimeLimitExceeded {
                    return fail("Time limit exceeded", nodeId: id)
                } catch {
                    let message = (error as? NodeFailure)?.message ?? "\(error)"
                    nodeFailed(node, message: message)
                }
            }
        }
        guard state.status == "running" else { return }
        // The error branch of a handler with continue_on_error false ends the execution `failed`.
        if let handler = blueprint.errorHandlerId, let output = state.nodeOutputs[handler], output["continue_on_error"] == false,
            let message = output["message"].stringValue
        {
            return fail(message, nodeId: handler, logged: false)
        }
        state.status = "completed"
        state.finished = true
    }

    /// A node error: jump to the error handler (once per execution), else the execution fails.
    private mutating func nodeFailed(_ node: CompiledBlueprint.Node, message: String) {
        guard let handlerId = blueprint.errorHandlerId, let handler = blueprint.nodes[handlerId],
            state.nodeOutputs[handlerId]?["node_id"].isNull ?? true, node.id != handlerId
        else { return fail(message, nodeId: node.id, type: node.type) }
        let config = render(handler.config, credentials: [:])
        let logError = config["log_error"].boolValue ?? true
        appendLog(node.id, type: node.type, outcome: "failed", error: logError ? message : nil)
        let errorMessage = config["error_message"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? message
        state.nodeOutputs[handlerId] = [
            "success": false, "error": ["message": .string(message), "node_id": .string(node.id)],
            "message": .string(errorMessage), "node_id": .string(node.id),
            "continue_on_error": .bool(config["continue_on_error"].boolValue ?? true),
        ]
        appendLog(handlerId, type: "error_handler", outcome: "error")
        frames.removeAll()
        push(blueprint.targets(of: handlerId, handle: "error"))
    }

    private mutating func fail(_ message: String, nodeId: String, type: String? = nil, logged: Bool = true) {
        state.status = "failed"
        state.errorMessage = message
        state.finished = true
        frames.removeAll()
        if logged { appendLog(nodeId, type: type ?? blueprint.nodes[nodeId]?.type ?? "unknown", outcome: "failed", error: message) }
    }

    mutating func appendLog(_ nodeId: String, type: String, outcome: String, error: String? = nil) {
        var entry: JSONObject = ["node_id": .string(nodeId), "type": .string(type),
                                 "at": .string(Timestamp.format(epochMilliseconds: clock())), "outcome": .string(outcome)]
        if let error { entry["error"] = .string(error) }
        state.log.append(.object(entry))
        if state.log.count > 200 { state.log.removeFirst(state.log.count - 200) }
    }

    /// Persists the pending walk and stops at a wait.
    mutating func wait(at node: CompiledBlueprint.Node, kind: String, variable: String?, seconds: Int) {
        state.status = "waiting"
        state.currentNodeId = node.id
        state.waitKind = kind
        state.waitVariable = variable
        state.waitUntilMs = clock() + Int64(seconds) * 1000
        if !frames.isEmpty { state.nodeOutputs[ExecutionState.walkKey] = .array(frames.map(\.json)) }
        frames.removeAll()
        appendLog(node.id, type: node.type, outcome: "waiting")
    }

    // MARK: Nodes

    /// Config with every string substituted (typed single placeholders).
    func render(_ config: JSON, credentials: [String: JSONObject]) -> JSON {
        let resolver = Resolver(scope: scope, session: state.variables, outputs: state.nodeOutputs,
                                blueprintVariables: blueprint.variables, credentials: credentials)
        return WorkflowPlaceholders.renderValue(config, resolver.resolve)
    }

    private mutating func run(_ node: CompiledBlueprint.Node) async throws {
        let isIntegration = NodeCatalogue.category(of: node.type) == .integration
        let credentials = isIntegration ? try await credentialsReferenced(in: node.config) : [:]
        let config = render(node.config, credentials: credentials)
        switch node.type {
        case "whatsapp_trigger":
            // Reached from another node: a no-op pass-through.
            record(node, [:], outcome: "skipped")
            push(blueprint.targets(of: node.id))
        case "whatsapp_reply":
            // Cleaned first (§6.5: unknown placeholders removed, long text cut): only a message with nothing left fails.
            let message = OutgoingMessageRules.clean(try LocalNodes.text(config, "message", label: "Message"))
            let recipient = WorkflowPlaceholders.format(config["recipient"])
            guard recipient == scope.customerPhone else { throw NodeFailure("Recipient must be the conversation's customer") }
            guard !message.isEmpty else { throw NodeFailure("Message must be 1-4096 characters") }
            emitted.append(message)
            record(node, ["sent": true, "message_id": .null], outcome: "sent")
            push(blueprint.targets(of: node.id))
        case "ask_question":
            let question = OutgoingMessageRules.clean(try LocalNodes.text(config, "question", label: "Question"))
            guard !question.isEmpty else { throw NodeFailure("Question must not be empty") }
            guard let variable = config["variable_name"].stringValue, BlueprintValidator.matches(variable, pattern: NodeCatalogue.variablePattern)
            else { throw NodeFailure("Variable Name has an invalid format") }
            let timeout = try LocalNodes.number(config["timeout"], label: "Timeout", default: 300, range: 10...3600)
            emitted.append(question)
            wait(at: node, kind: "question", variable: variable, seconds: Int(timeout))
        case "delay":
            let duration = try LocalNodes.number(config["duration"], label: "Duration", default: 5, range: 1...300)
            wait(at: node, kind: "delay", variable: nil, seconds: Int(duration.rounded(.up)))
        case "if_condition":
            let result = try LocalNodes.condition(config)
            record(node, ["result": .bool(result)], outcome: result ? "true" : "false")
            push(blueprint.targets(of: node.id, handle: result ? "true" : "false"))
        case "switch_case":
            let handle = try LocalNodes.switchHandle(config)
            record(node, ["output": .string(handle)], outcome: handle)
            push(blueprint.targets(of: node.id, handle: handle))
        case "store_variable":
            try storeVariable(config)
            record(node, ["success": true])
            push(blueprint.targets(of: node.id))
        case "text_manipulation":
            record(node, ["result": .string(try LocalNodes.manipulate(config))])
            push(blueprint.targets(of: node.id))
        case "loop":
            let (items, batchSize) = try LocalNodes.loopItems(config)
            let iterations = (items.count + batchSize - 1) / batchSize
            guard iterations <= limits.maxLoopIterations else {
                throw NodeFailure("Loop exceeds \(limits.maxLoopIterations) iterations")
            }
            appendLog(node.id, type: node.type, outcome: "started")
            continueLoop(id: node.id, next: 0, items: items, batchSize: batchSize)
        case "error_handler":
            record(node, ["success": true, "error": .null], outcome: "success")
            push(blueprint.targets(of: node.id, handle: "success"))
        default:
            guard NodeCatalogue.definition(of: node.type) != nil else { throw NodeFailure("Unknown node type: \(node.type)") }
            let services = self.services
            let type = node.type
            let credentialMap = blueprint.credentialMap
            let result = try await withDeadline(remainingSeconds) {
                try await RemoteNodes.run(type: type, config: config, services: services, credentialMap: credentialMap)
            }
            if let call = result.call { integrationCalls.append(call) }
            if let failure = result.failure { throw NodeFailure(failure) }
            record(node, result.outputs)
            push(blueprint.targets(of: node.id))
        }
    }

    private mutating func record(_ node: CompiledBlueprint.Node, _ outputs: JSONObject, outcome: String = "ok") {
        state.nodeOutputs[node.id] = .object(outputs)
        appendLog(node.id, type: node.type, outcome: outcome)
    }

    private mutating func storeVariable(_ config: JSON) throws {
        guard let name = config["variable_name"].stringValue, BlueprintValidator.matches(name, pattern: NodeCatalogue.variablePattern) else {
            throw NodeFailure("Variable Name has an invalid format")
        }
        let value = config["value"]
        switch config["scope"].stringValue ?? "conversation" {
        case "conversation": scope.conversation[name] = value
        case "session": state.variables[name] = value
        case "global":
            scope.globals[name] = value
            globalWrites[name] = value
        case let other: throw NodeFailure("Scope must be one of: conversation, session, global (got \(other))")
        }
    }

    /// Runs the next batch of a loop's `item` branch, or follows `done`.
    private mutating func continueLoop(id: String, next: Int, items: [JSON], batchSize: Int) {
        guard next * batchSize < items.count else {
            state.nodeOutputs[id] = ["item": .null, "index": .int(next), "done": true, "count": .int(items.count)]
            appendLog(id, type: "loop", outcome: "done")
            push(blueprint.targets(of: id, handle: "done"))
            return
        }
        let batch = Array(items[(next * batchSize)..<min(items.count, (next + 1) * batchSize)])
        state.nodeOutputs[id] = ["item": batchSize == 1 ? batch[0] : .array(batch), "index": .int(next), "done": false,
                                 "count": .int(items.count)]
        frames.append(.loop(id: id, next: next + 1, items: items, batchSize: batchSize))
        push(blueprint.targets(of: id, handle: "item"))
    }

    /// `{{credentials.<service>…}}` in an integration node's config: fetched before rendering.
    private func credentialsReferenced(in config: JSON) async throws -> [String: JSONObject] {
        let text = JSONWriter.string(config)
        guard text.contains("credentials.") else { return [:] }
        var found: [String: JSONObject] = [:]
        var rest = Substring(text)
        while let range = rest.range(of: "{{") {
            rest = rest[range.upperBound...]
            let inner = rest.prefix { $0 != "}" }.trimmingSpaces()
            guard inner.hasPrefix("credentials."), WorkflowPlaceholders.isValidPath(inner) else { continue }
            let service = String(inner.dropFirst("credentials.".count).prefix { $0 != "." })
            guard found[service] == nil, !service.isEmpty else { continue }
            let access = try await services.integration(service: service, botIntegrationId: blueprint.credentialMap[service])
            found[service] = access.credentials
        }
        return found
    }
}

struct TimeLimitExceeded: Error {}

/// Runs `body`, giving up (and cancelling it) after `seconds`.
func withDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard seconds > 0 else { throw TimeLimitExceeded() }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimeLimitExceeded() }
        return value
    }
}
