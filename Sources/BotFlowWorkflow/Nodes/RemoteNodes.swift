import BotFlowCore
import Foundation

/// The nodes that leave the process (behaviour §8.3 #7–12, #17): outbound HTTP under §5.8, the scoped query, local
/// knowledge search, the LLM and the two marketplace integrations. They run with rendered config and return
/// outputs (or a failure message) plus the integration call to log, so the executor stays the only writer of state.
enum RemoteNodes {
    struct Result: Sendable {
        var outputs: JSONObject = [:]
        var failure: String?
        var call: IntegrationCall?
    }

    static func run(type: String, config: JSON, services: any WorkflowServices, credentialMap: [String: String]) async throws -> Result {
        switch type {
        case "http_request": return try await httpRequest(config, services)
        case "webhook_callback": return try await webhookCallback(config, services)
        case "database_query":
            let sql = try LocalNodes.text(config, "query", label: "Query")
            var parameters = config["parameters"]
            if case .string(let s) = parameters, let parsed = try? JSONParser.parse(s) { parameters = parsed }
            guard parameters.isNull || parameters.arrayValue != nil else { throw NodeFailure("Field Parameters must be a JSON array") }
            let rows = try await services.query(sql, parameters: parameters.arrayValue ?? [])
            return Result(outputs: ["rows": .array(rows), "row_count": .int(rows.count)])
        case "knowledge_search":
            let query = try LocalNodes.text(config, "query", label: "Query")
            let limit = try LocalNodes.number(config["limit"], label: "Limit", default: 3, range: 1...10)
            let threshold = try LocalNodes.number(config["similarity_threshold"], label: "Similarity Threshold", default: 0.7, range: 0...1)
            let hits = try await services.searchKnowledge(query: query, limit: Int(limit), threshold: threshold)
            let context = hits.enumerated().map { "[\($0.offset + 1)] \(WorkflowPlaceholders.format($0.element["content"]))" }.joined(separator: "\n")
            return Result(outputs: ["results": .array(hits), "context": .string(context)])
        case "openai_chat":
            let system = try LocalNodes.text(config, "system_prompt", label: "System Prompt")
            let user = try LocalNodes.text(config, "user_message", label: "User Message")
            let model = config["model"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "gpt-4o"
            guard ["gpt-4o", "gpt-4o-mini", "gpt-4-turbo"].contains(model) else {
                throw NodeFailure("Model must be one of: gpt-4o, gpt-4o-mini, gpt-4-turbo")
            }
            let temperature = try LocalNodes.number(config["temperature"], label: "Temperature", default: 0.7, range: 0...2)
            let answer = try await services.chat(model: model, systemPrompt: system, userMessage: user, temperature: temperature)
            return Result(outputs: ["response": .string(answer.text), "tokens_used": .int(answer.tokens)])
        case "shopify_lookup":
            let access = try await services.integration(service: "shopify", botIntegrationId: credentialMap["shopify"])
            return try await IntegrationNodes.shopify(config, access: access, services: services)
        case "paystack_payment":
            let access = try await services.integration(service: "paystack", botIntegrationId: credentialMap["paystack"])
            return try await IntegrationNodes.paystack(config, access: access, services: services)
        default:
            throw NodeFailure("Unknown node type: \(type)")
        }
    }

    /// Header objects: string values only (numbers and booleans as text).
    static func headers(_ value: JSON) throws -> [(String, String)] {
        var value = value
        if case .string(let s) = value, !s.isEmpty, let parsed = try? JSONParser.parse(s) { value = parsed }
        if value.isNull || value == "" { return [] }
        guard let object = value.objectValue else { throw NodeFailure("Field Headers must be a JSON object") }
        return try object.map { name, v in
            guard !name.isEmpty, !name.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }) else { throw NodeFailure("Invalid header name: \(name)") }
            let text = WorkflowPlaceholders.format(v)
            guard !text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else { throw NodeFailure("Invalid value for header \(name)") }
            return (name, text)
        }
    }

    static func httpRequest(_ config: JSON, _ services: any WorkflowServices) async throws -> Result {
        let method = (config["method"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "GET").uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) else {
            throw NodeFailure("Method must be one of: GET, POST, PUT, PATCH, DELETE")
        }
        let url = try LocalNodes.text(config, "url", label: "URL")
        var headers = try headers(config["headers"])
        var body: [UInt8]?
        switch config["body"] {
        case .null: body = nil
        case .string(let s): body = s.isEmpty ? nil : Array(s.utf8)
        case let value:
            body = Array(JSONWriter.string(value).utf8)
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
        }
        let reply = try await services.http(method: method, url: url, headers: headers, body: body)
        return Result(outputs: ["response": reply.value, "status_code": .int(reply.status)])
    }

    static func webhookCallback(_ config: JSON, _ services: any WorkflowServices) async throws -> Result {
        let method = (config["method"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "POST").uppercased()
        guard ["POST", "PUT"].contains(method) else { throw NodeFailure("Method must be one of: POST, PUT") }
        let url = try LocalNodes.text(config, "url", label: "URL")
        var payload = config["payload"]
        if case .string(let s) = payload, let parsed = try? JSONParser.parse(s) { payload = parsed }
        guard payload.objectValue != nil || payload.arrayValue != nil else { throw NodeFailure("Field Payload must be a JSON object or array") }
        var headers = try headers(config["headers"])
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
        let reply = try await services.http(method: method, url: url, headers: headers, body: Array(JSONWriter.string(payload).utf8))
        return Result(outputs: ["success": .bool((200..<300).contains(reply.status)), "response": reply.value,
                                "status_code": .int(reply.status)])
    }
}
