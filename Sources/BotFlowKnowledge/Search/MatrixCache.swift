import BotFlowCore
import BotFlowStorage

/// Per-bot matrices, loaded on first search and dropped whenever that bot's vectors change (data-model §6). A
/// generation counter keeps a load that raced with an invalidation from being cached.
public final class MatrixCache: Sendable {
    private struct State {
        var matrices: [String: BotMatrix] = [:]
        var generation: [String: Int] = [:]
    }
    private let state = LockedValue(State())
    let database: AppDatabase
    let ivfMinVectors: Int
    let events: KnowledgeEvents

    public init(database: AppDatabase, ivfMinVectors: Int, events: KnowledgeEvents = KnowledgeEvents()) {
        self.database = database
        self.ivfMinVectors = ivfMinVectors
        self.events = events
    }

    public func matrix(botId: String, model: String) async throws -> BotMatrix {
        let key = botId + "\u{0}" + model
        let (cached, generation) = state.withLock { ($0.matrices[key], $0.generation[botId] ?? 0) }
        if let cached { return cached }
        let minimum = ivfMinVectors
        let loaded = try await database.read { db in
            let count = try KnowledgeRepository.vectorCount(db, botId: botId, model: model)
            return try BotMatrix.load(db, botId: botId, model: model, useIVF: count >= minimum)
        }
        state.withLock { s in
            if (s.generation[botId] ?? 0) == generation { s.matrices[key] = loaded }
        }
        return loaded
    }

    /// Call after committing any change of the bot's knowledge (vectors, chunks or article metadata).
    public func invalidate(botId: String) {
        state.withLock { s in
            s.generation[botId, default: 0] += 1
            s.matrices = s.matrices.filter { !$0.key.hasPrefix(botId + "\u{0}") }
        }
        events.changed(botId: botId)
    }
}
