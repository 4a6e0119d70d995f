import BotFlowCore
import GRDB

public struct ConversationRecord: Sendable {
    public var id: String
    public var organizationId: String
    public var botId: String?
    public var whatsappAccountId: String
    public var customerPhone: String
    public var customerName: String
    public var status: String
    public var assignedTo: String?
    public var metadata: JSON
    public var startedAt: String
    public var endedAt: String?
    public var lastMessageAt: String?
    public var createdAt: String
    public var updatedAt: String

    public init(row: Row) {
        id = row["id"]; organizationId = row["organization_id"]; botId = row["bot_id"]; whatsappAccountId = row["whatsapp_account_id"]
        customerPhone = row["customer_phone"]; customerName = row["customer_name"]; status = row["status"]
        assignedTo = row["assigned_to"]; metadata = row.json("metadata", fallback: [:]); startedAt = row["started_at"]
        endedAt = row["ended_at"]; lastMessageAt = row["last_message_at"]; createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }

    /// Open conversations are the ones a new message joins and the bot may answer (`active`).
    public var isOpen: Bool { ["active", "pending", "handed_off"].contains(status) }
}

public struct MessageRecord: Sendable {
    public var id: String
    public var conversationId: String
    public var organizationId: String
    public var whatsappAccountId: String
    public var providerMessageId: String?
    public var direction: String
    public var messageType: String
    public var content: String?
    public var mediaURL: String?
    public var metadata: JSON
    public var status: String
    public var sentBy: String?
    public var sentByUserId: String?
    public var inReplyTo: String?
    public var responseTimeMs: Int?
    public var createdAt: String
    public var updatedAt: String
    /// Insertion order (rowid): the tie-breaker for messages stored in one transaction.
    public var seq: Int64

    public init(row: Row) {
        id = row["id"]; conversationId = row["conversation_id"]; organizationId = row["organization_id"]
        whatsappAccountId = row["whatsapp_account_id"]; providerMessageId = row["provider_message_id"]; direction = row["direction"]
        messageType = row["message_type"]; content = row["content"]; mediaURL = row["media_url"]
        metadata = row.json("metadata", fallback: [:]); status = row["status"]; sentBy = row["sent_by"]
        sentByUserId = row["sent_by_user_id"]; inReplyTo = row["in_reply_to"]; responseTimeMs = row["response_time_ms"]
        createdAt = row["created_at"]; updatedAt = row["updated_at"]; seq = row["rowid"] ?? 0
    }
}

public struct OutboxRecord: Sendable {
    public var id: String
    public var messageId: String
    public var whatsappAccountId: String
    public var channel: String
    public var recipient: String
    public var state: String
    public var attempts: Int
    public var providerMessageId: String?
    public var lastError: String?

    public init(row: Row) {
        id = row["id"]; messageId = row["message_id"]; whatsappAccountId = row["whatsapp_account_id"]; channel = row["channel"]
        recipient = row["recipient"]; state = row["state"]; attempts = row["attempts"]; providerMessageId = row["provider_message_id"]
        lastError = row["last_error"]
    }
}
