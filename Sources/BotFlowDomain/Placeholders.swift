import BotFlowCore

/// `{{key}}` substitution of behaviour §9.4 (template instantiation): optional spaces inside the braces, keys of
/// `[A-Za-z0-9_]`, replaced only when the key has a value; unknown placeholders stay as written.
public enum Placeholders {
    public static func substitute(_ text: String, values: JSONObject) -> String {
        let chars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < chars.count {
            if chars[i] == "{", i + 1 < chars.count, chars[i + 1] == "{", let (key, end) = placeholder(chars, at: i),
                let value = values[key]
            {
                out.append(contentsOf: format(value).unicodeScalars)
                i = end
                continue
            }
            out.append(chars[i])
            i += 1
        }
        return String(out)
    }

    /// The key of a placeholder starting at `start` (`{{`) and the index just past its `}}`.
    static func placeholder(_ chars: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        var j = start + 2
        while j < chars.count, chars[j] == " " { j += 1 }
        var key = String.UnicodeScalarView()
        while j < chars.count, chars[j].isASCII, chars[j].properties.isAlphabetic || ("0"..."9").contains(chars[j]) || chars[j] == "_" {
            key.append(chars[j])
            j += 1
        }
        guard !key.isEmpty else { return nil }
        while j < chars.count, chars[j] == " " { j += 1 }
        guard j + 1 < chars.count, chars[j] == "}", chars[j + 1] == "}" else { return nil }
        return (String(key), j + 2)
    }

    /// Strings as is, numbers in shortest form, arrays joined with `, `, objects as compact JSON, null as empty.
    public static func format(_ value: JSON) -> String {
        switch value {
        case .null: return ""
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONWriter.formatNumber(d)
        case .array(let items): return items.map(format).joined(separator: ", ")
        case .object: return JSONWriter.string(value)
        }
    }
}
