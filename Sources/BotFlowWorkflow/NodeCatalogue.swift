import BotFlowCore

/// The 17 node types of behaviour §8.3, in table order.
public enum NodeCatalogue {
    static let variablePattern = "^[a-zA-Z_][a-zA-Z0-9_]*$"

    public static let definitions: [NodeDefinition] = [
        NodeDefinition(type: "whatsapp_trigger", category: .trigger, inputs: [
            .init("keyword", "Keyword", .string),
            .init("webhook_path", "Webhook Path", .string),
        ], outputs: ["message", "customer_phone", "conversation_id"], handles: .none),
        NodeDefinition(type: "whatsapp_reply", category: .action, inputs: [
            .init("message", "Message", .string, required: true, min: 1, max: 4096),
            .init("recipient", "Recipient", .string, required: true),
        ], outputs: ["sent", "message_id"], handles: .none),
        NodeDefinition(type: "ask_question", category: .action, inputs: [
            .init("question", "Question", .string, required: true, min: 1),
            .init("variable_name", "Variable Name", .string, required: true, pattern: variablePattern),
            .init("timeout", "Timeout", .number, default: 300, min: 10, max: 3600),
        ], outputs: ["response", "timed_out"], handles: .named(["timeout"])),
        NodeDefinition(type: "if_condition", category: .condition, inputs: [
            .init("left_value", "Left Value", .string, required: true),
            .init("operator", "Operator", .select, required: true, default: "equals", options: [
                "equals", "not_equals", "contains", "not_contains", "starts_with", "ends_with", "greater_than", "less_than",
                "is_empty", "is_not_empty",
            ]),
            .init("right_value", "Right Value", .string),
        ], outputs: ["true", "false"], handles: .named(["true", "false"])),
        NodeDefinition(type: "store_variable", category: .utility, inputs: [
            .init("variable_name", "Variable Name", .string, required: true, pattern: variablePattern),
            .init("value", "Value", .string, required: true),
            .init("scope", "Scope", .select, required: true, default: "conversation", options: ["conversation", "session", "global"]),
        ], outputs: ["success"], handles: .none),
        NodeDefinition(type: "text_manipulation", category: .utility, inputs: [
            .init("operation", "Operation", .select, required: true,
                  options: ["concat", "replace", "uppercase", "lowercase", "trim", "substring"]),
            .init("input_text", "Input Text", .string, required: true),
            .init("params", "Parameters", .json),
        ], outputs: ["result"], handles: .none),
        NodeDefinition(type: "http_request", category: .utility, inputs: [
            .init("method", "Method", .select, required: true, default: "GET", options: ["GET", "POST", "PUT", "PATCH", "DELETE"]),
            .init("url", "URL", .string, required: true),
            .init("headers", "Headers", .json),
            .init("body", "Body", .json),
        ], outputs: ["response", "status_code"], handles: .none),
        NodeDefinition(type: "database_query", category: .utility, inputs: [
            .init("query", "Query", .string, required: true),
            .init("parameters", "Parameters", .json),
        ], outputs: ["rows", "row_count"], handles: .none),
        NodeDefinition(type: "shopify_lookup", category: .integration, inputs: [
            .init("product_id", "Product ID", .string, required: true),
            .init("fields", "Fields", .multiselect, options: ["title", "price", "inventory", "description", "images", "variants"]),
        ], outputs: ["product", "in_stock"], handles: .none),
        NodeDefinition(type: "paystack_payment", category: .integration, inputs: [
            .init("amount", "Amount", .number, required: true, min: 100, integer: true),
            .init("email", "Email", .string, required: true),
            .init("reference", "Reference", .string),
            .init("callback_url", "Callback URL", .string),
        ], outputs: ["payment_link", "reference"], handles: .none),
        NodeDefinition(type: "knowledge_search", category: .integration, inputs: [
            .init("query", "Query", .string, required: true),
            .init("limit", "Limit", .number, default: 3, min: 1, max: 10, integer: true),
            .init("similarity_threshold", "Similarity Threshold", .number, default: 0.7, min: 0, max: 1),
        ], outputs: ["results", "context"], handles: .none),
        NodeDefinition(type: "openai_chat", category: .integration, inputs: [
            .init("system_prompt", "System Prompt", .string, required: true),
            .init("user_message", "User Message", .string, required: true),
            .init("model", "Model", .select, default: "gpt-4o", options: ["gpt-4o", "gpt-4o-mini", "gpt-4-turbo"]),
            .init("temperature", "Temperature", .number, default: 0.7, min: 0, max: 2),
        ], outputs: ["response", "tokens_used"], handles: .none),
        NodeDefinition(type: "delay", category: .utility, inputs: [
            .init("duration", "Duration", .number, required: true, default: 5, min: 1, max: 300),
        ], outputs: ["completed"], handles: .none),
        NodeDefinition(type: "switch_case", category: .condition, inputs: [
            .init("input_value", "Input Value", .string, required: true),
            .init("cases", "Cases", .json, required: true),
            .init("default_output", "Default Output", .string, default: "default"),
        ], outputs: [], handles: .any),
        NodeDefinition(type: "loop", category: .utility, inputs: [
            .init("items", "Items", .json, required: true),
            .init("batch_size", "Batch Size", .number, default: 1, min: 1, integer: true),
        ], outputs: ["item", "index", "done"], handles: .named(["item", "done"])),
        NodeDefinition(type: "error_handler", category: .utility, inputs: [
            .init("error_message", "Error Message", .string),
            .init("continue_on_error", "Continue On Error", .boolean, default: true),
            .init("log_error", "Log Error", .boolean, default: true),
        ], outputs: ["success", "error"], handles: .named(["success", "error"])),
        NodeDefinition(type: "webhook_callback", category: .integration, inputs: [
            .init("url", "URL", .string, required: true),
            .init("method", "Method", .select, default: "POST", options: ["POST", "PUT"]),
            .init("payload", "Payload", .json, required: true),
            .init("headers", "Headers", .json),
        ], outputs: ["success", "response"], handles: .none),
    ]

    private static let byType: [String: NodeDefinition] = Dictionary(uniqueKeysWithValues: definitions.map { ($0.type, $0) })

    /// The type names in §8.3 table order.
    public static let types: [String] = definitions.map(\.type)

    public static func definition(of type: String) -> NodeDefinition? { byType[type] }

    public static func category(of type: String) -> NodeCategory? { byType[type]?.category }
}
