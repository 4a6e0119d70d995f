import BotFlowCore

/// The persisted part of an execution (the columns of `workflow_executions`, data-model §2.8) as the executor sees
/// it. The messaging module copies it to and from `ExecutionRecord`.
public struct ExecutionState: Sendable {
    public var status: String
    public var currentNodeId: String?
    public var waitKind: String?
    public var waitVariable: String?
    public var waitUntilMs: Int64?
    /// Session-scope variables.
    public var variables: JSONObject
    /// `{<node id>: {<output>: value}}`; the pending walk of a waiting execution is kept under `__walk` (a key no
    /// placeholder can name, since paths may not contain `__`).
    public var nodeOutputs: JSONObject
    public var steps: Int
    public var log: [JSON]
    public var errorMessage: String?
    public var finished: Bool

    public init(status: String = "running", currentNodeId: String? = nil, waitKind: String? = nil, waitVariable: String? = nil,
                waitUntilMs: Int64? = nil, variables: JSONObject = [:], nodeOutputs: JSONObject = [:], steps: Int = 0,
                log: [JSON] = [], errorMessage: String? = nil, finished: Bool = false) {
        self.status = status; self.currentNodeId = currentNodeId; self.waitKind = waitKind; self.waitVariable = waitVariable
        self.waitUntilMs = waitUntilMs; self.variables = variables; self.nodeOutputs = nodeOutputs; self.steps = steps
        self.log = log; self.errorMessage = errorMessage; self.finished = finished
    }

    public var isWaiting: Bool { status == "waiting" }

    static let walkKey = "__walk"
}

/// One pending step of the depth-first walk.
enum WalkFrame: Sendable {
    /// Run this node.
    case node(String)
    /// The next batch of a loop (or its `done` branch when `next` is past the end).
    case loop(id: String, next: Int, items: [JSON], batchSize: Int)

    var json: JSON {
        switch self {
        case .node(let id): return ["node": .string(id)]
        case .loop(let id, let next, let items, let batchSize):
            return ["loop": .string(id), "next": .int(next), "items": .array(items), "batch_size": .int(batchSize)]
        }
    }

    init?(_ json: JSON) {
        if let id = json["node"].stringValue { self = .node(id); return }
        guard let id = json["loop"].stringValue, let next = json["next"].integerValue, let items = json["items"].arrayValue else { return nil }
        self = .loop(id: id, next: max(0, Int(clamping: next)), items: items, batchSize: max(1, Int(clamping: json["batch_size"].integerValue ?? 1)))
    }
}

/// Per-segment limits (behaviour §8.5); tests and benchmarks may lower them.
public struct WorkflowLimits: Sendable {
    public var maxSteps: Int
    public var maxSeconds: Double
    public var maxLoopIterations: Int
    public init(maxSteps: Int = 200, maxSeconds: Double = 30, maxLoopIterations: Int = 1000) {
        self.maxSteps = maxSteps; self.maxSeconds = maxSeconds; self.maxLoopIterations = maxLoopIterations
    }
}
