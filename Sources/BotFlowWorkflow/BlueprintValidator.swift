import BotFlowCore

/// Blueprint validation of behaviour §8.4, with complexity, executable flag, suggestions and compilation stats.
public enum BlueprintValidator {
    /// Hard limits (behaviour §8.1): more is a 400 request error, not a blueprint issue.
    public static let maxNodes = 200
    public static let maxEdges = 500

    /// Request-level size issues (code `too_big`, path `["blueprint","nodes"]` / `["blueprint","edges"]`).
    public static func sizeIssues(_ blueprint: JSON) -> [BotFlowCore.ValidationIssue] {
        var issues: [BotFlowCore.ValidationIssue] = []
        if let nodes = blueprint["nodes"].arrayValue, nodes.count > maxNodes {
            issues.append(.init(path: ["blueprint", "nodes"], message: "A workflow may have at most \(maxNodes) nodes", code: .too_big))
        }
        if let edges = blueprint["edges"].arrayValue, edges.count > maxEdges {
            issues.append(.init(path: ["blueprint", "edges"], message: "A workflow may have at most \(maxEdges) edges", code: .too_big))
        }
        return issues
    }

    public static func validate(_ blueprint: JSON) -> BlueprintReport {
        let started = monotonicSeconds()
        var errors: [ValidationIssue] = []
        var warnings: [ValidationIssue] = []
        let nodes = blueprint["nodes"].arrayValue
        let edges = blueprint["edges"].arrayValue
        if nodes == nil { errors.append(.init(code: "MISSING_FIELD", message: "Blueprint must have a nodes array", field: "nodes")) }
        if edges == nil { errors.append(.init(code: "MISSING_FIELD", message: "Blueprint must have an edges array", field: "edges")) }
        guard let nodes, let edges else {
            return finish(errors: errors, warnings: warnings, nodes: nodes ?? [], edges: edges ?? [], started: started)
        }
        if nodes.isEmpty { errors.append(.init(code: "EMPTY_BLUEPRINT", message: "Blueprint has no nodes")) }

        // Nodes: ids, types, configs.
        var typeOf: [String: String] = [:]
        var order: [String] = []
        for (index, node) in nodes.enumerated() {
            guard case .object = node else {
                errors.append(.init(code: "INVALID_TYPE", message: "Node \(index + 1) must be an object", field: "nodes"))
                continue
            }
            guard let id = node["id"].stringValue else {
                errors.append(.init(code: "MISSING_FIELD", message: "Node \(index + 1) has no id", field: "id"))
                continue
            }
            if id.isEmpty || id.count > 50 {
                errors.append(.init(code: "VALIDATION_FAILED", message: "Node id must be 1-50 characters", nodeId: id, field: "id"))
            }
            if typeOf[id] != nil {
                errors.append(.init(code: "DUPLICATE_NODE_ID", message: "Duplicate node id: \(id)", nodeId: id, field: "id"))
                continue
            }
            let type = node["type"].stringValue ?? ""
            typeOf[id] = type
            order.append(id)
            guard let definition = NodeCatalogue.definition(of: type) else {
                errors.append(.init(code: "UNKNOWN_NODE_TYPE", message: "Unknown node type: \(type)", nodeId: id, field: "type"))
                continue
            }
            let config = node["config"]
            if !config.isNull, config.objectValue == nil {
                errors.append(.init(code: "INVALID_TYPE", message: "Field config must be a JSON object", nodeId: id, field: "config"))
                continue
            }
            for input in definition.inputs { errors += check(input, value: config[input.name], nodeId: id) }
        }

        // Edges.
        var outgoing: [String: [String]] = [:]
        var connected = Set<String>()
        for (index, edge) in edges.enumerated() {
            let edgeId = edge["id"].stringValue ?? "\(index + 1)"
            let source = edge["source"].stringValue ?? ""
            let target = edge["target"].stringValue ?? ""
            guard let sourceType = typeOf[source], typeOf[target] != nil else {
                errors.append(.init(code: "INVALID_EDGE", message: "Edge \(edgeId) connects unknown nodes (\(source) → \(target))", edgeId: edgeId))
                continue
            }
            connected.insert(source); connected.insert(target)
            outgoing[source, default: []].append(target)
            let handle = edge["sourceHandle"]
            if !handle.isNull {
                let valid = handle.stringValue.map { NodeCatalogue.definition(of: sourceType)?.handles.accepts($0) ?? true } ?? false
                if !valid {
                    errors.append(.init(code: "INVALID_HANDLE", message: "Invalid source handle \(JSONWriter.string(handle)) for \(sourceType)",
                                        nodeId: source, edgeId: edgeId, field: "sourceHandle"))
                }
            }
        }

        // Warnings.
        if order.count > 1 {
            for id in order where !connected.contains(id) {
                warnings.append(.init(code: "NOT_CONNECTED", message: "Node \(id) is not connected", nodeId: id))
            }
        }
        for id in cycleEntries(order: order, outgoing: outgoing, typeOf: typeOf) {
            warnings.append(.init(code: "CYCLE", message: "Node \(id) is part of a cycle that does not pass through a loop node", nodeId: id))
        }
        if !order.contains(where: { typeOf[$0] == "whatsapp_trigger" }) {
            warnings.append(.init(code: "NO_TRIGGER", message: "Workflow has no whatsapp_trigger node"))
        }
        for id in order where outgoing[id] == nil && typeOf[id] != "whatsapp_reply" {
            warnings.append(.init(code: "DEAD_END", message: "Node \(id) has no outgoing edges", nodeId: id))
        }
        if nodes.count > 50 {
            warnings.append(.init(code: "TOO_MANY_NODES", message: "Workflow has \(nodes.count) nodes; more than 50 is hard to maintain"))
        }
        return finish(errors: errors, warnings: warnings, nodes: nodes, edges: edges, started: started)
    }

