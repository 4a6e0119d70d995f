import BotFlowCore
import BotFlowDomain
import Testing

@Suite struct PlaceholderTests {
    @Test func substitutesKnownKeysAndKeepsUnknownOnes() {
        let values: JSONObject = ["name": "Cape Shuttle", "rate": 12, "half": 0.5, "on": true, "types": ["Sedan", "SUV"],
                                  "extra": ["a": 1], "none": nil]
        let text = "{{name}} {{ rate }}/{{half}} {{on}} [{{types}}] {{extra}} <{{none}}> {{calculated_fare}} {{ bad key }} {{"
        #expect(Placeholders.substitute(text, values: values)
            == #"Cape Shuttle 12/0.5 true [Sedan, SUV] {"a":1} <> {{calculated_fare}} {{ bad key }} {{"#)
    }

    @Test func organizationSlug() {
        #expect(AuthService.slug(from: "  Cape   Shuttle\tCo ") == "cape-shuttle-co")
        #expect(AuthService.slug(from: "Ñandú Café") == "ñandú-café")
    }

    @Test func starterWorkflowsFollowTheLegacyTable() {
        #expect(LegacyStarterWorkflow.taskType(for: "restaurant_bot") == "booking")
        #expect(LegacyStarterWorkflow.taskType(for: "transport") == "transport")
        #expect(LegacyStarterWorkflow.taskType(for: "faq") == "faq")
        #expect(LegacyStarterWorkflow.taskType(for: "anything") == "lead_generation")
        let blueprint = LegacyStarterWorkflow.blueprint(for: "booking", botId: "bot_1")
        #expect(blueprint["nodes"].arrayValue?.map { $0["type"] } == ["whatsapp_trigger", "ask_question", "ask_question", "whatsapp_reply"])
        #expect(blueprint["edges"] == [["id": "e1", "source": "1", "target": "2"], ["id": "e2", "source": "2", "target": "3"],
                                       ["id": "e3", "source": "3", "target": "4"]])
        #expect(blueprint["nodes"][1]["config"]["timeout"] == 300)
    }
}
