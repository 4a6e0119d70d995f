import BotFlowStorage
import Dispatch
import GRDB

/// One bot's vectors of one model in memory (data-model §6 "per-bot in-memory matrix"): a contiguous float32 matrix
/// ordered so that each IVF list is a contiguous row range, with the chunk each row belongs to.
public struct BotMatrix: Sendable {
    public struct ChunkInfo: Sendable {
        let chunkNo: Int64
        let createdAt: String
        let chunkIndex: Int
    }

    let dim: Int
    let rows: [Float]
    /// Row → position in `chunks`.
    let rowChunk: [Int32]
    let chunks: [ChunkInfo]
    /// IVF: centroids (lists × dim), list `l` is rows `listStart[l] ..< listStart[l + 1]`; rows before
    /// `listStart[0]` have no list yet and are always scanned.
    let centroids: [Float]
    let listStart: [Int]
    let probes: Int
    /// Chunk → position in the §7.5 tie order (`created_at`, `chunk_index`, `chunk_no`), for the bounded scan.
    let tieRank: [Int32]
    /// The approximate pre-pass copy of `rows` (large matrices only).
    let prepass: BFloat16Rows?

    init(dim: Int, rows: [Float], rowChunk: [Int32], chunks: [ChunkInfo], centroids: [Float], listStart: [Int], probes: Int) {
        self.dim = dim; self.rows = rows; self.rowChunk = rowChunk; self.chunks = chunks
        self.centroids = centroids; self.listStart = listStart; self.probes = probes
        let order = chunks.indices.sorted { a, b in
            let ca = chunks[a], cb = chunks[b]
            if ca.createdAt != cb.createdAt { return ca.createdAt < cb.createdAt }
            if ca.chunkIndex != cb.chunkIndex { return ca.chunkIndex < cb.chunkIndex }
            return ca.chunkNo < cb.chunkNo
        }
        var rank = [Int32](repeating: 0, count: chunks.count)
        for (position, chunk) in order.enumerated() { rank[chunk] = Int32(position) }
        tieRank = rank
        prepass = BFloat16Rows.make(rows: rows, dim: dim)
    }

    public var vectorCount: Int { rowChunk.count }
    public var chunkCount: Int { chunks.count }
    public var hasIVF: Bool { !centroids.isEmpty }

    static let empty = BotMatrix(dim: 0, rows: [], rowChunk: [], chunks: [], centroids: [], listStart: [], probes: 0)

