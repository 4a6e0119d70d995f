import BotFlowCore
import BotFlowTestSupport
import Foundation
import HummingbirdTesting
import Testing

/// api.md §4.7 (BB1–BB5) and behaviour §8.7 with the LLM off: validation and tenancy, deterministic generate,
/// confidence, rule-based optimize and recommend.
@Suite struct BotBuilderTests {
    // MARK: BB5 recommend

    @Test func recommendScoresKeywordsAndKeepsTableOrderOnTies() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let r = try await client.recommend(bot, owner, "Ask the customer a question and save the answer")
            #expect(r.status == 200)
            #expect(keys(r.json) == ["success", "recommendations"])
            #expect(r.json["success"] == true)
            #expect(r.json["recommendations"] == [
                ["node_type": "ask_question", "confidence": 0.85, "reasoning": "Matched: ask, question"],
                ["node_type": "whatsapp_reply", "confidence": 0.7, "reasoning": "Matched: answer"],
                ["node_type": "store_variable", "confidence": 0.7, "reasoning": "Matched: save"],
            ])
            // Six keywords: 0.7 + 5 × 0.15 is capped at 0.95.
            let many = try await client.recommend(bot, owner, "reply, respond, send a message, tell and answer")
            #expect(many.json["recommendations"][0] == [
                "node_type": "whatsapp_reply", "confidence": 0.95, "reasoning": "Matched: reply, respond, send, message, tell, answer",
            ])
            #expect(many.json["recommendations"].arrayValue?.count == 1)
            // At most three.
            let wide = try await client.recommend(bot, owner, "ask, reply, check, save, format, fetch the api")
            #expect(types(wide) == ["http_request", "whatsapp_reply", "ask_question"])
            #expect(try await client.recommend(bot, owner, "nothing to see").json["recommendations"] == [])
        }
    }

    @Test func recommendMatchesWholeWordsAndPhrasesOnly() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            // "asking", "paypal", "email" and "listen" contain keywords but are other words.
            #expect(try await client.recommend(bot, owner, "asking via paypal by email, listen").json["recommendations"] == [])
            let phrase = try await client.recommend(bot, owner, "Find out the pickup date, then POST TO the dispatcher")
            #expect(phrase.json["recommendations"] == [
                ["node_type": "ask_question", "confidence": 0.7, "reasoning": "Matched: find out"],
                ["node_type": "webhook_callback", "confidence": 0.7, "reasoning": "Matched: post to"],
            ])
            // "find" alone is not the phrase.
            #expect(types(try await client.recommend(bot, owner, "find the date")) == [])
        }
    }

    @Test func recommendBoostsMatchedTypesFromContext() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let plain = try await client.recommend(bot, owner, "Check stock in Shopify")
            #expect(plain.json["recommendations"] == [
                ["node_type": "shopify_lookup", "confidence": 0.85, "reasoning": "Matched: shopify, stock"],
                ["node_type": "if_condition", "confidence": 0.7, "reasoning": "Matched: check"],
            ])
            // The integration boost (+0.2) is capped at 0.98; an integration matching no matched type boosts nothing.
            let shop = try await client.recommend(bot, owner, "Check stock in Shopify", context: ["integrations": ["Shopify", "paystack"]])
            #expect(confidences(shop) == ["shopify_lookup": 0.98, "if_condition": 0.7])
            // After a question: store_variable +0.15, if_condition +0.1; ties stay in table order.
            let afterQuestion = try await client.recommend(bot, owner, "check the answer and save it",
                                                          context: ["previousNodes": ["whatsapp_trigger", "ask_question"]])
            #expect(afterQuestion.json["recommendations"] == [
                ["node_type": "store_variable", "confidence": 0.85, "reasoning": "Matched: save"],
                ["node_type": "if_condition", "confidence": 0.8, "reasoning": "Matched: check"],
                ["node_type": "whatsapp_reply", "confidence": 0.7, "reasoning": "Matched: answer"],
            ])
            // After an outbound call: if_condition +0.15, whatsapp_reply +0.1; only the last previous node counts.
            let afterCall = try await client.recommend(bot, owner, "verify the result and reply",
                                                      context: ["previousNodes": ["ask_question", "http_request"]])
            #expect(afterCall.json["recommendations"] == [
                ["node_type": "if_condition", "confidence": 0.85, "reasoning": "Matched: verify"],
                ["node_type": "whatsapp_reply", "confidence": 0.8, "reasoning": "Matched: reply"],
            ])
            // Unmatched types get no boost (store_variable is not recommended without a keyword).
            let unmatched = try await client.recommend(bot, owner, "tell them", context: ["previousNodes": ["ask_question"]])
            #expect(types(unmatched) == ["whatsapp_reply"])
        }
    }

    @Test func recommendValidatesItsBodyAndTheBot() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let stranger = try await client.signup(organization: "Durban Deli")
            let bot = try await client.createBot(owner)
            let short = try await client.call(.post, "/api/bots/\(bot)/builder/recommend", json: ["action": "hi", "context": ["previousNodes": "x"]],
                                              token: owner.token)
            #expect(short.status == 400)
            #expect(keys(short.json) == ["success", "error", "details"])
            #expect(short.json["success"] == false)
            #expect(short.json["error"] == "Validation error")
            #expect(issueList(short) == [#"["action"] too_small"#, #"["context","previousNodes"] invalid_type"#])
            let missing = try await client.call(.post, "/api/bots/\(bot)/builder/recommend", token: owner.token)
            #expect(issueList(missing) == [#"["action"] required"#])
            let foreign = try await client.recommend(bot, stranger, "reply to the customer")
            #expect(foreign.status == 404)
            #expect(foreign.text == #"{"success":false,"error":"Bot not found"}"#)
            #expect(try await client.call(.post, "/api/bots/\(bot)/builder/recommend", json: ["action": "reply"]).status == 401)
        }
    }

    // MARK: BB2 generate without the LLM

    @Test func generateMapsTheIntentDeterministically() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let intent: JSON = [
                "trigger": ["type": "keyword", "description": "Customer asks about an order", "suggested_node": "whatsapp_trigger",
                            "config_hints": ["keyword": "order, track"]],
                "steps": [
                    ["action": "ask", "description": "Ask for the order number", "suggested_node": "ask_question",
                     "config_hints": ["question": "What is your order number?", "variable_name": "order_number"]],
                    ["action": "reply", "description": "Thanks, we are checking your order", "suggested_node": "send_sms",
                     "config_hints": ["tone": "friendly"]],
                ],
                "conditions": [["condition": "the order exists", "true_path": "reply", "false_path": "apologise"]],
                "integrations": [["service": "shopify", "purpose": "order lookup"]],
                "variables": ["order_number"],
            ]
            let r = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: ["intent": intent], token: owner.token)
            #expect(r.status == 200)
            #expect(keys(r.json) == ["success", "blueprint", "confidence", "warnings", "suggestions"])
            #expect(r.json["blueprint"] == [
                "bot_id": .string(bot), "version": "1.0.0", "name": "Generated workflow",
                "nodes": [
                    ["id": "1", "type": "whatsapp_trigger", "config": ["keyword": "order, track"]],
                    ["id": "2", "type": "ask_question", "config": ["question": "What is your order number?", "variable_name": "order_number"]],
                    ["id": "3", "type": "whatsapp_reply", "config": ["tone": "friendly", "message": "Thanks, we are checking your order",
                                                                    "recipient": "{{customer.phone}}"]],
                ],
                "edges": [["id": "e1", "source": "1", "target": "2"], ["id": "e2", "source": "2", "target": "3"]],
                "variables": [:], "credentials": [],
            ])
            // Valid, no warnings; only the missing description costs 0.05.
            #expect(r.json["warnings"] == [])
            #expect(r.json["confidence"] == 0.95)
            #expect(r.json["suggestions"] == ["Add an if_condition for: the order exists"])
        }
    }

    @Test func generateFallsBackToATriggerAndScoresWeakBlueprints() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            // Not a trigger type → whatsapp_trigger with an empty keyword; no steps → one node.
            let lonely = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: [
                "intent": intent(trigger: ["type": "any_message", "description": "", "suggested_node": "ask_question"], steps: []),
            ], token: owner.token)
            #expect(lonely.status == 200)
            #expect(lonely.json["blueprint"]["nodes"] == [["id": "1", "type": "whatsapp_trigger", "config": ["keyword": ""]]])
            #expect(lonely.json["blueprint"]["edges"] == [])
            // One DEAD_END warning (−0.1), no description (−0.05), fewer than two nodes (−0.3).
            #expect(lonely.json["warnings"] == ["Node 1 has no outgoing edges"])
            #expect(lonely.json["confidence"] == 0.55)
            #expect(lonely.json["suggestions"] == [])

            // An http_request without its url: one error (−0.2) and a dead end (−0.1).
            let broken = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: [
                "intent": intent(steps: [["action": "call", "description": "Call the booking API", "suggested_node": "http_request"]]),
            ], token: owner.token)
            #expect(broken.status == 200)
            #expect(broken.json["blueprint"]["nodes"][1] == ["id": "2", "type": "http_request", "config": [:]])
            let warnings = (broken.json["warnings"].arrayValue ?? []).compactMap(\.stringValue)
            // Errors first, then warnings.
            #expect(warnings.count == 2)
            #expect(warnings.first?.hasPrefix("Missing required field:") == true)
            #expect(warnings.last == "Node 2 has no outgoing edges")
            #expect(broken.json["confidence"] == 0.65)
        }
    }

    @Test func generateValidatesTheIntent() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let missing = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: [:], token: owner.token)
            #expect(missing.status == 400)
            #expect(missing.json["success"] == false)
            #expect(issueList(missing) == [#"["intent"] required"#])
            let bad = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: [
                "intent": ["trigger": ["type": "sms", "description": "x", "suggested_node": "whatsapp_trigger"],
                           "steps": [["action": "x", "suggested_node": "delay"], "oops"], "conditions": [["condition": "paid"]],
                           "integrations": [], "variables": [1]],
            ], token: owner.token)
            #expect(issueList(bad) == [
                #"["intent","trigger","type"] invalid_enum_value"#, #"["intent","steps",0,"description"] required"#,
                #"["intent","steps",1] invalid_type"#, #"["intent","conditions",0,"true_path"] required"#,
                #"["intent","conditions",0,"false_path"] required"#, #"["intent","variables",0] invalid_type"#,
            ])
            // Every part the contract does not mark optional is required.
            let partial = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: [
                "intent": ["trigger": ["type": "keyword"], "steps": [["description": "Say hi"]]],
            ], token: owner.token)
            #expect(issueList(partial) == [
                #"["intent","trigger","description"] required"#, #"["intent","trigger","suggested_node"] required"#,
                #"["intent","steps",0,"action"] required"#, #"["intent","steps",0,"suggested_node"] required"#,
                #"["intent","conditions"] required"#, #"["intent","integrations"] required"#, #"["intent","variables"] required"#,
            ])
            let foreign = try await client.call(.post, "/api/bots/bot_nope/builder/generate", json: ["intent": intent(steps: [])],
                                                token: owner.token)
            #expect(foreign.status == 404)
            #expect(foreign.text == #"{"success":false,"error":"Bot not found"}"#)
        }
    }

    // MARK: BB4 optimize without the LLM

    @Test func optimizeListsWarningsSuggestionsAndAMissingErrorHandler() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let calls: [JSON] = (2...7).map { n in
                ["id": .string(String(n)), "type": "http_request", "config": ["method": "GET", "url": .string("https://api.example.com/\(n)")]]
            }
            let blueprint: JSON = [
                "nodes": .array([["id": "1", "type": "whatsapp_trigger", "config": ["keyword": "status"]]] + calls + [
                    ["id": "8", "type": "whatsapp_reply", "config": ["message": "Done", "recipient": "{{customer.phone}}"]],
                ]),
                "edges": .array((1...7).map { n in ["id": .string("e\(n)"), "source": .string(String(n)), "target": .string(String(n + 1))] }),
            ]
            let r = try await client.call(.post, "/api/bots/\(bot)/builder/optimize", json: ["blueprint": blueprint], token: owner.token)
            #expect(r.status == 200)
            #expect(keys(r.json) == ["success", "suggestions"])
            let suggestions = (r.json["suggestions"].arrayValue ?? []).compactMap(\.stringValue)
            // No warnings; the validator's "combine calls" suggestion (more than five http_request nodes); the error handler.
            #expect(suggestions == ["Consider combining HTTP calls: this workflow has more than 5 http_request nodes",
                                    "Add an error_handler node to handle failing integrations"])

            // With an error handler and a dead end: only the warning.
            let handled: JSON = [
                "nodes": [["id": "1", "type": "whatsapp_trigger", "config": [:]],
                          ["id": "2", "type": "knowledge_search", "config": ["query": "{{message}}"]],
                          ["id": "3", "type": "error_handler", "config": [:]]],
                "edges": [["id": "e1", "source": "1", "target": "2"], ["id": "e2", "source": "2", "target": "3"]],
            ]
            let h = try await client.call(.post, "/api/bots/\(bot)/builder/optimize", json: ["blueprint": handled], token: owner.token)
            let hs = (h.json["suggestions"].arrayValue ?? []).compactMap(\.stringValue)
            #expect(hs == ["Node 3 has no outgoing edges"])

            let clean: JSON = [
                "nodes": [["id": "1", "type": "whatsapp_trigger", "config": [:]],
                          ["id": "2", "type": "whatsapp_reply", "config": ["message": "Hi", "recipient": "{{customer.phone}}"]]],
                "edges": [["id": "e1", "source": "1", "target": "2"]],
            ]
            #expect(try await client.call(.post, "/api/bots/\(bot)/builder/optimize", json: ["blueprint": clean], token: owner.token)
                .json["suggestions"] == [])
        }
    }

    @Test func optimizeRejectsMissingAndOversizedBlueprints() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let missing = try await client.call(.post, "/api/bots/\(bot)/builder/optimize", json: ["blueprint": []], token: owner.token)
            #expect(missing.status == 400)
            #expect(issueList(missing) == [#"["blueprint"] invalid_type"#])
            let nodes: [JSON] = (1...201).map { ["id": .string(String($0)), "type": "delay", "config": ["duration": 5]] }
            let big = try await client.call(.post, "/api/bots/\(bot)/builder/optimize", json: ["blueprint": ["nodes": .array(nodes), "edges": []]],
                                            token: owner.token)
            #expect(big.status == 400)
            #expect(issueList(big) == [#"["blueprint","nodes"] too_big"#])
        }
    }

    // MARK: LLM-only operations with the LLM off

    @Test func llmOnlyOperationsAre503WhenTheLLMIsOff() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let analyze = try await client.call(.post, "/api/bots/\(bot)/builder/analyze", json: ["description": "Book shuttle trips to the airport"],
                                                token: owner.token)
            #expect(analyze.status == 503)
            #expect(analyze.text == #"{"success":false,"error":"LLM is not configured"}"#)
            let conversation = try await client.call(.post, "/api/bots/\(bot)/builder/conversation", json: [
                "messages": [["role": "user", "content": "I run a shuttle service"]],
            ], token: owner.token)
            #expect(conversation.status == 503)
            #expect(conversation.text == #"{"success":false,"error":"LLM is not configured"}"#)
            // Validation and the bot come first.
            let short = try await client.call(.post, "/api/bots/\(bot)/builder/analyze", json: ["description": "too short"], token: owner.token)
            #expect(short.status == 400)
            #expect(issueList(short) == [#"["description"] too_small"#])
            let bad = try await client.call(.post, "/api/bots/\(bot)/builder/conversation", json: [
                "messages": [["role": "system", "content": ""]],
            ], token: owner.token)
            #expect(issueList(bad) == [#"["messages",0,"role"] invalid_enum_value"#, #"["messages",0,"content"] too_small"#])
            let tooMany = try await client.call(.post, "/api/bots/\(bot)/builder/conversation", json: [
                "messages": .array(Array(repeating: ["role": "user", "content": "hi"], count: 21)),
            ], token: owner.token)
            #expect(issueList(tooMany) == [#"["messages"] too_big"#])
            let foreign = try await client.call(.post, "/api/bots/bot_nope/builder/analyze", json: ["description": "Book shuttle trips to the airport"],
                                                token: owner.token)
            #expect(foreign.status == 404)
            #expect(foreign.text == #"{"success":false,"error":"Bot not found"}"#)
        }
    }
}

extension TestClientProtocol {
    func recommend(_ bot: String, _ account: Account, _ action: String, context: JSON? = nil) async throws -> TestResult {
        var body: JSONObject = ["action": .string(action)]
        if let context { body["context"] = context }
        return try await call(.post, "/api/bots/\(bot)/builder/recommend", json: .object(body), token: account.token)
    }
}

/// A complete IntentAnalysis (every non-optional part present).
private func intent(trigger: JSON = ["type": "keyword", "description": "", "suggested_node": "whatsapp_trigger"], steps: [JSON]) -> JSON {
    ["trigger": trigger, "steps": .array(steps), "conditions": [], "integrations": [], "variables": []]
}

private func types(_ r: TestResult) -> [String] {
    (r.json["recommendations"].arrayValue ?? []).compactMap { $0["node_type"].stringValue }
}

private func confidences(_ r: TestResult) -> [String: Double] {
    var out: [String: Double] = [:]
    for item in r.json["recommendations"].arrayValue ?? [] {
        if let t = item["node_type"].stringValue, let c = item["confidence"].numberValue { out[t] = c }
    }
    return out
}
