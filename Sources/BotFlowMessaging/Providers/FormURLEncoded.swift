/// `application/x-www-form-urlencoded` bodies (Twilio webhooks in, Twilio sends out).
///
/// Parameters stay an ordered list of pairs, not a dictionary: the Twilio signature covers every pair, duplicates
/// included.
public enum FormURLEncoded {
    /// Splits on `&`, then on the first `=`; `+` is a space and `%XX` is a byte. Malformed escapes are kept
    /// literally and invalid UTF-8 is repaired, because a webhook must never fail on its own body encoding.
    public static func parse(_ bytes: some Collection<UInt8>) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for part in Array(bytes).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((decode(part[part.startIndex..<eq]), decode(part[part.index(after: eq)...])))
            } else {
                pairs.append((decode(part), ""))
            }
        }
        return pairs
    }

    public static func parse(_ text: String) -> [(String, String)] { parse(Array(text.utf8)) }

    /// Encodes pairs in order: unreserved bytes (`A-Z a-z 0-9 - . _ *`) as is, space as `+`, the rest as `%XX`.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { encodeComponent($0.0) + "=" + encodeComponent($0.1) }.joined(separator: "&")
    }

    public static func encodeComponent(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.append(b)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.endIndex, let hi = nibble(bytes[i + 1]), let lo = nibble(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
                continue
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
