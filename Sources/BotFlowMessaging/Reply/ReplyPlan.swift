import BotFlowCore
import BotFlowJobs
import BotFlowStorage

/// What the reply pipeline loaded for one inbound message.
struct ReplyInput: Sendable {
    let inbound: MessageRecord
    let conversation: ConversationRecord
    let bot: BotRecord
    let account: WhatsAppAccountRecord
    let context: JSON
    let openExecution: ExecutionRecord?
    /// The workflow version the open execution runs (may differ from the active one after a re-activation).
    let openExecutionWorkflow: WorkflowVersionRecord?
    let activeWorkflow: WorkflowVersionRecord?
    /// The bot's `workflow_globals`.
    let globals: JSONObject
}

/// What the reply pipeline decided; written by the Finish step in one transaction.
struct ReplyPlan: Sendable {
    struct Emitted: Sendable {
        var text: String
        var source: String
        var intent: String?
        var workflowVersion: Int?
    }

    var messages: [Emitted] = []
    var handoffReason: String?
    var resolveAfterSending = false
    var knowledgeSearched = false
    var knowledgeUsed = false
    var knowledgeResultsCount = 0
    var tokensUsed = 0
    var lastIntent: String?
    /// True when the last emitted text came from the LLM (template "outside/special/technical" conditions).
    var replyIsLLM = false
    /// The workflow segment to persist (execution, resume job, globals, integration logs).
    var workflow: WorkflowSegment?
    /// Conversation-scope workflow variables after this reply.
    var conversationVariables: JSONObject = [:]
}
