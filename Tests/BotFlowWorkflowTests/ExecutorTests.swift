import BotFlowCore
import BotFlowWorkflow
import Foundation
import Testing

/// In-memory outside world for executor tests: canned HTTP replies per URL, canned rows, knowledge hits, an LLM.
struct FakeServices: WorkflowServices {
    var replies: [String: (Int, String)] = [:]
    var httpDelaySeconds = 0.0
    var rows: [JSON] = []
    var hits: [JSON] = []
    var llmAnswer: String?
    var integrations: [String: IntegrationAccess] = [:]
    let calls = LockedValue<[(method: String, url: String, headers: [(String, String)], body: String)]>([])

    func http(method: String, url: String, headers: [(String, String)], body: [UInt8]?) async throws -> HTTPResult {
        calls.withLock { $0.append((method, url, headers, String(decoding: body ?? [], as: UTF8.self))) }
        if httpDelaySeconds > 0 { try await Task.sleep(nanoseconds: UInt64(httpDelaySeconds * 1e9)) }
        guard let (status, text) = replies[url] else { throw NodeFailure("Request to \(url) failed: connection refused") }
        return HTTPResult(status: status, body: Array(text.utf8))
    }

    func query(_ sql: String, parameters: [JSON]) async throws -> [JSON] {
        guard sql.lowercased().hasPrefix("select") else { throw NodeFailure("Only a SELECT statement is allowed") }
        return rows
    }

    func searchKnowledge(query: String, limit: Int, threshold: Double) async throws -> [JSON] { Array(hits.prefix(limit)) }

    func chat(model: String, systemPrompt: String, userMessage: String, temperature: Double) async throws -> (text: String, tokens: Int) {
        guard let llmAnswer else { throw NodeFailure("LLM is not configured") }
        return ("\(llmAnswer) [\(model)]", 42)
    }

    func integration(service: String, botIntegrationId: String?) async throws -> IntegrationAccess {
        guard let access = integrations[botIntegrationId ?? service] else { throw NodeFailure("No enabled \(service) integration for this bot") }
        return access
    }
}

/// Runs a blueprint from its first trigger with `message`; returns the executor after the first segment.
func runFlow(_ nodes: [JSON], _ edges: [JSON], message: String = "order 42", services: FakeServices = FakeServices(),
             limits: WorkflowLimits = WorkflowLimits(), variables: JSON = [:], credentials: JSON = []) async -> WorkflowExecutor {
    var b = blueprint(nodes, edges).objectValue!
    b["variables"] = variables
    b["credentials"] = credentials
    let compiled = CompiledBlueprint(.object(b))
    let scope = WorkflowScope(message: message, customerPhone: "+27820000001", customerName: "Thandi", conversationId: "c1",
                              botId: "b1", botName: "Shop", fields: ["business_name": "Cape Shop"])
    var executor = WorkflowExecutor(blueprint: compiled, state: ExecutionState(), scope: scope, services: services, limits: limits,
                                    clock: { 1_700_000_000_000 })
    await executor.start(triggerId: compiled.matchingTrigger(text: message) ?? "1")
    return executor
}

func say(_ id: String, _ text: String) -> JSON { node(id, "whatsapp_reply", ["message": .string(text), "recipient": "{{customer.phone}}"]) }
func chain(_ ids: [String]) -> [JSON] { zip(ids, ids.dropFirst()).enumerated().map { edge("e\($0.offset)", $0.element.0, $0.element.1) } }

@Suite("Workflow executor nodes (behaviour §8.3, §8.5)")
struct ExecutorNodeTests {
    @Test func triggerMatchingRules() {
        let b = CompiledBlueprint(blueprint([node("1", "whatsapp_trigger", ["keyword": " Order , track ,"]), node("2", "whatsapp_trigger", [:])], []))
        #expect(b.matchingTrigger(text: "Where is my ORDER?") == "1")
        #expect(b.matchingTrigger(text: "tracking please") == "1")
        #expect(b.matchingTrigger(text: "hello") == "2")
        let only = CompiledBlueprint(blueprint([node("1", "whatsapp_trigger", ["keyword": "book"])], []))
        #expect(only.matchingTrigger(text: "hello") == nil)
    }

