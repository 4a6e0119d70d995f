import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB
import Logging

/// Composes the answer to one inbound message (behaviour §6.5 steps 1–9). Reads and outbound calls (knowledge,
/// LLM) happen here, outside any write transaction; `ReplyFinisher` commits the plan.
struct ReplyComposer: Sendable {
    let database: AppDatabase
    let settings: Settings
    let knowledge: any KnowledgeSearching
    let llm: (any LLMCompleting)?
    let logger: Logger

    static let defaultFallback = "Sorry, I could not process that."

    /// Loads what the message's reply needs; nil when the gate stops (conversation not active, no bot, bot inactive).
    static func load(_ db: Database, messageId: String) throws -> ReplyInput? {
        guard let inbound = try MessageRepository.find(db, id: messageId),
            let conversation = try ConversationRepository.find(db, id: inbound.conversationId),
            conversation.status == "active", let botId = conversation.botId,
            let bot = try BotRepository.find(db, id: botId, organizationId: conversation.organizationId), bot.isActive,
            let account = try WhatsAppAccountRepository.find(db, id: conversation.whatsappAccountId)
        else { return nil }
        let open = try ExecutionRepository.findOpen(db, conversationId: conversation.id)
        return ReplyInput(
            inbound: inbound, conversation: conversation, bot: bot, account: account,
            context: try ConversationRepository.context(db, conversationId: conversation.id) ?? [:],
            openExecution: open,
            openExecutionWorkflow: try open.flatMap { try WorkflowVersionRepository.find(db, id: $0.workflowId) },
            activeWorkflow: try ExecutionRepository.activeWorkflow(db, botId: bot.id))
    }

    func compose(_ input: ReplyInput, nowMilliseconds: Int64) async -> ReplyPlan {
        var plan = ReplyPlan()
        plan.conversationVariables = input.context["variables"].objectValue ?? [:]
        let text = (input.inbound.content ?? "").trimmingWhitespace()
        guard !text.isEmpty else { return plan }
        let config = input.bot.config

        // Welcome.
        var welcomed = false
        if input.inbound.metadata["first_in_conversation"] == true,
            let welcome = config["welcomeMessage"].stringValue ?? config["conversation_flow"]["welcomeMessage"].stringValue, !welcome.isEmpty
        {
            plan.messages.append(.init(text: welcome, source: "welcome"))
            welcomed = true
        }

        // Stage 0 — explicit handoff.
        if let keyword = HandoffRules.matchingKeyword(in: text, config: config) {
            plan.messages.append(.init(text: HandoffRules.message(config: config), source: "handoff"))
            plan.handoffReason = "keyword:\(keyword)"
            return plan
        }

        // Stages 1–2 — workflow.
        var context = WorkflowContext(
            message: text, customerPhone: input.conversation.customerPhone, customerName: input.conversation.customerName,
            conversationId: input.conversation.id, botId: input.bot.id, botName: input.bot.name,
            fields: config["field_values"].objectValue ?? [:], session: [:], conversation: plan.conversationVariables,
            blueprintVariables: [:], nodeOutputs: [:])
        if let open = input.openExecution {
            // Stage 1: a waiting question takes the answer. An answer (or a delay wait) never starts a new workflow.
            if open.status == "waiting", open.waitKind == "question", let workflow = input.openExecutionWorkflow {
                context.session = open.variables
                var executor = MinimalExecutor(blueprint: workflow.blueprint, execution: open, context: context, nowMilliseconds: nowMilliseconds)
                executor.resume(answer: text)
                if adopt(executor, version: workflow.version, into: &plan, input: input) { return plan }
            }
        } else if let workflow = input.activeWorkflow, let trigger = MinimalExecutor.matchingTrigger(workflow.blueprint, text: text) {
            // Stage 2: a matching trigger starts the active workflow.
            let execution = ExecutionRecord(id: Identifiers.uuid(), botId: input.bot.id, workflowId: workflow.id,
                                            conversationId: input.conversation.id, triggerMessageId: input.inbound.id,
                                            startedAt: Timestamp.format(epochMilliseconds: nowMilliseconds))
            var executor = MinimalExecutor(blueprint: workflow.blueprint, execution: execution, context: context, nowMilliseconds: nowMilliseconds)
            executor.start(triggerId: trigger)
            if adopt(executor, version: workflow.version, into: &plan, input: input) { return plan }
        }

        // Stage 3 — template intents.
        if let intents = config["conversation_flow"]["intents"].objectValue, let match = IntentMatcher.match(text, intents: intents) {
            plan.messages.append(.init(text: match.response, source: "intent", intent: match.name))
            plan.lastIntent = match.name
            return plan
        }

        // Stage 4 — knowledge.
        var hits: [KnowledgeHit] = []
        if (try? await knowledge.hasKnowledge(botId: input.bot.id)) == true {
            plan.knowledgeSearched = true
            hits = (try? await knowledge.search(botId: input.bot.id, query: text, limit: 3, threshold: 0.75)) ?? []
            plan.knowledgeResultsCount = hits.count
            if let best = hits.first, llm == nil {
                plan.knowledgeUsed = true
                plan.messages.append(.init(text: KnowledgeExcerpt.excerpt(best.content) + OutgoingText.citation, source: "knowledge"))
                return plan
            }
        }

        // Stage 5 — LLM.
        if let llm, let answer = await askLLM(llm, input: input, text: text, hits: hits), !answer.text.trimmingWhitespace().isEmpty {
            plan.tokensUsed = answer.tokens
            plan.knowledgeUsed = !hits.isEmpty
            plan.replyIsLLM = true
            plan.messages.append(.init(text: answer.text + (hits.isEmpty ? "" : OutgoingText.citation), source: "llm"))
            return plan
        }

        // Stage 6 — fallback (suppressed after a welcome message).
        if welcomed { return plan }
        let fallback = config["fallbackMessage"].stringValue.flatMap { $0.isEmpty ? nil : $0 }
        switch input.bot.fallbackBehavior {
        case "human_handoff":
            plan.messages.append(.init(text: fallback ?? HandoffRules.message(config: config), source: "fallback"))
            plan.handoffReason = "fallback"
        case "end_conversation":
            plan.messages.append(.init(text: fallback ?? Self.defaultFallback, source: "fallback"))
            plan.resolveAfterSending = true
        default:
            plan.messages.append(.init(text: fallback ?? Self.defaultFallback, source: "fallback"))
        }
        return plan
    }

