import BotFlowCore
import BotFlowWorkflow
import Foundation
import Testing

/// Review findings on the executor: user-controlled numbers never trap, null outputs are known values, outgoing text
/// is cleaned before the empty check, integration secrets only go where the code says.
@Suite("Workflow executor hardening")
struct ExecutorHardeningTests {
    static let paystack: JSON = [["service": "paystack", "credential_id": "bi-9"]]

    static func paystackServices(configuration: JSONObject = [:]) -> FakeServices {
        var services = FakeServices()
        services.integrations["bi-9"] = IntegrationAccess(id: "bi-9", credentials: ["secret_key": "sk_test_x"], configuration: configuration)
        services.replies["https://api.paystack.co/transaction/initialize"] = (200, """
            {"status":true,"data":{"authorization_url":"https://checkout.paystack.com/abc","reference":"ref-1"}}
            """)
        return services
    }

    @Test func hugePaystackAmountsAreNodeErrors() async {
        let services = Self.paystackServices()
        for amount: JSON in [.double(1e300), .double(9.3e18), "99999999999999999999", .double(1_000_000_000_001)] {
            let e = await runFlow([trigger, node("2", "paystack_payment", ["amount": "{{n}}", "email": "a@example.com"])], chain(["1", "2"]),
                                  services: services, variables: ["n": amount], credentials: Self.paystack)
            #expect(e.state.status == "failed", "\(amount)")
            #expect(e.state.errorMessage == "Amount must be at most 1000000000000 (cents)", "\(amount)")
        }
        #expect(services.calls.withLock { $0 }.isEmpty)
        // The largest accepted amount still goes out as an integer.
        let top = await runFlow([trigger, node("2", "paystack_payment", ["amount": .double(1e12), "email": "a@example.com"])], chain(["1", "2"]),
                                services: services, credentials: Self.paystack)
        #expect(top.state.status == "completed")
        #expect(services.calls.withLock { $0 }.last?.body == #"{"amount":1000000000000,"email":"a@example.com"}"#)
    }

    @Test func hugeSubstringBoundsAreNodeErrors() async {
        func substring(_ params: JSON) async -> WorkflowExecutor {
            await runFlow([trigger, node("2", "text_manipulation", ["operation": "substring", "input_text": "hello world", "params": params])],
                          chain(["1", "2"]))
        }
        for params: JSON in [["start": .double(1e300)], ["start": .double(9.3e18)], ["start": 2, "length": .double(9.223372036854775e18)],
                             ["start": 2, "length": .double(1e300)], ["start": "1e300"], ["start": -1]] {
            let e = await substring(params)
            #expect(e.state.status == "failed", "\(params)")
            #expect(e.state.errorMessage?.hasPrefix("params.") == true, "\(params)")
        }
        // Large but in range: no overflow of start + length.
        let wide = await substring(["start": 6, "length": .int(Int64(Int32.max))])
        #expect(wide.state.nodeOutputs["2"]?["result"] == "world")
        let past = await substring(["start": .int(Int64(Int32.max)), "length": .int(Int64(Int32.max))])
        #expect(past.state.nodeOutputs["2"]?["result"] == "")
    }

    @Test func shopifyInventorySaturatesInsteadOfOverflowing() async {
        var services = FakeServices()
        services.integrations["shopify"] = IntegrationAccess(id: "bi-1", credentials: ["store_url": "shop.example.com", "api_key": "k"], configuration: [:])
        services.replies["https://shop.example.com/admin/api/2024-01/products/7.json"] = (200, """
            {"product":{"id":7,"variants":[{"inventory_quantity":9000000000000000000},{"inventory_quantity":9000000000000000000}]}}
            """)
        let e = await runFlow([trigger, node("2", "shopify_lookup", ["product_id": "7", "fields": ["inventory"]])], chain(["1", "2"]), services: services)
        #expect(e.state.status == "completed")
        #expect(e.state.nodeOutputs["2"]?["product"]["inventory"] == .int(Int64.max))
    }

