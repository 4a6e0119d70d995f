import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB
import Logging

/// The durable store of behaviour §6.3 with group commit: concurrent inbound messages share one write transaction
/// (one fsync), each inside its own savepoint so one bad message never fails the others, and every caller is
/// answered only after the commit that holds its message.
public actor InboundIngestor {
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
    }

    struct Pending {
        let message: InboundMessage
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    let database: AppDatabase
    let clock: any AppClock
    let logger: Logger
    let afterCommit: @Sendable ([Stored]) -> Void
    private var pending: [Pending] = []
    private var flushing = false
    /// Upper bound of messages per transaction (keeps a batch's latency bounded under load).
    let maxBatch = 256

    /// `afterCommit` runs once per committed batch with the new (non-duplicate) messages: wake workers, invalidate
    /// caches, publish events.
    public init(database: AppDatabase, clock: any AppClock, logger: Logger, afterCommit: @escaping @Sendable ([Stored]) -> Void) {
        self.database = database; self.clock = clock; self.logger = logger; self.afterCommit = afterCommit
    }

    /// Stores the message durably; returns after its transaction committed.
    public func ingest(_ message: InboundMessage) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(message: message, continuation: continuation))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            let now = clock.now()
            let messages = batch.map(\.message)
            do {
                let results = try await database.write { db in
                    messages.map { message -> Result<Outcome, any Error> in
                        do {
                            var outcome = Outcome.unknownAccount
                            try db.inSavepoint {
                                outcome = try InboundWriter.store(db, message, now: now)
                                return .commit
                            }
                            return .success(outcome)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var fresh: [Stored] = []
                for (item, result) in zip(batch, results) {
                    if case .success(.stored(let s)) = result, !s.duplicate { fresh.append(s) }
                    if case .failure(let error) = result {
                        logger.error("inbound message not stored", metadata: ["provider": "\(item.message.provider)", "error": "\(error)"])
                    }
                    item.continuation.resume(with: result)
                }
                if !fresh.isEmpty { afterCommit(fresh) }
            } catch {
                logger.error("inbound batch commit failed", metadata: ["count": "\(batch.count)", "error": "\(error)"])
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        flushing = false
    }
}

/// The per-message steps of behaviour §6.3 inside the batch transaction.
enum InboundWriter {
    static func store(_ db: Database, _ m: InboundMessage, now: String) throws -> InboundIngestor.Outcome {
        guard let account = try resolveAccount(db, m.accountKey), account.status != "suspended", account.status != "disconnected" else {
            return .unknownAccount
        }
        // 1. Redelivery: acknowledge as if new, create nothing.
        if let existing = try MessageRepository.find(db, accountId: account.id, direction: "inbound", providerMessageId: m.providerMessageId) {
            return .stored(.init(organizationId: existing.organizationId, accountId: account.id, conversationId: existing.conversationId,
                                 messageId: existing.id, duplicate: true))
        }
        // 2. Route (§6.2).
        var firstInConversation = false
        var conversation: ConversationRecord
        if let open = try ConversationRepository.findOpen(db, accountId: account.id, customerPhone: m.customerPhone) {
            conversation = open
            var changed = false
            if conversation.botId == nil, let bot = try ConversationRepository.defaultBotId(db, accountId: account.id) {
                conversation.botId = bot
                changed = true
            }
            if conversation.customerName == "Unknown", let name = m.customerName, !name.isEmpty {
                conversation.customerName = name
                changed = true
            }
            conversation.lastMessageAt = now
            conversation.updatedAt = now
            if changed { try ConversationRepository.save(db, conversation) } else { try ConversationRepository.touchLastMessage(db, id: conversation.id, at: now) }
        } else {
            let id = Identifiers.uuid()
            let botId = try ConversationRepository.defaultBotId(db, accountId: account.id)
            let name = (m.customerName?.isEmpty == false) ? m.customerName! : "Unknown"
            try ConversationRepository.insert(db, id: id, organizationId: account.organizationId, botId: botId, accountId: account.id,
                                              customerPhone: m.customerPhone, customerName: name, now: now)
            try ConversationRepository.touchLastMessage(db, id: id, at: now)
            conversation = try ConversationRepository.find(db, id: id)!
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
        // 5. The bot answers asynchronously.
        if conversation.botId != nil {
            try JobQueue.enqueue(db, JobSpec(type: .reply, payload: ["message_id": .string(row.id)],
                                             serialKey: "reply:\(conversation.id)", dedupeKey: "reply:\(row.id)",
                                             organizationId: conversation.organizationId), now: now)
        }
        return .stored(.init(organizationId: conversation.organizationId, accountId: account.id, conversationId: conversation.id,
                             messageId: row.id, duplicate: false))
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
