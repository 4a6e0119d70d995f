import BotFlowCore

/// What a workflow may reach outside its own state. The messaging module implements it over the SSRF-guarded HTTP
/// client, the scoped query runner, knowledge search, the LLM client and the bot's integrations; benchmarks and unit
/// tests use small in-memory versions.
public protocol WorkflowServices: Sendable {
    /// One outbound call under behaviour §5.8 (the implementation enforces the destination rules).
    func http(method: String, url: String, headers: [(String, String)], body: [UInt8]?) async throws -> HTTPResult
    /// The same, with the names of headers that carry secrets: they are never sent on to another origin by a redirect.
    func http(method: String, url: String, headers: [(String, String)], body: [UInt8]?, secretHeaders: Set<String>) async throws -> HTTPResult
    /// Where the marketplace integrations are called. Fixed in code (never from data an organization member can
    /// edit, so a bot's secrets cannot be sent elsewhere); tests point it at a local fake.
    var integrationEndpoints: IntegrationEndpoints { get }
    /// One read-only `SELECT` over the organization-scoped views (rows as JSON objects).
    func query(_ sql: String, parameters: [JSON]) async throws -> [JSON]
    /// Local knowledge search (§7.5): `[{id, content, metadata, similarity}]`.
    func searchKnowledge(query: String, limit: Int, threshold: Double) async throws -> [JSON]
    /// The configured LLM; throws `NodeFailure("LLM is not configured")` when it is off.
    func chat(model: String, systemPrompt: String, userMessage: String, temperature: Double) async throws -> (text: String, tokens: Int)
    /// The bot's enabled integration for a marketplace slug (or the bot-integration id the blueprint maps it to).
    func integration(service: String, botIntegrationId: String?) async throws -> IntegrationAccess
}

extension WorkflowServices {
    public func http(method: String, url: String, headers: [(String, String)], body: [UInt8]?, secretHeaders: Set<String>) async throws -> HTTPResult {
        try await http(method: method, url: url, headers: headers, body: body)
    }

    public var integrationEndpoints: IntegrationEndpoints { IntegrationEndpoints() }
}

/// Base URLs of the integrations' APIs: Paystack is always `https://api.paystack.co`; Shopify is the store's own
/// `https://<store_url>` unless a test replaces it.
public struct IntegrationEndpoints: Sendable {
    public var paystack: String
    public var shopify: String?
    public init(paystack: String = "https://api.paystack.co", shopify: String? = nil) {
        self.paystack = paystack; self.shopify = shopify
    }
}

public struct HTTPResult: Sendable {
    public var status: Int
    public var body: [UInt8]
    public init(status: Int, body: [UInt8]) { self.status = status; self.body = body }

    /// Parsed JSON, else the text.
    public var value: JSON {
        let text = String(decoding: body, as: UTF8.self)
        if let parsed = try? JSONParser.parse(text) { return parsed }
        return .string(text)
    }
}

/// Decrypted access to one `bot_integrations` row.
public struct IntegrationAccess: Sendable {
    public var id: String
    public var credentials: JSONObject
    public var configuration: JSONObject
    public init(id: String, credentials: JSONObject, configuration: JSONObject) {
        self.id = id; self.credentials = credentials; self.configuration = configuration
    }
}

/// An `integration_logs` row to write with the segment (`api_call`; never the secret).
public struct IntegrationCall: Sendable {
    public var botIntegrationId: String
    public var success: Bool
    public var message: String
    public var requestData: JSON
    public var responseData: JSON
    public var errorDetails: JSON
    public var durationMs: Int
}

/// A node error: the message is what the execution (and the error handler's `{message}`) records.
public struct NodeFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
