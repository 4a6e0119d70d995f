/// Dot products over contiguous float32 rows with SIMD16 (vectors are L2-normalised, so dot = cosine).
enum VectorMath {
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dim: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= dim {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            i += 32
        }
        var s = (acc0 + acc1).sum()
        while i < dim { s += a[i] * b[i]; i += 1 }
        return s
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return 0 }
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa.baseAddress!, pb.baseAddress!, a.count) } }
    }

    /// Index of the row of `matrix` (rows of `dim`) with the largest dot product with `v`.
    static func nearest(_ v: [Float], in matrix: [Float], dim: Int) -> Int {
        let rows = dim == 0 ? 0 : matrix.count / dim
        var best = 0
        var bestScore = -Float.infinity
        v.withUnsafeBufferPointer { pv in
            matrix.withUnsafeBufferPointer { pm in
                for r in 0..<rows {
                    let s = dot(pv.baseAddress!, pm.baseAddress! + r * dim, dim)
                    if s > bestScore { bestScore = s; best = r }
                }
            }
        }
        return best
    }
}
