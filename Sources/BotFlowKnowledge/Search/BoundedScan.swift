import Dispatch

/// Search with a small `limit` (behaviour §7.5 steps 2–6) in work proportional to the candidate rows: no per-chunk
/// arrays, no score buffer — each block of rows keeps its own `TopChunks` and the blocks merge at the end.
///
/// Large matrices first scan their bfloat16 copy (half the memory traffic): every row gets an interval that surely
/// holds its float32 score; τ = the `limit`-th best lower bound among distinct chunks; only rows whose upper bound
/// reaches τ (and the threshold) are scored in float32 with the exact scan's own `VectorMath.dot`. A row left out
/// scores below `limit` chunks that are surely better, so the result — chunks, similarities, order, ties — is
/// exactly that of the float32 scan of the same candidate rows.
extension BotMatrix {
    func topChunks(_ query: [Float], limit: Int, threshold: Double, exact: Bool, probes: Int?) -> [(chunk: Int, score: Float)] {
        guard limit > 0, dim > 0, query.count == dim, !rowChunk.isEmpty else { return [] }
        let ranges = candidateRanges(query, exact: exact, probes: probes).filter { !$0.isEmpty }
        let total = ranges.reduce(0) { $0 + $1.count }
        // Below the threshold → never kept (a float below `floor` is below the threshold).
        var floor = Float(threshold)
        if Double(floor) > threshold { floor = floor.nextDown }
        // Blocks of about equal row counts over the concatenated ranges; four over the two cores so that a block
        // delayed by another process does not hold up the whole query.
        let blocks = total >= 16_384 ? 4 : total >= 4_096 ? 2 : 1
        let top: TopChunks = tieRank.withUnsafeBufferPointer { tie in
            rowChunk.withUnsafeBufferPointer { rc in
                query.withUnsafeBufferPointer { q in
                    rows.withUnsafeBufferPointer { m in
                        let scan = RowScan(query: q.baseAddress!, rows: m.baseAddress!, rowChunk: rc.baseAddress!, tieRank: tie.baseAddress!,
                                           dim: dim, limit: limit, threshold: threshold, floor: floor)
                        if let prepass {
                            return scan.withPrepass(prepass, query: query, ranges: ranges, total: total, blocks: blocks)
                        }
                        return scan.exactScan(ranges: ranges, total: total, blocks: blocks)
                    }
                }
            }
        }
        return zip(top.chunks, top.scores).map { (Int($0), $1) }
    }
}

/// The pointers and parameters of one query's scan; the buffers outlive every block (`concurrentPerform` returns
/// after all of them), blocks only read them and write their own result slot.
private struct RowScan: @unchecked Sendable {
    let query: UnsafePointer<Float>
    let rows: UnsafePointer<Float>
    let rowChunk: UnsafePointer<Int32>
    let tieRank: UnsafePointer<Int32>
    let dim: Int
    let limit: Int
    let threshold: Double
    let floor: Float

    /// Calls `body` with each candidate row of block `block` (of `blocks`) of the concatenated ranges.
    @inline(__always)
    static func forEachRow(_ ranges: [Range<Int>], total: Int, block: Int, blocks: Int, _ body: (Int) -> Void) {
        var lo = total * block / blocks, hi = total * (block + 1) / blocks
        for range in ranges {
            if hi <= 0 { break }
            if lo < range.count {
                let start = range.lowerBound + max(0, lo), end = range.lowerBound + min(range.count, hi)
                for r in start..<end { body(r) }
            }
            lo -= range.count; hi -= range.count
        }
    }

    /// Runs `body` for each block in parallel, collecting one result per block.
    func perBlock<T>(_ blocks: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let out = UnsafeMutablePointer<T>.allocate(capacity: blocks)
        defer { out.deinitialize(count: blocks); out.deallocate() }
        let slots = Slots(base: out)
        if blocks == 1 {
            (out).initialize(to: body(0))
        } else {
            DispatchQueue.concurrentPerform(iterations: blocks) { b in (slots.base + b).initialize(to: body(b)) }
        }
        return Array(UnsafeBufferPointer(start: out, count: blocks))
    }