    /// The checks of one input; a value that is exactly one placeholder is checked at run time instead.
    static func check(_ input: InputDefinition, value: JSON, nodeId: String) -> [ValidationIssue] {
        func issue(_ code: String, _ message: String) -> [ValidationIssue] {
            [ValidationIssue(code: code, message: message, nodeId: nodeId, field: input.name)]
        }
        let label = input.label
        if value.isNull || value == "" {
            return input.required && input.defaultValue == nil ? issue("MISSING_REQUIRED_FIELD", "Missing required field: \(label)") : []
        }
        if WorkflowPlaceholders.isSinglePlaceholder(value) { return [] }
        switch input.kind {
        case .string:
            guard let s = value.stringValue else { return issue("INVALID_TYPE", "Field \(label) must be a string") }
            let length = Double(s.count)
            if let min = input.min, length < min { return issue("VALIDATION_FAILED", "\(label) must be at least \(number(min)) characters") }
            if let max = input.max, length > max { return issue("VALIDATION_FAILED", "\(label) must be at most \(number(max)) characters") }
            if let pattern = input.pattern, !matches(s, pattern: pattern) { return issue("VALIDATION_FAILED", "\(label) has an invalid format") }
        case .number:
            guard let n = value.numberValue else { return issue("INVALID_TYPE", "Field \(label) must be a number") }
            if input.integer, n.rounded() != n { return issue("VALIDATION_FAILED", "\(label) must be a whole number") }
            if let min = input.min, n < min { return issue("VALIDATION_FAILED", "\(label) must be at least \(number(min))") }
            if let max = input.max, n > max { return issue("VALIDATION_FAILED", "\(label) must be at most \(number(max))") }
        case .boolean:
            guard value.boolValue != nil else { return issue("INVALID_TYPE", "Field \(label) must be a boolean") }
        case .json:
            guard value.objectValue != nil || value.arrayValue != nil else {
                return issue("INVALID_TYPE", "Field \(label) must be a JSON object or array")
            }
        case .select:
            guard let s = value.stringValue, input.options.contains(s) else {
                return issue("INVALID_OPTION", "\(label) must be one of: \(input.options.joined(separator: ", "))")
            }
        case .multiselect:
            guard let items = value.arrayValue else { return issue("INVALID_TYPE", "\(label) must be an array") }
            let invalid = items.filter { item in !(item.stringValue.map(input.options.contains) ?? false) }
            if !invalid.isEmpty {
                return issue("INVALID_OPTION", "\(label) contains invalid values: \(invalid.map(WorkflowPlaceholders.format).joined(separator: ", "))")
            }
        }
        return []
    }

