import BotFlowCore

/// A blueprint indexed for walking: nodes by id, outgoing edges per source in edge order.
public struct CompiledBlueprint: Sendable {
    public struct Node: Sendable {
        public let id: String
        public let type: String
        public let config: JSON
    }

    public struct Edge: Sendable {
        public let target: String
        public let handle: String?
    }

    public let nodes: [String: Node]
    /// Node ids in blueprint order.
    public let order: [String]
    public let outgoing: [String: [Edge]]
    public let variables: JSONObject
    /// `credentials` mapping: service → bot-integration id.
    public let credentialMap: [String: String]
    /// The first `error_handler` in blueprint order.
    public let errorHandlerId: String?

    public init(_ blueprint: JSON) {
        var nodes: [String: Node] = [:]
        var order: [String] = []
        for raw in blueprint["nodes"].arrayValue ?? [] {
            guard let id = raw["id"].stringValue, nodes[id] == nil else { continue }
            nodes[id] = Node(id: id, type: raw["type"].stringValue ?? "", config: raw["config"].objectValue.map(JSON.object) ?? [:])
            order.append(id)
        }
        var outgoing: [String: [Edge]] = [:]
        for raw in blueprint["edges"].arrayValue ?? [] {
            guard let source = raw["source"].stringValue, let target = raw["target"].stringValue else { continue }
            outgoing[source, default: []].append(Edge(target: target, handle: raw["sourceHandle"].stringValue))
        }
        var credentialMap: [String: String] = [:]
        for entry in blueprint["credentials"].arrayValue ?? [] {
            if let service = entry["service"].stringValue, let id = entry["credential_id"].stringValue { credentialMap[service] = id }
        }
        self.nodes = nodes
        self.order = order
        self.outgoing = outgoing
        self.variables = blueprint["variables"].objectValue ?? [:]
        self.credentialMap = credentialMap
        self.errorHandlerId = order.first { nodes[$0]?.type == "error_handler" }
    }

    /// Targets of a node's edges: all (`handle` nil), those with exactly `handle`, or (`excluding`) those without it.
    func targets(of id: String, handle: String? = nil, excluding: String? = nil) -> [String] {
        guard let edges = outgoing[id] else { return [] }
        if let handle { return edges.filter { $0.handle == handle }.map(\.target) }
        if let excluding { return edges.filter { $0.handle != excluding }.map(\.target) }
        return edges.map(\.target)
    }

    /// The first `whatsapp_trigger` (blueprint order) whose keyword matches: empty keyword, or any comma-separated
    /// part (trimmed, non-empty) is a case-insensitive substring of the message.
    public func matchingTrigger(text: String) -> String? {
        let lowered = text.lowercased()
        for id in order {
            guard let node = nodes[id], node.type == "whatsapp_trigger" else { continue }
            let keyword = node.config["keyword"].stringValue ?? ""
            let parts = keyword.split(separator: ",").map { String($0).trimmingWhitespace().lowercased() }.filter { !$0.isEmpty }
            if parts.isEmpty || parts.contains(where: lowered.contains) { return id }
        }
        return nil
    }
}
