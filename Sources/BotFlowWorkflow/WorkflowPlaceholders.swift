import BotFlowCore
import Foundation

/// `{{path}}` placeholders of behaviour §8.2: path syntax, formatting and substitution. Resolution itself is the
/// caller's (`PlaceholderScope`), so the rules here stay independent of where values live.
public enum WorkflowPlaceholders {
    /// `^[A-Za-z0-9_.-]+$` without `..`, `__`, `constructor`, `prototype`.
    public static func isValidPath(_ path: Substring) -> Bool {
        guard !path.isEmpty else { return false }
        for scalar in path.unicodeScalars {
            guard scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "." || scalar == "-"
            else { return false }
        }
        return !path.contains("..") && !path.contains("__") && !path.contains("constructor") && !path.contains("prototype")
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
        guard text.hasPrefix("{{"), text.hasSuffix("}}"), text.count >= 4 else { return nil }
        let inner = text.dropFirst(2).dropLast(2)
        guard !inner.contains("{{"), !inner.contains("}}") else { return nil }
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
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            out += rest[..<open.lowerBound]
            let path = rest[open.upperBound..<close.lowerBound].trimmingSpaces()
            if isValidPath(path), let value = resolve(path) {
                out += format(value)
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
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
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            out += rest[..<open.lowerBound]
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
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
