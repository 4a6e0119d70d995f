import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB

/// `knowledge_process` (behaviour §7.2): extract → chunk → embed → store, then `indexed`; an extraction failure ends
/// `failed` with its message at once; an embedding failure is retried and ends `failed` with
/// `Embedding failed: <reason>` on the last attempt. Metadata is merged, never dropped.
public struct KnowledgeProcessJobHandler: JobHandler {
    let embedder: any Embedder
    let cache: MatrixCache
    let ivf: IVFPolicy

    public init(embedder: any Embedder, cache: MatrixCache, ivf: IVFPolicy) {
        self.embedder = embedder; self.cache = cache; self.ivf = ivf
    }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        guard let articleId = job.payload["article_id"].stringValue else {
            throw JobFailure("knowledge_process job without article_id", retryable: false)
        }
        let loaded = try await env.database.read { db -> (ArticleRecord, StoredFile)? in
            guard let article = try KnowledgeRepository.article(db, id: articleId),
                  let file = try KnowledgeRepository.file(db, articleId: articleId) else { return nil }
            return (article, file)
        }
        guard let (article, file) = loaded, article.status == "processing" else {
            _ = try await env.finish(job) { _, _ in } // deleted or no longer processing: nothing to do
            return
        }
        let fileName = article.metadata["file_name"]?.stringValue ?? article.title
        let fileType = article.metadata["file_type"]?.stringValue ?? KnowledgeFileType.plain

        let text: String
        do {
            text = try TextExtractor.extract(file.data, fileType: fileType)
        } catch {
            try await fail(job, env, article: article, message: error.message)
            return
        }
        let chunks = Chunker.chunks(text)
        let embedded: [EmbeddedChunk]
        do {
            embedded = try await Self.embed(chunks, with: embedder)
        } catch {
            if job.attempts < job.maxAttempts { throw JobFailure("Embedding failed: \(error.reason)") }
            try await fail(job, env, article: article, message: "Embedding failed: \(error.reason)")
            return
        }
        let model = embedder.modelId
        let policy = ivf
        try await env.finish(job) { db, now in
            let assign = try policy.assigner(db, botId: article.botId, model: model)
            try KnowledgeRepository.replaceChunks(db, article: article, fileName: fileName, chunks: embedded, model: model,
                                                  assign: assign, now: now)
            try KnowledgeRepository.mergeMetadata(db, articleId: article.id, [
                "status": "indexed", "total_chunks": .int(embedded.count), "processed_at": .string(now),
            ], remove: ["error_message"], now: now)
            try policy.enqueueTrainingIfDue(db, botId: article.botId, organizationId: article.organizationId, model: model, now: now)
        }
        cache.invalidate(botId: article.botId)
    }

    public func died(_ job: ClaimedJob, error: String, db: Database, now: String) throws {
        guard let articleId = job.payload["article_id"].stringValue else { return }
        try KnowledgeRepository.mergeMetadata(db, articleId: articleId, ["status": "failed", "error_message": .string(error)], now: now)
    }

    private func fail(_ job: ClaimedJob, _ env: JobEnvironment, article: ArticleRecord, message: String) async throws {
        try await env.finish(job) { db, now in
            try db.execute(sql: "DELETE FROM knowledge_embeddings WHERE source_id = ?", arguments: [article.id])
            try KnowledgeRepository.mergeMetadata(db, articleId: article.id, [
                "status": "failed", "error_message": .string(message), "processed_at": .string(now),
            ], now: now)
        }
        cache.invalidate(botId: article.botId)
    }

    /// Whole-chunk vectors (`seq` 0) and, for the local embedder, sentence passages when a chunk has two or more.
    static func embed(_ chunks: [TextChunk], with embedder: any Embedder) async throws(EmbeddingError) -> [EmbeddedChunk] {
        var texts: [String] = []
        var counts: [Int] = []
        for chunk in chunks {
            texts.append(chunk.content)
            var n = 1
            if embedder.storesPassages {
                let passages = Passages.split(chunk.content)
                if passages.count >= 2 { texts += passages; n += passages.count }
            }
            counts.append(n)
        }
        let vectors = try await embedder.embed(texts)
        guard vectors.count == texts.count else { throw EmbeddingError("unexpected response") }
        var out: [EmbeddedChunk] = []
        var at = 0
        for (chunk, n) in zip(chunks, counts) {
            out.append(EmbeddedChunk(chunk: chunk, vectors: Array(vectors[at..<(at + n)])))
            at += n
        }
        return out
    }
}
