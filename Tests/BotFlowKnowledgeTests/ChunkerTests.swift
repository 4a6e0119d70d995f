import BotFlowCore
@testable import BotFlowKnowledge
import Testing

/// behaviour §7.3.
@Suite struct ChunkerTests {
    @Test func shortTextIsOneChunkAndTinyTextNone() {
        let text = "  Shuttles leave the airport every hour from 06:00 to 22:00, daily.  "
        #expect(Chunker.chunks(text) == [TextChunk(chunkIndex: 0, content: text.trimmingCharacters(in: .whitespaces),
                                                  charStart: 0, charEnd: text.unicodeScalars.count)])
        #expect(Chunker.chunks(String(repeating: "x", count: 50)).isEmpty, "50 characters is not longer than 50")
        #expect(Chunker.chunks(String(repeating: "x", count: 51)).count == 1)
        #expect(Chunker.chunks("").isEmpty)
    }

    /// Worked example: 3000 characters with a full stop at position 1499 and a newline at 1799: the first window
    /// [0, 2000) ends after the later of the two (1800); the next starts 200 earlier (1600) and runs to the end.
    @Test func windowEndsAfterTheLastFullStopOrNewline() {
        var scalars = Array(repeating: Character("a"), count: 3000)
        scalars[1499] = "."
        scalars[1799] = "\n"
        let text = String(scalars)
        let chunks = Chunker.chunks(text)
        #expect(chunks.map(\.charStart) == [0, 1600])
        #expect(chunks.map(\.charEnd) == [1800, 3000])
        #expect(chunks.map(\.chunkIndex) == [0, 1])
        #expect(chunks[0].content == String(scalars[0..<1799]), "the trailing newline is trimmed")
        #expect(chunks[1].content == String(scalars[1600..<3000]), "the second window starts 200 before the first one's end")
    }

    /// A break at or before start + 200 is ignored: the window keeps its full 2000 characters.
    @Test func earlyBreakIsIgnored() {
        var scalars = Array(repeating: Character("b"), count: 4500)
        scalars[150] = "."
        let chunks = Chunker.chunks(String(scalars))
        #expect(chunks.map(\.charStart) == [0, 1800, 3600])
        #expect(chunks.map(\.charEnd) == [2000, 3800, 4500])
    }

    /// Positions count Unicode scalars: an emoji or a combining accent is one (or two) scalars, never UTF-16 units.
    @Test func positionsCountUnicodeScalars() {
        let text = String(repeating: "é😀", count: 1500) // 3000 scalars (é precomposed)
        let chunks = Chunker.chunks(text)
        #expect(chunks.map(\.charStart) == [0, 1800])
        #expect(chunks.map(\.charEnd) == [2000, 3000])
        #expect(chunks[0].content.unicodeScalars.count == 2000)
    }

    /// Property test over seeded random texts: terminates; chunks are the trimmed text of their window; windows
    /// are at most 2000 long and consecutive windows overlap by exactly 200; every character of the text lies in
    /// some window; nothing of 50 characters or fewer is kept; indexes are 0, 1, 2…
    @Test func propertiesHoldOnRandomTexts() {
        var rng = SplitMix64(seed: 42)
        let alphabet: [Unicode.Scalar] = ["a", "b", "c", " ", " ", ".", "\n", "é", "😀", "\t"]
        for round in 0..<300 {
            let length = Int(rng.next() % 9000)
            var v = String.UnicodeScalarView()
            // Some rounds are mostly blank so that short chunks get dropped.
            let blankHeavy = round % 5 == 0
            for _ in 0..<length {
                let r = Int(rng.next() % UInt64(alphabet.count))
                v.append(blankHeavy && rng.next() % 10 != 0 ? " " : alphabet[r])
            }
            let text = String(v)
            let t = Array(text.unicodeScalars)
            let chunks = Chunker.chunks(text)
            let windows = Self.windows(t)
            #expect(windows.first?.0 ?? 0 == 0)
            #expect(windows.last?.1 ?? 0 == t.count)
            for (a, b) in zip(windows, windows.dropFirst()) {
                #expect(b.0 == a.1 - 200, "consecutive windows overlap by 200")
                #expect(a.1 - a.0 > 200 && a.1 - a.0 <= 2000)
            }
            var covered = [Bool](repeating: false, count: t.count)
            for w in windows { for i in w.0..<w.1 { covered[i] = true } }
            #expect(!covered.contains(false), "every character is in a window")
            let kept = windows.filter { Chunker.trimmed(t[$0.0..<$0.1]).count > 50 }
            #expect(chunks.map { [$0.charStart, $0.charEnd] } == kept.map { [$0.0, $0.1] })
            for (i, c) in chunks.enumerated() {
                #expect(c.chunkIndex == i)
                #expect(c.content.unicodeScalars.count > 50)
                var s = String.UnicodeScalarView(); s.append(contentsOf: Chunker.trimmed(t[c.charStart..<c.charEnd]))
                #expect(c.content == String(s))
            }
        }
    }

    /// An independent statement of steps 1–7 (windows before the length filter).
    static func windows(_ t: [Unicode.Scalar]) -> [(Int, Int)] {
        guard !t.isEmpty else { return [] }
        var out: [(Int, Int)] = []
        var start = 0
        while out.count < 100_000 {
            var end = min(start + 2000, t.count)
            if end < t.count {
                let window = t[start..<end]
                let dot = window.lastIndex(of: ".") ?? -1
                let nl = window.lastIndex(of: "\n") ?? -1
                let b = max(dot, nl)
                if b > start + 200 { end = b + 1 }
            }
            out.append((start, end))
            if end == t.count { break }
            start = end - 200
        }
        return out
    }
}


import Foundation
