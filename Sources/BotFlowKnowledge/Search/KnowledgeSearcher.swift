import BotFlowCore
import BotFlowStorage

/// One search result (api.md §2.10).
public struct SearchResult: Sendable {
    public var id: String
    public var content: String
    public var metadata: JSON
    public var similarity: Double
    public var keywordRank: Double?
    public var combinedScore: Double?
}

/// Search semantics of behaviour §7.5: embed the query with the current model, score each chunk as the maximum over
/// its candidate vectors (exact scan, or the probed IVF lists), keep similarity strictly greater than the threshold,
/// order by similarity (ties: article `created_at`, then `chunk_index`), optionally re-rank with FTS5 (hybrid).
public struct KnowledgeSearcher: Sendable {
    let database: AppDatabase
    let embedder: any Embedder
    let cache: MatrixCache

    public init(database: AppDatabase, embedder: any Embedder, cache: MatrixCache) {
        self.database = database; self.embedder = embedder; self.cache = cache
    }

    public var model: String { embedder.modelId }

    public func hasVectors(botId: String) async throws -> Bool {
        try await cache.matrix(botId: botId, model: model).vectorCount > 0
    }

    public func search(botId: String, query: String, limit: Int, threshold: Double, hybrid: Bool = false,
                       exact: Bool = false, probes: Int? = nil) async throws(SearchFailure) -> [SearchResult] {
        let vector: [Float]
        do { vector = try await embedder.embed([query]).first ?? [] } catch { throw .embedding(error) }
        do {
            let matrix = try await cache.matrix(botId: botId, model: model)
            let ranked = Self.rank(matrix, query: vector, limit: hybrid ? Int.max : limit, threshold: threshold, exact: exact, probes: probes)
            guard !ranked.isEmpty else { return [] }
            let match = hybrid ? Self.ftsQuery(query) : nil
            let rows = try await database.read { db in
                let keyword = try match.map { try KnowledgeRepository.keywordScores(db, botId: botId, match: $0) } ?? [:]
                return (try KnowledgeRepository.chunks(db, chunkNos: ranked.map(\.chunkNo)), keyword)
            }
            var results: [(SearchResult, Int)] = []
            let maxKeyword = rows.1.values.max() ?? 0
            for (order, r) in ranked.enumerated() {
                guard let row = rows.0[r.chunkNo] else { continue }
                var result = SearchResult(id: row.id, content: row.content, metadata: row.metadata, similarity: Double(r.score))
                if hybrid {
                    let rank = maxKeyword > 0 ? (rows.1[r.chunkNo] ?? 0) / maxKeyword : 0
                    result.keywordRank = rank
                    result.combinedScore = 0.7 * result.similarity + 0.3 * rank
                }
                results.append((result, order))
            }
            if hybrid {
                results.sort { a, b in
                    if a.0.combinedScore! != b.0.combinedScore! { return a.0.combinedScore! > b.0.combinedScore! }
                    return a.1 < b.1 // similarity descending, then the §7.5 tie rules
                }
            }
            return results.prefix(limit).map(\.0)
        } catch {
            throw .storage(error)
        }
    }

    struct Ranked { let chunkNo: Int64; let score: Float }

    /// Chunks above the threshold in result order, at most `limit`.
    static func rank(_ matrix: BotMatrix, query: [Float], limit: Int, threshold: Double, exact: Bool, probes: Int? = nil) -> [Ranked] {
        if limit <= boundedLimit {
            return matrix.topChunks(query, limit: limit, threshold: threshold, exact: exact, probes: probes)
                .map { Ranked(chunkNo: matrix.chunks[$0.chunk].chunkNo, score: $0.score) }
        }
        return rankAll(matrix, query: query, limit: limit, threshold: threshold, exact: exact, probes: probes)
    }

    /// Up to this limit `rank` keeps only the best chunks while scanning (`BotMatrix.topChunks`); hybrid search
    /// (every chunk above the threshold) and larger limits score every chunk.
    static let boundedLimit = 256

    /// Every chunk's score first, then the threshold, order and limit.
    static func rankAll(_ matrix: BotMatrix, query: [Float], limit: Int, threshold: Double, exact: Bool, probes: Int? = nil) -> [Ranked] {
        let scores = matrix.chunkScores(query, exact: exact, probes: probes)
        var kept: [Int] = []
        for (i, s) in scores.enumerated() where s.isFinite && Double(s) > threshold { kept.append(i) }
        func before(_ a: Int, _ b: Int) -> Bool {
            if scores[a] != scores[b] { return scores[a] > scores[b] }
            let ca = matrix.chunks[a], cb = matrix.chunks[b]
            if ca.createdAt != cb.createdAt { return ca.createdAt < cb.createdAt }
            if ca.chunkIndex != cb.chunkIndex { return ca.chunkIndex < cb.chunkIndex }
            return ca.chunkNo < cb.chunkNo
        }
        if limit < kept.count, limit <= 256 {
            // Bounded selection: most candidates never beat the current worst of the top `limit`.
            var top: [Int] = []
            for i in kept {
                if top.count == limit, !before(i, top[limit - 1]) { continue }
                var at = top.count
                while at > 0, before(i, top[at - 1]) { at -= 1 }
                top.insert(i, at: at)
                if top.count > limit { top.removeLast() }
            }
            kept = top
        } else {
            kept.sort(by: before)
            if limit < kept.count { kept = Array(kept.prefix(limit)) }
        }
        return kept.map { Ranked(chunkNo: matrix.chunks[$0].chunkNo, score: scores[$0]) }
    }

    /// The query's tokens (local embedder steps 1–4), each double-quoted, joined with OR; nil when there are none.
    static func ftsQuery(_ query: String) -> String? {
        let tokens = LocalEmbedder.queryTokens(query)
        guard !tokens.isEmpty else { return nil }
        return tokens.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " OR ")
    }
}

public enum SearchFailure: Error, Sendable {
    case embedding(EmbeddingError)
    case storage(any Error)
}

import Foundation
