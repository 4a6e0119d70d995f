import BotFlowCore
import GRDB

/// `conversations` and `conversation_context` (data-model §2.10–§2.11).
public enum ConversationRepository {
    public static func find(_ db: Database, id: String, organizationId: String) throws -> ConversationRecord? {
        try db.cachedStatement(sql: "SELECT * FROM conversations WHERE id = ? AND organization_id = ?").decodeOne(arguments: [id, organizationId], ConversationRecord.init)
    }

    /// Internal lookup for jobs (the job's payload came from a trusted write).
    public static func find(_ db: Database, id: String) throws -> ConversationRecord? {
        try db.cachedStatement(sql: "SELECT * FROM conversations WHERE id = ?").decodeOne(arguments: [id], ConversationRecord.init)
    }

    /// The open conversation for (account, customer) (I-40).
    public static func findOpen(_ db: Database, accountId: String, customerPhone: String) throws -> ConversationRecord? {
        try db.cachedStatement(sql: """
            SELECT * FROM conversations WHERE whatsapp_account_id = ? AND customer_phone = ? AND status IN ('active','pending','handed_off')
            """).decodeOne(arguments: [accountId, customerPhone], ConversationRecord.init)
    }

    /// `lastMessageAt` is set when the conversation is opened by a message (webhooks), nil otherwise.
    public static func insert(_ db: Database, id: String, organizationId: String, botId: String?, accountId: String,
                              customerPhone: String, customerName: String, lastMessageAt: String? = nil, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO conversations (id, organization_id, bot_id, whatsapp_account_id, customer_phone, customer_name, status,
                                       started_at, last_message_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)
            """).execute(arguments: [id, organizationId, botId, accountId, customerPhone, customerName, now, lastMessageAt, now, now])
    }

    /// The account's oldest active bot (I-38): the bot new conversations get.
    public static func defaultBotId(_ db: Database, accountId: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM bots WHERE whatsapp_account_id = ? AND is_active = 1 ORDER BY created_at, rowid LIMIT 1
            """), arguments: [accountId])
    }

    public static func save(_ db: Database, _ c: ConversationRecord) throws {
        try db.cachedStatement(sql: """
            UPDATE conversations SET bot_id = ?, customer_name = ?, status = ?, assigned_to = ?, metadata = ?, ended_at = ?,
                last_message_at = ?, updated_at = ?
            WHERE id = ?
            """).execute(arguments: [c.botId, c.customerName, c.status, c.assignedTo, c.metadata.columnText, c.endedAt,
                                     c.lastMessageAt, c.updatedAt, c.id])
    }

    public static func touchLastMessage(_ db: Database, id: String, at: String) throws {
        try db.cachedStatement(sql: "UPDATE conversations SET last_message_at = ?, updated_at = ? WHERE id = ?")
            .execute(arguments: [at, at, id])
    }

    public struct ListFilter: Sendable {
        public var status: String?
        public var botId: String?
        public var customerPhone: String?
        public init(status: String? = nil, botId: String? = nil, customerPhone: String? = nil) {
            self.status = status; self.botId = botId; self.customerPhone = customerPhone
        }
    }

    /// C1: newest first (`created_at` desc, `id` desc) after the (created_at, id) cursor, `limit + 1` rows to tell
    /// whether more exist.
    public static func list(_ db: Database, organizationId: String, filter: ListFilter, after cursor: (String, String)?, limit: Int) throws -> [ConversationRecord] {
        var sql = "SELECT * FROM conversations WHERE organization_id = ?"
        var args: [any DatabaseValueConvertible] = [organizationId]
        if let s = filter.status { sql += " AND status = ?"; args.append(s) }
        if let b = filter.botId { sql += " AND bot_id = ?"; args.append(b) }
        if let p = filter.customerPhone { sql += " AND customer_phone = ?"; args.append(p) }
        if let (createdAt, id) = cursor { sql += " AND (created_at < ? OR (created_at = ? AND id < ?))"; args += [createdAt, createdAt, id] }
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        args.append(limit + 1)
        return try db.cachedStatement(sql: sql).decodeAll(arguments: StatementArguments(args), ConversationRecord.init)
    }

    public static func context(_ db: Database, conversationId: String) throws -> JSON? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT context_data FROM conversation_context WHERE conversation_id = ?"),
                         arguments: [conversationId]).map { $0.json("context_data", fallback: [:]) }
    }

    public static func saveContext(_ db: Database, conversationId: String, data: JSON, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO conversation_context (id, conversation_id, context_data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (conversation_id) DO UPDATE SET context_data = excluded.context_data, updated_at = excluded.updated_at
            """).execute(arguments: [Identifiers.uuid(), conversationId, data.columnText, now, now])
    }
}
