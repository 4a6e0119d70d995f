/// The clean-up every extracted text gets (behaviour §7.2): CRLF and CR → LF; NUL and other control characters
/// except newline and tab removed.
public enum TextCleanup {
    public static func clean(_ text: String) -> String {
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

    /// UTF-8 with a leading BOM removed and invalid bytes replaced by U+FFFD.
    public static func decodeUTF8(_ bytes: [UInt8]) -> String {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        return String(decoding: body, as: UTF8.self)
    }
}
