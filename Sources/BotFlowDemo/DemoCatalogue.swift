import BotFlowCore

/// Names and texts the demo data is made of: South African small businesses and their customers.
enum DemoCatalogue {
    static let organizationNames = [
        "Cape Shuttle Co", "Soweto Eats", "Durban Dental Care", "Kasi Threads Online", "Karoo Guest Farm",
        "Joburg Fitness Hub", "Stellenbosch Wine Tours", "Pretoria Auto Repairs",
    ]
    static let firstNames = [
        "Thandi", "Sipho", "Lerato", "Johan", "Ayesha", "Pieter", "Nomsa", "Bongani", "Fatima", "Kagiso", "Megan", "Tshepo",
        "Zanele", "Ruan", "Priya", "Lwazi", "Anele", "Chantel", "Mpho", "Naledi",
    ]
    static let lastNames = [
        "Nkosi", "Dlamini", "van der Merwe", "Naidoo", "Mokoena", "Botha", "Khumalo", "Pillay", "Smith", "Mahlangu",
    ]
    static let greetings = ["Hi", "Hello", "Hey there", "Good morning", "Sawubona", "Howzit", "Hi, are you open?", "Molo"]
    static let followUps = [
        "Thanks!", "Ok great", "Can you send me more details?", "What about weekends?", "Is that the final price?",
        "Do you take card payments?", "How long will it take?", "Can I speak to someone?", "Perfect, thank you",
    ]
    static let fallback = "Sorry, I didn't quite get that. Could you say it another way, or type AGENT to chat to a person?"
    static let agentReplies = [
        "Hi, this is {{agent}} from the team. I'm looking into this for you now.",
        "Thanks for your patience — {{agent}} here. Let me sort that out.",
        "{{agent}} here, I've picked this up. Can you confirm your booking number?",
    ]

    static func customerName(_ source: inout SeededSource) -> String {
        "\(source.pick(firstNames)) \(source.pick(lastNames))"
    }

    /// Field values that pass behaviour §9.3 for the template's `required_fields`: the placeholder where one fits,
    /// else an option, a number inside the bounds, or a plain text.
    static func fieldValues(for requiredFields: JSONObject, businessName: String, source: inout SeededSource) -> JSONObject {
        var values = JSONObject()
        for (key, definition) in requiredFields {
            let validation = definition["validation"]
            let options = validation["options"].arrayValue?.compactMap(\.stringValue) ?? []
            let placeholder = definition["placeholder"].stringValue
            switch definition["type"].stringValue ?? "text" {
            case "number":
                let minimum = validation["min"].numberValue ?? 0
                let maximum = validation["max"].numberValue ?? max(minimum, 1_000)
                var n = placeholder.flatMap { Double($0) } ?? max(minimum, 1)
                n = min(max(n, minimum), maximum)
                values[key] = n.rounded() == n ? .int(Int64(n)) : .double(n)
            case "select":
                if !options.isEmpty { values[key] = .string(source.pick(options)) }
            case "multiselect":
                if !options.isEmpty {
                    let count = source.int(1...min(3, options.count))
                    values[key] = .strings(Array(options.prefix(count)))
                }
            case "time":
                values[key] = .string(placeholder.flatMap { isTime($0) ? $0 : nil } ?? "09:00")
            case "json":
                values[key] = .object([:])
            default:
                if key == "business_name" {
                    values[key] = .string(businessName)
                } else if validation["pattern"].stringValue == nil {
                    values[key] = .string(placeholder ?? (definition["label"].stringValue ?? key))
                } else if let placeholder {
                    values[key] = .string(placeholder)
                }
            }
        }
        return values
    }

    private static func isTime(_ text: String) -> Bool {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]) else { return false }
        return (0..<24).contains(h) && (0..<60).contains(m)
    }
}

/// What a bot's customers ask and what the bot answers, taken from its instantiated configuration.
struct BotScript: Sendable {
    struct Intent: Sendable { let name: String; let questions: [String]; let response: String }
    let botId: String
    let welcome: String
    let intents: [Intent]
    let examplePrompts: [String]

    init(botId: String, config: JSON, examplePrompts: [String]) {
        self.botId = botId
        let flow = config["conversation_flow"]
        welcome = config["welcomeMessage"].stringValue ?? flow["welcomeMessage"].stringValue ?? "Hi! How can we help you today?"
        var intents: [Intent] = []
        for (name, intent) in flow["intents"].objectValue ?? [:] {
            let triggers = intent["triggers"].arrayValue?.compactMap(\.stringValue) ?? []
            guard let response = intent["response"].stringValue, !triggers.isEmpty else { continue }
            intents.append(Intent(name: name, questions: triggers.map { "Hi, I'd like to know about \($0) please" } + triggers,
                                  response: response))
        }
        self.intents = intents
        self.examplePrompts = examplePrompts.isEmpty ? ["Can you help me?"] : examplePrompts
    }
}
