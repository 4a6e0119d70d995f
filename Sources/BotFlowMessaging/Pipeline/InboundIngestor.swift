import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB
import Logging

/// The durable store of behaviour §6.3. Each message is written in its own (savepoint of a) transaction through
/// `AppDatabase.write`, whose group commit lets concurrent webhooks share one fsync; the caller is answered only
/// after the commit that holds its message.
public struct InboundIngestor: Sendable {
    public enum Outcome: Sendable, Equatable {
        case stored(Stored)
        /// No connected account for the key (or it is suspended/disconnected).
        case unknownAccount
    }

    public struct Stored: Sendable, Equatable {
        public let organizationId: String
        public let accountId: String
        public let conversationId: String
        public let messageId: String
        public let duplicate: Bool
        /// Bot messages written by the same transaction (an inline reply); empty when the reply job answers.
        public var replyMessageIds: [String] = []
    }

    let database: AppDatabase
    let clock: any AppClock
    let logger: Logger
    let afterCommit: @Sendable (Stored) -> Void
    /// Composes replies that need no I/O inside the storing transaction (the others are queued jobs).
    let inlineReplier: InlineReplier

    /// `afterCommit` runs for each newly stored (non-duplicate) message: wake workers, invalidate caches, publish events.
    init(database: AppDatabase, clock: any AppClock, logger: Logger, inlineReplier: InlineReplier,
         afterCommit: @escaping @Sendable (Stored) -> Void) {
        self.database = database; self.clock = clock; self.logger = logger; self.inlineReplier = inlineReplier
        self.afterCommit = afterCommit
    }

    /// Stores the message durably; returns after its transaction committed. `sandboxOf`: the account must be a
    /// sandbox account of this organization (WH5), checked in the same transaction instead of a read before it —
    /// another organization's account is unknown (`unknownAccount`), another provider's throws 400.
    public func ingest(_ message: InboundMessage, sandboxOf organizationId: String? = nil) async throws -> Outcome {
        let now = clock.now()
        let outcome = try await database.write { [inlineReplier] db in
            try InboundWriter.store(db, message, sandboxOf: organizationId, inlineReplier: inlineReplier, now: now)
        }
        if case .stored(let s) = outcome, !s.duplicate { afterCommit(s) }
        return outcome
    }
}

/// The per-message steps of behaviour §6.3 inside the batch transaction.
enum InboundWriter {
    static func store(_ db: Database, _ m: InboundMessage, sandboxOf organizationId: String? = nil, inlineReplier: InlineReplier,
                      now: String) throws -> InboundIngestor.Outcome {
        guard let account = try resolveAccount(db, m.accountKey) else { return .unknownAccount }
        if let organizationId {
            guard account.organizationId == organizationId else { return .unknownAccount }
            guard account.provider == "sandbox" else { throw APIError.plain(400, "Not a sandbox account") }
        }
        guard account.status != "suspended", account.status != "disconnected" else { return .unknownAccount }
        // 1. Redelivery: acknowledge as if new, create nothing.
        if let existing = try MessageRepository.find(db, accountId: account.id, direction: "inbound", providerMessageId: m.providerMessageId) {
            return .stored(.init(organizationId: existing.organizationId, accountId: account.id, conversationId: existing.conversationId,
                                 messageId: existing.id, duplicate: true))
        }
        // 2. Route (§6.2).
        var firstInConversation = false
        // What the rest of the steps need of the conversation (a new one is not read back after its insert).
        let conversation: (id: String, organizationId: String, botId: String?)
        if var open = try ConversationRepository.findOpen(db, accountId: account.id, customerPhone: m.customerPhone) {
            var changed = false
            if open.botId == nil, let bot = try ConversationRepository.defaultBotId(db, accountId: account.id) {
                open.botId = bot
                changed = true
            }
            if open.customerName == "Unknown", let name = m.customerName, !name.isEmpty {
                open.customerName = name
                changed = true
            }
            open.lastMessageAt = now
            open.updatedAt = now
            if changed { try ConversationRepository.save(db, open) } else { try ConversationRepository.touchLastMessage(db, id: open.id, at: now) }
            conversation = (open.id, open.organizationId, open.botId)
        } else {
            let id = Identifiers.uuid()
            let botId = try ConversationRepository.defaultBotId(db, accountId: account.id)
            let name = (m.customerName?.isEmpty == false) ? m.customerName! : "Unknown"
            try ConversationRepository.insert(db, id: id, organizationId: account.organizationId, botId: botId, accountId: account.id,
                                              customerPhone: m.customerPhone, customerName: name, lastMessageAt: now, now: now)
            conversation = (id, account.organizationId, botId)
            firstInConversation = true
        }
        // 3. Insert the message.
        var metadata: JSONObject = ["provider": .string(m.provider)]
        if let name = m.customerName, !name.isEmpty { metadata["profile_name"] = .string(name) }
        if firstInConversation { metadata["first_in_conversation"] = true }
        for (k, v) in m.extraMetadata { metadata[k] = v }
        var row = MessageRepository.NewMessage(conversationId: conversation.id, organizationId: conversation.organizationId,
                                               whatsappAccountId: account.id, direction: "inbound", status: "delivered",
                                               content: m.text, createdAt: now)
        row.providerMessageId = m.providerMessageId
        row.messageType = m.messageType
        row.mediaURL = m.mediaURL
        row.metadata = .object(metadata)
        try MessageRepository.insert(db, row)
        // 5. The bot answers: in this transaction when the reply needs no I/O, else through the queued reply job.
        var replies: [String] = []
        if conversation.botId != nil {
            let job = JobSpec(type: .reply, payload: ["message_id": .string(row.id)], serialKey: "reply:\(conversation.id)",
                              dedupeKey: "reply:\(row.id)", organizationId: conversation.organizationId)
            if let ids = try inlineReplier.reply(db, messageId: row.id, account: account, newConversation: firstInConversation, job: job) {
                replies = ids
            } else {
                try JobQueue.enqueue(db, job, now: now)
            }
        }
        return .stored(.init(organizationId: conversation.organizationId, accountId: account.id, conversationId: conversation.id,
                             messageId: row.id, duplicate: false, replyMessageIds: replies))
    }

    static func resolveAccount(_ db: Database, _ key: InboundMessage.AccountKey) throws -> WhatsAppAccountRecord? {
        let (column, value): (String, String)
        switch key {
        case .birdChannel(let v): (column, value) = ("bird_channel_id", v)
        case .metaPhoneNumberId(let v): (column, value) = ("phone_number_id", v)
        case .phoneNumber(let v): (column, value) = ("phone_number", v)
        case .accountId(let v): (column, value) = ("id", v)
        }
        return try WhatsAppAccountRepository.findBy(db, column: column, value: value)
    }
}
