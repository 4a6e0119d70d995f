import BotFlowCore
import BotFlowStorage
import GRDB

/// Provider status callbacks (behaviour §6.3): an outbound message's status only moves forward.
public struct StatusUpdater: Sendable {
    let database: AppDatabase
    let clock: any AppClock
    let settings: Settings

    public init(database: AppDatabase, clock: any AppClock, settings: Settings) {
        self.database = database; self.clock = clock; self.settings = settings
    }

    /// Applies the updates in one transaction; returns the messages whose status changed.
    @discardableResult
    public func apply(_ updates: [StatusUpdate]) async throws -> [PipelineEvent] {
        guard !updates.isEmpty else { return [] }
        let now = clock.now()
        let cost = settings.costPer1KTokensUSD
        return try await database.write { db in
            var events: [PipelineEvent] = []
            for update in updates {
                guard let account = try InboundWriter.resolveAccount(db, update.accountKey),
                    let message = try MessageRepository.find(db, accountId: account.id, direction: "outbound", providerMessageId: update.providerMessageId),
                    StatusOrder.forward(from: message.status, to: update.status)
                else { continue }
                try MessageRepository.setStatus(db, id: message.id, status: update.status, providerMessageId: nil, now: now)
                if update.status == "failed" {
                    if let error = update.error {
                        try MessageRepository.mergeMetadata(db, id: message.id, ["delivery_error": .string(error)], now: now)
                    }
                    try ConversationMetrics.recompute(db, conversationId: message.conversationId, costPer1KTokens: cost, now: now)
                }
                events.append(.messageStatusChanged(organizationId: message.organizationId, conversationId: message.conversationId,
                                                    messageId: message.id))
            }
            return events
        }
    }
}
