import BotFlowCore

/// One input of a node type (behaviour §8.3): its JSON kind and the checks of §8.4.
public struct InputDefinition: Sendable {
    public enum Kind: String, Sendable { case string, number, boolean, json, select, multiselect }

    public let name: String
    /// Human name used in issue messages (`Missing required field: <label>`).
    public let label: String
    public let kind: Kind
    public let required: Bool
    public let defaultValue: JSON?
    /// Numbers: value bounds; strings: length bounds (characters).
    public let min: Double?
    public let max: Double?
    /// Whole-value pattern for strings.
    public let pattern: String?
    public let options: [String]
    /// Numbers that must be whole (`amount` in cents).
    public let integer: Bool

    public init(_ name: String, _ label: String, _ kind: Kind, required: Bool = false, default defaultValue: JSON? = nil,
                min: Double? = nil, max: Double? = nil, pattern: String? = nil, options: [String] = [], integer: Bool = false) {
        self.name = name; self.label = label; self.kind = kind; self.required = required; self.defaultValue = defaultValue
        self.min = min; self.max = max; self.pattern = pattern; self.options = options; self.integer = integer
    }

    public var json: JSON {
        var o: JSONObject = ["name": .string(name), "label": .string(label), "type": .string(kind.rawValue), "required": .bool(required)]
        if let defaultValue { o["default"] = defaultValue }
        if let min { o["min"] = .double(min) }
        if let max { o["max"] = .double(max) }
        if let pattern { o["pattern"] = .string(pattern) }
        if !options.isEmpty { o["options"] = .strings(options) }
        return .object(o)
    }
}

/// Which `sourceHandle` values an edge leaving a node of this type may carry.
public enum SourceHandles: Sendable, Equatable {
    /// No handle (edges must not name one).
    case none
    /// Exactly these names.
    case named([String])
    /// Any string (`switch_case`).
    case any

    /// An edge without a handle is always well-formed (a branching node simply never follows it).
    public func accepts(_ handle: String?) -> Bool {
        guard let handle else { return true }
        switch self {
        case .none: return false
        case .named(let names): return names.contains(handle)
        case .any: return true
        }
    }
}

public enum NodeCategory: String, Sendable { case trigger, action, condition, integration, utility }

/// A node type of behaviour §8.3.
public struct NodeDefinition: Sendable {
    public let type: String
    public let category: NodeCategory
    public let inputs: [InputDefinition]
    public let outputs: [String]
    public let handles: SourceHandles

    public func input(_ name: String) -> InputDefinition? { inputs.first { $0.name == name } }

    public var json: JSON {
        var handlesJSON: JSON
        switch handles {
        case .none: handlesJSON = []
        case .named(let names): handlesJSON = .strings(names)
        case .any: handlesJSON = "*"
        }
        return ["type": .string(type), "category": .string(category.rawValue), "inputs": .array(inputs.map(\.json)),
                "outputs": .strings(outputs), "source_handles": handlesJSON]
    }
}
