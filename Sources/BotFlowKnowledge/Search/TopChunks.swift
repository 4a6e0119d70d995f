/// The best `capacity` distinct chunks seen so far, best first, each with the maximum score offered for it
/// (behaviour §7.5 order: score descending, then the chunk's tie rank = article `created_at`, `chunk_index`, `chunk_no`).
///
/// Offering rows in any order gives the top `capacity` chunks by their maximum row score: a chunk that was dropped
/// (or never got in) can only come back with a score above everything it had, and the entry it must beat only gets
/// better. For the same reason the union of several sets, each over a part of the rows, offered into one set gives
/// the top chunks of all the rows — so blocks of a scan keep their own sets and merge at the end.
struct TopChunks {
    let capacity: Int
    private(set) var scores: [Float] = []
    private(set) var chunks: [Int32] = []
    /// Chunk → position in the §7.5 tie order (smaller first); outlives the set.
    let tieRank: UnsafePointer<Int32>

    init(capacity: Int, tieRank: UnsafePointer<Int32>) {
        self.capacity = capacity
        self.tieRank = tieRank
        scores.reserveCapacity(capacity + 1)
        chunks.reserveCapacity(capacity + 1)
    }

    var isFull: Bool { scores.count == capacity }

    /// The score a row needs to reach (≥) to possibly change the set: the last entry's when full.
    var worst: Float { isFull ? scores[capacity - 1] : -.infinity }

    @inline(__always)
    private func before(_ s: Float, _ c: Int32, _ i: Int) -> Bool {
        s != scores[i] ? s > scores[i] : tieRank[Int(c)] < tieRank[Int(chunks[i])]
    }

    mutating func offer(_ s: Float, chunk c: Int32) {
        guard !s.isNaN, capacity > 0 else { return }
        if let i = chunks.firstIndex(of: c) {
            guard s > scores[i] else { return }
            scores.remove(at: i); chunks.remove(at: i)
        } else if isFull {
            guard before(s, c, capacity - 1) else { return }
            scores.removeLast(); chunks.removeLast()
        }
        var at = scores.count
        while at > 0, before(s, c, at - 1) { at -= 1 }
        scores.insert(s, at: at)
        chunks.insert(c, at: at)
    }

    /// Everything of `other` offered into this set.
    mutating func merge(_ other: TopChunks) {
        for (s, c) in zip(other.scores, other.chunks) { offer(s, chunk: c) }
    }
}
