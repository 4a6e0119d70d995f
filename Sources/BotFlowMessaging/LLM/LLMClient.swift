import AsyncHTTPClient
import BotFlowCore
import Foundation
import NIOCore

/// An OpenAI-compatible chat completion (behaviour §6.5 stage 5), used only when `LLM_ENABLED`.
public protocol LLMCompleting: Sendable {
    func complete(model: String, messages: [(role: String, content: String)], temperature: Double) async throws -> (text: String, tokens: Int)
}

public struct LLMError: Error, CustomStringConvertible {
    public let description: String
}

/// `POST {LLM_BASE_URL}/v1/chat/completions` with `{model, messages, temperature, max_tokens}`.
public struct OpenAIChatClient: LLMCompleting {
    let http: HTTPClient
    let baseURL: String
    let apiKey: String
    let maxTokens: Int
    let timeout: TimeAmount

    public init(http: HTTPClient, settings: Settings) {
        self.http = http
        baseURL = settings.llmBaseURL.hasSuffix("/") ? String(settings.llmBaseURL.dropLast()) : settings.llmBaseURL
        apiKey = settings.llmAPIKey
        maxTokens = settings.llmMaxTokens
        timeout = .seconds(Int64(settings.llmTimeoutSeconds))
    }

    public func complete(model: String, messages: [(role: String, content: String)], temperature: Double) async throws -> (text: String, tokens: Int) {
        let json = try await chatCompletion(model: model, messages: messages, temperature: temperature)
        return (json["choices"][0]["message"]["content"].stringValue ?? "", Int(json["usage"]["total_tokens"].integerValue ?? 0))
    }

    /// One `POST /v1/chat/completions`; `extra` adds request fields (the builder's `response_format`). Returns the
    /// parsed answer of a 2xx response.
    func chatCompletion(model: String, messages: [(role: String, content: String)], temperature: Double,
                        extra: JSONObject = [:]) async throws -> JSON {
        var request = HTTPClientRequest(url: baseURL + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if !apiKey.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        var body: JSONObject = [
            "model": .string(model), "temperature": .double(temperature), "max_tokens": .int(maxTokens),
            "messages": .array(messages.map { ["role": .string($0.role), "content": .string($0.content)] }),
        ]
        for (key, value) in extra { body[key] = value }
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(.object(body))))
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 4 << 20)
        guard (200..<300).contains(response.status.code) else { throw LLMError(description: "LLM HTTP \(response.status.code)") }
        return try JSONParser.parse(bytes.readableBytesView)
    }
}
