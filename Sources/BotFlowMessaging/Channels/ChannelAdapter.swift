import BotFlowCore

/// What a channel needs to send one text message (behaviour §6.7).
public struct OutboundSend: Sendable {
    public var channel: String              // meta | bird | twilio | sandbox
    public var accountPhoneNumber: String   // the business number (E.164)
    public var recipient: String            // the customer (E.164)
    public var text: String
    /// The account's decrypted provider credentials (`accessToken`, `phoneNumberId`, `accessKey`, …).
    public var credentials: JSONObject

    public init(channel: String, accountPhoneNumber: String, recipient: String, text: String, credentials: JSONObject) {
        self.channel = channel; self.accountPhoneNumber = accountPhoneNumber; self.recipient = recipient
        self.text = text; self.credentials = credentials
    }
}

/// The result of one send attempt.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The provider accepted the message and gave it this id.
    case accepted(providerMessageId: String)
    /// Network error, timeout, HTTP 408, 429 or 5xx: try again with backoff.
    case retryable(String)
    /// Any other 4xx, missing or unreadable credentials: give up now.
    case permanent(String)
}

/// One provider's send API.
public protocol ChannelAdapter: Sendable {
    func send(_ message: OutboundSend) async -> DeliveryOutcome
}
