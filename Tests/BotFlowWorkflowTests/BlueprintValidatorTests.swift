import BotFlowCore
import BotFlowWorkflow
import Testing

/// A node `{id, type, config}`.
func node(_ id: String, _ type: String, _ config: JSON = [:]) -> JSON { ["id": .string(id), "type": .string(type), "config": config] }
func edge(_ id: String, _ source: String, _ target: String, handle: String? = nil) -> JSON {
    var o: JSONObject = ["id": .string(id), "source": .string(source), "target": .string(target)]
    if let handle { o["sourceHandle"] = .string(handle) }
    return .object(o)
}
func blueprint(_ nodes: [JSON], _ edges: [JSON]) -> JSON { ["nodes": .array(nodes), "edges": .array(edges), "variables": [:]] }

let trigger = node("1", "whatsapp_trigger", ["keyword": "order"])
func reply(_ id: String, _ text: String = "Hi") -> JSON { node(id, "whatsapp_reply", ["message": .string(text), "recipient": "{{customer.phone}}"]) }

@Suite("Blueprint validation (behaviour §8.4)")
struct BlueprintValidatorTests {
    func codes(_ b: JSON) -> (errors: [String], warnings: [String]) {
        let r = BlueprintValidator.validate(b)
        return (r.errors.map(\.code), r.warnings.map(\.code))
    }

    @Test func aValidTwoNodeFlowHasNoIssues() {
        let r = BlueprintValidator.validate(blueprint([trigger, reply("2")], [edge("e1", "1", "2")]))
        #expect(r.valid)
        #expect(r.errors.isEmpty && r.warnings.isEmpty)
        #expect(r.executable)
        #expect(r.nodeCount == 2 && r.edgeCount == 1)
    }

    @Test func missingField() {
        let r = BlueprintValidator.validate(["nodes": [trigger]])
        #expect(r.errors.map(\.code) == ["MISSING_FIELD"])
        #expect(r.errors[0].field == "edges")
        #expect(!r.valid)
        #expect(BlueprintValidator.validate(["nodes": "x", "edges": []]).errors.map(\.code) == ["MISSING_FIELD"])
    }

    @Test func emptyBlueprint() {
        #expect(codes(blueprint([], [])).errors == ["EMPTY_BLUEPRINT"])
    }

    @Test func duplicateNodeId() {
        let c = codes(blueprint([trigger, reply("1")], []))
        #expect(c.errors == ["DUPLICATE_NODE_ID"])
    }

    @Test func unknownNodeType() {
        let r = BlueprintValidator.validate(blueprint([trigger, node("2", "teleport")], [edge("e1", "1", "2")]))
        #expect(r.errors.map(\.code) == ["UNKNOWN_NODE_TYPE"])
        #expect(r.errors[0].nodeId == "2")
    }

    @Test func missingRequiredFieldUsesLabelAndDefaultsCount() {
        let r = BlueprintValidator.validate(blueprint([trigger, node("2", "whatsapp_reply", ["message": "", "recipient": nil])],
                                                     [edge("e1", "1", "2")]))
        #expect(r.errors.map(\.code) == ["MISSING_REQUIRED_FIELD", "MISSING_REQUIRED_FIELD"])
        #expect(r.errors.map(\.message) == ["Missing required field: Message", "Missing required field: Recipient"])
        #expect(r.errors.map(\.field) == ["message", "recipient"])
        // Required inputs with a default (operator, scope, method, duration) take it.
        let defaults = blueprint([trigger, node("2", "if_condition", ["left_value": "a"]), node("3", "store_variable", ["variable_name": "x", "value": "1"]),
                                  node("4", "http_request", ["url": "https://example.com"]), node("5", "delay", [:]), reply("6")],
                                 [edge("e1", "1", "2"), edge("e2", "2", "3", handle: "true"), edge("e3", "3", "4"), edge("e4", "4", "5"), edge("e5", "5", "6")])
        #expect(codes(defaults).errors == [])
    }

    @Test func invalidType() {
        let r = BlueprintValidator.validate(blueprint([
            trigger, node("2", "whatsapp_reply", ["message": 5, "recipient": "x"]), node("3", "delay", ["duration": "soon"]),
            node("4", "error_handler", ["continue_on_error": "yes"]), node("5", "http_request", ["url": "https://x", "headers": "h"]),
            node("6", "shopify_lookup", ["product_id": "1", "fields": "title"]),
        ], []))
        #expect(r.errors.map(\.code) == Array(repeating: "INVALID_TYPE", count: 5))
        #expect(r.errors[0].message == "Field Message must be a string")
        #expect(r.errors[1].message == "Field Duration must be a number")
    }

