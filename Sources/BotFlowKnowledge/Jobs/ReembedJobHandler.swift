import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB

/// `reembed` (data-model §6 model tagging): re-embeds every chunk of the bot whose vectors are of another model than
/// the configured one, in batches, replacing their vectors.
public struct ReembedJobHandler: JobHandler {
    let embedder: any Embedder
    let cache: MatrixCache
    let ivf: IVFPolicy

    public init(embedder: any Embedder, cache: MatrixCache, ivf: IVFPolicy) { self.embedder = embedder; self.cache = cache; self.ivf = ivf }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        guard let botId = job.payload["bot_id"].stringValue else { throw JobFailure("reembed job without bot_id", retryable: false) }
        let model = embedder.modelId
        guard job.payload["model"].stringValue == model else { _ = try await env.finish(job) { _, _ in }; return }
        let chunks = try await env.database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT chunk_no, chunk_index, content FROM knowledge_embeddings WHERE bot_id = ? AND embedding_model <> ? ORDER BY chunk_no
                """, arguments: [botId, model]).map { (no: $0["chunk_no"] as Int64, chunk: TextChunk(chunkIndex: $0["chunk_index"], content: $0["content"], charStart: 0, charEnd: 0)) }
        }
        let embedded: [EmbeddedChunk]
        do { embedded = try await KnowledgeProcessJobHandler.embed(chunks.map(\.chunk), with: embedder) } catch {
            throw JobFailure("Embedding failed: \(error.reason)")
        }
        let policy = ivf
        let organizationId = job.organizationId
        try await env.finish(job) { db, now in
            let assign = try policy.assigner(db, botId: botId, model: model)
            for (c, e) in zip(chunks, embedded) {
                try db.execute(sql: "DELETE FROM knowledge_vectors WHERE chunk_no = ?", arguments: [c.no])
                try KnowledgeRepository.insertVectors(db, chunkNo: c.no, botId: botId, vectors: e.vectors, model: model, assign: assign)
                try db.execute(sql: "UPDATE knowledge_embeddings SET embedding_model = ?, updated_at = ? WHERE chunk_no = ?",
                               arguments: [model, now, c.no])
            }
            try policy.enqueueTrainingIfDue(db, botId: botId, organizationId: organizationId, model: model, now: now)
        }
        cache.invalidate(botId: botId)
    }
}
