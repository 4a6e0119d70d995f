import BotFlowKnowledge
import BotFlowMessaging
import GRDB

/// The reply pipeline's knowledge stage (behaviour §6.5 stage 4) over the real search; an embedding failure is an
/// empty result for the pipeline (behaviour §7.5 step 1).
struct KnowledgeStage: KnowledgeSearching {
    let searcher: KnowledgeSearcher

    func hasKnowledge(botId: String) async throws -> Bool { try await searcher.hasVectors(botId: botId) }

    func hasKnowledge(_ db: Database, botId: String) throws -> Bool {
        try KnowledgeRepository.hasVectors(db, botId: botId, model: searcher.model)
    }

    func search(botId: String, query: String, limit: Int, threshold: Double) async throws -> [KnowledgeHit] {
        do {
            return try await searcher.search(botId: botId, query: query, limit: limit, threshold: threshold)
                .map { KnowledgeHit(id: $0.id, content: $0.content, metadata: $0.metadata, similarity: $0.similarity) }
        } catch .embedding {
            return []
        } catch .storage(let error) {
            throw error
        }
    }
}
