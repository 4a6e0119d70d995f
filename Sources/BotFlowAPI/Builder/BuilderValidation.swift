import BotFlowCore
import BotFlowWorkflow

/// What the builder needs from blueprint validation (behaviour §8.4): the issue messages and suggestions.
struct BlueprintCheck: Sendable {
    var errors: [String]
    var warnings: [String]
    var suggestions: [String]
}

/// The builder's view of the workflow module: the node library, its categories and the validator.
enum BuilderValidation {
    static let nodeTypes: [String] = NodeCatalogue.types
    static let triggerTypes: Set<String> = Set(NodeCatalogue.types.filter { NodeCatalogue.category(of: $0) == .trigger })
    static let integrationTypes: Set<String> = Set(NodeCatalogue.types.filter { NodeCatalogue.category(of: $0) == .integration })

    static func check(_ blueprint: JSON) -> BlueprintCheck {
        let report = BlueprintValidator.validate(blueprint)
        return BlueprintCheck(errors: report.errors.map(\.message), warnings: report.warnings.map(\.message),
                              suggestions: report.suggestions)
    }

    /// More than 200 nodes or 500 edges is a request error (behaviour §8.1).
    static func sizeIssues(_ blueprint: JSON) -> [BotFlowCore.ValidationIssue] { BlueprintValidator.sizeIssues(blueprint) }
}
