import BotFlowCore

/// The values `{{path}}` placeholders resolve against (behaviour §8.2), and the variable scopes nodes write.
public struct WorkflowScope: Sendable {
    public var message: String
    public var customerPhone: String
    public var customerName: String
    public var conversationId: String
    public var botId: String
    public var botName: String
    /// Template field values of the bot.
    public var fields: JSONObject
    /// Conversation scope (`conversation_context.variables`); `ask_question` answers land here.
    public var conversation: JSONObject
    /// Global scope (`workflow_globals` of the bot).
    public var globals: JSONObject
    /// `env.<NAME>` values, already restricted to `WORKFLOW_ENV_ALLOWLIST`.
    public var environment: [String: String]

    public init(message: String, customerPhone: String, customerName: String, conversationId: String, botId: String, botName: String,
                fields: JSONObject = [:], conversation: JSONObject = [:], globals: JSONObject = [:], environment: [String: String] = [:]) {
        self.message = message; self.customerPhone = customerPhone; self.customerName = customerName
        self.conversationId = conversationId; self.botId = botId; self.botName = botName; self.fields = fields
        self.conversation = conversation; self.globals = globals; self.environment = environment
    }
}

/// Resolution for one node: the scope, the execution's session variables and outputs, blueprint variables and (in
/// integration nodes only) credentials.
struct Resolver {
    let scope: WorkflowScope
    let session: JSONObject
    let outputs: JSONObject
    let blueprintVariables: JSONObject
    let credentials: [String: JSONObject]

    func resolve(_ path: Substring) -> JSON? {
        switch path {
        case "message": return .string(scope.message)
        case "customer.phone": return .string(scope.customerPhone)
        case "customer.name": return .string(scope.customerName)
        case "conversation.id": return .string(scope.conversationId)
        case "bot.id": return .string(scope.botId)
        case "bot.name": return .string(scope.botName)
        default: break
        }
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        let head = parts[0]
        let rest = parts.dropFirst()
        switch head {
        case "fields": return rest.count == 1 ? scope.fields[String(rest.first!)] : nil
        case "env": return rest.count == 1 ? scope.environment[String(rest.first!)].map(JSON.string) : nil
        case "credentials":
            guard let service = rest.first, let values = credentials[String(service)] else { return nil }
            return jsonPath(.object(values), rest.dropFirst())
        case "vars":
            guard let name = rest.first else { return nil }
            return variable(String(name)).flatMap { jsonPath($0, rest.dropFirst()) }
        default:
            if head.hasPrefix("node_"), !rest.isEmpty {
                guard let output = outputs[String(head.dropFirst(5))] else { return nil }
                // A null output is a known value (renders empty; a single placeholder keeps null), not an unknown path.
                return jsonPath(output, rest)
            }
            return variable(String(head)).flatMap { jsonPath($0, rest) }
        }
    }

    /// session → conversation → global → blueprint `variables`.
    func variable(_ name: String) -> JSON? {
        session[name] ?? scope.conversation[name] ?? scope.globals[name] ?? blueprintVariables[name]
    }
}
