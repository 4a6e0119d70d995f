@testable import BotFlowKnowledge
import BotFlowCore
import BotFlowTestSupport
import Testing

/// The bounded scan (`BotMatrix.topChunks`, with and without the bfloat16 pre-pass) returns exactly what a
/// straightforward scan of behaviour §7.5 returns: same chunks, same float32 similarities, same order and ties.
@Suite struct BoundedScanTests {
    /// Random unit vectors in `lists` IVF lists (plus unassigned rows at the front), chunks of 1–3 rows spread over
    /// lists, exact duplicates (score ties between chunks), near-duplicates closer than bfloat16 can tell apart, and
    /// a tight cluster around a direction (`clusterCentre`), chunks sharing `created_at` (ties broken by `chunk_index`,
    /// then `chunk_no`).
    static func matrix(rows count: Int, dim: Int, lists: Int, seed: UInt64) -> BotMatrix {
        var rng = SplitMix64(seed: seed)
        func unit() -> [Float] { Self.unit(&rng, dim: dim) }
        var vectors: [[Float]] = []
        let cluster = unit()
        for i in 0..<count {
            switch i % 10 {
            case 8: // a tight cluster: scores against its centre differ by less than bfloat16's error, so the
                // pre-pass alone would order them wrongly and only the bound keeps the right rows
                vectors.append(VectorCodec.normalised(zip(cluster, unit()).map { $0 + 0.003 * $1 }))
            case 3 where i > 10: vectors.append(vectors[i - 7]) // exact duplicate of another row
            case 6 where i > 10: // a near-duplicate: differs below bfloat16's resolution
                var v = vectors[i - 5]
                v[Int(rng.next() % UInt64(dim))] += 1e-5
                vectors.append(v)
            default: vectors.append(unit())
            }
        }
        let centroids = (0..<lists).map { _ in unit() }
        let flatCentroids = centroids.flatMap { $0 }
        // The first 5 % stay unassigned ("inserted during training").
        let unassigned = count / 20
        let list = vectors.enumerated().map { i, v in i < unassigned ? -1 : VectorMath.nearest(v, in: flatCentroids, dim: dim) }
        let order = vectors.indices.sorted { (list[$0], $0) < (list[$1], $1) }
        // Chunk of each original row: runs of 1–3 consecutive rows (consecutive rows land in different lists).
        var chunkOf: [Int32] = []
        while chunkOf.count < count {
            let chunk = Int32(chunkOf.count == 0 ? 0 : chunkOf.last! + 1)
            for _ in 0..<(1 + Int(rng.next() % 3)) where chunkOf.count < count { chunkOf.append(chunk) }
        }
        let chunkCount = Int(chunkOf.last! + 1)
        let chunks = (0..<chunkCount).map { c in
            BotMatrix.ChunkInfo(chunkNo: Int64(chunkCount - c), createdAt: "2026-01-17T1\(c % 3):00:00.000Z", chunkIndex: c % 7)
        }
        var listStart: [Int] = []
        if lists > 0 {
            for l in 0...lists { listStart.append(order.firstIndex { list[$0] >= l } ?? count) }
        }
        return BotMatrix(dim: dim, rows: order.flatMap { vectors[$0] }, rowChunk: order.map { chunkOf[$0] }, chunks: chunks,
                         centroids: lists > 0 ? flatCentroids : [], listStart: listStart, probes: min(3, lists))
    }

    static func unit(_ rng: inout SplitMix64, dim: Int) -> [Float] {
        VectorCodec.normalised((0..<dim).map { _ in Float(Double(rng.next() % 2_000_001) / 1_000_000 - 1) })
    }

    /// The centre of the tight cluster of `matrix(…, seed:)`: its first random draw.
    static func clusterCentre(dim: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return unit(&rng, dim: dim)
    }

    /// The reference: every candidate row's float32 dot product, maximum per chunk, strictly above the threshold,
    /// sorted by similarity then `created_at`, `chunk_index`, `chunk_no`.
    static func reference(_ m: BotMatrix, query: [Float], limit: Int, threshold: Double, exact: Bool, probes: Int?) -> [(Int64, Float)] {
        var candidates: [Range<Int>] = [0..<m.vectorCount]
        if m.hasIVF && !exact {
            let lists = m.centroids.count / m.dim
            let near = (0..<lists).map { l in (VectorMath.dot(query, Array(m.centroids[(l * m.dim)..<((l + 1) * m.dim)])), l) }
                .sorted { $0.0 > $1.0 }.prefix(max(1, probes ?? m.probes))
            candidates = [0..<m.listStart[0]] + near.map { m.listStart[$0.1]..<m.listStart[$0.1 + 1] }
        }
        var best: [Int: Float] = [:]
        for range in candidates {
            for r in range {
                let s = VectorMath.dot(query, Array(m.rows[(r * m.dim)..<((r + 1) * m.dim)]))
                let c = Int(m.rowChunk[r])
                best[c] = max(best[c] ?? -.infinity, s)
            }
        }
        let kept = best.filter { Double($0.value) > threshold }.sorted { a, b in
            if a.value != b.value { return a.value > b.value }
            let ca = m.chunks[a.key], cb = m.chunks[b.key]
            if ca.createdAt != cb.createdAt { return ca.createdAt < cb.createdAt }
            if ca.chunkIndex != cb.chunkIndex { return ca.chunkIndex < cb.chunkIndex }
            return ca.chunkNo < cb.chunkNo
        }
        return kept.prefix(limit).map { (m.chunks[$0.key].chunkNo, $0.value) }
    }

