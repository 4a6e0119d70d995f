import BotFlowCore
import BotFlowJobs
import BotFlowSecurity
import BotFlowStorage
import GRDB
import Logging

/// The `deliver` job (behaviour §6.7): outbox state machine around one channel send. Permanent failures and the
/// last retryable one mark the outbox row and the message `failed` inside the transaction that marks the job dead.
public struct DeliverJobHandler: BatchJobHandler {
    let credentials: CredentialCipher
    let adapters: @Sendable (String) -> (any ChannelAdapter)?
    let settings: Settings
    let afterCommit: @Sendable (PipelineEvent) -> Void

    public init(credentials: CredentialCipher, settings: Settings, adapters: @escaping @Sendable (String) -> (any ChannelAdapter)?,
                afterCommit: @escaping @Sendable (PipelineEvent) -> Void) {
        self.credentials = credentials; self.settings = settings; self.adapters = adapters; self.afterCommit = afterCommit
    }

    /// One delivery, resolved before any I/O.
    private enum Step {
        case settled                                   // already sent/failed (a retried job after a crash)
        case send(OutboundSend, outboxId: String, message: MessageRecord)
        case fail(JobFailure)
    }

    /// Delivers a batch: one read transaction loads the rows, in-flight sends are marked `sending` together, the
    /// channel calls run concurrently, and one write transaction records every accepted send with its job.
    public func runBatch(_ jobs: [ClaimedJob], _ env: JobEnvironment) async -> [Result<Void, any Error>] {
        let steps: [Step]
        do {
            steps = try await env.database.read { db in try jobs.map { try prepare($0, db) } }
        } catch {
            return jobs.map { _ in .failure(error) }
        }
        // `sending` marks a network call in flight (crash recovery resends it); the sandbox makes none.
        let inFlight = steps.compactMap { step -> String? in
            if case .send(let send, let outboxId, _) = step, send.channel != "sandbox" { return outboxId }
            return nil
        }
        if !inFlight.isEmpty {
            let now = env.clock.now()
            do {
                try await env.database.write { db in for id in inFlight { try MessageRepository.setOutbox(db, id: id, state: "sending", now: now) } }
            } catch {
                return jobs.map { _ in .failure(error) }
            }
        }
        let outcomes = await withTaskGroup(of: (Int, DeliveryOutcome).self) { group -> [DeliveryOutcome?] in
            for (index, step) in steps.enumerated() {
                guard case .send(let send, _, _) = step, let adapter = adapters(send.channel) else { continue }
                group.addTask { (index, await adapter.send(send)) }
            }
            var outcomes = [DeliveryOutcome?](repeating: nil, count: steps.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }

        // Accepted and already-settled jobs complete together; failures are recorded on the outbox row and reported.
        var results = [Result<Void, any Error>](repeating: .success(()), count: jobs.count)
        var completing: [Int] = []
        var failedRows: [(outboxId: String, error: JobFailure)] = []
        for (index, step) in steps.enumerated() {
            switch (step, outcomes[index]) {
            case (.settled, _), (.send, .accepted?): completing.append(index)
            case (.fail(let failure), _): results[index] = .failure(failure)
            case (.send(_, let outboxId, _), .retryable(let error)?):
                failedRows.append((outboxId, JobFailure(error, retryable: true)))
                results[index] = .failure(JobFailure(error, retryable: true))
            case (.send(_, let outboxId, _), .permanent(let error)?):
                failedRows.append((outboxId, JobFailure(error, retryable: false)))
                results[index] = .failure(JobFailure(error, retryable: false))
            case (.send(let send, _, _), nil):
                results[index] = .failure(JobFailure("No adapter for channel \(send.channel)", retryable: false))
            }
        }
        let failures = failedRows, toComplete = completing
        do {
            if !failures.isEmpty {
                let now = env.clock.now()
                try await env.database.write { db in
                    for row in failures {
                        // Retryable: back to `queued` for the next attempt; permanent: the job's death marks it `failed`.
                        try MessageRepository.setOutbox(db, id: row.outboxId, state: row.error.retryable ? "queued" : "sending",
                                                        attemptsDelta: 1, lastError: row.error.message, now: now)
                    }
                }
            }
            let done = try await env.finishEach(toComplete.map { jobs[$0] }) { db, now, position -> MessageRecord? in
                let index = toComplete[position]
                guard case .send(_, let outboxId, let message) = steps[index], case .accepted(let providerId)? = outcomes[index] else { return nil }
                try MessageRepository.setOutbox(db, id: outboxId, state: "sent", attemptsDelta: 1, providerMessageId: providerId, sentAt: now, now: now)
                try MessageRepository.markSent(db, id: message.id, accountId: message.whatsappAccountId, providerMessageId: providerId, now: now)
                return message
            }
            for (position, result) in done.enumerated() {
                results[toComplete[position]] = result.map { message in
                    if let message {
                        afterCommit(.messageStatusChanged(organizationId: message.organizationId, conversationId: message.conversationId,
                                                          messageId: message.id))
                    }
                }
            }
        } catch {
            for index in toComplete { results[index] = .failure(error) }
        }
        return results
    }

    /// Loads the outbox row, message and account and decides what to do before any I/O (behaviour §6.7 step 1).
    private func prepare(_ job: ClaimedJob, _ db: Database) throws -> Step {
        guard let outboxId = job.payload["outbox_id"].stringValue else { return .fail(JobFailure("deliver job without outbox_id", retryable: false)) }
        guard let outbox = try MessageRepository.outbox(db, id: outboxId), let message = try MessageRepository.find(db, id: outbox.messageId),
            let account = try WhatsAppAccountRepository.find(db, id: outbox.whatsappAccountId)
        else { return .fail(JobFailure("Outbox row not found", retryable: false)) }
        if outbox.state == "sent" || outbox.state == "failed" { return .settled }
        guard account.provider == "sandbox" || account.status == "active" else { return .fail(JobFailure("Account not connected", retryable: false)) }
        var creds = JSONObject()
        if let envelope = account.credentialsEncrypted {
            do { creds = try credentials.open(envelope, table: "whatsapp_accounts", rowId: account.id) } catch {
                return .fail(JobFailure("Credentials unreadable", retryable: false))
            }
        }
        return .send(OutboundSend(channel: outbox.channel, accountPhoneNumber: account.phoneNumber, recipient: outbox.recipient,
                                  text: message.content ?? "", credentials: creds), outboxId: outboxId, message: message)
    }

    public func died(_ job: ClaimedJob, error: String, db: Database, now: String) throws {
        guard let outboxId = job.payload["outbox_id"].stringValue, let outbox = try MessageRepository.outbox(db, id: outboxId) else { return }
        try MessageRepository.setOutbox(db, id: outboxId, state: "failed", lastError: error, now: now)
        guard let message = try MessageRepository.find(db, id: outbox.messageId) else { return }
        if message.status != "read" { try MessageRepository.setStatus(db, id: message.id, status: "failed", providerMessageId: nil, now: now) }
        try ConversationMetrics.recompute(db, conversationId: message.conversationId, costPer1KTokens: settings.costPer1KTokensUSD, now: now)
        // `died` runs inside the transaction that marks the job dead: caches are invalidated only once it commits,
        // or a read in between could cache the pre-failure state again.
        let event = PipelineEvent.messageStatusChanged(organizationId: message.organizationId, conversationId: message.conversationId,
                                                       messageId: message.id)
        db.afterNextTransaction(onCommit: { [afterCommit] _ in afterCommit(event) })
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
