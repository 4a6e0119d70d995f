import BotFlowCore
import Foundation
import Testing

@Suite struct IdentifiersTests {
    /// RFC 9562 v4 layout: version nibble 4, variant bits 10, lower-case hex in 8-4-4-4-12, and no repeats.
    @Test func uuidIsARandomVersion4UUID() {
        var seen = Set<String>()
        for _ in 0..<2_000 {
            let id = Identifiers.uuid()
            #expect(Identifiers.isUUID(id))
            #expect(id == id.lowercased())
            let chars = Array(id)
            #expect(chars[14] == "4")
            #expect("89ab".contains(chars[19]))
            #expect(UUID(uuidString: id) != nil)
            seen.insert(id)
        }
        #expect(seen.count == 2_000)
        // Every hex position outside the fixed bits takes more than one value (the bytes are not left at zero).
        let samples = (0..<200).map { _ in Array(Identifiers.uuid()) }
        for position in 0..<36 where ![8, 13, 18, 23, 14].contains(position) {
            #expect(Set(samples.map { $0[position] }).count > 1, "position \(position)")
        }
    }
}
