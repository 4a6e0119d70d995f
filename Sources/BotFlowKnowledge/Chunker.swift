/// One chunk of an article's text (behaviour §7.3). Positions count Unicode scalars of the extracted text.
public struct TextChunk: Sendable, Equatable {
    public var chunkIndex: Int
    public var content: String
    public var charStart: Int
    public var charEnd: Int
    public init(chunkIndex: Int, content: String, charStart: Int, charEnd: Int) {
        self.chunkIndex = chunkIndex; self.content = content; self.charStart = charStart; self.charEnd = charEnd
    }
}

/// The chunker of behaviour §7.3: 2000-scalar windows that prefer to end after the last `.` or newline, overlapping
/// by 200, keeping only chunks longer than 50 scalars after trimming.
public enum Chunker {
    public static let size = 2000
    public static let overlap = 200
    public static let minimumKept = 51

    public static func chunks(_ text: String) -> [TextChunk] {
        let t = Array(text.unicodeScalars)
        let length = t.count
        var out: [TextChunk] = []
        var start = 0
        var index = 0
        guard length > 0 else { return [] }
        while true {
            var end = min(start + size, length)
            if end < length {
                // The later of the last `.` and the last newline in the window; only used when it keeps the
                // window longer than the overlap, which is what guarantees progress in step 7.
                var b = -1
                var i = end - 1
                while i >= start {
                    if t[i] == "." || t[i] == "\n" { b = i; break }
                    i -= 1
                }
                if b > start + overlap { end = b + 1 }
            }
            let piece = trimmed(t[start..<end])
            if piece.count >= minimumKept {
                out.append(TextChunk(chunkIndex: index, content: string(piece), charStart: start, charEnd: end))
                index += 1
            }
            if end == length { break }
            start = end - overlap
        }
        return out
    }

    /// The text of `scalars`, encoded to UTF-8 in one buffer (appending scalar by scalar to a `String` is several
    /// times slower, and ingest builds every chunk and every passage this way).
    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count)
        for c in scalars {
            if c.value < 0x80 { bytes.append(UInt8(truncatingIfNeeded: c.value)) } else { UTF8.encode(c) { bytes.append($0) } }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Leading and trailing Unicode whitespace removed.
    static func trimmed(_ s: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, s[lo].properties.isWhitespace { lo += 1 }
        while hi > lo, s[hi - 1].properties.isWhitespace { hi -= 1 }
        return s[lo..<hi]
    }
}
