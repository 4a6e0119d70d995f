import Foundation

/// `botflow-local-v1` on pure ASCII text straight from the UTF-8 bytes: the same steps 1–8 of behaviour §7.4 (NFKC is
/// the identity on ASCII), without a `String` per token or a dictionary keyed by strings. Ingest embeds every chunk
/// and every sentence passage, so this is most of ingest's CPU time. Tokens are counted in an open-addressing table
/// that remembers first occurrences, so components are summed in the same order as the reference path and the
/// vectors are bit-for-bit identical (`EmbedderTests` checks that on random texts).
enum ASCIIEmbedding {
    /// nil when the text is not pure ASCII (the caller then takes the Unicode path).
    static func embed(_ text: String) -> [Float]? {
        var text = text
        return text.withUTF8 { bytes -> [Float]? in
            guard isASCII(bytes) else { return nil }
            var counter = TokenCounter()
            scan(bytes) { token, hash in counter.add(token, hash: hash) }
            return counter.vector()
        }
    }

    /// Whether the text yields at least one token (a passage without any is skipped, §7.4); nil when not ASCII.
    static func hasToken(_ text: String) -> Bool? {
        var text = text
        return text.withUTF8 { bytes -> Bool? in
            guard isASCII(bytes) else { return nil }
            var found = false
            scan(bytes) { _, _ in found = true }
            return found
        }
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        // Eight bytes at a time: any high bit means non-ASCII.
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                i += 8
            }
        }
        while i < n { if bytes[i] >= 0x80 { return false }; i += 1 }
        return true
    }

    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    /// Calls `emit` with each final token (lower-cased, length ≥ 2, not a stop word, plural `s` removed) and its
    /// FNV-1a hash. The token buffer is only valid during the call.
    @inline(__always)
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ emit: (UnsafeBufferPointer<UInt8>, UInt32) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count + 1) { token in
            var length = 0
            var hash: UInt32 = 0x811C_9DC5
            var hashBeforeLast: UInt32 = hash
            func flush() {
                defer { length = 0; hash = 0x811C_9DC5 }
                guard length > 1 else { return }
                let word = UnsafeBufferPointer(rebasing: token[0..<length])
                if StopWords.contains(word, hash: hash) { return }
                // Stem (step 5): length ≥ 4, ends in `s` but not `ss` → drop the `s`; FNV-1a of the prefix is the
                // hash before its last byte.
                if length >= 4 && token[length - 1] == 0x73 && token[length - 2] != 0x73 {
                    emit(UnsafeBufferPointer(rebasing: token[0..<(length - 1)]), hashBeforeLast)
                } else {
                    emit(word, hash)
                }
            }
            let n = bytes.count
            var i = 0
            while i < n {
                let b = bytes[i]
                if isLetter(b) || (b >= 0x30 && b <= 0x39) {
                    let c = isLetter(b) ? b | 0x20 : b
                    token[length] = c
                    length += 1
                    hashBeforeLast = hash
                    hash = (hash ^ UInt32(c)) &* 0x0100_0193
                } else if b == 0x27, i > 0, i + 1 < n, isLetter(bytes[i - 1]), isLetter(bytes[i + 1]) {
                    // `don't` → `dont`: the apostrophe is deleted and the word goes on.
                } else {
                    flush()
                }
                i += 1
            }
            flush()
        }
    }
}

/// Distinct tokens with their counts in first-occurrence order (open addressing on the FNV-1a hash, bytes compared).
private struct TokenCounter {
    private var arena: [UInt8] = []
    private var tokens: [(offset: Int, length: Int, hash: UInt32, count: Int)] = []
    private var slots = [Int32](repeating: -1, count: 64)

    mutating func add(_ token: UnsafeBufferPointer<UInt8>, hash: UInt32) {
        if tokens.count * 2 >= slots.count { grow() }
        let mask = slots.count - 1
        var s = Int(hash) & mask
        while true {
            let t = Int(slots[s])
            if t < 0 {
                slots[s] = Int32(tokens.count)
                tokens.append((arena.count, token.count, hash, 1))
                arena.append(contentsOf: token)
                return
            }
            if tokens[t].hash == hash && tokens[t].length == token.count && equal(tokens[t].offset, token) {
                tokens[t].count += 1
                return
            }
            s = (s + 1) & mask
        }
    }

    private func equal(_ offset: Int, _ token: UnsafeBufferPointer<UInt8>) -> Bool {
        arena.withUnsafeBufferPointer { a in
            for k in 0..<token.count where a[offset + k] != token[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (t, token) in tokens.enumerated() {
            var s = Int(token.hash) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(t)
        }
    }

    /// Steps 7–8, in the reference path's order.
    func vector() -> [Float] {
        var acc = [Double](repeating: 0, count: LocalEmbedder.dimensions)
        for token in tokens {
            let sign: Double = (token.hash >> 16) & 1 == 0 ? 1 : -1
            acc[Int(token.hash % UInt32(LocalEmbedder.dimensions))] += sign * (1 + log(Double(token.count)))
        }
        return LocalEmbedder.normalise(acc)
    }
}

/// The stop words of step 4 keyed by FNV-1a hash, so a token is checked without building a `String`.
private enum StopWords {
    static let byHash: [UInt32: [[UInt8]]] = {
        var table: [UInt32: [[UInt8]]] = [:]
        for word in LocalEmbedder.stopWords { table[LocalEmbedder.fnv1a(word), default: []].append(Array(word.utf8)) }
        return table
    }()

    static func contains(_ token: UnsafeBufferPointer<UInt8>, hash: UInt32) -> Bool {
        guard token.count <= 10, let words = byHash[hash] else { return false }
        return words.contains { $0.elementsEqual(token) }
    }
}
