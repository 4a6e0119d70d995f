/// Query-string validation (limit 1–100 default 20, enums, cursors) with the same issue format as bodies.
public struct QueryValidator {
    public let query: [String: String]
    public var issues: [ValidationIssue] = []
    public init(_ query: [String: String]) { self.query = query }

    public mutating func limit(default value: Int = 20, max: Int = 100) -> Int {
        guard let raw = query["limit"] else { return value }
        guard let n = Int(raw), (1...max).contains(n) else {
            issues.append(ValidationIssue(path: ["limit"], message: "limit must be an integer between 1 and \(max)", code: .invalid_type))
            return value
        }
        return n
    }

    public mutating func oneOf(_ key: String, _ options: [String]) -> String? {
        guard let raw = query[key] else { return nil }
        guard options.contains(raw) else {
            issues.append(ValidationIssue(path: [.key(key)], message: "Invalid enum value. Expected \(options.map { "'\($0)'" }.joined(separator: " | ")), received '\(raw)'",
                                          code: .invalid_enum_value))
            return nil
        }
        return raw
    }

    public mutating func cursor<T>(_ decode: (String) -> T?) -> T? {
        guard let raw = query["cursor"] else { return nil }
        guard let value = decode(raw) else {
            issues.append(ValidationIssue(path: ["cursor"], message: "Invalid cursor", code: .custom))
            return nil
        }
        return value
    }

    public func finish() throws(APIError) { if !issues.isEmpty { throw APIError.validation(issues) } }
}

