import BotFlowCore
import BotFlowTestSupport
import Foundation
import Testing

/// Bot-builder LLM operations (api.md §4.7, behaviour §8.7) against `FakeProvider` acting as an OpenAI-compatible
/// `/v1/chat/completions` endpoint: JSON-object requests with the stated temperatures, 502 on unusable answers.
@Suite struct BotBuilderLLMTests {
    static let intent: JSON = [
        "trigger": ["type": "keyword", "description": "Customer wants a ride", "suggested_node": "whatsapp_trigger",
                    "config_hints": ["keyword": "ride"]],
        "steps": [["action": "ask", "description": "Ask for the pickup address", "suggested_node": "ask_question",
                   "config_hints": ["question": "Where should we pick you up?", "variable_name": "pickup"]]],
        "conditions": [], "integrations": [], "variables": ["pickup"],
    ]

    static let blueprint: JSON = [
        "name": "Ride requests", "description": "Collect a pickup address",
        "nodes": [
            ["id": "1", "type": "whatsapp_trigger", "config": ["keyword": "ride"]],
            ["id": "2", "type": "ask_question", "config": ["question": "Where should we pick you up?", "variable_name": "pickup"]],
            ["id": "3", "type": "whatsapp_reply", "config": ["message": "On our way to {{pickup}}", "recipient": "{{customer.phone}}"]],
        ],
        "edges": [["id": "e1", "source": "1", "target": "2"], ["id": "e2", "source": "2", "target": "3"]],
        "bot_id": "someone-elses-bot",
    ]

