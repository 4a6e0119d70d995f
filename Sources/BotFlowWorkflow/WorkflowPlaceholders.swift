import BotFlowCore
import Foundation

/// `{{path}}` placeholders of behaviour §8.2: path syntax, formatting and substitution. Resolution itself is the
/// caller's (`PlaceholderScope`), so the rules here stay independent of where values live.
public enum WorkflowPlaceholders {
    /// `^[A-Za-z0-9_.-]+$` without `..`, `__`, `constructor`, `prototype`.
    public static func isValidPath(_ path: Substring) -> Bool {
        guard !path.isEmpty else { return false }
        var previous: UInt8 = 0
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"):
                break
            case UInt8(ascii: "_"), UInt8(ascii: "."):
                if byte == previous { return false } // `__`, `..`
            default:
                return false
            }
            previous = byte
        }
        return !path.utf8.containsASCII("constructor") && !path.utf8.containsASCII("prototype")
    }

    /// Strings as is, numbers in shortest form, booleans `true`/`false`, arrays and objects as compact JSON, null empty.
    public static func format(_ value: JSON) -> String {
        switch value {
        case .null: return ""
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONWriter.formatNumber(d)
        case .array, .object: return JSONWriter.string(value)
        }
    }

    /// The path when `text` is exactly one placeholder (`{{ path }}`, spaces allowed inside the braces).
    public static func singlePlaceholder(_ text: String) -> Substring? {
        let utf8 = text.utf8
        guard utf8.count >= 4, utf8.first == brace, utf8.dropFirst().first == brace, utf8.last == closing,
            utf8.dropLast().last == closing else { return nil }
        let inner = Substring(text).dropFirst(2).dropLast(2)
        guard inner.pair(brace) == nil, inner.pair(closing) == nil else { return nil }
        let path = inner.trimmingSpaces()
        return isValidPath(path) ? path : nil
    }

    /// True when `value` is a string consisting of exactly one placeholder (validation skips its checks).
    public static func isSinglePlaceholder(_ value: JSON) -> Bool {
        guard case .string(let s) = value else { return false }
        return singlePlaceholder(s) != nil
    }

    /// Substitutes every resolvable placeholder; unknown or malformed ones stay as written.
    public static func render(_ text: String, _ resolve: (Substring) -> JSON?) -> String {
        var rest = Substring(text)
        guard var open = rest.pair(brace) else { return text }
        var out = ""
        while true {
            let afterOpen = rest.utf8.index(open, offsetBy: 2)
            guard let close = rest[afterOpen...].pair(closing) else { break }
            let end = rest.utf8.index(close, offsetBy: 2)
            out += rest[..<open]
            let path = rest[afterOpen..<close].trimmingSpaces()
            if isValidPath(path), let value = resolve(path) {
                out += format(value)
            } else {
                out += rest[open..<end]
            }
            rest = rest[end...]
            guard let next = rest.pair(brace) else { break }
            open = next
        }
        return out + rest
    }

    /// Substitutes every string inside a config value; a string that is exactly one resolvable placeholder becomes
    /// the referenced JSON value (typed single placeholders).
    public static func renderValue(_ value: JSON, _ resolve: (Substring) -> JSON?) -> JSON {
        switch value {
        case .string(let s):
            if let path = singlePlaceholder(s) { return resolve(path) ?? value }
            return .string(render(s, resolve))
        case .array(let items): return .array(items.map { renderValue($0, resolve) })
        case .object(let o):
            var out = JSONObject(minimumCapacity: o.count)
            for (k, v) in o { out[k] = renderValue(v, resolve) }
            return .object(out)
        default: return value
        }
    }

    /// Removes the placeholders still present in an outgoing message (behaviour §6.5).
    public static func stripUnresolved(_ text: String) -> String {
        var rest = Substring(text)
        var out = ""
        while let open = rest.pair(brace), let close = rest[rest.utf8.index(open, offsetBy: 2)...].pair(closing) {
            out += rest[..<open]
            rest = rest[rest.utf8.index(close, offsetBy: 2)...]
        }
        return out + rest
    }

    static let brace = UInt8(ascii: "{")
    static let closing = UInt8(ascii: "}")
}

extension Substring {
    /// The index of the first `cc` (two equal ASCII bytes, e.g. `{{`), scanning bytes rather than characters.
    func pair(_ byte: UInt8) -> Index? {
        var i = utf8.startIndex
        var previous: Index?
        while i < utf8.endIndex {
            if utf8[i] == byte {
                if let previous { return previous }
                previous = i
            } else {
                previous = nil
            }
            i = utf8.index(after: i)
        }
        return nil
    }

    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

/// Walks a JSON value by dotted keys (`a.b.0.c`): object members, array indices.
public func jsonPath(_ value: JSON, _ keys: some Sequence<Substring>) -> JSON? {
    var current = value
    for key in keys {
        switch current {
        case .object(let o): guard let next = o[String(key)] else { return nil }; current = next
        case .array(let a): guard let i = Int(key), a.indices.contains(i) else { return nil }; current = a[i]
        default: return nil
        }
    }
    return current
}

extension Substring.UTF8View {
    /// Plain byte search for a short ASCII needle.
    func containsASCII(_ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard n > 0, count >= n else { return false }
        let bytes = UnsafeBufferPointer(start: needle.utf8Start, count: n)
        var i = startIndex
        while distance(from: i, to: endIndex) >= n {
            var j = i
            var k = 0
            while k < n, self[j] == bytes[k] { j = index(after: j); k += 1 }
            if k == n { return true }
            i = index(after: i)
        }
        return false
    }
}
