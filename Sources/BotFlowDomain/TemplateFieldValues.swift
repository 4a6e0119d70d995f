import BotFlowCore

/// Field-value validation of create-from-template (behaviour §9.3): every field of `required_fields` in document
/// order, every failure reported, defaults filled for missing optional fields.
public enum TemplateFieldValues {
    public struct Outcome: Sendable {
        /// The submitted values plus stored defaults.
        public var values: JSONObject
        public var issues: [ValidationIssue]
    }

    public static func validate(_ submitted: JSONObject, against requiredFields: JSONObject) -> Outcome {
        var values = submitted
        var issues: [ValidationIssue] = []
        for (key, definitionValue) in requiredFields {
            let def = definitionValue.objectValue ?? [:]
            let type = def["type"]?.stringValue ?? "text"
            let label = def["label"]?.stringValue ?? key
            let required = def["required"]?.boolValue ?? false
            let validation = def["validation"]?.objectValue ?? [:]
            func fail(_ message: String, _ code: IssueCode) {
                issues.append(ValidationIssue(path: ["field_values", .key(key)], message: message, code: code))
            }

            let value = submitted[key] ?? .null
            let missing: Bool
            switch value {
            case .null: missing = true
            case .string(let s): missing = s.isEmpty
            case .array(let a): missing = type == "multiselect" && a.isEmpty
            default: missing = false
            }
            if missing {
                if required {
                    fail("Missing required field: \(label)", .required)
                } else if let defaultValue = def["defaultValue"] {
                    values[key] = defaultValue
                }
                continue
            }

            switch type {
            case "number":
                guard let n = value.numberValue else { fail("Field \(label) must be a number", .invalid_type); continue }
                if let min = validation["min"]?.numberValue, n < min {
                    fail("\(label) must be at least \(JSONWriter.formatNumber(min))", .too_small)
                } else if let max = validation["max"]?.numberValue, n > max {
                    fail("\(label) must be at most \(JSONWriter.formatNumber(max))", .too_big)
                }
            case "select":
                let options = validation["options"]?.arrayValue?.compactMap(\.stringValue) ?? []
                guard let s = value.stringValue, options.contains(s) else {
                    fail("\(label) must be one of: \(options.joined(separator: ", "))", .invalid_enum_value)
                    continue
                }
            case "multiselect":
                guard let items = value.arrayValue else { fail("\(label) must be an array", .invalid_type); continue }
                let options = validation["options"]?.arrayValue?.compactMap(\.stringValue) ?? []
                var invalid: [String] = []
                for item in items where !(item.stringValue.map(options.contains) ?? false) {
                    let text = Placeholders.format(item)
                    if !invalid.contains(text) { invalid.append(text) }
                }
                if !invalid.isEmpty { fail("\(label) contains invalid values: \(invalid.joined(separator: ", "))", .invalid_enum_value) }
            case "json":
                switch value {
                case .object, .array: break
                default: fail("Field \(label) must be a JSON object", .invalid_type)
                }
            default: // text, textarea, time
                guard let s = value.stringValue else { fail("Field \(label) must be a string", .invalid_type); continue }
                if let pattern = validation["pattern"]?.stringValue, !FieldPattern.wholeMatch(pattern, s) {
                    fail("\(label) has an invalid format", .invalid_string)
                }
            }
        }
        return Outcome(values: values, issues: issues)
    }
}

/// Regular expressions of template field definitions (`validation.pattern`).
public enum FieldPattern {
    public static func isValid(_ pattern: String) -> Bool {
        (try? Regex(pattern)) != nil
    }

    /// True when the pattern matches the whole value; an invalid pattern matches nothing.
    public static func wholeMatch(_ pattern: String, _ value: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: value)) != nil
    }
}
