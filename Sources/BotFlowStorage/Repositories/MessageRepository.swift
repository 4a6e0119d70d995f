import BotFlowCore
import GRDB

/// `messages` and `outbox` (data-model §2.12–§2.13).
public enum MessageRepository {
    public static func find(_ db: Database, id: String) throws -> MessageRecord? {
        try db.cachedStatement(sql: "SELECT rowid, * FROM messages WHERE id = ?").decodeOne(arguments: [id], MessageRecord.init)
    }

    /// Webhook idempotency (I-44).
    public static func find(_ db: Database, accountId: String, direction: String, providerMessageId: String) throws -> MessageRecord? {
        try db.cachedStatement(sql: """
            SELECT rowid, * FROM messages WHERE whatsapp_account_id = ? AND direction = ? AND provider_message_id = ?
            """).decodeOne(arguments: [accountId, direction, providerMessageId], MessageRecord.init)
    }

    public struct NewMessage: Sendable {
        public var id = Identifiers.uuid()
        public var conversationId: String
        public var organizationId: String
        public var whatsappAccountId: String
        public var providerMessageId: String?
        public var direction: String
        public var messageType = "text"
        public var content: String?
        public var mediaURL: String?
        public var metadata: JSON = [:]
        public var status: String
        public var sentBy: String?
        public var sentByUserId: String?
        public var inReplyTo: String?
        public var responseTimeMs: Int?
        public var createdAt: String

        public init(conversationId: String, organizationId: String, whatsappAccountId: String, direction: String, status: String,
                    content: String?, createdAt: String) {
            self.conversationId = conversationId; self.organizationId = organizationId; self.whatsappAccountId = whatsappAccountId
            self.direction = direction; self.status = status; self.content = content; self.createdAt = createdAt
        }
    }

    public static func insert(_ db: Database, _ m: NewMessage) throws {
        try db.cachedStatement(sql: """
            INSERT INTO messages (id, conversation_id, organization_id, whatsapp_account_id, provider_message_id, direction,
                message_type, content, media_url, metadata, status, sent_by, sent_by_user_id, in_reply_to, response_time_ms,
                created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                m.id, m.conversationId, m.organizationId, m.whatsappAccountId, m.providerMessageId, m.direction, m.messageType,
                m.content, m.mediaURL, m.metadata.columnText, m.status, m.sentBy, m.sentByUserId, m.inReplyTo, m.responseTimeMs,
                m.createdAt, m.createdAt,
            ])
    }

    /// C4: the `limit` most recent messages strictly older than `before` (created_at, rowid), newest first;
    /// `limit + 1` rows so the caller can tell whether older ones exist.
    public static func page(_ db: Database, conversationId: String, before: MessageRecord?, limit: Int) throws -> [MessageRecord] {
        if let before {
            return try db.cachedStatement(sql: """
                SELECT rowid, * FROM messages WHERE conversation_id = ? AND (created_at < ? OR (created_at = ? AND rowid < ?))
                ORDER BY created_at DESC, rowid DESC LIMIT ?
                """).decodeAll(arguments: [conversationId, before.createdAt, before.createdAt, before.seq, limit + 1], MessageRecord.init)
        }
        return try db.cachedStatement(sql: """
            SELECT rowid, * FROM messages WHERE conversation_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?
            """).decodeAll(arguments: [conversationId, limit + 1], MessageRecord.init)
    }

    /// The last `limit` messages of a conversation before `messageId`, oldest first (LLM history).
    public static func history(_ db: Database, conversationId: String, before m: MessageRecord, limit: Int) throws -> [MessageRecord] {
        try db.cachedStatement(sql: """
            SELECT rowid, * FROM messages WHERE conversation_id = ? AND (created_at < ? OR (created_at = ? AND rowid < ?))
            ORDER BY created_at DESC, rowid DESC LIMIT ?
            """).decodeAll(arguments: [conversationId, m.createdAt, m.createdAt, m.seq, limit], MessageRecord.init).reversed()
    }

    public static func setStatus(_ db: Database, id: String, status: String, providerMessageId: String?, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE messages SET status = ?, provider_message_id = coalesce(?, provider_message_id), updated_at = ? WHERE id = ?
            """).execute(arguments: [status, providerMessageId, now, id])
    }

    /// A delivery's acceptance in one statement (behaviour §6.7 step 3): `queued` → `sent` (statuses only move forward),
    /// and the provider id recorded unless another outbound message of the account already has it — provider ids are
    /// unique per account (I-44), and a provider repeating one must not turn an accepted send into a retry loop.
    public static func markSent(_ db: Database, id: String, accountId: String, providerMessageId: String, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE messages SET status = CASE status WHEN 'queued' THEN 'sent' ELSE status END,
                provider_message_id = CASE WHEN EXISTS (
                    SELECT 1 FROM messages other WHERE other.whatsapp_account_id = ?1 AND other.direction = 'outbound'
                    AND other.provider_message_id = ?2 AND other.id <> ?4) THEN provider_message_id ELSE ?2 END,
                updated_at = ?3
            WHERE id = ?4
            """).execute(arguments: [accountId, providerMessageId, now, id])
    }

    public static func mergeMetadata(_ db: Database, id: String, _ patch: JSON, now: String) throws {
        try db.cachedStatement(sql: "UPDATE messages SET metadata = json_patch(metadata, ?), updated_at = ? WHERE id = ?")
            .execute(arguments: [patch.columnText, now, id])
    }

    // MARK: outbox

    /// A `queued` row for the deliver job, or (`sentProviderMessageId` set) a row already `sent` after one attempt
    /// (a sandbox delivery done in the inserting transaction).
    public static func insertOutbox(_ db: Database, id: String, messageId: String, accountId: String, channel: String,
                                    recipient: String, sentProviderMessageId: String? = nil, now: String) throws {
        let sent = sentProviderMessageId != nil
        try db.cachedStatement(sql: """
            INSERT INTO outbox (id, message_id, whatsapp_account_id, channel, recipient, state, attempts, provider_message_id, sent_at,
                                created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, messageId, accountId, channel, recipient, sent ? "sent" : "queued", sent ? 1 : 0,
                                     sentProviderMessageId, sent ? now : nil, now, now])
    }

    public static func outbox(_ db: Database, id: String) throws -> OutboxRecord? {
        try db.cachedStatement(sql: "SELECT * FROM outbox WHERE id = ?").decodeOne(arguments: [id], OutboxRecord.init)
    }

    public static func setOutbox(_ db: Database, id: String, state: String, attemptsDelta: Int = 0, providerMessageId: String? = nil,
                                 lastError: String? = nil, sentAt: String? = nil, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE outbox SET state = ?, attempts = attempts + ?, provider_message_id = coalesce(?, provider_message_id),
                last_error = coalesce(?, last_error), sent_at = coalesce(?, sent_at), updated_at = ?
            WHERE id = ?
            """).execute(arguments: [state, attemptsDelta, providerMessageId, lastError, sentAt, now, id])
    }

    /// Startup recovery: deliveries interrupted mid-send go back to `queued` (behaviour §1.3).
    @discardableResult
    public static func requeueSending(_ db: Database, now: String) throws -> Int {
        try db.execute(sql: "UPDATE outbox SET state = 'queued', updated_at = ? WHERE state = 'sending'", arguments: [now])
        return db.changesCount
    }
}
