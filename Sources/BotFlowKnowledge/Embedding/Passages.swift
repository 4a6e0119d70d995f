/// Sentence passages of a chunk (behaviour §7.4): a question that matches one sentence of an FAQ answer scores high
/// even inside a 2000-character chunk, because a chunk's similarity is the maximum over its vectors.
public enum Passages {
    public static let maximumLength = 300

    /// Passages in text order; pieces that yield no token are skipped.
    public static func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var sentences: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "\n" {
                sentences.append(scalars[start..<i]); start = i + 1
            } else if (c == "." || c == "!" || c == "?"), i + 1 < scalars.count, scalars[i + 1].properties.isWhitespace {
                sentences.append(scalars[start...i]); start = i + 1
            }
            i += 1
        }
        if start < scalars.count { sentences.append(scalars[start...]) }
        var out: [String] = []
        for sentence in sentences {
            let t = Chunker.trimmed(sentence)
            var p = t.startIndex
            while p < t.endIndex {
                let q = min(p + maximumLength, t.endIndex)
                let piece = Chunker.string(t[p..<q])
                if LocalEmbedder.hasToken(piece) { out.append(piece) }
                p = q
            }
        }
        return out
    }
}
