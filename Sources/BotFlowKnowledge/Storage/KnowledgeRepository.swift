import BotFlowCore
import BotFlowStorage
import Foundation
import GRDB

/// SQL of the knowledge tables (data-model §2.16–§2.21). Callers own the transaction.
public enum KnowledgeRepository {
    static let articleColumns = """
        a.id, a.bot_id, a.organization_id, a.title, a.category, a.metadata, a.created_at,
        (SELECT count(*) FROM knowledge_embeddings e WHERE e.source_id = a.id) AS chunk_count
        """

    public static func botBelongs(_ db: Database, botId: String, organizationId: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM bots WHERE id = ? AND organization_id = ?)"),
                          arguments: [botId, organizationId]) ?? false
    }

    public static func insertArticle(_ db: Database, id: String, botId: String, organizationId: String, title: String,
                                     metadata: JSONObject, now: String) throws {
        try db.execute(sql: """
            INSERT INTO knowledge_base_articles (id, bot_id, organization_id, title, content, category, metadata, created_at, updated_at)
            VALUES (?, ?, ?, ?, '', 'uploaded_document', ?, ?, ?)
            """, arguments: [id, botId, organizationId, title, JSON.object(metadata).columnText, now, now])
    }

    public static func article(_ db: Database, id: String, botId: String) throws -> ArticleRecord? {
        try Row.fetchOne(db, sql: "SELECT \(articleColumns) FROM knowledge_base_articles a WHERE a.id = ? AND a.bot_id = ?",
                         arguments: [id, botId]).map(ArticleRecord.init)
    }

    public static func article(_ db: Database, id: String) throws -> ArticleRecord? {
        try Row.fetchOne(db, sql: "SELECT \(articleColumns) FROM knowledge_base_articles a WHERE a.id = ?", arguments: [id])
            .map(ArticleRecord.init)
    }

    /// Newest first (K1).
    public static func articles(_ db: Database, botId: String) throws -> [ArticleRecord] {
        try Row.fetchAll(db, sql: """
            SELECT \(articleColumns) FROM knowledge_base_articles a WHERE a.bot_id = ? ORDER BY a.created_at DESC, a.id DESC
            """, arguments: [botId]).map(ArticleRecord.init)
    }

    /// Merges keys into `metadata` (added or replaced, never dropped), removing only `remove` (behaviour §7.1).
    public static func mergeMetadata(_ db: Database, articleId: String, _ patch: JSONObject, remove: [String] = [], now: String) throws {
        guard let text = try String.fetchOne(db, sql: "SELECT metadata FROM knowledge_base_articles WHERE id = ?", arguments: [articleId])
        else { return }
        var metadata = (try? JSONParser.parse(text))?.objectValue ?? [:]
        for key in remove { metadata.removeValue(forKey: key) }
        for (k, v) in patch { metadata[k] = v }
        try db.execute(sql: "UPDATE knowledge_base_articles SET metadata = ?, updated_at = ? WHERE id = ?",
                       arguments: [JSON.object(metadata).columnText, now, articleId])
    }

    public static func deleteArticle(_ db: Database, id: String, botId: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM knowledge_base_articles WHERE id = ? AND bot_id = ?", arguments: [id, botId])
        return db.changesCount > 0
    }

    // MARK: Files

    public static func saveFile(_ db: Database, articleId: String, _ file: StoredFile, now: String) throws {
        try db.execute(sql: """
            INSERT INTO knowledge_files (article_id, file_path, content_type, size_bytes, sha256, data, uploaded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (article_id) DO UPDATE SET file_path = excluded.file_path, content_type = excluded.content_type,
                size_bytes = excluded.size_bytes, sha256 = excluded.sha256, data = excluded.data, uploaded_at = excluded.uploaded_at
            """, arguments: [articleId, file.filePath, file.contentType, file.sizeBytes, file.sha256, Data(file.data), now])
    }

    public static func file(_ db: Database, articleId: String) throws -> StoredFile? {
        try Row.fetchOne(db, sql: "SELECT * FROM knowledge_files WHERE article_id = ?", arguments: [articleId]).map { row in
            StoredFile(filePath: row["file_path"], contentType: row["content_type"], sizeBytes: row["size_bytes"],
                       sha256: row["sha256"], data: Array(row["data"] as Data))
        }
    }

    public static func fileSHA256(_ db: Database, articleId: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT sha256 FROM knowledge_files WHERE article_id = ?", arguments: [articleId])
    }

    // MARK: Chunks and vectors

    /// Replaces the article's chunks (their vectors and FTS rows go by cascade and trigger) with `chunks`.
    /// `assign` gives a new vector its IVF list when the bot has an index of this model.
    public static func replaceChunks(_ db: Database, article: ArticleRecord, fileName: String, chunks: [EmbeddedChunk], model: String,
                                     assign: ([Float]) -> Int?, now: String) throws {
        try db.execute(sql: "DELETE FROM knowledge_embeddings WHERE source_id = ?", arguments: [article.id])
        let insertChunk = try db.cachedStatement(sql: """
            INSERT INTO knowledge_embeddings (id, bot_id, source_id, chunk_index, content, metadata, embedding_model, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for c in chunks {
            let metadata: JSON = ["chunk_index": .int(c.chunk.chunkIndex), "file_name": .string(fileName),
                                  "char_start": .int(c.chunk.charStart), "char_end": .int(c.chunk.charEnd), "source_id": .string(article.id)]
            try insertChunk.execute(arguments: [Identifiers.uuid(), article.botId, article.id, c.chunk.chunkIndex, c.chunk.content,
                                                metadata.columnText, model, now, now])
            try insertVectors(db, chunkNo: db.lastInsertedRowID, botId: article.botId, vectors: c.vectors, model: model, assign: assign)
        }
    }

    public static func insertVectors(_ db: Database, chunkNo: Int64, botId: String, vectors: [[Float]], model: String,
                                     assign: ([Float]) -> Int?) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO knowledge_vectors (chunk_no, bot_id, seq, embedding_model, dim, embedding, ivf_list) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for (seq, v) in vectors.enumerated() {
            try insert.execute(arguments: [chunkNo, botId, seq, model, v.count, VectorCodec.encode(v), assign(v)])
        }
    }

    public static func vectorCount(_ db: Database, botId: String, model: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM knowledge_vectors WHERE bot_id = ? AND embedding_model = ?"),
                         arguments: [botId, model]) ?? 0
    }

    public static func hasVectors(_ db: Database, botId: String, model: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS(SELECT 1 FROM knowledge_vectors WHERE bot_id = ? AND embedding_model = ?)
            """), arguments: [botId, model]) ?? false
    }

    /// Bots with chunks of another model than `model` (they need a `reembed` job).
    public static func botsNeedingReembed(_ db: Database, model: String) throws -> [(botId: String, organizationId: String)] {
        try Row.fetchAll(db, sql: """
            SELECT DISTINCT e.bot_id, b.organization_id FROM knowledge_embeddings e JOIN bots b ON b.id = e.bot_id
            WHERE e.embedding_model <> ?
            """, arguments: [model]).map { ($0["bot_id"], $0["organization_id"]) }
    }

    /// Search results by chunk number.
    public static func chunks(_ db: Database, chunkNos: [Int64]) throws -> [Int64: (id: String, content: String, metadata: JSON)] {
        guard !chunkNos.isEmpty else { return [:] }
        var out: [Int64: (id: String, content: String, metadata: JSON)] = [:]
        let marks = Array(repeating: "?", count: chunkNos.count).joined(separator: ",")
        for row in try Row.fetchAll(db, sql: "SELECT chunk_no, id, content, metadata FROM knowledge_embeddings WHERE chunk_no IN (\(marks))",
                                    arguments: StatementArguments(chunkNos)) {
            out[row["chunk_no"]] = (row["id"], row["content"], row.json("metadata", fallback: [:]))
        }
        return out
    }

    /// `-bm25` of the bot's chunks matching `match` (F-1, behaviour §7.5 hybrid).
    public static func keywordScores(_ db: Database, botId: String, match: String) throws -> [Int64: Double] {
        var out: [Int64: Double] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT f.rowid AS chunk_no, -bm25(knowledge_fts) AS score FROM knowledge_fts f
            JOIN knowledge_embeddings e ON e.chunk_no = f.rowid
            WHERE knowledge_fts MATCH ? AND e.bot_id = ?
            """, arguments: [match, botId]) {
            out[row["chunk_no"]] = row["score"]
        }
        return out
    }

    // MARK: Stats and legacy sources

    public static func insertLegacySource(_ db: Database, _ s: LegacySourceRecord) throws {
        try db.execute(sql: """
            INSERT INTO knowledge_sources (id, bot_id, source_type, content, status, metadata, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [s.id, s.botId, s.sourceType, s.content, s.status, s.metadata.columnText, s.createdAt, s.updatedAt])
    }
}