    @Test func triggerOutputsAndReplyWithPlaceholders() async {
        let e = await runFlow([trigger, say("2", "Hi {{customer.name}} from {{fields.business_name}}: {{node_1.message}} / {{bot.name}} {{nope}}")],
                              chain(["1", "2"]))
        #expect(e.emitted == ["Hi Thandi from Cape Shop: order 42 / Shop "], "unknown placeholders are removed from outgoing text")
        #expect(e.state.status == "completed")
        #expect(e.state.finished)
        #expect(e.state.nodeOutputs["1"] == ["message": "order 42", "customer_phone": "+27820000001", "conversation_id": "c1"])
        #expect(e.state.nodeOutputs["2"] == ["sent": true, "message_id": nil])
        #expect(e.state.steps == 2)
    }

    @Test func replyToAnotherRecipientFails() async {
        let e = await runFlow([trigger, node("2", "whatsapp_reply", ["message": "x", "recipient": "+27999"])], chain(["1", "2"]))
        #expect(e.state.status == "failed")
        #expect(e.state.errorMessage == "Recipient must be the conversation's customer")
        #expect(e.emitted.isEmpty)
    }

    @Test func askQuestionWaitsThenAnswerAndTimeoutBranches() async {
        let nodes = [trigger, node("2", "ask_question", ["question": "Order number?", "variable_name": "order_number", "timeout": 60]),
                     say("3", "Checking {{order_number}} ({{vars.order_number}})"), say("4", "Too slow")]
        let edges = [edge("e1", "1", "2"), edge("e2", "2", "3"), edge("e3", "2", "4", handle: "timeout")]
        var e = await runFlow(nodes, edges)
        #expect(e.emitted == ["Order number?"])
        #expect(e.state.status == "waiting" && e.state.waitKind == "question" && e.state.waitVariable == "order_number")
        #expect(e.state.currentNodeId == "2")
        #expect(e.state.waitUntilMs == 1_700_000_060_000)
        var timedOut = e
        await e.answer("A-77")
        #expect(e.emitted.last == "Checking A-77 (A-77)")
        #expect(e.scope.conversation["order_number"] == "A-77")
        #expect(e.state.nodeOutputs["2"] == ["response": "A-77", "timed_out": false])
        #expect(e.state.status == "completed")
        // Timeout: only `timeout` edges.
        #expect(await timedOut.resumeTimer(nodeId: "2"))
        #expect(timedOut.emitted.last == "Too slow")
        #expect(timedOut.state.nodeOutputs["2"] == ["response": nil, "timed_out": true])
        // A stale resume does nothing.
        #expect(await timedOut.resumeTimer(nodeId: "2") == false)
    }

    @Test func askQuestionTimeoutWithoutTimeoutEdgeCompletes() async {
        var e = await runFlow([trigger, node("2", "ask_question", ["question": "Q", "variable_name": "v"]), say("3", "after")],
                              chain(["1", "2", "3"]))
        #expect(e.state.waitUntilMs == 1_700_000_300_000)
        await e.resumeTimer(nodeId: "2")
        #expect(e.state.status == "completed")
        #expect(e.emitted == ["Q"])
    }

    @Test func askQuestionBadVariableFails() async {
        let e = await runFlow([trigger, node("2", "ask_question", ["question": "Q", "variable_name": "{{message}}"])], chain(["1", "2"]))
        #expect(e.state.status == "failed")
        #expect(e.state.errorMessage == "Variable Name has an invalid format")
    }

