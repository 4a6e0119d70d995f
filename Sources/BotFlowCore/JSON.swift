@_exported import OrderedCollections

/// A JSON value that keeps object key order.
///
/// Key order matters in this product (template `required_fields` are validated in document order), and
/// Foundation's JSON types do not keep it on Linux, so the appliance parses and writes JSON itself.
public enum JSON: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

/// An ordered JSON object (insertion order; replacing a key keeps its position).
public typealias JSONObject = OrderedDictionary<String, JSON>

extension JSON {
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }

    /// Any JSON number as a Double.
    public var numberValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// A JSON number that is a whole value (`3` or `3.0`), as an Int64.
    public var integerValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }

    public var isNumber: Bool { numberValue != nil }

    /// Member access on objects; `.null` for anything else or a missing key.
    public subscript(key: String) -> JSON {
        if case .object(let o) = self { return o[key] ?? .null }
        return .null
    }

    /// Element access on arrays; `.null` out of range or for anything else.
    public subscript(index: Int) -> JSON {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return .null
    }

    /// The JSON type name used in validation messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var o = JSONObject(minimumCapacity: elements.count)
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension JSON {
    /// Convenience constructors for optional column values.
    public static func string(_ value: String?) -> JSON { value.map { .string($0) } ?? .null }
    public static func int(_ value: Int?) -> JSON { value.map { .int(Int64($0)) } ?? .null }
    public static func int(_ value: Int) -> JSON { .int(Int64(value)) }
    public static func number(_ value: Double?) -> JSON { value.map { .double($0) } ?? .null }
    public static func strings(_ values: [String]) -> JSON { .array(values.map { .string($0) }) }
}
