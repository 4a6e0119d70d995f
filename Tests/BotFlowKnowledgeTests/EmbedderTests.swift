import BotFlowCore
@testable import BotFlowKnowledge
import Testing

/// behaviour §7.4.
@Suite struct EmbedderTests {
    let e = LocalEmbedder()

    func similarity(_ a: String, _ b: String) -> Float { VectorMath.dot(e.embed(a), e.embed(b)) }

    @Test func workedExamples() {
        #expect(LocalEmbedder.tokens("How do I reset my password?") == ["reset", "password"])
        #expect(LocalEmbedder.tokens("how can i reset my passwords") == ["reset", "password"])
        #expect(abs(similarity("How do I reset my password?", "how can i reset my passwords") - 1) < 1e-6)
        #expect(abs(similarity("Can I change my booking?", "How do I change a booking?") - 1) < 1e-6)
        // Same query against the whole two-sentence answer: about 0.77 (hand-computed 0.76749).
        let whole = similarity("Can I change my booking?", "How do I change a booking? Reply CHANGE with your booking number and the new time.")
        #expect(abs(whole - 0.767_494_5) < 1e-4)
    }

    /// "Passwords: reset your password, passwords!" → password (tf 3), reset (tf 1). FNV-1a("password") =
    /// 0x364B5F18 → index 280, bit 16 set → −1; FNV-1a("reset") = 0x650D33C0 → index 448, bit 16 set → −1.
    /// Components −(1 + ln 3) and −1, normalised: −0.9027501 and −0.4301653; every other component 0.
    @Test func handComputedVector() {
        #expect(LocalEmbedder.fnv1a("password") == 0x364B_5F18)
        #expect(LocalEmbedder.fnv1a("reset") == 0x650D_33C0)
        let v = e.embed("Passwords: reset your password, passwords!")
        #expect(v.count == 512)
        #expect(abs(v[280] - -0.902_750_1) < 1e-6)
        #expect(abs(v[448] - -0.430_165_3) < 1e-6)
        #expect(v.enumerated().filter { $0.offset != 280 && $0.offset != 448 }.allSatisfy { $0.element == 0 })
    }

    @Test func tokenRules() {
        #expect(LocalEmbedder.tokens("Don't CAN’T won't") == ["dont", "cant", "wont"], "apostrophes between letters deleted")
        #expect(LocalEmbedder.tokens("'quoted' rock'n'roll") == ["quoted", "rocknroll"])
        #expect(LocalEmbedder.tokens("ﬁle Ｆｉｌｅｓ") == ["file", "file"], "NFKC folds ligatures and full-width forms")
        #expect(LocalEmbedder.tokens("a b 7 42 x9") == ["42", "x9"], "length-1 tokens dropped")
        #expect(LocalEmbedder.tokens("class glass bus buses its this") == ["class", "glass", "bus", "buse"], "ss kept; ≥4 loses s; stop words first")
        #expect(LocalEmbedder.tokens("café naïve") == ["café", "naïve"])
        #expect(LocalEmbedder.tokens("e\u{301}cole") == ["école"], "combining marks are part of the word (NFKC composes them)")
    }

    /// The byte-level ASCII tokenizer is an optimisation: on every ASCII text it equals the Unicode path.
    @Test func asciiFastPathEqualsTheUnicodePath() {
        var rng = SplitMix64(seed: 3)
        let alphabet = Array("aZ0'9 .,-_!?\t\nThe an's Don't x".utf8)
        for _ in 0..<2000 {
            let bytes = (0..<Int(rng.next() % 60)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(LocalEmbedder.asciiQueryTokens(text) == LocalEmbedder.unicodeQueryTokens(text), "\(text)")
        }
    }

    /// The byte-level ASCII embedder is an optimisation: on every ASCII text its vector is bit-for-bit the one the
    /// String-based reference gives (same tokens, same counts, same summation order), and so is "has a token".
    @Test func asciiEmbeddingEqualsTheReferenceBitForBit() {
        var rng = SplitMix64(seed: 11)
        let words = ["Booking", "bookings", "class", "glass", "buses", "its", "this", "don't", "rock'n'roll", "Ourselves",
                     "yourselves", "x", "42", "a1", "pass", "passes", "THE", "and", "'quoted'", "Wi-Fi", "e-mail", "café"]
        var checked = 0
        for _ in 0..<3000 {
            let n = Int(rng.next() % 40)
            let text = (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count - 1))] }  // last word (non-ASCII) excluded
                .joined(separator: [" ", ", ", ".\n", "? ", "\t"][Int(rng.next() % 5)])
            let fast = ASCIIEmbedding.embed(text)
            #expect(fast != nil)
            #expect(fast == LocalEmbedder.referenceEmbed(text), "\(text)")
            #expect(ASCIIEmbedding.hasToken(text) == !LocalEmbedder.tokens(text).isEmpty, "\(text)")
            checked += 1
        }
        #expect(checked == 3000)
        // Many tokens (the counter grows its table) and repeated ones.
        let long = (0..<5000).map { "word\($0 % 700) items\($0 % 3)" }.joined(separator: " ")
        #expect(ASCIIEmbedding.embed(long) == LocalEmbedder.referenceEmbed(long))
        #expect(ASCIIEmbedding.embed("café au lait") == nil, "non-ASCII text takes the Unicode path")
        #expect(e.embed("café au lait") == LocalEmbedder.referenceEmbed("café au lait"))
    }

    @Test func zeroVectorAndNormalisation() {
        #expect(e.embed("the and of a I").allSatisfy { $0 == 0 })
        let v = e.embed("Shuttle leaves every hour from the airport")
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(norm - 1) < 1e-5)
        #expect(e.embed("Shuttle leaves every hour") == e.embed("Shuttle leaves every hour"), "deterministic")
    }

    @Test func passagesSplitSentencesAndLongPieces() {
        let p = Passages.split("How do I change a booking? Reply CHANGE.\nPrices: R350 one way!  Is it safe?Yes")
        #expect(p == ["How do I change a booking?", "Reply CHANGE.", "Prices: R350 one way!", "Is it safe?Yes"])
        let long = String(repeating: "word ", count: 130) // 650 characters, one sentence
        #expect(Passages.split(long).map(\.unicodeScalars.count) == [300, 300, 49])
        #expect(Passages.split("The. And. Shuttle times.") == ["Shuttle times."], "pieces with no token are skipped")
    }
}
