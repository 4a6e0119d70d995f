import BotFlowCore

/// Validation of template bodies for T4/T5 (api.md §4.8, behaviour §9.1–§9.2).
enum TemplateDefinition {
    static let fieldTypes = ["text", "textarea", "number", "select", "multiselect", "time", "json"]

    /// `required_fields`: each key `^[a-z][a-z0-9_]*$`, each value a field definition.
    static func checkRequiredFields(_ v: inout Validator, _ fields: JSONObject) {
        for (key, value) in fields {
            let path: [PathComponent] = ["required_fields", .key(key)]
            if !Formats.isIdentifierKey(key) {
                v.fail(path: path, "Field key must match ^[a-z][a-z0-9_]*$", .invalid_string)
                continue
            }
            var f = Validator(value, path: path)
            // A definition that is not an object is one issue, not a list of its missing keys.
            guard f.isValid else {
                v.absorb(f)
                continue
            }
            let type = f.string("type", required: true, oneOf: fieldTypes)
            f.string("label", required: true, min: 1, max: 100)
            f.bool("required")
            f.string("placeholder")
            f.string("helpText")
            f.nested("validation") { (r: inout Validator) in
                r.number("min")
                r.number("max")
                if let pattern = r.string("pattern"), !FieldPattern.isValid(pattern) {
                    r.fail("pattern", "Invalid regular expression", .invalid_string)
                }
                if let options = r.stringArray("options", itemMin: 1, itemMax: 200), (type == "select" || type == "multiselect"), options.isEmpty {
                    r.fail("options", "Array must contain at least 1 element(s)", .too_small)
                }
            }
            if type == "select" || type == "multiselect" {
                let options = value["validation"]["options"]
                if options == .null { f.fail(path: path + ["validation", "options"], "Required", .required) }
            }
            v.absorb(f)
        }
    }

    /// `conversation_flow` (behaviour §9.1).
    static func checkConversationFlow(_ c: inout Validator) {
        c.string("systemPrompt", required: true, min: 1, max: 20_000)
        c.string("welcomeMessage", max: 4096)
        if let examples = c.array("exampleConversations") {
            for (i, example) in examples.enumerated() {
                var e = Validator(example, path: c.path + ["exampleConversations", .index(i)])
                e.string("customer", required: true)
                e.string("bot", required: true)
                c.absorb(e)
            }
        }
        c.stringArray("rules")
        if let intents = c.object("intents") {
            for (name, intent) in intents {
                let path = c.path + ["intents", .key(name)]
                if !Formats.isIdentifierKey(name) {
                    c.fail(path: path, "Intent name must match ^[a-z][a-z0-9_]*$", .invalid_string)
                    continue
                }
                var i = Validator(intent, path: path)
                i.stringArray("triggers", required: true, minCount: 1)
                i.string("response", required: true)
                c.absorb(i)
            }
        }
        c.stringArray("handoffConditions")
    }
}
