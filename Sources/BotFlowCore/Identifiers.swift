import Foundation

/// Identifier formats of api.md §1.7.
public enum Identifiers {
    /// UUID v4 (RFC 9562 §5.4), lower-case, hyphenated. 122 random bits from `SystemRandomNumberGenerator`
    /// (getrandom(2)): Foundation's `UUID()` opens and reads /dev/urandom on Linux, ~3 % of a cached GET's CPU
    /// since every request gets an id.
    public static func uuid() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        let high = rng.next() as UInt64, low = rng.next() as UInt64
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i)); bytes[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i)) }
        bytes[6] = bytes[6] & 0x0F | 0x40 // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80 // variant 10
        return String(unsafeUninitializedCapacity: 36) { out in
            var at = 0
            for (i, byte) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { out[at] = UInt8(ascii: "-"); at += 1 }
                out[at] = hexDigits[Int(byte >> 4)]
                out[at + 1] = hexDigits[Int(byte & 0xF)]
                at += 2
            }
            return at
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

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