    @Test func validationFailed() {
        let r = BlueprintValidator.validate(blueprint([
            trigger, node("2", "ask_question", ["question": "Q", "variable_name": "1bad", "timeout": 5]),
            node("3", "delay", ["duration": 301]), node("4", "whatsapp_reply", ["message": .string(String(repeating: "a", count: 4097)), "recipient": "x"]),
            node("5", "paystack_payment", ["amount": 99.5, "email": "a@b.c"]),
        ], []))
        #expect(r.errors.map(\.code) == Array(repeating: "VALIDATION_FAILED", count: 5))
        #expect(r.errors.map(\.field) == ["variable_name", "timeout", "duration", "message", "amount"])
        #expect(r.errors[1].message == "Timeout must be at least 10")
        #expect(r.errors[2].message == "Duration must be at most 300")
    }

    @Test func invalidOption() {
        let r = BlueprintValidator.validate(blueprint([
            trigger, node("2", "if_condition", ["left_value": "a", "operator": "like"]),
            node("3", "shopify_lookup", ["product_id": "1", "fields": ["title", "colour", "size"]]),
        ], []))
        #expect(r.errors.map(\.code) == ["INVALID_OPTION", "INVALID_OPTION"])
        #expect(r.errors[1].message == "Fields contains invalid values: colour, size")
    }

    @Test func singlePlaceholderValuesSkipChecksButMixedTextDoesNot() {
        let r = BlueprintValidator.validate(blueprint([
            trigger, node("2", "delay", ["duration": "{{vars.wait}}"]), node("3", "if_condition", ["left_value": "a", "operator": "{{ op }}"]),
            node("4", "delay", ["duration": "{{a}}{{b}}"]),
        ], []))
        #expect(r.errors.map(\.field) == ["duration"])
        #expect(r.errors.map(\.nodeId) == ["4"])
    }

    @Test func invalidEdge() {
        let r = BlueprintValidator.validate(blueprint([trigger, reply("2")], [edge("e1", "1", "2"), edge("e2", "1", "9")]))
        #expect(r.errors.map(\.code) == ["INVALID_EDGE"])
        #expect(r.errors[0].edgeId == "e2")
    }

    @Test func invalidHandle() {
        let r = BlueprintValidator.validate(blueprint([
            trigger, node("2", "if_condition", ["left_value": "a"]), reply("3"), reply("4"), node("5", "switch_case", ["input_value": "x", "cases": [:]]),
        ], [edge("e1", "1", "2", handle: "x"), edge("e2", "2", "3", handle: "yes"), edge("e3", "2", "4", handle: "false"),
            edge("e4", "5", "3", handle: "anything"), edge("e5", "1", "5")]))
        #expect(r.errors.map(\.code) == ["INVALID_HANDLE", "INVALID_HANDLE"])
        #expect(r.errors.map(\.edgeId) == ["e1", "e2"])
    }

    @Test func notConnectedWarning() {
        let c = codes(blueprint([trigger, reply("2"), reply("3")], [edge("e1", "1", "2")]))
        #expect(c.errors.isEmpty)
        #expect(c.warnings == ["NOT_CONNECTED"])
        // A single node is never "not connected".
        #expect(!codes(blueprint([reply("1")], [])).warnings.contains("NOT_CONNECTED"))
    }

    @Test func cycleWarningUnlessThroughALoop() {
        let store = node("2", "store_variable", ["variable_name": "x", "value": "1"])
        let text = node("3", "text_manipulation", ["operation": "trim", "input_text": "a"])
        let cyclic = BlueprintValidator.validate(blueprint([trigger, store, text, reply("4")],
                                                           [edge("e1", "1", "2"), edge("e2", "2", "3"), edge("e3", "3", "2"), edge("e4", "3", "4")]))
        #expect(cyclic.warnings.map(\.code) == ["CYCLE"])
        #expect(cyclic.warnings[0].nodeId == "2")
        #expect(cyclic.valid)
        let loop = node("2", "loop", ["items": [1, 2]])
        let throughLoop = codes(blueprint([trigger, loop, text, reply("4")],
                                          [edge("e1", "1", "2"), edge("e2", "2", "3", handle: "item"), edge("e3", "3", "2"), edge("e4", "2", "4", handle: "done")]))
        #expect(throughLoop.warnings == [])
    }

    @Test func noTriggerWarning() {
        let r = BlueprintValidator.validate(blueprint([reply("1")], []))
        #expect(r.warnings.map(\.code) == ["NO_TRIGGER"])
        #expect(!r.executable)
        #expect(r.valid)
    }

    @Test func deadEndWarning() {
        let c = codes(blueprint([trigger, node("2", "delay", ["duration": 5])], [edge("e1", "1", "2")]))
        #expect(c.warnings == ["DEAD_END"])
    }