    @Test func ifConditionOperators() async {
        func branch(_ left: JSON, _ op: String, _ right: JSON = nil) async -> String? {
            let e = await runFlow([trigger, node("2", "if_condition", ["left_value": left, "operator": .string(op), "right_value": right]),
                                   say("3", "yes"), say("4", "no")],
                                  [edge("e1", "1", "2"), edge("e2", "2", "3", handle: "true"), edge("e3", "2", "4", handle: "false")])
            return e.emitted.first
        }
        #expect(await branch("10", "equals", "10.0") == "yes")
        #expect(await branch("Yes", "equals", "yes") == "yes")
        #expect(await branch("a", "not_equals", "A") == "no")
        #expect(await branch("Hello World", "contains", "WORLD") == "yes")
        #expect(await branch("Hello", "not_contains", "x") == "yes")
        #expect(await branch("Hello", "starts_with", "he") == "yes")
        #expect(await branch("Hello", "ends_with", "LO") == "yes")
        #expect(await branch("{{message}}", "greater_than", "3") == "no") // "order 42" is not a number
        #expect(await branch("12", "greater_than", 3) == "yes")
        #expect(await branch("2", "less_than", "3") == "yes")
        #expect(await branch("  ", "is_empty") == "yes")
        #expect(await branch("x", "is_not_empty") == "yes")
        #expect(await branch("x", "{{message}}") == nil) // unknown operator → node error, execution failed
    }

    @Test func storeVariableScopes() async {
        let e = await runFlow([trigger,
                               node("2", "store_variable", ["variable_name": "a", "value": "{{node_1.message}}", "scope": "conversation"]),
                               node("3", "store_variable", ["variable_name": "b", "value": "{{a}}!", "scope": "session"]),
                               node("4", "store_variable", ["variable_name": "c", "value": "{{fixed}}", "scope": "global"]),
                               say("5", "{{a}}|{{b}}|{{c}}|{{vars.fixed}}")],
                              chain(["1", "2", "3", "4", "5"]), variables: ["fixed": "F"])
        #expect(e.scope.conversation["a"] == "order 42")
        #expect(e.state.variables["b"] == "order 42!")
        #expect(e.globalWrites == ["c": "F"])
        #expect(e.emitted == ["order 42|order 42!|F|F"])
        let bad = await runFlow([trigger, node("2", "store_variable", ["variable_name": "x", "value": "1", "scope": "{{message}}"])], chain(["1", "2"]))
        #expect(bad.state.status == "failed")
    }

    @Test func textManipulationOperations() async {
        func result(_ op: String, _ input: String, _ params: JSON = nil) async -> JSON? {
            let e = await runFlow([trigger, node("2", "text_manipulation", ["operation": .string(op), "input_text": .string(input), "params": params])],
                                  chain(["1", "2"]))
            return e.state.status == "failed" ? nil : e.state.nodeOutputs["2"]?["result"]
        }
        #expect(await result("concat", "a", ["values": ["b", 1, true]]) == "ab1true")
        #expect(await result("concat", "a", ["suffix": "z"]) == "az")
        #expect(await result("replace", "a-b-c", ["search": "-", "replace": "+"]) == "a+b+c")
        #expect(await result("uppercase", "ab") == "AB")
        #expect(await result("lowercase", "AB") == "ab")
        #expect(await result("trim", "  ab \n") == "ab")
        #expect(await result("substring", "héllo wörld", ["start": 1, "length": 4]) == "éllo")
        #expect(await result("substring", "hello", ["start": 2]) == "llo")
        #expect(await result("substring", "hello", ["start": -1]) == nil)
        #expect(await result("{{message}}", "x") == nil)
    }

    @Test func switchCaseObjectArrayAndDefault() async {
        func handle(_ input: String, _ cases: JSON, default fallback: JSON = nil) async -> String? {
            let e = await runFlow([trigger, node("2", "switch_case", ["input_value": .string(input), "cases": cases, "default_output": fallback])],
                                  chain(["1", "2"]))
            return e.state.nodeOutputs["2"]?["output"].stringValue
        }
        #expect(await handle("YES", ["yes": "confirm", "no": "cancel"]) == "confirm")
        #expect(await handle("no", [["value": "yes", "output": "a"], ["value": "NO", "output": "b"]]) == "b")
        #expect(await handle("maybe", ["yes": "a"]) == "default")
        #expect(await handle("maybe", ["yes": "a"], default: "other") == "other")
        let e = await runFlow([trigger, node("2", "switch_case", ["input_value": "b", "cases": ["a": "x", "b": "y"]]), say("3", "X"), say("4", "Y")],
                              [edge("e1", "1", "2"), edge("e2", "2", "3", handle: "x"), edge("e3", "2", "4", handle: "y")])
        #expect(e.emitted == ["Y"])
        let bad = await runFlow([trigger, node("2", "switch_case", ["input_value": "b", "cases": "{{message}}"])], chain(["1", "2"]))
        #expect(bad.state.status == "failed")
    }

