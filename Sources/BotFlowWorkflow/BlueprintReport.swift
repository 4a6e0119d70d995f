import BotFlowCore

/// One finding of blueprint validation (behaviour §8.4): `{code, message, node_id?, edge_id?, field?}`.
/// (Not `BotFlowCore.ValidationIssue`, which is a request-body issue with a path; files importing both modules
/// name this one `BotFlowWorkflow.ValidationIssue`.)
public struct ValidationIssue: Sendable, Equatable {
    public var code: String
    public var message: String
    public var nodeId: String?
    public var edgeId: String?
    public var field: String?

    public init(code: String, message: String, nodeId: String? = nil, edgeId: String? = nil, field: String? = nil) {
        self.code = code; self.message = message; self.nodeId = nodeId; self.edgeId = edgeId; self.field = field
    }

    public var json: JSON {
        var o: JSONObject = ["code": .string(code), "message": .string(message)]
        if let nodeId { o["node_id"] = .string(nodeId) }
        if let edgeId { o["edge_id"] = .string(edgeId) }
        if let field { o["field"] = .string(field) }
        return .object(o)
    }
}

/// Everything WF2/WF4/WF7 report about a blueprint.
public struct BlueprintReport: Sendable {
    public var errors: [ValidationIssue]
    public var warnings: [ValidationIssue]
    public var valid: Bool
    public var complexity: Int
    public var executable: Bool
    public var suggestions: [String]
    public var nodeCount: Int
    public var edgeCount: Int
    public var compilationTimeMs: Double

    /// `{valid, errors, warnings}`.
    public var validationJSON: JSON {
        ["valid": .bool(valid), "errors": .array(errors.map(\.json)), "warnings": .array(warnings.map(\.json))]
    }

    /// `{node_count, edge_count, compilation_time_ms}`.
    public var statsJSON: JSON {
        ["node_count": .int(nodeCount), "edge_count": .int(edgeCount), "compilation_time_ms": .double(compilationTimeMs)]
    }

    /// `{success, stats}`.
    public var compilationJSON: JSON { ["success": .bool(valid), "stats": statsJSON] }

    /// The first error's message (stored as a failed version's `error_message`).
    public var summary: String {
        errors.isEmpty ? "" : errors.map(\.message).prefix(3).joined(separator: "; ")
    }
}
