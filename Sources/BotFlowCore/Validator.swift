/// Field-by-field validation of a JSON request body that collects every issue (api.md §1.5), in the order the
/// endpoint reads its fields. Lengths count Unicode scalars.
///
///     var v = Validator(body)
///     let email = v.string("email", required: true, max: 254, format: .email)
///     try v.finish()
public struct Validator {
    public private(set) var issues: [ValidationIssue] = []
    public let object: JSONObject
    public let path: [PathComponent]

    /// `body` must be an object; anything else is one `invalid_type` issue at `path`.
    public init(_ body: JSON, path: [PathComponent] = []) {
        self.path = path
        if case .object(let o) = body {
            self.object = o
        } else {
            self.object = [:]
            issues.append(ValidationIssue(path: path, message: "Expected object, received \(body.typeName)", code: .invalid_type))
        }
    }

    public var isValid: Bool { issues.isEmpty }

    /// Throws `400 Validation error` when any issue was recorded.
    public func finish() throws(APIError) {
        if !issues.isEmpty { throw APIError.validation(issues) }
    }

    public mutating func fail(_ key: String?, _ message: String, _ code: IssueCode) {
        issues.append(ValidationIssue(path: key.map { path + [.key($0)] } ?? path, message: message, code: code))
    }

    public mutating func fail(path: [PathComponent], _ message: String, _ code: IssueCode) {
        issues.append(ValidationIssue(path: path, message: message, code: code))
    }

    public mutating func absorb(_ other: Validator) { issues.append(contentsOf: other.issues) }

    /// True when the key is present (even with `null`).
    public func has(_ key: String) -> Bool { object[key] != nil }

    /// True when the key is present with an explicit `null`.
    public func isNull(_ key: String) -> Bool { object[key] == .null }

    /// The raw value, after the required/null rules; nil when absent (or null and `nullable`).
    private mutating func value(_ key: String, required: Bool, nullable: Bool, expected: String) -> JSON? {
        guard let v = object[key] else {
            if required { fail(key, "Required", .required) }
            return nil
        }
        if v == .null {
            if nullable && !required { return nil }
            fail(key, required ? "Required" : "Expected \(expected), received null", required ? .required : .invalid_type)
            return nil
        }
        return v
    }

    public enum StringFormat: Sendable { case email, uuid, e164, url }

    @discardableResult
    public mutating func string(
        _ key: String, required: Bool = false, nullable: Bool = false, min: Int? = nil, max: Int? = nil,
        format: StringFormat? = nil, oneOf options: [String]? = nil, trimmedNonEmpty: Bool = false,
        matches predicate: ((String) -> Bool)? = nil, patternDescription: String = "Invalid"
    ) -> String? {
        guard let v = value(key, required: required, nullable: nullable, expected: "string") else { return nil }
        guard case .string(let s) = v else {
            fail(key, "Expected string, received \(v.typeName)", .invalid_type)
            return nil
        }
        if let options {
            guard options.contains(s) else {
                let list = options.map { "'\($0)'" }.joined(separator: " | ")
                fail(key, "Invalid enum value. Expected \(list), received '\(s)'", .invalid_enum_value)
                return nil
            }
            return s
        }
        let length = s.unicodeScalars.count
        if let min, length < min {
            fail(key, "String must contain at least \(min) character(s)", .too_small)
            return nil
        }
        if trimmedNonEmpty, s.trimmingWhitespace().isEmpty {
            fail(key, "String must contain at least 1 non-whitespace character(s)", .too_small)
            return nil
        }
        if let max, length > max {
            fail(key, "String must contain at most \(max) character(s)", .too_big)
            return nil
        }
        if let format {
            let ok: Bool
            switch format {
            case .email: ok = Formats.isEmail(s)
            case .uuid: ok = Identifiers.isUUID(s)
            case .e164: ok = Formats.isE164(s)
            case .url: ok = Formats.isHTTPURL(s)
            }
            if !ok {
                let name: String
                switch format {
                case .email: name = "email"
                case .uuid: name = "uuid"
                case .e164: name = "phone number"
                case .url: name = "url"
                }
                fail(key, "Invalid \(name)", .invalid_string)
                return nil
            }
        }
        if let predicate, !predicate(s) {
            fail(key, patternDescription, .invalid_string)
            return nil
        }
        return s
    }

