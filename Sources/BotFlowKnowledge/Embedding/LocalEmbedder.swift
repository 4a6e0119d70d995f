import Foundation

/// `botflow-local-v1` (behaviour §7.4): a deterministic 512-dimensional hashed bag of words, identical across
/// implementations, so an appliance answers from its documents with no network and no model files.
public struct LocalEmbedder: Sendable {
    public static let modelId = "local:botflow-local-v1"
    public static let dimensions = 512

    public init() {}

    /// The L2-normalised vector of `text` (the zero vector when it has no tokens).
    public func embed(_ text: String) -> [Float] {
        ASCIIEmbedding.embed(text) ?? Self.referenceEmbed(text)
    }

    /// Steps 1–8 through `tokens` (any text; the ASCII fast path must agree with it bit for bit).
    static func referenceEmbed(_ text: String) -> [Float] {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for token in Self.tokens(text) {
            if counts[token] == nil { order.append(token) }
            counts[token, default: 0] += 1
        }
        var acc = [Double](repeating: 0, count: Self.dimensions)
        for token in order {
            let h = Self.fnv1a(token)
            let sign: Double = (h >> 16) & 1 == 0 ? 1 : -1
            acc[Int(h % UInt32(Self.dimensions))] += sign * (1 + log(Double(counts[token]!)))
        }
        return normalise(acc)
    }

    /// Step 8.
    static func normalise(_ acc: [Double]) -> [Float] {
        let norm = acc.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [Float](repeating: 0, count: Self.dimensions) }
        return acc.map { Float($0 / norm) }
    }

    /// Whether steps 1–5 leave at least one token.
    static func hasToken(_ text: String) -> Bool {
        ASCIIEmbedding.hasToken(text) ?? !tokens(text).isEmpty
    }

    /// Steps 1–5: NFKC, lower case, in-word apostrophes deleted, runs of letters/marks/digits, length ≥ 2, no
    /// stop words, a plural `s` removed.
    public static func tokens(_ text: String) -> [String] {
        queryTokens(text).map(stem)
    }

    /// Steps 1–4 only (the hybrid search's FTS query uses these, behaviour §7.5).
    public static func queryTokens(_ text: String) -> [String] {
        text.utf8.allSatisfy({ $0 < 0x80 }) ? asciiQueryTokens(text) : unicodeQueryTokens(text)
    }

    static func unicodeQueryTokens(_ text: String) -> [String] {
        let scalars = Array(text.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars)
        var out: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if current.count > 1 {
                let token = String(current)
                if !stopWords.contains(token) { out.append(token) }
            }
            current = String.UnicodeScalarView()
        }
        for (i, c) in scalars.enumerated() {
            if isWordScalar(c) {
                current.append(c)
            } else if (c == "'" || c == "\u{2019}"), i > 0, i + 1 < scalars.count, isLetter(scalars[i - 1]), isLetter(scalars[i + 1]) {
                continue // `don't` → `dont`: the apostrophe is deleted, the word goes on
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// The same steps for pure ASCII text, on bytes: NFKC is the identity there, letters are A–Z/a–z, digits 0–9 and
    /// there are no combining marks. About ten times faster, which is most of ingest time.
    static func asciiQueryTokens(_ text: String) -> [String] {
        var out: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(32)
        let bytes = Array(text.utf8)
        func isLetter(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) }
        func flush() {
            if current.count > 1 {
                let token = String(decoding: current, as: UTF8.self)
                if !stopWords.contains(token) { out.append(token) }
            }
            current.removeAll(keepingCapacity: true)
        }
        for (i, b) in bytes.enumerated() {
            if isLetter(b) {
                current.append(b | 0x20) // lower case
            } else if b >= 0x30 && b <= 0x39 {
                current.append(b)
            } else if b == 0x27, i > 0, i + 1 < bytes.count, isLetter(bytes[i - 1]), isLetter(bytes[i + 1]) {
                continue
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    static func stem(_ token: String) -> String {
        let s = token.unicodeScalars
        guard s.count >= 4, s.last == "s" else { return token }
        let beforeLast = s[s.index(s.endIndex, offsetBy: -2)]
        guard beforeLast != "s" else { return token }
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s.dropLast())
        return String(v)
    }

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber: return true
        default: return false
        }
    }

    /// FNV-1a 32-bit of the UTF-8 bytes.
    static func fnv1a(_ token: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in token.utf8 {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return h
    }

    static let stopWords: Set<String> = Set("""
        about above after again against all also am an and any are as at be because been before being below between both \
        but by can could did do does doing down during each few for from further had has have having he her here hers \
        herself him himself his how if in into is it its itself just me more most my myself no nor not now of off on once \
        only or other our ours ourselves out over own same she should so some such than that the their theirs them \
        themselves then there these they this those through to too under until up very was we were what when where which \
        while who whom why will with would you your yours yourself yourselves
        """.split(separator: " ").map(String.init))
}
