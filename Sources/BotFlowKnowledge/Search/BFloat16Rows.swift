import Foundation

/// A bfloat16 copy of a matrix's rows for the approximate pre-pass of large scans: half the bytes of float32, which
/// is what the scan is limited by, and turned back into float32 with one shift or mask per lane (bfloat16 is the top
/// half of a float32; SSE2 has no cheap float16 or int8 conversion).
///
/// Each row carries `slack`, a bound such that for any query q the float32 dot product the exact scan computes
/// (`VectorMath.dot`) and the pre-pass's `dot` differ by at most ‖q‖ × slack. So the pre-pass can rule rows out
/// with certainty and only the rows that could still matter are scored in float32: results are exactly those of
/// the float32 scan.
struct BFloat16Rows: Sendable {
    /// Row r is words `r * dim / 2 ..< (r + 1) * dim / 2`; word j holds component 2j in its low and 2j + 1 in its
    /// high 16 bits.
    let words: [UInt32]
    let slack: [Float]

    /// Only worth it for large matrices; needs dim a multiple of 32 (the kernel's step) and finite values.
    static func make(rows: [Float], dim: Int) -> BFloat16Rows? {
        guard dim > 0, dim % 32 == 0, rows.count >= 4096 * dim else { return nil }
        let count = rows.count / dim
        var words = [UInt32](repeating: 0, count: count * dim / 2)
        var slack = [Float](repeating: 0, count: count)
        // Rounding error of a float32 dot product of n terms in any summation order: γ_n = n·u / (1 − n·u).
        let n = Double(dim + 4), u = 0x1p-24
        let gamma = n * u / (1 - n * u)
        var finite = true
        rows.withUnsafeBufferPointer { m in
            words.withUnsafeMutableBufferPointer { w in
                for r in 0..<count {
                    var err = 0.0, norm = 0.0, normB = 0.0
                    for j in 0..<(dim / 2) {
                        let x0 = m[r * dim + 2 * j], x1 = m[r * dim + 2 * j + 1]
                        let b0 = bfloat16(x0), b1 = bfloat16(x1)
                        w[r * dim / 2 + j] = UInt32(b0) | UInt32(b1) << 16
                        let y0 = Double(Float(bitPattern: UInt32(b0) << 16)), y1 = Double(Float(bitPattern: UInt32(b1) << 16))
                        err += (Double(x0) - y0) * (Double(x0) - y0) + (Double(x1) - y1) * (Double(x1) - y1)
                        norm += Double(x0) * Double(x0) + Double(x1) * Double(x1)
                        normB += y0 * y0 + y1 * y1
                    }
                    // |q·r − q·r̂| ≤ ‖q‖‖r − r̂‖, plus both products' rounding ≤ γ‖q‖(‖r‖ + ‖r̂‖); a margin for
                    // computing the bound itself.
                    let bound = (err.squareRoot() + gamma * (norm.squareRoot() + normB.squareRoot())) * (1 + 1e-6) + 1e-30
                    let s = Float(bound).nextUp
                    if !s.isFinite { finite = false }
                    slack[r] = s
                }
            }
        }
        return finite ? BFloat16Rows(words: words, slack: slack) : nil
    }

    /// Round to nearest even; the caller rejects rows whose bound is not finite (values near Float.greatestFinite).
    @inline(__always)
    static func bfloat16(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        guard !x.isNaN else { return UInt16(b >> 16) | 0x40 }
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// The query split into its even and odd components, the layout `dot` expects.
    static func splitQuery(_ q: [Float]) -> (even: [Float], odd: [Float]) {
        (stride(from: 0, to: q.count, by: 2).map { q[$0] }, stride(from: 1, to: q.count, by: 2).map { q[$0] })
    }

    /// Dot product of the split query with one packed row of `half` = dim / 2 words (a multiple of 16).
    @inline(__always)
    static func dot(even: UnsafePointer<Float>, odd: UnsafePointer<Float>, row: UnsafePointer<UInt32>, half: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        let re = UnsafeRawPointer(even), ro = UnsafeRawPointer(odd), rw = UnsafeRawPointer(row)
        let high = SIMD16<UInt32>(repeating: 0xFFFF_0000)
        var i = 0
        while i < half {
            let v = rw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<UInt32>.self)
            acc0 += re.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * unsafeBitCast(v &<< 16, to: SIMD16<Float>.self)
            acc1 += ro.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * unsafeBitCast(v & high, to: SIMD16<Float>.self)
            i += 16
        }
        return (acc0 + acc1).sum()
    }
}