    @Test func tooManyNodesWarningAndSizeLimits() {
        var nodes = [trigger]
        var edges: [JSON] = []
        for i in 2...51 {
            nodes.append(node("\(i)", "store_variable", ["variable_name": "v", "value": "x"]))
            edges.append(edge("e\(i)", "\(i - 1)", "\(i)"))
        }
        nodes.append(reply("52")); edges.append(edge("e52", "51", "52"))
        let r = BlueprintValidator.validate(blueprint(nodes, edges))
        #expect(r.warnings.map(\.code) == ["TOO_MANY_NODES"])
        #expect(r.complexity == 60) // min(2×52, 40) + min(51, 20)
        #expect(r.suggestions.count == 1)
        #expect(BlueprintValidator.sizeIssues(blueprint(nodes, edges)).isEmpty)
        let huge = blueprint(Array(repeating: reply("x"), count: 201), Array(repeating: edge("e", "x", "x"), count: 501))
        let size = BlueprintValidator.sizeIssues(huge)
        #expect(size.map(\.code) == [.too_big, .too_big])
        #expect(size.map(\.path) == [["blueprint", "nodes"], ["blueprint", "edges"]])
    }

    @Test func complexityExecutableAndSuggestions() {
        // 2×4 + 3 edges + 5×(if) + 10×(loop) = 8 + 3 + 5 + 10 = 26.
        let b = blueprint([trigger, node("2", "if_condition", ["left_value": "a"]), node("3", "loop", ["items": [1]]), reply("4")],
                          [edge("e1", "1", "2"), edge("e2", "2", "3", handle: "true"), edge("e3", "3", "4", handle: "done")])
        let r = BlueprintValidator.validate(b)
        #expect(r.complexity == 26)
        #expect(r.executable)
        #expect(r.suggestions.isEmpty)
        // Without an emitting node there is nothing to execute.
        let silent = BlueprintValidator.validate(blueprint([trigger, node("2", "delay", ["duration": 5])], [edge("e1", "1", "2")]))
        #expect(!silent.executable)
        // >3 store_variable and >5 http_request → two suggestions.
        var nodes = [trigger]
        for i in 0..<4 { nodes.append(node("s\(i)", "store_variable", ["variable_name": "v", "value": "x"])) }
        for i in 0..<6 { nodes.append(node("h\(i)", "http_request", ["url": "https://example.com"])) }
        let busy = BlueprintValidator.validate(blueprint(nodes, []))
        #expect(busy.suggestions.count == 2)
        #expect(busy.complexity == 22)
        #expect(busy.compilationTimeMs >= 0)
        #expect(busy.compilationJSON["stats"]["node_count"] == 11)
    }

    @Test func issueJSONShape() {
        let issue = ValidationIssue(code: "INVALID_EDGE", message: "m", edgeId: "e1")
        #expect(issue.json == ["code": "INVALID_EDGE", "message": "m", "edge_id": "e1"])
    }
}

@Suite("Node catalogue (behaviour §8.3)")
struct NodeCatalogueTests {
    @Test func seventeenTypesInTableOrderWithCategories() {
        #expect(NodeCatalogue.types.count == 17)
        #expect(NodeCatalogue.types.first == "whatsapp_trigger" && NodeCatalogue.types.last == "webhook_callback")
        var counts: [NodeCategory: Int] = [:]
        for type in NodeCatalogue.types { counts[NodeCatalogue.category(of: type)!, default: 0] += 1 }
        #expect(counts == [.trigger: 1, .action: 2, .condition: 2, .integration: 5, .utility: 7])
        #expect(NodeCatalogue.definition(of: "ask_question")?.input("timeout")?.defaultValue == 300)
        #expect(NodeCatalogue.definition(of: "nope") == nil)
    }
}

@Suite("Workflow placeholders (behaviour §8.2)")
struct WorkflowPlaceholderTests {
    let values: [String: JSON] = ["n": 12, "half": 0.5, "yes": true, "list": [1, "a"], "obj": ["k": "v"], "nothing": nil, "s": "text"]
    func resolve(_ path: Substring) -> JSON? { values[String(path)] }

    @Test func formattingRules() {
        let out = WorkflowPlaceholders.render("{{n}} {{half}} {{yes}} {{list}} {{obj}} [{{nothing}}] {{ s }} {{unknown}} {{a..b}}", resolve)
        #expect(out == #"12 0.5 true [1,"a"] {"k":"v"} [] text {{unknown}} {{a..b}}"#)
    }

    @Test func singlePlaceholderKeepsItsType() {
        #expect(WorkflowPlaceholders.renderValue("{{n}}", resolve) == 12)
        #expect(WorkflowPlaceholders.renderValue(["a": ["{{list}}", "x{{n}}"]], resolve) == ["a": [[1, "a"], "x12"]])
        #expect(WorkflowPlaceholders.renderValue("{{unknown}}", resolve) == "{{unknown}}")
    }

    @Test func pathSyntax() {
        #expect(WorkflowPlaceholders.isValidPath("node_2.response.items.0"))
        for bad in ["a..b", "__proto", "constructor", "x.prototype", "a b", "ä", ""] { #expect(!WorkflowPlaceholders.isValidPath(Substring(bad))) }
        #expect(WorkflowPlaceholders.stripUnresolved("Hi {{name}}!") == "Hi !")
    }
}
