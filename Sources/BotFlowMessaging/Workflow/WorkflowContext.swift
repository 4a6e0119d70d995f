import BotFlowCore
import BotFlowDomain

/// The values a workflow's `{{path}}` placeholders resolve against (behaviour §8.2).
struct WorkflowContext {
    var message: String
    var customerPhone: String
    var customerName: String
    var conversationId: String
    var botId: String
    var botName: String
    var fields: JSONObject
    /// Session-scope variables (the execution's own).
    var session: JSONObject
    /// Conversation-scope variables (`conversation_context.variables`); `ask_question` answers land here.
    var conversation: JSONObject
    var blueprintVariables: JSONObject
    var nodeOutputs: JSONObject

    func resolve(_ path: String) -> JSON? {
        switch path {
        case "message": return .string(message)
        case "customer.phone": return .string(customerPhone)
        case "customer.name": return .string(customerName)
        case "conversation.id": return .string(conversationId)
        case "bot.id": return .string(botId)
        case "bot.name": return .string(botName)
        default: break
        }
        let parts = path.split(separator: ".").map(String.init)
        guard let head = parts.first else { return nil }
        if head == "fields", parts.count == 2 { return fields[parts[1]] }
        if head.hasPrefix("node_"), parts.count >= 2 {
            var value = nodeOutputs[String(head.dropFirst("node_".count))] ?? .null
            for key in parts.dropFirst() { value = value[key] }
            return value == .null ? nil : value
        }
        let name = head == "vars" && parts.count == 2 ? parts[1] : (parts.count == 1 ? head : nil)
        guard let name else { return nil }
        return session[name] ?? conversation[name] ?? blueprintVariables[name]
    }

    /// Substitutes `{{path}}` (path `^[A-Za-z0-9_.-]+$`, no `..`, `__`, `constructor`, `prototype`); unknown paths
    /// stay as written (outgoing messages drop them later).
    func render(_ text: String) -> String {
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            out += rest[..<open.lowerBound]
            let path = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: " ")
            if Self.isValidPath(path), let value = resolve(path) {
                out += Placeholders.format(value)
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static func isValidPath(_ path: String) -> Bool {
        !path.isEmpty && !path.contains("..") && !path.contains("__") && !path.contains("constructor") && !path.contains("prototype")
            && path.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(self.drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
