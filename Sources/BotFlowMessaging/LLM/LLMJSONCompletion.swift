import AsyncHTTPClient
import BotFlowCore
import Foundation
import NIOCore

/// A chat completion that asks for a JSON object (`response_format: {"type":"json_object"}`), as the bot builder's
/// LLM operations do (behaviour §8.7). Returns the message content as sent; the caller decides whether it is usable.
public protocol LLMJSONCompleting: Sendable {
    func completeJSON(model: String, messages: [(role: String, content: String)], temperature: Double) async throws -> String
}

extension OpenAIChatClient: LLMJSONCompleting {
    public func completeJSON(model: String, messages: [(role: String, content: String)], temperature: Double) async throws -> String {
        var request = HTTPClientRequest(url: baseURL + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if !apiKey.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        let body: JSON = [
            "model": .string(model), "temperature": .double(temperature), "max_tokens": .int(maxTokens),
            "response_format": ["type": "json_object"],
            "messages": .array(messages.map { ["role": .string($0.role), "content": .string($0.content)] }),
        ]
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 4 << 20)
        guard (200..<300).contains(response.status.code) else { throw LLMError(description: "LLM HTTP \(response.status.code)") }
        let json = try JSONParser.parse(bytes.readableBytesView)
        guard let text = json["choices"][0]["message"]["content"].stringValue else { throw LLMError(description: "LLM answer without content") }
        return text
    }

    /// The builder's client when `LLM_ENABLED`, else nil (its LLM operations then answer 503).
    public static func builderClient(settings: Settings, http: HTTPClient = .shared) -> (any LLMJSONCompleting)? {
        settings.llmEnabled ? OpenAIChatClient(http: http, settings: settings) : nil
    }
}