    static func number(_ d: Double) -> String { JSONWriter.formatNumber(d) }

    /// The one pattern of the catalogue (`^[a-zA-Z_][a-zA-Z0-9_]*$`) is matched by hand; others through Regex.
    static func matches(_ s: String, pattern: String) -> Bool {
        if pattern == NodeCatalogue.variablePattern {
            guard let first = s.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || first == "_" else { return false }
            return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
        }
        guard let regex = try? Regex(pattern) else { return true }
        return (try? regex.wholeMatch(in: s)) != nil
    }

    /// One node per cycle that avoids `loop` nodes: strongly connected components (Tarjan) of the graph without loop
    /// nodes, reported by their first node in blueprint order.
    static func cycleEntries(order: [String], outgoing: [String: [String]], typeOf: [String: String]) -> [String] {
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        var index: [String: Int] = [:]
        var low: [String: Int] = [:]
        var onStack = Set<String>()
        var stack: [String] = []
        var counter = 0
        var found: [String] = []
        func successors(_ id: String) -> [String] { (outgoing[id] ?? []).filter { typeOf[$0] != "loop" } }
        func connect(_ v: String) {
            index[v] = counter; low[v] = counter; counter += 1
            stack.append(v); onStack.insert(v)
            for w in successors(v) {
                if index[w] == nil { connect(w); low[v] = min(low[v]!, low[w]!) }
                else if onStack.contains(w) { low[v] = min(low[v]!, index[w]!) }
            }
            guard low[v] == index[v] else { return }
            var component: [String] = []
            while let w = stack.popLast() {
                onStack.remove(w)
                component.append(w)
                if w == v { break }
            }
            if component.count > 1 || successors(v).contains(v) {
                found.append(component.min { position[$0, default: 0] < position[$1, default: 0] }!)
            }
        }
        for id in order where typeOf[id] != "loop" && index[id] == nil { connect(id) }
        return found.sorted { position[$0, default: 0] < position[$1, default: 0] }
    }

    static func finish(errors: [ValidationIssue], warnings: [ValidationIssue], nodes: [JSON], edges: [JSON], started: Double) -> BlueprintReport {
        let types = nodes.compactMap { $0["type"].stringValue }
        func count(_ type: String) -> Int { types.lazy.filter { $0 == type }.count }
        let branching = count("if_condition") + count("switch_case")
        let complexity = min(min(2 * nodes.count, 40) + min(edges.count, 20) + 5 * branching + 10 * count("loop"), 100)
        let executable = types.contains("whatsapp_trigger")
            && types.contains { ["whatsapp_reply", "ask_question", "http_request", "webhook_callback"].contains($0) }
        var suggestions: [String] = []
        if count("store_variable") > 3 {
            suggestions.append("Consider using fewer variables: this workflow has more than 3 store_variable nodes")
        }
        if count("http_request") > 5 {
            suggestions.append("Consider combining HTTP calls: this workflow has more than 5 http_request nodes")
        }
        let elapsed = (monotonicSeconds() - started) * 1000
        return BlueprintReport(errors: errors, warnings: warnings, valid: errors.isEmpty, complexity: complexity, executable: executable,
                               suggestions: suggestions, nodeCount: nodes.count, edgeCount: edges.count,
                               compilationTimeMs: (elapsed * 1000).rounded() / 1000)
    }
}