    @discardableResult
    public mutating func number(
        _ key: String, required: Bool = false, nullable: Bool = false, min: Double? = nil, max: Double? = nil,
        integer: Bool = false, allowed: [Int64]? = nil
    ) -> Double? {
        guard let v = value(key, required: required, nullable: nullable, expected: "number") else { return nil }
        guard let d = v.numberValue else {
            fail(key, "Expected number, received \(v.typeName)", .invalid_type)
            return nil
        }
        if integer, v.integerValue == nil {
            fail(key, "Expected integer, received float", .invalid_type)
            return nil
        }
        if let allowed, !allowed.contains(where: { Double($0) == d }) {
            let list = allowed.map(String.init).joined(separator: " | ")
            fail(key, "Invalid literal value, expected \(list)", .invalid_value)
            return nil
        }
        if let min, d < min {
            fail(key, "Number must be greater than or equal to \(JSONWriter.formatNumber(min))", .too_small)
            return nil
        }
        if let max, d > max {
            fail(key, "Number must be less than or equal to \(JSONWriter.formatNumber(max))", .too_big)
            return nil
        }
        return d
    }

    @discardableResult
    public mutating func bool(_ key: String, required: Bool = false) -> Bool? {
        guard let v = value(key, required: required, nullable: false, expected: "boolean") else { return nil }
        guard case .bool(let b) = v else {
            fail(key, "Expected boolean, received \(v.typeName)", .invalid_type)
            return nil
        }
        return b
    }

    @discardableResult
    public mutating func object(_ key: String, required: Bool = false, nullable: Bool = false) -> JSONObject? {
        guard let v = value(key, required: required, nullable: nullable, expected: "object") else { return nil }
        guard case .object(let o) = v else {
            fail(key, "Expected object, received \(v.typeName)", .invalid_type)
            return nil
        }
        return o
    }

    @discardableResult
    public mutating func array(_ key: String, required: Bool = false, min: Int? = nil, max: Int? = nil) -> [JSON]? {
        guard let v = value(key, required: required, nullable: false, expected: "array") else { return nil }
        guard case .array(let a) = v else {
            fail(key, "Expected array, received \(v.typeName)", .invalid_type)
            return nil
        }
        if let min, a.count < min {
            fail(key, "Array must contain at least \(min) element(s)", .too_small)
            return nil
        }
        if let max, a.count > max {
            fail(key, "Array must contain at most \(max) element(s)", .too_big)
            return nil
        }
        return a
    }

    /// An array of strings, each checked against the length bounds; nil when any element fails.
    @discardableResult
    public mutating func stringArray(_ key: String, required: Bool = false, itemMin: Int? = nil, itemMax: Int? = nil, minCount: Int? = nil) -> [String]? {
        guard let items = array(key, required: required, min: minCount) else { return nil }
        var out: [String] = []
        var ok = true
        for (i, item) in items.enumerated() {
            var sub = Validator(["v": item], path: path + [.key(key)])
            if let s = sub.string("v", required: true, min: itemMin, max: itemMax) { out.append(s) } else { ok = false }
            for issue in sub.issues {
                fail(path: path + [.key(key), .index(i)], issue.message, issue.code)
            }
        }
        return ok ? out : nil
    }

    /// A nested object validated by `body`; its issues are reported in the parent's place.
    @discardableResult
    public mutating func nested<T>(_ key: String, required: Bool = false, _ body: (inout Validator) -> T) -> T? {
        guard let v = value(key, required: required, nullable: false, expected: "object") else { return nil }
        var sub = Validator(v, path: path + [.key(key)])
        let result = sub.issues.isEmpty ? body(&sub) : nil
        absorb(sub)
        return sub.issues.isEmpty ? result : nil
    }
}

extension String {
    /// Trims Unicode whitespace and newlines at both ends.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
