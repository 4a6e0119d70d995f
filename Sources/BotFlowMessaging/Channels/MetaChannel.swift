import AsyncHTTPClient
import BotFlowCore

/// Meta WhatsApp Cloud API send (behaviour §6.7):
/// `POST {META_GRAPH_BASE_URL}/{phoneNumberId}/messages`, `Authorization: Bearer <accessToken>`; id = `messages[0].id`.
public struct MetaChannel: ChannelAdapter {
    public let baseURL: String
    public let client: HTTPClient
    public let timeoutSeconds: Int

    public init(baseURL: String, client: HTTPClient = .shared, timeoutSeconds: Int) {
        self.baseURL = ProviderHTTP.trimmed(baseURL); self.client = client; self.timeoutSeconds = timeoutSeconds
    }

    public func send(_ message: OutboundSend) async -> DeliveryOutcome {
        let values: [String]
        switch ProviderHTTP.credentials(["accessToken", "phoneNumberId"], in: message.credentials) {
        case .success(let v): values = v
        case .failure(let f): return .permanent(f.message)
        }
        let (accessToken, phoneNumberId) = (values[0], values[1])
        return await ProviderHTTP.post(
            provider: "Meta", url: "\(baseURL)/\(ProviderHTTP.pathSegment(phoneNumberId))/messages",
            headers: [("Authorization", "Bearer \(accessToken)"), ("Content-Type", "application/json")],
            body: Self.body(recipient: message.recipient, text: message.text),
            client: client, timeoutSeconds: timeoutSeconds
        ) { $0["messages"][0]["id"].stringValue }
    }

    /// The exact JSON of §6.7, keys in that order; Meta wants the number as digits only, without `+`.
    public static func body(recipient: String, text: String) -> [UInt8] {
        let digits = String(recipient.unicodeScalars.filter { ("0"..."9").contains($0) }.map(Character.init))
        return JSONWriter.bytes([
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": .string(digits), "type": "text",
            "text": ["preview_url": false, "body": .string(text)],
        ])
    }
}
