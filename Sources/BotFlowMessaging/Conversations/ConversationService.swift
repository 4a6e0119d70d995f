import BotFlowCore
import BotFlowDomain
import BotFlowJobs
import BotFlowSecurity
import BotFlowStorage
import GRDB

/// Conversations and messages C1–C5 and the agent send W3 (api.md §4.10, §4.4).
public struct ConversationService: Sendable {
    let database: AppDatabase
    let clock: any AppClock
    let settings: Settings
    let afterCommit: @Sendable (PipelineEvent) -> Void

    public init(database: AppDatabase, clock: any AppClock, settings: Settings, afterCommit: @escaping @Sendable (PipelineEvent) -> Void) {
        self.database = database; self.clock = clock; self.settings = settings; self.afterCommit = afterCommit
    }

    static let notFound = APIError.notFound("Conversation not found")
    public static let statuses = ["active", "pending", "handed_off", "resolved", "archived"]

    public struct Page<T: Sendable>: Sendable { public let items: [T]; public let nextCursor: String? }

    /// C1 with an opaque cursor (base64url of `created_at|id` of the last item).
    public func list(identity: Identity, query: [String: String]) async throws -> Page<ConversationRecord> {
        let orgId = try identity.organizationId()
        var v = QueryValidator(query)
        let limit = v.limit()
        let status = v.oneOf("status", Self.statuses)
        let cursor = v.cursor { Cursor.decode($0) }
        try v.finish()
        let filter = ConversationRepository.ListFilter(status: status, botId: query["bot_id"],
                                                       customerPhone: query["customer_phone"].map(normalisePhone))
        let rows = try await database.read { db in
            try ConversationRepository.list(db, organizationId: orgId, filter: filter, after: cursor, limit: limit)
        }
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { Cursor.encode($0.createdAt, $0.id) } : nil
        return Page(items: items, nextCursor: next)
    }

    public func get(_ id: String, identity: Identity) async throws -> ConversationRecord {
        let orgId = try identity.organizationId()
        guard let c = try await database.read({ db in try ConversationRepository.find(db, id: id, organizationId: orgId) }) else { throw Self.notFound }
        return c
    }

    /// C3: status and assignment.
    public func update(_ id: String, body: JSON, identity: Identity) async throws -> ConversationRecord {
        let orgId = try identity.organizationId()
        var v = Validator(body)
        let status = v.string("status", oneOf: Self.statuses)
        var assigneeInput: String??
        if v.has("assigned_to") {
            if v.isNull("assigned_to") { assigneeInput = .some(nil) } else if let a = v.string("assigned_to", format: .uuid) { assigneeInput = .some(a.lowercased()) }
        }
        try v.finish()
        let now = clock.now()
        let cost = settings.costPer1KTokensUSD
        let assignee = assigneeInput
        let conversation = try await database.write { db -> ConversationRecord in
            guard var c = try ConversationRepository.find(db, id: id, organizationId: orgId) else { throw Self.notFound }
            if case .some(.some(let userId)) = assignee, try OrganizationRepository.membership(db, userId: userId, organizationId: orgId) == nil {
                throw APIError.validation([ValidationIssue(path: ["assigned_to"], message: "User is not a member of this organization", code: .custom)])
            }
            if let status, status != c.status {
                let reopening = !c.isOpen && ["active", "pending", "handed_off"].contains(status)
                if reopening, let other = try ConversationRepository.findOpen(db, accountId: c.whatsappAccountId, customerPhone: c.customerPhone),
                    other.id != c.id
                {
                    throw APIError.conflict("Another open conversation exists for this customer")
                }
                if status == "resolved" || status == "archived" { c.endedAt = now } else if reopening { c.endedAt = nil }
                if status != "active" { try ExecutionRepository.cancelOpen(db, conversationId: c.id, now: now) }
                c.status = status
            }
            if let assignee { c.assignedTo = assignee }
            c.updatedAt = now
            try ConversationRepository.save(db, c)
            try ConversationMetrics.recompute(db, conversationId: c.id, costPer1KTokens: cost, now: now)
            return c
        }
        afterCommit(.conversationChanged(organizationId: orgId, conversationId: conversation.id))
        return conversation
    }

    /// C4: `limit` messages strictly older than `before`/`cursor` (a message id), returned oldest first.
    public func messages(_ id: String, identity: Identity, query: [String: String]) async throws -> Page<MessageRecord> {
        let orgId = try identity.organizationId()
        var v = QueryValidator(query)
        let limit = v.limit()
        let beforeId = query["before"] ?? query["cursor"]
        try v.finish()
        return try await database.read { db in
            guard try ConversationRepository.find(db, id: id, organizationId: orgId) != nil else { throw Self.notFound }
            var before: MessageRecord?
            if let beforeId {
                guard let m = try MessageRepository.find(db, id: beforeId), m.conversationId == id else {
                    throw APIError.validation([ValidationIssue(path: [query["before"] != nil ? "before" : "cursor"], message: "Unknown message id", code: .custom)])
                }
                before = m
            }
            let rows = try MessageRepository.page(db, conversationId: id, before: before, limit: limit)
            let items = Array(rows.prefix(limit))
            return Page(items: items.reversed(), nextCursor: rows.count > limit ? items.last?.id : nil)
        }
    }