    @Test func analyzeSendsAJSONObjectRequestAndReturnsTheIntent() async throws {
        let (app, provider) = try await makeLLMApp()
        defer { provider.stop() }
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            provider.enqueue(completion(Self.intent))
            let r = try await client.call(.post, "/api/bots/\(bot)/builder/analyze",
                                          json: ["description": "Customers message 'ride' and we ask where to pick them up"], token: owner.token)
            #expect(r.status == 200)
            #expect(r.json["success"] == true)
            #expect(r.json["intent"] == Self.intent)
            let request = try #require(provider.requests.last)
            #expect(request.method == "POST")
            #expect(request.path == "/v1/chat/completions")
            #expect(request.header("authorization") == "Bearer test-llm-key")
            #expect(request.json["model"] == "builder-model")
            #expect(request.json["response_format"] == ["type": "json_object"])
            #expect(request.json["temperature"] == 0.3)
            #expect(request.json["messages"][0]["role"] == "system")
            #expect(request.json["messages"][1] == ["role": "user", "content": "Customers message 'ride' and we ask where to pick them up"])

            // A partial intent is normalised (defaults for the optional parts).
            provider.enqueue(completion(["trigger": ["type": "any_message"], "steps": [["description": "Say hello"]]]))
            let partial = try await client.call(.post, "/api/bots/\(bot)/builder/analyze", json: ["description": "Say hello to everyone"],
                                                token: owner.token)
            #expect(partial.json["intent"] == [
                "trigger": ["type": "any_message", "description": "", "suggested_node": "whatsapp_trigger"],
                "steps": [["action": "", "description": "Say hello", "suggested_node": "whatsapp_reply"]],
                "conditions": [], "integrations": [], "variables": [],
            ])
        }
    }

    @Test func unusableAnswersAre502() async throws {
        let (app, provider) = try await makeLLMApp()
        defer { provider.stop() }
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            let invalid = #"{"success":false,"error":"LLM returned an invalid response"}"#
            let answers: [FakeProvider.Reply] = [
                completionText("Sure! Here is your intent."),
                completion(["trigger": ["type": "sometimes"], "steps": []]),
                completion(["steps": []]),
                completionText("[1, 2, 3]"),
                .init(status: 500, body: #"{"error":{"message":"overloaded"}}"#),
                .init(status: 200, body: #"{"choices":[]}"#),
            ]
            for answer in answers {
                provider.enqueue(answer)
                let r = try await client.call(.post, "/api/bots/\(bot)/builder/analyze", json: ["description": "Book airport shuttles"],
                                              token: owner.token)
                #expect(r.status == 502)
                #expect(r.text == invalid)
            }
            // generate and optimize answers without the expected shape.
            provider.enqueue(completion(["blueprint": ["nodes": "none"]]))
            let generate = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: ["intent": Self.intent], token: owner.token)
            #expect(generate.status == 502)
            #expect(generate.text == invalid)
            provider.enqueue(completion(["ideas": ["x"]]))
            let optimize = try await client.call(.post, "/api/bots/\(bot)/builder/optimize", json: ["blueprint": Self.blueprint], token: owner.token)
            #expect(optimize.status == 502)
            #expect(optimize.text == invalid)
        }
    }

    @Test func generateWithTheLLMForcesTheBotAndScoresTheBlueprint() async throws {
        let (app, provider) = try await makeLLMApp()
        defer { provider.stop() }
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            // A fenced answer is accepted.
            provider.enqueue(completionText("```json\n" + JSONWriter.string(["blueprint": Self.blueprint, "suggestions": ["Confirm the address"]]) + "\n```"))
            let r = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: ["intent": Self.intent], token: owner.token)
            #expect(r.status == 200)
            #expect(r.json["blueprint"]["bot_id"] == .string(bot))
            #expect(r.json["blueprint"]["nodes"] == Self.blueprint["nodes"])
            #expect(r.json["blueprint"]["name"] == "Ride requests")
            #expect(r.json["blueprint"]["version"] == "1.0.0")
            #expect(r.json["warnings"] == [])
            #expect(r.json["confidence"] == 1)
            #expect(r.json["suggestions"] == ["Confirm the address"])
            let request = try #require(provider.requests.last)
            #expect(request.json["temperature"] == 0.2)
            #expect(try JSONParser.parse(request.json["messages"][1]["content"].stringValue ?? "") == Self.intent)

            // The bare blueprint is accepted too; a single node scores low.
            provider.enqueue(completion(["nodes": [["id": "1", "type": "whatsapp_trigger", "config": [:]]], "edges": []]))
            let weak = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: ["intent": Self.intent], token: owner.token)
            #expect(weak.json["blueprint"]["name"] == "Generated workflow")
            #expect(weak.json["confidence"] == 0.55)

            // Warnings count at most 0.3: five unconnected replies and no trigger (six warnings), no edges (−0.2),
            // no description (−0.05).
            let replies: [JSON] = (1...5).map { n in
                ["id": .string(String(n)), "type": "whatsapp_reply", "config": ["message": "Hi", "recipient": "{{customer.phone}}"]]
            }
            provider.enqueue(completion(["nodes": .array(replies), "edges": []]))
            let scattered = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: ["intent": Self.intent], token: owner.token)
            #expect(scattered.json["warnings"].arrayValue?.count == 6)
            #expect(scattered.json["confidence"] == 0.45)

            // Errors count at most 0.8, and the figure is clamped at 0: one node with four bad inputs.
            provider.enqueue(completion(["nodes": [["id": "1", "type": "http_request",
                                                    "config": ["method": "FETCH", "url": 5, "headers": "x", "body": 3]]], "edges": []]))
            let hopeless = try await client.call(.post, "/api/bots/\(bot)/builder/generate", json: ["intent": Self.intent], token: owner.token)
            #expect(hopeless.status == 200)
            #expect((hopeless.json["warnings"].arrayValue?.count ?? 0) >= 6)
            #expect(hopeless.json["confidence"] == 0)
        }
    }

    @Test func conversationCompletesAfterEnoughDetailAndReturnsIntentAndBlueprint() async throws {
        let (app, provider) = try await makeLLMApp()
        defer { provider.stop() }
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            provider.enqueue(completion(["response": "What should start the conversation?"]))
            let first = try await client.call(.post, "/api/bots/\(bot)/builder/conversation", json: [
                "messages": [["role": "user", "content": "I run an airport shuttle"]],
            ], token: owner.token)
            #expect(first.status == 200)
            #expect(first.json == ["success": true, "response": "What should start the conversation?", "complete": false])
            #expect(provider.requests.last?.json["temperature"] == 0.7)
            #expect(provider.requests.last?.json["messages"].arrayValue?.count == 2)

            // Three user messages with at least 30 words: complete, then analyze (0.3) and generate (0.2).
            let messages: JSON = [
                ["role": "user", "content": "I run an airport shuttle service in Cape Town for tourists and locals"],
                ["role": "assistant", "content": "What should start the conversation?"],
                ["role": "user", "content": "When someone sends the word ride we ask for the pickup address"],
                ["role": "assistant", "content": "Anything else?"],
                ["role": "user", "content": "Then we confirm the booking and send the driver details"],
            ]
            provider.enqueue(completion(["response": "Great, thanks."]))
            provider.enqueue(completion(Self.intent))
            provider.enqueue(completion(["blueprint": Self.blueprint]))
            let before = provider.requests.count
            let done = try await client.call(.post, "/api/bots/\(bot)/builder/conversation", json: ["messages": messages], token: owner.token)
            #expect(done.status == 200)
            #expect(done.json["complete"] == true)
            #expect(done.json["response"] == "Great, thanks.")
            #expect(done.json["intent"] == Self.intent)
            #expect(done.json["blueprint"]["bot_id"] == .string(bot))
            let calls = Array(provider.requests.dropFirst(before))
            #expect(calls.map { $0.json["temperature"] } == [0.7, 0.3, 0.2])
            #expect(calls[1].json["messages"][1]["content"] == .string([0, 2, 4].map { messages[$0]["content"].stringValue! }.joined(separator: "\n")))

            // The reply's own words can complete it.
            provider.enqueue(completion(["response": "I have everything I need — generating your workflow now."]))
            provider.enqueue(completion(Self.intent))
            provider.enqueue(completion(Self.blueprint))
            let eager = try await client.call(.post, "/api/bots/\(bot)/builder/conversation", json: [
                "messages": [["role": "user", "content": "Shuttle bookings"]],
            ], token: owner.token)
            #expect(eager.json["complete"] == true)
            #expect(eager.json["blueprint"]["nodes"].arrayValue?.count == 3)

            // Few words, no magic phrase: not complete.
            provider.enqueue(completion(["response": "Tell me more."]))
            let short = try await client.call(.post, "/api/bots/\(bot)/builder/conversation", json: [
                "messages": [["role": "user", "content": "a b"], ["role": "user", "content": "c d"], ["role": "user", "content": "e f"]],
            ], token: owner.token)
            #expect(short.json == ["success": true, "response": "Tell me more.", "complete": false])
        }
    }

    @Test func optimizeAndRecommendWithTheLLMOn() async throws {
        let (app, provider) = try await makeLLMApp()
        defer { provider.stop() }
        try await app.test { client in
            let owner = try await client.signup()
            let bot = try await client.createBot(owner)
            provider.enqueue(completion(["suggestions": ["Greet the customer by name", 7]]))
            let r = try await client.call(.post, "/api/bots/\(bot)/builder/optimize", json: ["blueprint": Self.blueprint], token: owner.token)
            #expect(r.status == 200)
            #expect(r.json == ["success": true, "suggestions": ["Greet the customer by name"]])
            #expect(provider.requests.last?.json["temperature"] == 0.5)
            // recommend never calls the LLM.
            let count = provider.requests.count
            let rec = try await client.recommend(bot, owner, "reply to the customer")
            #expect(rec.status == 200)
            #expect(provider.requests.count == count)
        }
    }
}

private func makeLLMApp() async throws -> (TestAppliance, FakeProvider) {
    let provider = try await FakeProvider.start()
    let app = try await TestAppliance.make { s in
        s.llmEnabled = true
        s.llmBaseURL = provider.baseURL
        s.llmAPIKey = "test-llm-key"
        s.llmModel = "builder-model"
    }
    return (app, provider)
}

/// An OpenAI chat completion whose message content is `content` as JSON text.
private func completion(_ content: JSON) -> FakeProvider.Reply { completionText(JSONWriter.string(content)) }

private func completionText(_ text: String) -> FakeProvider.Reply {
    .init(status: 200, body: JSONWriter.string(["choices": [["message": ["role": "assistant", "content": .string(text)]]],
                                                "usage": ["total_tokens": 42]]))
}
