import BotFlowCore
import BotFlowKnowledge

extension Present {
    /// api.md §2.9.
    static func article(_ a: ArticleRecord) -> JSON {
        ["id": .string(a.id), "title": .string(a.title), "category": .string(a.category), "metadata": .object(a.metadata),
         "created_at": .string(a.createdAt), "chunk_count": .int(a.chunkCount)]
    }

    /// api.md §2.10 (+ `keyword_rank`, `combined_score` for hybrid searches).
    static func searchResult(_ r: SearchResult) -> JSON {
        var o: JSONObject = ["id": .string(r.id), "content": .string(r.content), "metadata": r.metadata, "similarity": .double(r.similarity)]
        if let k = r.keywordRank { o["keyword_rank"] = .double(k) }
        if let c = r.combinedScore { o["combined_score"] = .double(c) }
        return .object(o)
    }

    static func legacySource(_ s: LegacySourceRecord) -> JSON {
        ["id": .string(s.id), "bot_id": .string(s.botId), "source_type": .string(s.sourceType), "content": .string(s.content),
         "status": .string(s.status), "metadata": s.metadata, "created_at": .string(s.createdAt), "updated_at": .string(s.updatedAt)]
    }
}