    /// C5: an agent's reply; the conversation becomes `handed_off` so the bot stays silent.
    public func reply(_ id: String, body: JSON, identity: Identity) async throws -> MessageRecord {
        let orgId = try identity.organizationId()
        var v = Validator(body)
        let content = v.string("content", required: true, min: 1, max: 4096)
        try v.finish()
        let now = clock.now()
        let cost = settings.costPer1KTokensUSD
        let message = try await database.write { db -> MessageRecord in
            guard var c = try ConversationRepository.find(db, id: id, organizationId: orgId) else { throw Self.notFound }
            guard c.isOpen else { throw APIError.conflict("Conversation is closed") }
            guard let account = try WhatsAppAccountRepository.find(db, id: c.whatsappAccountId) else { throw Self.notFound }
            return try Self.agentSend(db, conversation: &c, account: account, text: content!, userId: identity.userId, cost: cost, now: now)
        }
        afterCommit(.messagesStored(organizationId: orgId, conversationId: id, messageIds: [message.id]))
        return message
    }

    /// W3: send as an agent to a phone number, opening a conversation when needed.
    public func send(body: JSON, identity: Identity) async throws -> (MessageRecord, String) {
        let orgId = try identity.organizationId()
        var v = Validator(body)
        var toInput: String?
        if let raw = v.string("to", required: true) {
            let phone = normalisePhone(raw)
            if Formats.isE164(phone) { toInput = phone } else { v.fail("to", "Invalid phone number (E.164 expected)", .invalid_string) }
        }
        let contentKey = ["content", "message", "text"].first(where: v.has) ?? "content"
        let content = v.string(contentKey, required: true, min: 1, max: 4096)
        let accountId = v.string("whatsapp_account_id", format: .uuid)?.lowercased()
        try v.finish()
        guard let to = toInput, let content else { throw APIError.validation(v.issues) }
        let now = clock.now()
        let cost = settings.costPer1KTokensUSD
        let (message, conversationId) = try await database.write { db -> (MessageRecord, String) in
            let account: WhatsAppAccountRecord
            if let accountId {
                guard let a = try WhatsAppAccountRepository.find(db, id: accountId, organizationId: orgId) else {
                    throw APIError.notFound("WhatsApp account not found")
                }
                account = a
            } else {
                let usable = try WhatsAppAccountRepository.list(db, organizationId: orgId).filter { $0.status == "pending" || $0.status == "active" }
                guard usable.count == 1 else {
                    throw APIError.validation([ValidationIssue(path: ["whatsapp_account_id"], message: "Required", code: .required)])
                }
                account = usable[0]
            }
            var c: ConversationRecord
            if let open = try ConversationRepository.findOpen(db, accountId: account.id, customerPhone: to) {
                c = open
            } else {
                let newId = Identifiers.uuid()
                try ConversationRepository.insert(db, id: newId, organizationId: orgId,
                                                  botId: try ConversationRepository.defaultBotId(db, accountId: account.id),
                                                  accountId: account.id, customerPhone: to, customerName: "Unknown", now: now)
                c = try ConversationRepository.find(db, id: newId)!
            }
            let m = try Self.agentSend(db, conversation: &c, account: account, text: content, userId: identity.userId, cost: cost, now: now)
            return (m, c.id)
        }
        afterCommit(.messagesStored(organizationId: orgId, conversationId: conversationId, messageIds: [message.id]))
        return (message, conversationId)
    }

    static func agentSend(_ db: Database, conversation c: inout ConversationRecord, account: WhatsAppAccountRecord, text: String,
                          userId: String, cost: Double, now: String) throws -> MessageRecord {
        guard account.status != "suspended" && account.status != "disconnected" else { throw APIError.conflict("WhatsApp account is not active") }
        let id = try OutboundWriter.insert(db, conversation: c, account: account, text: text, sentBy: "human", sentByUserId: userId, now: now)
        if c.status != "handed_off" { try OutboundWriter.handOff(&c, reason: nil, db: db, now: now) }
        if c.assignedTo == nil { c.assignedTo = userId }
        c.lastMessageAt = now
        c.updatedAt = now
        try ConversationRepository.save(db, c)
        try ConversationMetrics.recompute(db, conversationId: c.id, costPer1KTokens: cost, now: now)
        return try MessageRepository.find(db, id: id)!
    }
}

/// Opaque conversation cursors: base64url of `<created_at>|<id>`.
enum Cursor {
    static func encode(_ createdAt: String, _ id: String) -> String {
        Base64URLText.encode(createdAt + "|" + id)
    }

    static func decode(_ text: String) -> (String, String)? {
        guard let raw = Base64URLText.decode(text) else { return nil }
        let parts = raw.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, Timestamp.parse(parts[0]) != nil, !parts[1].isEmpty else { return nil }
        return (parts[0], parts[1])
    }
}

enum Base64URLText {
    static func encode(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }

    static func decode(_ text: String) -> String? {
        guard let bytes = Base64URL.decode(text) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
