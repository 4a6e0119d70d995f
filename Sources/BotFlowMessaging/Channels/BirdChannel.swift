import AsyncHTTPClient
import BotFlowCore

/// Bird Channels API send (behaviour §6.7):
/// `POST {BIRD_API_BASE_URL}/workspaces/{workspaceId}/channels/{channelId}/messages`, `Authorization: AccessKey <accessKey>`;
/// id = response `id`.
public struct BirdChannel: ChannelAdapter {
    public let baseURL: String
    public let client: HTTPClient
    public let timeoutSeconds: Int

    public init(baseURL: String, client: HTTPClient = .shared, timeoutSeconds: Int) {
        self.baseURL = ProviderHTTP.trimmed(baseURL); self.client = client; self.timeoutSeconds = timeoutSeconds
    }

    public func send(_ message: OutboundSend) async -> DeliveryOutcome {
        let values: [String]
        switch ProviderHTTP.credentials(["accessKey", "workspaceId", "channelId"], in: message.credentials) {
        case .success(let v): values = v
        case .failure(let f): return .permanent(f.message)
        }
        let (accessKey, workspaceId, channelId) = (values[0], values[1], values[2])
        let url = "\(baseURL)/workspaces/\(ProviderHTTP.pathSegment(workspaceId))/channels/\(ProviderHTTP.pathSegment(channelId))/messages"
        return await ProviderHTTP.post(
            provider: "Bird", url: url,
            headers: [("Authorization", "AccessKey \(accessKey)"), ("Content-Type", "application/json")],
            body: Self.body(recipient: message.recipient, text: message.text),
            client: client, timeoutSeconds: timeoutSeconds
        ) { $0["id"].stringValue }
    }

    /// The exact JSON of §6.7; Bird addresses the contact by its `+E.164` number.
    public static func body(recipient: String, text: String) -> [UInt8] {
        JSONWriter.bytes([
            "receiver": ["contacts": [["identifierValue": .string(normalisePhone(recipient))]]],
            "body": ["type": "text", "text": ["text": .string(text)]],
        ])
    }
}
