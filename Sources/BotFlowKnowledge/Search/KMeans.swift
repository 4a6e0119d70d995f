/// Spherical k-means for the IVF index (data-model §6): cosine assignment, `iterations` rounds, deterministic seeds
/// (`lists` sample vectors at evenly spaced positions); an empty list keeps its previous centroid.
enum KMeans {
    static func train(_ sample: [[Float]], lists: Int, iterations: Int = 10) -> [[Float]] {
        guard !sample.isEmpty, lists > 0 else { return [] }
        let k = min(lists, sample.count)
        let dim = sample[0].count
        var centroids = (0..<k).map { sample[$0 * sample.count / k] }
        for _ in 0..<iterations {
            let flat = centroids.flatMap { $0 }
            var sums = [[Double]](repeating: [Double](repeating: 0, count: dim), count: k)
            var counts = [Int](repeating: 0, count: k)
            for v in sample {
                let c = VectorMath.nearest(v, in: flat, dim: dim)
                counts[c] += 1
                for i in 0..<dim { sums[c][i] += Double(v[i]) }
            }
            for c in 0..<k where counts[c] > 0 {
                let mean = sums[c].map { Float($0) }
                let n = VectorCodec.normalised(mean)
                if n.contains(where: { $0 != 0 }) { centroids[c] = n }
            }
        }
        return centroids
    }

    /// Evenly spaced positions of `count` items, at most `size` of them.
    static func evenlySpaced(count: Int, size: Int) -> [Int] {
        guard count > 0 else { return [] }
        let n = min(count, size)
        return (0..<n).map { $0 * count / n }
    }
}
