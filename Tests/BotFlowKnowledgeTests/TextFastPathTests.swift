@testable import BotFlowKnowledge
import BotFlowCore
import Testing

/// The byte-level text clean-up and string building used by ingest are optimisations: on any text they must give
/// exactly what the scalar-by-scalar definitions of behaviour §7.2 / §7.3 give.
@Suite struct TextFastPathTests {
    /// §7.2 written the slow, obvious way: CRLF and CR → LF; controls (Cc) except newline and tab removed.
    static func referenceClean(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for c in text.unicodeScalars {
            if c == "\r" { out.append("\n"); previousCR = true; continue }
            defer { previousCR = false }
            if c == "\n" { if !previousCR { out.append(c) }; continue }
            if c == "\t" { out.append(c); continue }
            if c.properties.generalCategory == .control { continue }
            out.append(c)
        }
        return String(out)
    }

    static let pieces = ["a", "Z", " ", "\r", "\n", "\r\n", "\t", "\u{0}", "\u{7}", "\u{1F}", "\u{7F}", "\u{80}", "\u{85}",
                         "\u{9F}", "\u{A0}", "é", "ß", "€", "😀", "e\u{301}", "\u{2028}", ".", "word", "\u{FEFF}", "\u{C2}"]

    @Test func cleanEqualsTheScalarDefinition() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<3000 {
            let text = (0..<Int(rng.next() % 30)).map { _ in Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }.joined()
            #expect(TextCleanup.clean(text) == Self.referenceClean(text), "\(Array(text.unicodeScalars))")
        }
        // Every scalar below U+0100, alone and after a CR.
        for v in UInt32(0)..<0x100 {
            let text = String(Unicode.Scalar(v)!) + "x\r" + String(Unicode.Scalar(v)!)
            #expect(TextCleanup.clean(text) == Self.referenceClean(text), "U+\(String(v, radix: 16))")
        }
    }

    @Test func chunkAndPassageStringsEqualTheScalars() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<1000 {
            let text = (0..<Int(rng.next() % 40)).map { _ in Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }.joined()
            let scalars = Array(text.unicodeScalars)
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            #expect(Chunker.string(scalars[...]) == String(view))
            #expect(Array(Chunker.string(scalars[...]).unicodeScalars) == scalars)
        }
    }
}