    /// Loads the matrix; the IVF layout is used only when `useIVF` (the bot is at or above `IVF_MIN_VECTORS`).
    static func load(_ db: Database, botId: String, model: String, useIVF: Bool) throws -> BotMatrix {
        var chunks: [ChunkInfo] = []
        var position: [Int64: Int32] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT e.chunk_no, e.chunk_index, a.created_at FROM knowledge_embeddings e
            JOIN knowledge_base_articles a ON a.id = e.source_id
            WHERE e.bot_id = ? AND e.embedding_model = ?
            """, arguments: [botId, model]) {
            position[row["chunk_no"]] = Int32(chunks.count)
            chunks.append(ChunkInfo(chunkNo: row["chunk_no"], createdAt: row["created_at"], chunkIndex: row["chunk_index"]))
        }
        var ivf = useIVF ? try IVFRepository.centroids(db, botId: botId, model: model) : nil
        if let c = ivf, c.centroids.isEmpty { ivf = nil }
        var rows: [Float] = []
        var rowChunk: [Int32] = []
        var dim = 0
        var listStart: [Int] = []
        let order = ivf == nil ? "id" : "ivf_list IS NOT NULL, ivf_list, id"
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT chunk_no, dim, embedding, ivf_list FROM knowledge_vectors WHERE bot_id = ? AND embedding_model = ? ORDER BY \(order)
            """, arguments: [botId, model])
        var currentList = -1
        let lists = ivf.map { $0.centroids.count / max(1, $0.dim) } ?? 0
        while let row = try cursor.next() {
            guard let chunk = position[row["chunk_no"]] else { continue }
            let d: Int = row["dim"]
            if dim == 0 { dim = d }
            guard d == dim else { continue }
            if ivf != nil, let list: Int = row["ivf_list"] {
                while currentList < list { listStart.append(rowChunk.count); currentList += 1 }
            }
            rowChunk.append(chunk)
            VectorCodec.append(row["embedding"], to: &rows)
        }
        if ivf != nil {
            if listStart.isEmpty { listStart.append(rowChunk.count); currentList = 0 }
            while listStart.count < lists + 1 { listStart.append(rowChunk.count) }
        }
        if let ivf, ivf.dim != dim { return BotMatrix(dim: dim, rows: rows, rowChunk: rowChunk, chunks: chunks, centroids: [], listStart: [], probes: 0) }
        return BotMatrix(dim: dim, rows: rows, rowChunk: rowChunk, chunks: chunks, centroids: ivf?.centroids ?? [],
                         listStart: listStart, probes: ivf?.probes ?? 0)
    }

    /// Each chunk's similarity: the maximum dot product over its candidate rows (exact: all rows; IVF: the
    /// `probes` nearest lists plus unassigned rows). Chunks with no candidate row get -infinity.
    func chunkScores(_ query: [Float], exact: Bool = false, probes probeOverride: Int? = nil) -> [Float] {
        let dim = self.dim
        var best = [Float](repeating: -.infinity, count: chunks.count)
        guard dim > 0, query.count == dim else { return best }
        let ranges = candidateRanges(query, exact: exact, probes: probeOverride)
        // Row scores in parallel blocks (the scan is memory-bound; two cores roughly halve it), then the
        // per-chunk maximum in one sequential pass.
        let total = ranges.reduce(0) { $0 + $1.count }
        var flat: [Int] = []
        if ranges.count > 1 { flat.reserveCapacity(total); for r in ranges { flat.append(contentsOf: r) } }
        var scores = [Float](repeating: 0, count: total)
        let blocks = total >= 20_000 ? 4 : 1
        query.withUnsafeBufferPointer { q in
            rows.withUnsafeBufferPointer { m in
                scores.withUnsafeMutableBufferPointer { out in
                    let single = ranges.count == 1 ? ranges[0].lowerBound : -1
                    flat.withUnsafeBufferPointer { f in
                        let p = ScanPointers(query: q.baseAddress!, rows: m.baseAddress!, out: out.baseAddress!, flat: f.baseAddress)
                        DispatchQueue.concurrentPerform(iterations: blocks) { block in
                            let lo = total * block / blocks, hi = total * (block + 1) / blocks
                            for k in lo..<hi {
                                let r = single >= 0 ? single + k : p.flat![k]
                                p.out[k] = VectorMath.dot(p.query, p.rows + r * dim, dim)
                            }
                        }
                    }
                }
            }
        }
        rowChunk.withUnsafeBufferPointer { rc in
            best.withUnsafeMutableBufferPointer { b in
                var k = 0
                for range in ranges {
                    for r in range {
                        let c = Int(rc[r])
                        if scores[k] > b[c] { b[c] = scores[k] }
                        k += 1
                    }
                }
            }
        }
        return best
    }

    /// The candidate rows of a query: all rows (exact), or the unassigned rows and the `probes` nearest lists.
    func candidateRanges(_ query: [Float], exact: Bool, probes probeOverride: Int?) -> [Range<Int>] {
        guard hasIVF && !exact else { return [0..<rowChunk.count] }
        let lists = centroids.count / dim
        var scored: [(Float, Int)] = []
        scored.reserveCapacity(lists)
        query.withUnsafeBufferPointer { q in
            centroids.withUnsafeBufferPointer { c in
                for l in 0..<lists { scored.append((VectorMath.dot(q.baseAddress!, c.baseAddress! + l * dim, dim), l)) }
            }
        }
        scored.sort { $0.0 > $1.0 }
        var ranges = [0..<listStart[0]]
        for (_, l) in scored.prefix(max(1, probeOverride ?? probes)) { ranges.append(listStart[l]..<listStart[l + 1]) }
        return ranges
    }
}

/// The buffers of one scan, shared with `concurrentPerform`'s blocks: they only read the inputs and write disjoint
/// ranges of `out`, and every block finishes before the buffers go out of scope.
private struct ScanPointers: @unchecked Sendable {
    let query: UnsafePointer<Float>
    let rows: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>
    let flat: UnsafePointer<Int>?
}