    @Test func loopRunsItemBranchPerBatchThenDone() async {
        let nodes = [trigger, node("2", "loop", ["items": ["a", "b", "c"], "batch_size": 1]), say("3", "item {{node_2.index}}={{node_2.item}}"),
                     say("4", "done")]
        let edges = [edge("e1", "1", "2"), edge("e2", "2", "3", handle: "item"), edge("e3", "2", "4", handle: "done")]
        let e = await runFlow(nodes, edges)
        #expect(e.emitted == ["item 0=a", "item 1=b", "item 2=c", "done"])
        let batched = await runFlow([trigger, node("2", "loop", ["items": [1, 2, 3], "batch_size": 2]), say("3", "{{node_2.item}}"), say("4", "done")],
                                    edges)
        #expect(batched.emitted == ["[1,2]", "[3]", "done"])
        let empty = await runFlow([trigger, node("2", "loop", ["items": []]), say("3", "x"), say("4", "done")], edges)
        #expect(empty.emitted == ["done"])
        let notArray = await runFlow([trigger, node("2", "loop", ["items": "{{message}}"])], chain(["1", "2"]))
        #expect(notArray.state.errorMessage == "Field Items must be a JSON array")
        let tooMany = await runFlow([trigger, node("2", "loop", ["items": .array(Array(repeating: 1, count: 1001))])], chain(["1", "2"]))
        #expect(tooMany.state.errorMessage == "Loop exceeds 1000 iterations")
    }

    @Test func loopWithAQuestionInsideSurvivesTheWait() async {
        let nodes = [trigger, node("2", "loop", ["items": ["size", "colour"]]),
                     node("3", "ask_question", ["question": "Your {{node_2.item}}?", "variable_name": "answer"]), say("4", "done")]
        let edges = [edge("e1", "1", "2"), edge("e2", "2", "3", handle: "item"), edge("e3", "2", "4", handle: "done")]
        var e = await runFlow(nodes, edges)
        #expect(e.emitted == ["Your size?"])
        await e.answer("M")
        #expect(e.emitted.last == "Your colour?")
        await e.answer("red")
        #expect(e.emitted.last == "done")
        #expect(e.state.status == "completed")
    }

    @Test func delayWaitsAndResumesByTimer() async {
        var e = await runFlow([trigger, say("2", "wait"), node("3", "delay", ["duration": 5]), say("4", "later")], chain(["1", "2", "3", "4"]))
        #expect(e.state.status == "waiting" && e.state.waitKind == "delay")
        #expect(e.state.waitUntilMs == 1_700_000_005_000)
        await e.answer("ignored") // an answer never resumes a delay
        #expect(e.state.status == "waiting")
        await e.resumeTimer(nodeId: "3")
        #expect(e.emitted == ["wait", "later"])
        #expect(e.state.nodeOutputs["3"] == ["completed": true])
        let bad = await runFlow([trigger, node("3", "delay", ["duration": "{{message}}"])], chain(["1", "3"]))
        #expect(bad.state.errorMessage == "Field Duration must be a number")
    }

    @Test func pendingSiblingsRunAfterAWait() async {
        // Depth-first: 1 → (2: question, 3: reply). After the answer, 2's branch then sibling 3.
        let nodes = [trigger, node("2", "ask_question", ["question": "Q", "variable_name": "v"]), say("3", "sibling"), say("4", "answer {{v}}")]
        var e = await runFlow(nodes, [edge("e1", "1", "2"), edge("e2", "1", "3"), edge("e3", "2", "4")])
        #expect(e.emitted == ["Q"])
        await e.answer("ok")
        #expect(e.emitted == ["Q", "answer ok", "sibling"])
    }

