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
                       metadata: JSON = [:], deliverSandboxInline: Bool = false, now: String) throws -> String {
        // A sandbox send has no I/O and is accepted at once (behaviour §6.7): done here, the message, its outbox row
        // and its deliver job are born in the state the deliver job would leave them in, in the same transaction.
        let sandboxId = deliverSandboxInline && account.provider == "sandbox" ? "sandbox_\(Identifiers.uuid())" : nil
        var row = MessageRepository.NewMessage(conversationId: conversation.id, organizationId: conversation.organizationId,
                                               whatsappAccountId: account.id, direction: "outbound", status: sandboxId == nil ? "queued" : "sent",
                                               content: text, createdAt: now)
        row.providerMessageId = sandboxId
        row.sentBy = sentBy
        row.sentByUserId = sentByUserId
        row.inReplyTo = inReplyTo
        row.responseTimeMs = responseTimeMs
        row.metadata = metadata
        try MessageRepository.insert(db, row)
        let outboxId = Identifiers.uuid()
        try MessageRepository.insertOutbox(db, id: outboxId, messageId: row.id, accountId: account.id, channel: account.provider,
                                           recipient: conversation.customerPhone, sentProviderMessageId: sandboxId, now: now)
        let deliver = JobSpec(type: .deliver, payload: ["outbox_id": .string(outboxId)], serialKey: "deliver:\(conversation.id)",
                              dedupeKey: "deliver:\(outboxId)", organizationId: conversation.organizationId)
        if sandboxId == nil { try JobQueue.enqueue(db, deliver, now: now) } else { try JobQueue.recordSucceeded(db, deliver, now: now) }
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
