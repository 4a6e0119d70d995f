import Dispatch

/// Spherical k-means for the IVF index (data-model §6): cosine assignment, `iterations` rounds, deterministic seeds
/// (`lists` sample vectors at evenly spaced positions); an empty list keeps its previous centroid.
enum KMeans {
    static func train(_ sample: [[Float]], lists: Int, iterations: Int = 10) -> [[Float]] {
        guard !sample.isEmpty, lists > 0 else { return [] }
        let k = min(lists, sample.count)
        let dim = sample[0].count
        var centroids = (0..<k).flatMap { sample[$0 * sample.count / k] }
        for _ in 0..<iterations {
            let assignment = nearest(sample, centroids: centroids, dim: dim)
            var sums = [Float](repeating: 0, count: k * dim)
            var counts = [Int](repeating: 0, count: k)
            sums.withUnsafeMutableBufferPointer { s in
                for (v, c) in zip(sample, assignment) {
                    counts[c] += 1
                    v.withUnsafeBufferPointer { p in
                        for i in 0..<dim { s[c * dim + i] += p[i] }
                    }
                }
            }
            for c in 0..<k where counts[c] > 0 {
                let n = VectorCodec.normalised(Array(sums[(c * dim)..<((c + 1) * dim)]))
                if n.contains(where: { $0 != 0 }) { centroids.replaceSubrange((c * dim)..<((c + 1) * dim), with: n) }
            }
        }
        return (0..<k).map { Array(centroids[($0 * dim)..<(($0 + 1) * dim)]) }
    }

    /// The nearest centroid of every vector, computed in parallel blocks.
    static func nearest(_ vectors: [[Float]], centroids: [Float], dim: Int) -> [Int] {
        let out = UnsafeMutableBufferPointer<Int>.allocate(capacity: vectors.count)
        defer { out.deallocate() }
        let shared = SharedOut(base: out.baseAddress!)
        let blocks = vectors.count >= 2_000 ? 8 : 1
        DispatchQueue.concurrentPerform(iterations: blocks) { block in
            let lo = vectors.count * block / blocks, hi = vectors.count * (block + 1) / blocks
            for i in lo..<hi { shared.base[i] = VectorMath.nearest(vectors[i], in: centroids, dim: dim) }
        }
        return Array(out)
    }

    /// Evenly spaced positions of `count` items, at most `size` of them.
    static func evenlySpaced(count: Int, size: Int) -> [Int] {
        guard count > 0 else { return [] }
        let n = min(count, size)
        return (0..<n).map { $0 * count / n }
    }
}

/// Blocks write disjoint indexes of one buffer that outlives them.
private struct SharedOut: @unchecked Sendable { let base: UnsafeMutablePointer<Int> }
