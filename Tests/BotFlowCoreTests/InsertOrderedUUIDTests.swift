import BotFlowCore
import Testing

/// `Identifiers.insertOrderedUUID`: the api.md §1.7 UUID v4 format (lower-case, hyphenated, version 4, RFC variant),
/// ordered by creation time, random within one millisecond.
@Suite struct InsertOrderedUUIDTests {
    @Test func hasTheUUIDv4FormatWithTheTimeInFront() {
        let ms: Int64 = 1_764_506_000_123   // 2025-11-30T12:33:20.123Z
        let id = Identifiers.insertOrderedUUID(epochMilliseconds: ms)
        #expect(Identifiers.isUUID(id))
        #expect(id == id.lowercased())
        let chars = Array(id)
        #expect(chars[14] == "4", "version nibble: \(id)")
        #expect("89ab".contains(chars[19]), "variant: \(id)")
        let hex = id.replacingOccurrences(of: "-", with: "")
        #expect(Int64(hex.prefix(12), radix: 16) == ms)
    }

    @Test func sortsByMillisecondAndIsUniqueWithinOne() {
        let base: Int64 = 1_764_506_000_000
        let ordered = (0..<2_000).map { Identifiers.insertOrderedUUID(epochMilliseconds: base + Int64($0 / 10)) }
        for (a, b) in zip(ordered, ordered.dropFirst()) where a.prefix(13) != b.prefix(13) {
            #expect(a < b)
        }
        let sameMillisecond = (0..<10_000).map { _ in Identifiers.insertOrderedUUID(epochMilliseconds: base) }
        #expect(Set(sameMillisecond).count == sameMillisecond.count)
        // 74 random bits: the part after the time differs between ids of the same millisecond.
        #expect(Set(sameMillisecond.map { $0.dropFirst(14) }).count == sameMillisecond.count)
    }
}