    static func check(_ m: BotMatrix, queries: [[Float]]) {
        for (qi, q) in queries.enumerated() {
            for exact in [true, false] {
                for probes in (exact || !m.hasIVF ? [nil] : [1, 3, 8, nil]) as [Int?] {
                    let all = reference(m, query: q, limit: .max, threshold: -.infinity, exact: exact, probes: probes)
                    // -1 (every chunk), the similarity of the 3rd (strictly greater drops it and its ties), 0.9.
                    for threshold in [-1, all.count > 3 ? Double(all[2].1) : 0, 0.9] {
                        for limit in [1, 12] {
                            let expected = Array(all.filter { Double($0.1) > threshold }.prefix(limit))
                            let got = KnowledgeSearcher.rank(m, query: q, limit: limit, threshold: threshold, exact: exact, probes: probes)
                            #expect(got.map(\.chunkNo) == expected.map(\.0), "query \(qi) exact \(exact) probes \(String(describing: probes)) threshold \(threshold) limit \(limit)")
                            #expect(got.map(\.score) == expected.map(\.1))
                        }
                    }
                    // The path that scores every chunk (hybrid, large limits) agrees too.
                    let unbounded = KnowledgeSearcher.rankAll(m, query: q, limit: 12, threshold: -1, exact: exact, probes: probes)
                    #expect(unbounded.map(\.chunkNo) == all.filter { $0.1 > -1 }.prefix(12).map(\.0))
                }
            }
        }
    }

    /// Queries: random directions, stored rows (score 1 against their duplicates: ties), a row nudged slightly.
    static func queries(_ m: BotMatrix, seed: UInt64) -> [[Float]] {
        var rng = SplitMix64(seed: seed)
        var out: [[Float]] = []
        for _ in 0..<4 { out.append(VectorCodec.normalised((0..<m.dim).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) })) }
        func row(_ r: Int) -> [Float] { Array(m.rows[(r * m.dim)..<((r + 1) * m.dim)]) }
        for r in [16, m.vectorCount / 2, m.vectorCount - 4] { out.append(row(r)) }
        // Rows stored twice (for two chunks): the query ties them exactly.
        var seen: [[Float]: Int] = [:]
        var duplicates = 0
        for r in 0..<m.vectorCount where duplicates < 2 {
            if seen[row(r)] != nil { out.append(row(r)); duplicates += 1 } else { seen[row(r)] = r }
        }
        precondition(duplicates == 2)
        var nudged = Array(m.rows[(7 * m.dim)..<(8 * m.dim)])
        nudged[0] += 0.05
        out.append(VectorCodec.normalised(nudged))
        return out
    }

    @Test func prepassScanEqualsTheReferenceScan() {
        let m = Self.matrix(rows: 4_500, dim: 64, lists: 8, seed: 11)
        #expect(m.prepass != nil, "large enough for the bfloat16 pre-pass")
        Self.check(m, queries: Self.queries(m, seed: 5) + [Self.clusterCentre(dim: 64, seed: 11)])
    }

    @Test func float32ScanEqualsTheReferenceScan() {
        let small = Self.matrix(rows: 900, dim: 64, lists: 6, seed: 3)
        #expect(small.prepass == nil)
        Self.check(small, queries: Self.queries(small, seed: 9) + [Self.clusterCentre(dim: 64, seed: 3)])
        // No IVF, a dimension the pre-pass kernel does not take.
        let flat = Self.matrix(rows: 5_000, dim: 40, lists: 0, seed: 4)
        #expect(flat.prepass == nil && !flat.hasIVF)
        Self.check(flat, queries: Self.queries(flat, seed: 2) + [Self.clusterCentre(dim: 40, seed: 4)])
    }

    @Test func prepassBoundHoldsForEveryRow() {
        let m = Self.matrix(rows: 4_096, dim: 96, lists: 0, seed: 8)
        let prepass = try! #require(m.prepass)
        for q in Self.queries(m, seed: 1) {
            let (even, odd) = BFloat16Rows.splitQuery(q)
            var norm = 0.0
            for x in q { norm += Double(x) * Double(x) }
            for r in 0..<m.vectorCount {
                let exact = VectorMath.dot(q, Array(m.rows[(r * m.dim)..<((r + 1) * m.dim)]))
                let approx = even.withUnsafeBufferPointer { e in
                    odd.withUnsafeBufferPointer { o in
                        prepass.words.withUnsafeBufferPointer { w in
                            BFloat16Rows.dot(even: e.baseAddress!, odd: o.baseAddress!, row: w.baseAddress! + r * m.dim / 2, half: m.dim / 2)
                        }
                    }
                }
                #expect(abs(Double(exact) - Double(approx)) <= norm.squareRoot() * Double(prepass.slack[r]))
                // The bound is tight enough to be useful: bfloat16 keeps 8 significant bits.
                #expect(prepass.slack[r] < 0.004)
            }
        }
    }
}
