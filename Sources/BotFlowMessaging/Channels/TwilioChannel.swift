import AsyncHTTPClient
import BotFlowCore
import Foundation

/// Twilio Messages API send (behaviour §6.7):
/// `POST {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{accountSid}/Messages.json`, HTTP Basic `accountSid:authToken`,
/// form `From`, `To`, `Body`, `StatusCallback`; id = `sid`.
public struct TwilioChannel: ChannelAdapter {
    public let baseURL: String
    /// `PUBLIC_BASE_URL/webhooks/twilio/whatsapp`: where Twilio reports delivery progress (WH2).
    public let statusCallbackURL: String
    public let client: HTTPClient
    public let timeoutSeconds: Int

    public init(baseURL: String, statusCallbackURL: String, client: HTTPClient = .shared, timeoutSeconds: Int) {
        self.baseURL = ProviderHTTP.trimmed(baseURL); self.statusCallbackURL = statusCallbackURL
        self.client = client; self.timeoutSeconds = timeoutSeconds
    }

    public func send(_ message: OutboundSend) async -> DeliveryOutcome {
        let values: [String]
        switch ProviderHTTP.credentials(["accountSid", "authToken"], in: message.credentials) {
        case .success(let v): values = v
        case .failure(let f): return .permanent(f.message)
        }
        let (accountSid, authToken) = (values[0], values[1])
        let basic = Data("\(accountSid):\(authToken)".utf8).base64EncodedString()
        return await ProviderHTTP.post(
            provider: "Twilio", url: "\(baseURL)/2010-04-01/Accounts/\(ProviderHTTP.pathSegment(accountSid))/Messages.json",
            headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(body(from: message.accountPhoneNumber, to: message.recipient, text: message.text).utf8),
            client: client, timeoutSeconds: timeoutSeconds
        ) { $0["sid"].stringValue }
    }

    /// The form of §6.7 in that order; both numbers carry Twilio's `whatsapp:` channel prefix.
    public func body(from accountPhone: String, to recipient: String, text: String) -> String {
        FormURLEncoded.encode([
            ("From", "whatsapp:" + normalisePhone(accountPhone)), ("To", "whatsapp:" + normalisePhone(recipient)),
            ("Body", text), ("StatusCallback", statusCallbackURL),
        ])
    }
}
