import BotFlowCore
import BotFlowJobs
import BotFlowSecurity
import BotFlowStorage
import GRDB
import Logging

/// The `deliver` job (behaviour §6.7): outbox state machine around one channel send. Permanent failures and the
/// last retryable one mark the outbox row and the message `failed` inside the transaction that marks the job dead.
public struct DeliverJobHandler: JobHandler {
    let credentials: CredentialCipher
    let adapters: @Sendable (String) -> (any ChannelAdapter)?
    let settings: Settings
    let afterCommit: @Sendable (PipelineEvent) -> Void

    public init(credentials: CredentialCipher, settings: Settings, adapters: @escaping @Sendable (String) -> (any ChannelAdapter)?,
                afterCommit: @escaping @Sendable (PipelineEvent) -> Void) {
        self.credentials = credentials; self.settings = settings; self.adapters = adapters; self.afterCommit = afterCommit
    }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        guard let outboxId = job.payload["outbox_id"].stringValue else { throw JobFailure("deliver job without outbox_id", retryable: false) }
        let loaded = try await env.database.read { db -> (OutboxRecord, MessageRecord, WhatsAppAccountRecord)? in
            guard let outbox = try MessageRepository.outbox(db, id: outboxId), let message = try MessageRepository.find(db, id: outbox.messageId),
                let account = try WhatsAppAccountRepository.find(db, id: outbox.whatsappAccountId)
            else { return nil }
            return (outbox, message, account)
        }
        guard let (outbox, message, account) = loaded else { throw JobFailure("Outbox row not found", retryable: false) }
        if outbox.state == "sent" || outbox.state == "failed" {
            _ = try await env.finish(job) { _, _ in }  // already settled (a retried job after a crash)
            return
        }
        guard account.provider == "sandbox" || account.status == "active" else { throw JobFailure("Account not connected", retryable: false) }
        var creds = JSONObject()
        if let envelope = account.credentialsEncrypted {
            do { creds = try credentials.open(envelope, table: "whatsapp_accounts", rowId: account.id) } catch {
                throw JobFailure("Credentials unreadable", retryable: false)
            }
        }
        guard let adapter = adapters(outbox.channel) else { throw JobFailure("No adapter for channel \(outbox.channel)", retryable: false) }

        // `sending` marks a network call in flight (crash recovery resends it); the sandbox makes none.
        if outbox.channel != "sandbox" {
            let now = env.clock.now()
            try await env.database.write { db in try MessageRepository.setOutbox(db, id: outboxId, state: "sending", now: now) }
        }
        let outcome = await adapter.send(OutboundSend(channel: outbox.channel, accountPhoneNumber: account.phoneNumber,
                                                      recipient: outbox.recipient, text: message.content ?? "", credentials: creds))
        switch outcome {
        case .accepted(let providerId):
            try await env.finish(job) { db, now in
                try MessageRepository.setOutbox(db, id: outboxId, state: "sent", attemptsDelta: 1, providerMessageId: providerId, sentAt: now, now: now)
                let current = try MessageRepository.find(db, id: message.id)?.status ?? "queued"
                let status = StatusOrder.forward(from: current, to: "sent") ? "sent" : current
                // Provider ids are unique per account (I-44). A provider repeating an id must not turn an accepted
                // send into a retry loop: the message keeps no provider id (the outbox row has it).
                let taken = try MessageRepository.find(db, accountId: message.whatsappAccountId, direction: "outbound",
                                                       providerMessageId: providerId).map { $0.id != message.id } ?? false
                try MessageRepository.setStatus(db, id: message.id, status: status, providerMessageId: taken ? nil : providerId, now: now)
            }
            afterCommit(.messageStatusChanged(organizationId: message.organizationId, conversationId: message.conversationId, messageId: message.id))
        case .retryable(let error):
            try await env.database.write { db in
                try MessageRepository.setOutbox(db, id: outboxId, state: "queued", attemptsDelta: 1, lastError: error, now: env.clock.now())
            }
            throw JobFailure(error, retryable: true)
        case .permanent(let error):
            try await env.database.write { db in
                try MessageRepository.setOutbox(db, id: outboxId, state: "sending", attemptsDelta: 1, lastError: error, now: env.clock.now())
            }
            throw JobFailure(error, retryable: false)
        }
    }

    public func died(_ job: ClaimedJob, error: String, db: Database, now: String) throws {
        guard let outboxId = job.payload["outbox_id"].stringValue, let outbox = try MessageRepository.outbox(db, id: outboxId) else { return }
        try MessageRepository.setOutbox(db, id: outboxId, state: "failed", lastError: error, now: now)
        guard let message = try MessageRepository.find(db, id: outbox.messageId) else { return }
        if message.status != "read" { try MessageRepository.setStatus(db, id: message.id, status: "failed", providerMessageId: nil, now: now) }
        try ConversationMetrics.recompute(db, conversationId: message.conversationId, costPer1KTokens: settings.costPer1KTokensUSD, now: now)
        afterCommit(.messageStatusChanged(organizationId: message.organizationId, conversationId: message.conversationId, messageId: message.id))
    }
}

/// Forward-only message statuses (behaviour §6.3): queued < sent < delivered < read; `failed` replaces anything but `read`.
public enum StatusOrder {
    static let rank = ["queued": 0, "sent": 1, "delivered": 2, "read": 3]

    public static func forward(from current: String, to next: String) -> Bool {
        if next == "failed" { return current != "read" && current != "failed" }
        if current == "failed" { return false }
        guard let a = rank[current], let b = rank[next] else { return false }
        return b > a
    }
}
