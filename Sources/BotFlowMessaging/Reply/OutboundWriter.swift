import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB

/// Stores outbound messages with their outbox row and `deliver` job (behaviour §6.5 Finish, §6.7), and applies
/// handoffs (§6.6). Shared by the reply job, workflow resumes and agent replies.
enum OutboundWriter {
    /// Inserts one outbound message + outbox row + deliver job; returns the message id.
    static func insert(_ db: Database, conversation: ConversationRecord, account: WhatsAppAccountRecord, text: String,
                       sentBy: String, sentByUserId: String? = nil, inReplyTo: String? = nil, responseTimeMs: Int? = nil,
                       metadata: JSON = [:], now: String) throws -> String {
        var row = MessageRepository.NewMessage(conversationId: conversation.id, organizationId: conversation.organizationId,
                                               whatsappAccountId: account.id, direction: "outbound", status: "queued",
                                               content: text, createdAt: now)
        row.sentBy = sentBy
        row.sentByUserId = sentByUserId
        row.inReplyTo = inReplyTo
        row.responseTimeMs = responseTimeMs
        row.metadata = metadata
        try MessageRepository.insert(db, row)
        let outboxId = Identifiers.uuid()
        try MessageRepository.insertOutbox(db, id: outboxId, messageId: row.id, accountId: account.id, channel: account.provider,
                                           recipient: conversation.customerPhone, now: now)
        try JobQueue.enqueue(db, JobSpec(type: .deliver, payload: ["outbox_id": .string(outboxId)], serialKey: "deliver:\(conversation.id)",
                                         dedupeKey: "deliver:\(outboxId)", organizationId: conversation.organizationId), now: now)
        return row.id
    }

    /// The effect of a handoff: `handed_off`, the request time and reason, and a waiting execution cancelled.
    static func handOff(_ conversation: inout ConversationRecord, reason: String?, db: Database, now: String) throws {
        conversation.status = "handed_off"
        if let reason {
            var metadata = conversation.metadata.objectValue ?? [:]
            metadata["handoff_requested_at"] = .string(now)
            metadata["handoff_reason"] = .string(reason)
            conversation.metadata = .object(metadata)
        }
        try ExecutionRepository.cancelOpen(db, conversationId: conversation.id, now: now)
    }
}
