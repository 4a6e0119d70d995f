import BotFlowCore
import Foundation

/// The nodes that compute without I/O: conditions, text, loops (behaviour §8.3). Config values arrive rendered; a
/// single placeholder may have brought any JSON type, so every input is checked again here.
enum LocalNodes {
    static func text(_ config: JSON, _ key: String, label: String) throws -> String {
        let value = config[key]
        guard !value.isNull else { throw NodeFailure("Missing required field: \(label)") }
        return WorkflowPlaceholders.format(value)
    }

    static func number(_ value: JSON, label: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
        if value.isNull || value == "" { return fallback }
        guard let n = value.numberValue ?? value.stringValue.flatMap({ Double($0.trimmingWhitespace()) }) else {
            throw NodeFailure("Field \(label) must be a number")
        }
        guard range.contains(n) else {
            throw NodeFailure("\(label) must be between \(JSONWriter.formatNumber(range.lowerBound)) and \(JSONWriter.formatNumber(range.upperBound))")
        }
        return n
    }

    /// A JSON number, or a string holding one (customer answers are text).
    static func numeric(_ value: JSON) -> Double? {
        if let n = value.numberValue { return n }
        guard let s = value.stringValue?.trimmingWhitespace(), !s.isEmpty, let n = Double(s), n.isFinite else { return nil }
        return n
    }

    /// A character count or position from user data: 0...Int32.max (fractions cut), else nil — never a trap on a
    /// huge, infinite or negative number.
    static func count(_ value: JSON) -> Int? {
        guard let n = numeric(value), n.isFinite, n >= 0, n <= Double(Int32.max) else { return nil }
        return Int(exactly: n.rounded(.towardZero))
    }

    static func condition(_ config: JSON) throws -> Bool {
        let left = config["left_value"]
        let right = config["right_value"]
        let l = WorkflowPlaceholders.format(left).lowercased()
        let r = WorkflowPlaceholders.format(right).lowercased()
        switch config["operator"].stringValue ?? "equals" {
        case "equals", "not_equals":
            let equal: Bool
            if let a = numeric(left), let b = numeric(right) { equal = a == b } else { equal = l == r }
            return config["operator"] == "not_equals" ? !equal : equal
        case "contains": return l.contains(r)
        case "not_contains": return !l.contains(r)
        case "starts_with": return l.hasPrefix(r)
        case "ends_with": return l.hasSuffix(r)
        case "greater_than":
            guard let a = numeric(left), let b = numeric(right) else { return false }
            return a > b
        case "less_than":
            guard let a = numeric(left), let b = numeric(right) else { return false }
            return a < b
        case "is_empty": return l.trimmingWhitespace().isEmpty
        case "is_not_empty": return !l.trimmingWhitespace().isEmpty
        case let other: throw NodeFailure("Unknown operator: \(other)")
        }
    }

    /// `cases` = `{"<value>":"<handle>"}` or `[{"value","output"}]`; first case-insensitive equal value wins.
    static func switchHandle(_ config: JSON) throws -> String {
        let input = WorkflowPlaceholders.format(config["input_value"]).lowercased()
        var cases: [(String, String)] = []
        switch config["cases"] {
        case .object(let o): cases = o.map { ($0.key, WorkflowPlaceholders.format($0.value)) }
        case .array(let items):
            cases = items.compactMap { item in
                item["value"].isNull ? nil : (WorkflowPlaceholders.format(item["value"]), WorkflowPlaceholders.format(item["output"]))
            }
        case .string(let s):
            guard let parsed = try? JSONParser.parse(s), parsed.objectValue != nil || parsed.arrayValue != nil else {
                throw NodeFailure("Field Cases must be a JSON object or array")
            }
            return try switchHandle(["input_value": config["input_value"], "cases": parsed, "default_output": config["default_output"]])
        default: throw NodeFailure("Field Cases must be a JSON object or array")
        }
        if let match = cases.first(where: { $0.0.lowercased() == input }) { return match.1 }
        let fallback = WorkflowPlaceholders.format(config["default_output"])
        return fallback.isEmpty ? "default" : fallback
    }

    static func manipulate(_ config: JSON) throws -> String {
        let input = WorkflowPlaceholders.format(config["input_text"])
        var params = config["params"]
        if case .string(let s) = params, let parsed = try? JSONParser.parse(s) { params = parsed }
        switch config["operation"].stringValue ?? "" {
        case "concat":
            if let values = params["values"].arrayValue { return input + values.map(WorkflowPlaceholders.format).joined() }
            return input + WorkflowPlaceholders.format(params["suffix"])
        case "replace":
            let search = WorkflowPlaceholders.format(params["search"])
            guard !search.isEmpty else { return input }
            return input.replacingAll(search, with: WorkflowPlaceholders.format(params["replace"]))
        case "uppercase": return input.uppercased()
        case "lowercase": return input.lowercased()
        case "trim": return input.trimmingWhitespace()
        case "substring":
            guard let start = count(params["start"]) else { throw NodeFailure("params.start must be a number between 0 and \(Int32.max)") }
            let characters = Array(input)
            guard start < characters.count else { return "" }
            var end = characters.count
            if !params["length"].isNull {
                guard let length = count(params["length"]) else { throw NodeFailure("params.length must be a number between 0 and \(Int32.max)") }
                end = min(end, start + min(length, characters.count))
            }
            return String(characters[start..<end])
        case let other: throw NodeFailure("Operation must be one of: concat, replace, uppercase, lowercase, trim, substring (got \(other))")
        }
    }

    static func loopItems(_ config: JSON) throws -> ([JSON], Int) {
        var items = config["items"]
        if case .string(let s) = items, let parsed = try? JSONParser.parse(s) { items = parsed }
        guard let array = items.arrayValue else { throw NodeFailure("Field Items must be a JSON array") }
        let batch = try number(config["batch_size"], label: "Batch Size", default: 1, range: 1...Double(Int32.max))
        return (array, Int(batch))
    }
}

extension String {
    /// Every literal occurrence of `search` replaced (no Foundation needed).
    func replacingAll(_ search: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let range = rest.range(of: search) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
