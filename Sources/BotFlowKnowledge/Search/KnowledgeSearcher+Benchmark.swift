/// For `scripts/bench-knowledge`: the scan and ranking alone (no query embedding, no chunk fetch), by the bounded
/// scan that `search` uses or by scoring every chunk first (the path before the bounded scan, still used for hybrid
/// search), so both can be timed side by side on the same loaded machine.
@_spi(Benchmark)
extension KnowledgeSearcher {
    public func queryVector(_ query: String) async throws -> [Float] {
        try await embedder.embed([query]).first ?? []
    }

    public func rankedChunks(botId: String, vector: [Float], limit: Int, threshold: Double, exact: Bool = false, probes: Int? = nil,
                             scoreEveryChunk: Bool) async throws -> [(chunkNo: Int64, similarity: Float)] {
        let matrix = try await cache.matrix(botId: botId, model: model)
        let ranked = scoreEveryChunk
            ? Self.rankAll(matrix, query: vector, limit: limit, threshold: threshold, exact: exact, probes: probes)
            : Self.rank(matrix, query: vector, limit: limit, threshold: threshold, exact: exact, probes: probes)
        return ranked.map { ($0.chunkNo, $0.score) }
    }
}