    @Test func httpRequestOutputsAndFailures() async {
        var services = FakeServices()
        services.replies["https://api.example.com/orders/42"] = (200, #"{"status":"shipped","eta":2}"#)
        services.replies["https://api.example.com/missing"] = (404, "not here")
        let e = await runFlow([trigger, node("2", "http_request", ["method": "POST", "url": "https://api.example.com/orders/{{vars.id}}",
                                                                    "headers": ["X-Key": "k"], "body": ["q": "{{message}}"]]),
                               say("3", "Status {{node_2.response.status}} ({{node_2.status_code}})")],
                              chain(["1", "2", "3"]), services: services, variables: ["id": "42"])
        #expect(e.emitted == ["Status shipped (200)"])
        let call = services.calls.withLock { $0 }.first
        #expect(call?.method == "POST")
        #expect(call?.body == #"{"q":"order 42"}"#)
        #expect(call?.headers.contains { $0 == ("Content-Type", "application/json") } == true)
        let notFound = await runFlow([trigger, node("2", "http_request", ["url": "https://api.example.com/missing"])], chain(["1", "2"]), services: services)
        #expect(notFound.state.status == "completed")
        #expect(notFound.state.nodeOutputs["2"] == ["response": "not here", "status_code": 404])
        let down = await runFlow([trigger, node("2", "http_request", ["url": "https://down.example.com"])], chain(["1", "2"]), services: services)
        #expect(down.state.status == "failed")
        #expect(down.state.errorMessage == "Request to https://down.example.com failed: connection refused")
        let badHeader = await runFlow([trigger, node("2", "http_request", ["url": "https://api.example.com/missing", "headers": ["X": "a\r\nb"]])],
                                      chain(["1", "2"]), services: services)
        #expect(badHeader.state.errorMessage == "Invalid value for header X")
    }

    @Test func webhookCallbackSuccessFlag() async {
        var services = FakeServices()
        services.replies["https://hooks.example.com/ok"] = (201, #"{"id":1}"#)
        services.replies["https://hooks.example.com/bad"] = (500, "boom")
        let ok = await runFlow([trigger, node("2", "webhook_callback", ["url": "https://hooks.example.com/ok", "payload": ["phone": "{{customer.phone}}"]])],
                               chain(["1", "2"]), services: services)
        #expect(ok.state.nodeOutputs["2"]?["success"] == true)
        #expect(services.calls.withLock { $0 }.first?.body == #"{"phone":"+27820000001"}"#)
        let bad = await runFlow([trigger, node("2", "webhook_callback", ["url": "https://hooks.example.com/bad", "method": "PUT", "payload": [:]])],
                                chain(["1", "2"]), services: services)
        #expect(bad.state.nodeOutputs["2"]?["success"] == false)
        #expect(services.calls.withLock { $0 }.last?.method == "PUT")
        let get = await runFlow([trigger, node("2", "webhook_callback", ["url": "https://hooks.example.com/ok", "method": "{{m}}", "payload": [:]])],
                                chain(["1", "2"]), services: services, variables: ["m": "GET"])
        #expect(get.state.errorMessage == "Method must be one of: POST, PUT")
    }

    @Test func databaseQueryRowsAndErrors() async {
        var services = FakeServices()
        services.rows = [["id": "c1", "status": "active"]]
        let e = await runFlow([trigger, node("2", "database_query", ["query": "SELECT id, status FROM conversations", "parameters": ["x"]]),
                               say("3", "{{node_2.row_count}} {{node_2.rows.0.status}}")],
                              chain(["1", "2", "3"]), services: services)
        #expect(e.emitted == ["1 active"])
        let bad = await runFlow([trigger, node("2", "database_query", ["query": "DELETE FROM bots"])], chain(["1", "2"]), services: services)
        #expect(bad.state.errorMessage == "Only a SELECT statement is allowed")
        let params = await runFlow([trigger, node("2", "database_query", ["query": "SELECT 1", "parameters": ["a": 1]])], chain(["1", "2"]))
        #expect(params.state.errorMessage == "Field Parameters must be a JSON array")
    }

    @Test func knowledgeSearchContextLines() async {
        var services = FakeServices()
        services.hits = [["content": "Open 9-5", "similarity": 0.9], ["content": "Closed Sundays", "similarity": 0.8]]
        let e = await runFlow([trigger, node("2", "knowledge_search", ["query": "{{message}}", "limit": 2])], chain(["1", "2"]), services: services)
        #expect(e.state.nodeOutputs["2"]?["context"] == "[1] Open 9-5\n[2] Closed Sundays")
        #expect(e.state.nodeOutputs["2"]?["results"].arrayValue?.count == 2)
        let bad = await runFlow([trigger, node("2", "knowledge_search", ["query": "x", "limit": "{{message}}"])], chain(["1", "2"]), services: services)
        #expect(bad.state.status == "failed")
    }

    @Test func openAIChatAndLLMOff() async {
        var services = FakeServices()
        services.llmAnswer = "Hello"
        let e = await runFlow([trigger, node("2", "openai_chat", ["system_prompt": "Be brief", "user_message": "{{message}}", "model": "gpt-4o-mini"])],
                              chain(["1", "2"]), services: services)
        #expect(e.state.nodeOutputs["2"] == ["response": "Hello [gpt-4o-mini]", "tokens_used": 42])
        let off = await runFlow([trigger, node("2", "openai_chat", ["system_prompt": "s", "user_message": "u"])], chain(["1", "2"]))
        #expect(off.state.status == "failed")
        #expect(off.state.errorMessage == "LLM is not configured")
    }

    @Test func shopifyLookupProductStockAndLog() async {
        var services = FakeServices()
        services.integrations["shopify"] = IntegrationAccess(id: "bi-1", credentials: ["store_url": "shop.example.com/", "api_key": "shpat_secret"],
                                                             configuration: [:])
        services.replies["https://shop.example.com/admin/api/2024-01/products/77.json"] = (200, """
            {"product":{"id":77,"title":"Mug","body_html":"<p>Big</p>","images":[],"variants":[{"price":"99.00","inventory_quantity":0},{"price":"120.00","inventory_quantity":3}]}}
            """)
        let e = await runFlow([trigger, node("2", "shopify_lookup", ["product_id": "77", "fields": ["title", "price", "inventory"]]),
                               say("3", "{{node_2.product.title}} R{{node_2.product.price}} stock={{node_2.in_stock}}")],
                              chain(["1", "2", "3"]), services: services)
        #expect(e.emitted == ["Mug R99.00 stock=true"])
        #expect(e.state.nodeOutputs["2"]?["product"] == ["id": 77, "title": "Mug", "price": "99.00", "inventory": 3])
        #expect(services.calls.withLock { $0 }.first?.headers.contains { $0 == ("X-Shopify-Access-Token", "shpat_secret") } == true)
        #expect(e.integrationCalls.count == 1)
        #expect(e.integrationCalls[0].success && e.integrationCalls[0].botIntegrationId == "bi-1")
        #expect(!JSONWriter.string(e.integrationCalls[0].requestData).contains("shpat_secret"))
        // Failure paths: no integration, a 404, an unsafe product id.
        let none = await runFlow([trigger, node("2", "shopify_lookup", ["product_id": "77"])], chain(["1", "2"]))
        #expect(none.state.errorMessage == "No enabled shopify integration for this bot")
        let missing = await runFlow([trigger, node("2", "shopify_lookup", ["product_id": "78"])], chain(["1", "2"]), services: services)
        #expect(missing.state.status == "failed")
        #expect(missing.integrationCalls.map(\.success) == [false])
        let unsafe = await runFlow([trigger, node("2", "shopify_lookup", ["product_id": "../orders"])], chain(["1", "2"]), services: services)
        #expect(unsafe.state.errorMessage == "Product ID has an invalid format")
    }

    @Test func paystackPaymentLinkAndCredentialMapping() async {
        var services = FakeServices()
        services.integrations["bi-9"] = IntegrationAccess(id: "bi-9", credentials: ["secret_key": "sk_test_x"], configuration: [:])
        services.replies["https://api.paystack.co/transaction/initialize"] = (200, """
            {"status":true,"data":{"authorization_url":"https://checkout.paystack.com/abc","reference":"ref-1"}}
            """)
        let e = await runFlow([trigger, node("2", "paystack_payment", ["amount": 5000, "email": "a@example.com", "reference": "ref-1"]),
                               say("3", "Pay here: {{node_2.payment_link}}")],
                              chain(["1", "2", "3"]), services: services, credentials: [["service": "paystack", "credential_id": "bi-9"]])
        #expect(e.emitted == ["Pay here: https://checkout.paystack.com/abc"])
        let call = services.calls.withLock { $0 }.first
        #expect(call?.headers.contains { $0 == ("Authorization", "Bearer sk_test_x") } == true)
        #expect(call?.body == #"{"amount":5000,"email":"a@example.com","reference":"ref-1"}"#)
        #expect(e.integrationCalls.map(\.success) == [true])
        let small = await runFlow([trigger, node("2", "paystack_payment", ["amount": "{{n}}", "email": "a@example.com"])], chain(["1", "2"]),
                                  services: services, variables: ["n": "50"], credentials: [["service": "paystack", "credential_id": "bi-9"]])
        #expect(small.state.errorMessage == "Amount must be a whole number of at least 100 (cents)")
        let unmapped = await runFlow([trigger, node("2", "paystack_payment", ["amount": 100, "email": "a@example.com"])], chain(["1", "2"]),
                                     services: services)
        #expect(unmapped.state.errorMessage == "No enabled paystack integration for this bot")
    }

    @Test func credentialsResolveOnlyInIntegrationNodes() async {
        var services = FakeServices()
        services.integrations["crm"] = IntegrationAccess(id: "bi-2", credentials: ["token": "T0K"], configuration: [:])
        services.replies["https://hooks.example.com/ok"] = (200, "{}")
        let e = await runFlow([trigger, node("2", "webhook_callback", ["url": "https://hooks.example.com/ok", "payload": ["t": "{{credentials.crm.token}}"]]),
                               say("3", "leak? {{credentials.crm.token}}")], chain(["1", "2", "3"]), services: services)
        #expect(services.calls.withLock { $0 }.first?.body == #"{"t":"T0K"}"#)
        #expect(e.emitted == ["leak? "], "never rendered outside integration nodes, then removed as unknown")
    }
}

@Suite("Workflow executor control flow (behaviour §8.5)")
struct ExecutorControlTests {
    @Test func errorHandlerCatchesOnceAndContinues() async {
        let nodes = [trigger, node("2", "http_request", ["url": "https://down.example.com"]), say("3", "never"),
                     node("9", "error_handler", ["error_message": "Sorry, {{message}}"]), say("10", "Oops: {{node_9.message}} at {{node_9.node_id}}"),
                     node("11", "http_request", ["url": "https://down.example.com/again"])]
        let edges = [edge("e1", "1", "2"), edge("e2", "2", "3"), edge("e3", "9", "10", handle: "error"), edge("e4", "10", "11")]
        let e = await runFlow(nodes, edges)
        #expect(e.emitted == ["Oops: Sorry, order 42 at 2"])
        // The second failure (inside the error branch) ends the execution.
        #expect(e.state.status == "failed")
        #expect(e.state.errorMessage == "Request to https://down.example.com/again failed: connection refused")
        #expect(e.state.nodeOutputs["9"]?["error"] == ["message": "Request to https://down.example.com failed: connection refused", "node_id": "2"])
    }

    @Test func errorHandlerReachedNormallyFollowsSuccess() async {
        let e = await runFlow([trigger, node("2", "error_handler", [:]), say("3", "ok"), say("4", "err")],
                              [edge("e1", "1", "2"), edge("e2", "2", "3", handle: "success"), edge("e3", "2", "4", handle: "error")])
        #expect(e.emitted == ["ok"])
        #expect(e.state.status == "completed")
    }

    @Test func errorHandlerWithoutContinueEndsFailedAfterTheBranch() async {
        let e = await runFlow([trigger, node("2", "http_request", ["url": "https://down.example.com"]),
                               node("9", "error_handler", ["continue_on_error": false]), say("10", "handled")],
                              [edge("e1", "1", "2"), edge("e3", "9", "10", handle: "error")])
        #expect(e.emitted == ["handled"])
        #expect(e.state.status == "failed")
        #expect(e.state.errorMessage == "Request to https://down.example.com failed: connection refused")
    }

    @Test func withoutAHandlerAFailureEndsTheExecution() async {
        let e = await runFlow([trigger, say("2", "before"), node("3", "http_request", ["url": "https://down.example.com"]), say("4", "after")],
                              chain(["1", "2", "3", "4"]))
        #expect(e.emitted == ["before"])
        #expect(e.state.status == "failed")
        #expect(e.state.log.last?["outcome"] == "failed")
    }

    @Test func stepLimitPerSegment() async {
        // A cycle of cheap nodes never ends on its own.
        let nodes = [trigger, node("2", "store_variable", ["variable_name": "x", "value": "1"]),
                     node("3", "text_manipulation", ["operation": "trim", "input_text": "a"])]
        let e = await runFlow(nodes, [edge("e1", "1", "2"), edge("e2", "2", "3"), edge("e3", "3", "2")])
        #expect(e.state.status == "failed")
        #expect(e.state.errorMessage == "Step limit exceeded")
        #expect(e.state.steps == 201)
        let small = await runFlow(nodes, [edge("e1", "1", "2"), edge("e2", "2", "3"), edge("e3", "3", "2")], limits: WorkflowLimits(maxSteps: 10))
        #expect(small.state.steps == 11)
    }

    @Test func stepLimitCountsPerSegmentNotPerExecution() async {
        // 150 cheap steps, a question, 150 more: each segment stays under 200.
        var nodes = [trigger]
        var ids = ["1"]
        for i in 2...150 { nodes.append(node("\(i)", "store_variable", ["variable_name": "v", "value": "x"])); ids.append("\(i)") }
        nodes.append(node("q", "ask_question", ["question": "Q", "variable_name": "a"])); ids.append("q")
        for i in 151...300 { nodes.append(node("\(i)", "store_variable", ["variable_name": "v", "value": "x"])); ids.append("\(i)") }
        nodes.append(say("end", "end")); ids.append("end")
        var e = await runFlow(nodes, chain(ids))
        #expect(e.state.status == "waiting")
        await e.answer("yes")
        #expect(e.state.status == "completed")
        #expect(e.emitted.last == "end")
    }

    /// The slow call would take a minute; the test's own time limit fails it if the 0.3 s segment limit does not cut it.
    /// (No wall-clock assertion: under a loaded CI machine those measure the machine, not the limit.)
    @Test(.timeLimit(.minutes(1))) func timeLimitCutsASlowNode() async {
        var services = FakeServices()
        services.httpDelaySeconds = 300
        services.replies["https://slow.example.com"] = (200, "{}")
        let e = await runFlow([trigger, node("2", "http_request", ["url": "https://slow.example.com"]), say("3", "x")], chain(["1", "2", "3"]),
                              services: services, limits: WorkflowLimits(maxSeconds: 0.3))
        #expect(e.state.status == "failed")
        #expect(e.state.errorMessage == "Time limit exceeded")
    }

    @Test func unknownTargetAndUnknownTypeFail() async {
        let dangling = await runFlow([trigger], [edge("e1", "1", "9")])
        #expect(dangling.state.errorMessage == "Edge points to unknown node 9")
        let unknown = await runFlow([trigger, node("2", "teleport")], chain(["1", "2"]))
        #expect(unknown.state.errorMessage == "Unknown node type: teleport")
    }

    @Test func triggerReachedAgainIsAPassThrough() async {
        let e = await runFlow([trigger, node("2", "whatsapp_trigger", ["keyword": "x"]), say("3", "through")], chain(["1", "2", "3"]))
        #expect(e.emitted == ["through"])
    }

    @Test func environmentAllowlistValues() async {
        var b = blueprint([trigger, say("2", "{{env.SHOP_NAME}} {{env.OTHER}}")], chain(["1", "2"])).objectValue!
        b["variables"] = [:]
        let compiled = CompiledBlueprint(.object(b))
        let scope = WorkflowScope(message: "order", customerPhone: "+1", customerName: "", conversationId: "c", botId: "b", botName: "B",
                                  environment: ["SHOP_NAME": "Kiosk"])
        var executor = WorkflowExecutor(blueprint: compiled, state: ExecutionState(), scope: scope, services: FakeServices(), clock: { 0 })
        await executor.start(triggerId: "1")
        // Names outside the allowlist are unknown paths (kept in config values, removed from outgoing text).
        #expect(executor.emitted == ["Kiosk "])
    }
}