    @Test func paystackIgnoresAConfiguredBaseURL() async {
        let services = Self.paystackServices(configuration: ["base_url": "https://collector.example"])
        let e = await runFlow([trigger, node("2", "paystack_payment", ["amount": 5000, "email": "a@example.com"])], chain(["1", "2"]),
                              services: services, credentials: Self.paystack)
        #expect(e.state.status == "completed")
        #expect(services.calls.withLock { $0 }.map(\.url) == ["https://api.paystack.co/transaction/initialize"])
    }

    @Test func shopifyStoreURLMustBeHTTPS() async {
        func lookup(_ store: String) async -> (WorkflowExecutor, [String]) {
            var services = FakeServices()
            services.integrations["shopify"] = IntegrationAccess(id: "bi-1", credentials: ["store_url": .string(store), "api_key": "k"], configuration: [:])
            let e = await runFlow([trigger, node("2", "shopify_lookup", ["product_id": "7"])], chain(["1", "2"]), services: services)
            return (e, services.calls.withLock { $0 }.map(\.url))
        }
        let (plain, plainCalls) = await lookup("http://shop.example.com")
        #expect(plain.state.errorMessage == "Shopify store_url must use https")
        #expect(plainCalls.isEmpty)
        let (pathy, pathyCalls) = await lookup("https://collector.example/steal?x=")
        #expect(pathy.state.errorMessage == "Shopify store_url is not a valid host name")
        #expect(pathyCalls.isEmpty)
        let (ok, okCalls) = await lookup("HTTPS://Shop.example.com/")
        #expect(ok.state.status == "failed") // no canned reply: the request itself is what matters
        #expect(okCalls == ["https://Shop.example.com/admin/api/2024-01/products/7.json"])
    }

    @Test func nullNodeOutputsAreKnownValues() async {
        let e = await runFlow([trigger, say("2", "first"), say("3", "id=[{{node_2.message_id}}]"),
                               node("4", "store_variable", ["variable_name": "mid", "value": "{{node_2.message_id}}", "scope": "session"]),
                               node("5", "text_manipulation", ["operation": "concat", "input_text": "{{node_2.message_id}}", "params": ["suffix": "x"]])],
                              chain(["1", "2", "3", "4", "5"]))
        #expect(e.emitted == ["first", "id=[]"])
        #expect(e.state.variables["mid"] == .null)
        #expect(e.state.nodeOutputs["5"]?["result"] == "x")
    }

    @Test func outgoingTextIsCleanedBeforeTheEmptyCheck() async {
        let long = String(repeating: "word ", count: 1000) // 5000 characters
        let e = await runFlow([trigger, say("2", "Hi {{nobody.knows}}" + long)], chain(["1", "2"]))
        #expect(e.state.status == "completed")
        #expect(e.emitted.count == 1)
        let sent = e.emitted.first ?? ""
        #expect(sent.hasPrefix("Hi word") && sent.hasSuffix("…") && !sent.contains("{{"))
        #expect(sent.unicodeScalars.count <= 4096)
        let empty = await runFlow([trigger, say("2", "{{nobody.knows}}")], chain(["1", "2"]))
        #expect(empty.state.errorMessage == "Message must be 1-4096 characters")
        #expect(empty.emitted.isEmpty)
        let question = await runFlow([trigger, node("2", "ask_question", ["question": "{{nobody.knows}}", "variable_name": "v"])], chain(["1", "2"]))
        #expect(question.state.errorMessage == "Question must not be empty")
        #expect(question.emitted.isEmpty)
        let cleanQuestion = await runFlow([trigger, node("2", "ask_question", ["question": "Name? {{nobody.knows}}", "variable_name": "v"])],
                                          chain(["1", "2"]))
        #expect(cleanQuestion.emitted == ["Name? "])
    }
}
