import Foundation

/// Identifier formats of api.md §1.7.
public enum Identifiers {
    /// UUID v4, lower-case, hyphenated.
    public static func uuid() -> String { UUID().uuidString.lowercased() }

    /// `bot_<epoch-ms>_<9 chars of [0-9a-z]>` for bots created by `POST /api/bots`.
    public static func legacyBotId(epochMilliseconds: Int64) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        var rng = SystemRandomNumberGenerator()
        let suffix = String((0..<9).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
        return "bot_\(epochMilliseconds)_\(suffix)"
    }

    /// Case-insensitive `8-4-4-4-12` hex check (the UUID format accepted in request fields).
    public static func isUUID(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !((UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c))
            {
                return false
            }
        }
        return true
    }
}
