/// The clean-up every extracted text gets (behaviour §7.2): CRLF and CR → LF; NUL and other control characters
/// except newline and tab removed.
public enum TextCleanup {
    /// Works on the UTF-8 bytes: the characters removed are exactly the Unicode controls (general category Cc:
    /// U+0000–U+001F, U+007F–U+009F), which are the bytes 00–1F and 7F, and C2 80–C2 9F; every other byte is copied.
    public static func clean(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var previousCR = false
            var i = 0
            let n = bytes.count
            while i < n {
                let b = bytes[i]
                i += 1
                if b == 0x0D { out.append(0x0A); previousCR = true; continue }
                // Any other character ends a CR LF pair (a control removed in between too).
                let afterCR = previousCR
                previousCR = false
                if b == 0x0A { if !afterCR { out.append(b) }; continue }
                if b == 0x09 { out.append(b); continue }
                if b < 0x20 || b == 0x7F { continue }
                if b == 0xC2, i < n, bytes[i] >= 0x80, bytes[i] <= 0x9F { i += 1; continue }  // C1 control
                out.append(b)
                // The continuation bytes of a multi-byte character are copied as they come (never controls).
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// UTF-8 with a leading BOM removed and invalid bytes replaced by U+FFFD.
    public static func decodeUTF8(_ bytes: [UInt8]) -> String {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        return String(decoding: body, as: UTF8.self)
    }
}
