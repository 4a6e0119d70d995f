import BotFlowCore
#if canImport(BotFlowWorkflow)
import BotFlowWorkflow
#endif

/// What the builder needs from blueprint validation (behaviour §8.4): the issue messages and suggestions.
struct BlueprintCheck: Sendable {
    var errors: [String]
    var warnings: [String]
    var suggestions: [String]
}

/// The builder's view of the workflow module: the node library, its categories and the validator.
enum BuilderValidation {
    #if canImport(BotFlowWorkflow)
    static let nodeTypes: [String] = NodeCatalogue.types
    static let triggerTypes: Set<String> = Set(NodeCatalogue.types.filter { NodeCatalogue.category(of: $0) == .trigger })
    static let integrationTypes: Set<String> = Set(NodeCatalogue.types.filter { NodeCatalogue.category(of: $0) == .integration })

    static func check(_ blueprint: JSON) -> BlueprintCheck {
        let report = BlueprintValidator.validate(blueprint)
        return BlueprintCheck(errors: report.errors.map(\.message), warnings: report.warnings.map(\.message),
                              suggestions: report.suggestions)
    }

    /// More than 200 nodes or 500 edges is a request error (behaviour §8.1).
    static func sizeIssues(_ blueprint: JSON) -> [ValidationIssue] { BlueprintValidator.sizeIssues(blueprint) }
    #else
    static let nodeTypes = [
        "whatsapp_trigger", "whatsapp_reply", "ask_question", "if_condition", "store_variable", "text_manipulation", "http_request",
        "database_query", "shopify_lookup", "paystack_payment", "knowledge_search", "openai_chat", "delay", "switch_case", "loop",
        "error_handler", "webhook_callback",
    ]
    static let triggerTypes: Set<String> = ["whatsapp_trigger"]
    static let integrationTypes: Set<String> = ["shopify_lookup", "paystack_payment", "knowledge_search", "openai_chat", "webhook_callback"]
    static func check(_ blueprint: JSON) -> BlueprintCheck { BlueprintCheck(errors: [], warnings: [], suggestions: []) }
    static func sizeIssues(_ blueprint: JSON) -> [ValidationIssue] { [] }
    #endif
}