    /// Takes a workflow segment's outcome into the plan; true when it emitted messages (the reply is complete).
    private func adopt(_ executor: MinimalExecutor, version: Int, into plan: inout ReplyPlan, input: ReplyInput) -> Bool {
        plan.execution = executor.execution
        plan.conversationVariables = executor.context.conversation
        scheduleResume(&plan, input: input)
        guard !executor.emitted.isEmpty else { return false }
        plan.messages += executor.emitted.map { .init(text: $0, source: "workflow", workflowVersion: version) }
        return true
    }

    /// A waiting question gets a `workflow_resume` job at its timeout (serial with the conversation's replies).
    private func scheduleResume(_ plan: inout ReplyPlan, input: ReplyInput) {
        guard let e = plan.execution, e.status == "waiting", let node = e.currentNodeId, let until = e.waitUntil else { return }
        plan.resumeJob = JobSpec(type: .workflow_resume, payload: ["execution_id": .string(e.id), "node_id": .string(node), "reason": "timeout"],
                                 serialKey: "reply:\(input.conversation.id)", dedupeKey: "resume:\(e.id):\(node)",
                                 organizationId: input.conversation.organizationId, runAt: until)
    }

    private func askLLM(_ llm: any LLMCompleting, input: ReplyInput, text: String, hits: [KnowledgeHit]) async -> (text: String, tokens: Int)? {
        let bot = input.bot
        let model = !settings.llmModel.isEmpty ? settings.llmModel
            : (bot.modelConfig["model"].stringValue ?? (bot.aiModel.isEmpty ? "gpt-4o" : bot.aiModel))
        let temperature = bot.modelConfig["temperature"].numberValue ?? bot.aiTemperature
        let history = (try? await database.read { db in
            try MessageRepository.history(db, conversationId: input.conversation.id, before: input.inbound, limit: 10)
        }) ?? []
        var messages: [(role: String, content: String)] = [("system", PromptBuilder.systemPrompt(bot: bot, hits: hits))]
        messages += history.map { ($0.direction == "inbound" ? "user" : "assistant", $0.content ?? "") }
        messages.append(("user", text))
        do {
            return try await llm.complete(model: model, messages: messages, temperature: temperature)
        } catch {
            logger.warning("LLM call failed; using the fallback", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
