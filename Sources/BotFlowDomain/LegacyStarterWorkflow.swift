import BotFlowCore

/// The starter workflows of `POST /api/bots` (behaviour §8.6): a legacy template key maps to a task type and a
/// small trigger → questions → reply blueprint.
public enum LegacyStarterWorkflow {
    enum Step {
        case ask(question: String, variable: String)
        case reply(String)
    }

    struct Starter {
        let taskType: String
        let keywords: String
        let steps: [Step]
    }

    static func starter(for templateId: String) -> Starter {
        switch templateId {
        case "booking", "booking_bot", "restaurant", "restaurant_bot":
            return Starter(taskType: "booking", keywords: "book, booking, reserve, reservation, appointment", steps: [
                .ask(question: "What date and time would you like?", variable: "booking_datetime"),
                .ask(question: "How many people?", variable: "party_size"),
                .reply("✅ Booking request received for {{booking_datetime}} ({{party_size}} people). We'll confirm shortly."),
            ])
        case "transport", "transport_bot":
            return Starter(taskType: "transport", keywords: "ride, trip, quote, pickup", steps: [
                .ask(question: "Where should we pick you up?", variable: "pickup"),
                .ask(question: "Where are you going?", variable: "destination"),
                .reply("🚖 Trip request: {{pickup}} → {{destination}}. We'll send your quote shortly. Reply CONFIRM to go ahead."),
            ])
        case "order_tracking":
            return Starter(taskType: "order_tracking", keywords: "order, track, tracking, delivery", steps: [
                .ask(question: "Please send your order number.", variable: "order_number"),
                .reply("Thanks! We're checking order {{order_number}} and will update you here shortly."),
            ])
        case "support", "faq", "support_bot":
            return Starter(taskType: "faq", keywords: "help, menu", steps: [
                .reply("Ask me anything about our business. If I can't answer, I'll connect you with a member of our team."),
            ])
        default:
            return Starter(taskType: "lead_generation", keywords: "price, pricing, quote, interested", steps: [
                .reply("Thank you for your interest! We'll be in touch soon."),
            ])
        }
    }

    /// The bot's `task_type` for a legacy key (anything unknown is lead generation).
    public static func taskType(for templateId: String) -> String { starter(for: templateId).taskType }

    /// Version 1's blueprint: node ids `1`, `2`, …, edge ids `e1`, `e2`, … in node order.
    public static func blueprint(for templateId: String, botId: String) -> JSON {
        let starter = starter(for: templateId)
        var nodes: [JSON] = [["id": "1", "type": "whatsapp_trigger", "config": ["keyword": .string(starter.keywords)]]]
        for (i, step) in starter.steps.enumerated() {
            let id = JSON.string(String(i + 2))
            switch step {
            case .ask(let question, let variable):
                nodes.append(["id": id, "type": "ask_question", "config": [
                    "question": .string(question), "variable_name": .string(variable), "timeout": 300,
                ]])
            case .reply(let message):
                nodes.append(["id": id, "type": "whatsapp_reply", "config": [
                    "message": .string(message), "recipient": "{{customer.phone}}",
                ]])
            }
        }
        let edges: [JSON] = (1..<nodes.count).map { n in
            ["id": .string("e\(n)"), "source": .string(String(n)), "target": .string(String(n + 1))]
        }
        return [
            "bot_id": .string(botId), "version": "1.0.0", "name": "Workflow v1", "nodes": .array(nodes), "edges": .array(edges),
            "variables": [:], "credentials": [],
        ]
    }
}
