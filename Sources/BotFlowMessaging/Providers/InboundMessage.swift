import BotFlowCore

/// A customer message normalised from any provider payload (behaviour §6.1).
public struct InboundMessage: Sendable, Equatable {
    /// How the receiving WhatsApp account is identified.
    public enum AccountKey: Sendable, Equatable {
        /// Bird `channelId` → `whatsapp_accounts.bird_channel_id`.
        case birdChannel(String)
        /// Meta `metadata.phone_number_id` → `whatsapp_accounts.phone_number_id`.
        case metaPhoneNumberId(String)
        /// Twilio `To` / sandbox `to` → `whatsapp_accounts.phone_number` (E.164).
        case phoneNumber(String)
        /// Sandbox `whatsapp_account_id`.
        case accountId(String)
    }

    public var provider: String            // meta | bird | twilio | sandbox
    public var accountKey: AccountKey
    public var providerMessageId: String
    public var customerPhone: String       // normalised E.164 (`+…`)
    public var customerName: String?
    public var text: String
    public var messageType: String         // text | image | video | document | audio | location
    public var mediaURL: String?
    /// Extra message metadata (e.g. Meta `media_id`).
    public var extraMetadata: JSONObject

    public init(provider: String, accountKey: AccountKey, providerMessageId: String, customerPhone: String, customerName: String?,
                text: String, messageType: String = "text", mediaURL: String? = nil, extraMetadata: JSONObject = [:]) {
        self.provider = provider; self.accountKey = accountKey; self.providerMessageId = providerMessageId
        self.customerPhone = customerPhone; self.customerName = customerName; self.text = text
        self.messageType = messageType; self.mediaURL = mediaURL; self.extraMetadata = extraMetadata
    }
}

/// A provider's delivery report for an outbound message (Twilio `MessageStatus`, Meta `statuses[]`).
public struct StatusUpdate: Sendable, Equatable {
    public var accountKey: InboundMessage.AccountKey
    public var providerMessageId: String
    /// Mapped to the message statuses: sent | delivered | read | failed.
    public var status: String
    public var error: String?

    public init(accountKey: InboundMessage.AccountKey, providerMessageId: String, status: String, error: String? = nil) {
        self.accountKey = accountKey; self.providerMessageId = providerMessageId; self.status = status; self.error = error
    }
}

/// Phone normalisation of behaviour §6.1: strip `whatsapp:`, spaces and dashes; add a leading `+` when missing.
public func normalisePhone(_ raw: String) -> String {
    var s = Formats.stripWhatsAppPrefix(raw.trimmingWhitespace())
    s.removeAll { $0 == " " || $0 == "-" }
    if !s.isEmpty, !s.hasPrefix("+") { s = "+" + s }
    return s
}
