import AsyncHTTPClient
import BotFlowCore

/// A chat completion that asks for a JSON object (`response_format: {"type":"json_object"}`), as the bot builder's
/// LLM operations do (behaviour §8.7). Returns the message content as sent; the caller decides whether it is usable.
public protocol LLMJSONCompleting: Sendable {
    func completeJSON(model: String, messages: [(role: String, content: String)], temperature: Double) async throws -> String
}

extension OpenAIChatClient: LLMJSONCompleting {
    public func completeJSON(model: String, messages: [(role: String, content: String)], temperature: Double) async throws -> String {
        let json = try await chatCompletion(model: model, messages: messages, temperature: temperature,
                                            extra: ["response_format": ["type": "json_object"]])
        guard let text = json["choices"][0]["message"]["content"].stringValue else { throw LLMError(description: "LLM answer without content") }
        return text
    }

    /// The builder's client when `LLM_ENABLED`, else nil (its LLM operations then answer 503).
    public static func builderClient(settings: Settings, http: HTTPClient = .shared) -> (any LLMJSONCompleting)? {
        settings.llmEnabled ? OpenAIChatClient(http: http, settings: settings) : nil
    }
}