    /// Float32 dot product and bounded selection fused, row by row.
    func exactScan(ranges: [Range<Int>], total: Int, blocks: Int) -> TopChunks {
        let parts = perBlock(blocks) { block in
            var top = TopChunks(capacity: limit, tieRank: tieRank)
            var need = floor
            Self.forEachRow(ranges, total: total, block: block, blocks: blocks) { r in
                let s = VectorMath.dot(query, rows + r * dim, dim)
                if s < need { return }
                if Double(s) > threshold {
                    top.offer(s, chunk: rowChunk[r])
                    need = Swift.max(floor, top.worst)
                }
            }
            return top
        }
        var top = parts[0]
        for part in parts.dropFirst() { top.merge(part) }
        return top
    }

    /// The bfloat16 pre-pass, then float32 for the rows that could still be in the result.
    func withPrepass(_ prepass: BFloat16Rows, query q: [Float], ranges: [Range<Int>], total: Int, blocks: Int) -> TopChunks {
        var norm = 0.0
        for x in q { norm += Double(x) * Double(x) }
        let qNorm = Float(norm.squareRoot() * (1 + 1e-6)).nextUp
        let (even, odd) = BFloat16Rows.splitQuery(q)
        let half = dim / 2
        // Per block: the rows that may matter (upper bound ≥ the block's τ so far, which only rises and never
        // exceeds the final τ) and the block's best lower bounds per chunk.
        let parts: [(rows: [Int32], upper: [Float], lower: TopChunks)] = even.withUnsafeBufferPointer { e in
            odd.withUnsafeBufferPointer { o in
                prepass.words.withUnsafeBufferPointer { w in
                    prepass.slack.withUnsafeBufferPointer { sl in
                        let p = PrepassPointers(even: e.baseAddress!, odd: o.baseAddress!, words: w.baseAddress!, slack: sl.baseAddress!)
                        return perBlock(blocks) { block in
                            var lower = TopChunks(capacity: limit, tieRank: tieRank)
                            var rowsOut: [Int32] = [], upperOut: [Float] = []
                            var need = floor
                            Self.forEachRow(ranges, total: total, block: block, blocks: blocks) { r in
                                let a = BFloat16Rows.dot(even: p.even, odd: p.odd, row: p.words + r * half, half: half)
                                let b = (qNorm * p.slack[r]).nextUp
                                let upper = (a + b).nextUp
                                if !(upper >= need) { return }
                                rowsOut.append(Int32(r)); upperOut.append(upper)
                                let low = (a - b).nextDown
                                if low >= lower.worst {
                                    lower.offer(low, chunk: rowChunk[r])
                                    need = Swift.max(floor, lower.worst)
                                }
                            }
                            return (rowsOut, upperOut, lower)
                        }
                    }
                }
            }
        }
        var lower = parts[0].lower
        for part in parts.dropFirst() { lower.merge(part.lower) }
        let tau = Swift.max(floor, lower.worst)
        var top = TopChunks(capacity: limit, tieRank: tieRank)
        for part in parts {
            for (r, upper) in zip(part.rows, part.upper) where upper >= tau {
                let row = Int(r)
                let s = VectorMath.dot(query, rows + row * dim, dim)
                if Double(s) > threshold { top.offer(s, chunk: rowChunk[row]) }
            }
        }
        return top
    }
}

private struct PrepassPointers: @unchecked Sendable {
    let even: UnsafePointer<Float>
    let odd: UnsafePointer<Float>
    let words: UnsafePointer<UInt32>
    let slack: UnsafePointer<Float>
}

private struct Slots<T>: @unchecked Sendable { let base: UnsafeMutablePointer<T> }
