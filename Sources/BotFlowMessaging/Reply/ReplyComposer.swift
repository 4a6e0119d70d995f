import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import BotFlowWorkflow
import GRDB
import Logging

/// Composes the answer to one inbound message (behaviour §6.5 steps 1–9). Reads and outbound calls (knowledge,
/// LLM) happen here, outside any write transaction; `ReplyFinisher` commits the plan.
struct ReplyComposer: Sendable {
    let database: AppDatabase
    let settings: Settings
    let knowledge: any KnowledgeSearching
    let llm: (any LLMCompleting)?
    let workflows: WorkflowEngine
    let logger: Logger

    static let defaultFallback = "Sorry, I could not process that."

    /// Loads what the message's reply needs; nil when the gate stops (conversation not active, no bot, bot inactive).
    /// `shared` holds the per-bot and per-account rows already read in this read transaction (a batch of replies
    /// for one bot reads and parses its bot, workflow, globals and account once; same snapshot, same values).
    static func load(_ db: Database, messageId: String, shared: inout ReplyLoadShared) throws -> ReplyInput? {
        guard let inbound = try MessageRepository.find(db, id: messageId),
            let conversation = try ConversationRepository.find(db, id: inbound.conversationId),
            conversation.status == "active", let botId = conversation.botId,
            let perBot = try shared.bot(db, id: botId, organizationId: conversation.organizationId), perBot.bot.isActive,
            let account = try shared.account(db, id: conversation.whatsappAccountId)
        else { return nil }
        let open = try ExecutionRepository.findOpen(db, conversationId: conversation.id)
        return ReplyInput(
            inbound: inbound, conversation: conversation, bot: perBot.bot, account: account,
            context: try ConversationRepository.context(db, conversationId: conversation.id) ?? [:],
            openExecution: open,
            openExecutionWorkflow: try open.flatMap { try WorkflowVersionRepository.find(db, id: $0.workflowId) },
            activeWorkflow: perBot.activeWorkflow,
            globals: perBot.globals)
    }

    func compose(_ input: ReplyInput, nowMilliseconds: Int64) async -> ReplyPlan {
        var (plan, text, welcomed, finished) = Self.opening(input)
        if finished { return plan }
        let config = input.bot.config

        // Stages 1–2 — workflow.
        let context = WorkflowEngine.Context(bot: input.bot, conversation: input.conversation, message: text,
                                             conversationVariables: plan.conversationVariables, globals: input.globals)
        if let open = input.openExecution {
            // Stage 1: a waiting question takes the answer. An answer (or a delay wait) never starts a new workflow.
            if open.status == "waiting", open.waitKind == "question", let workflow = input.openExecutionWorkflow,
                let segment = await workflows.run(.answer(text), workflow: workflow, execution: open, context: context, nowMilliseconds: nowMilliseconds),
                adopt(segment, into: &plan)
            {
                return plan
            }
        } else if let workflow = input.activeWorkflow, let trigger = CompiledBlueprint(workflow.blueprint).matchingTrigger(text: text) {
            // Stage 2: a matching trigger starts the active workflow.
            let execution = ExecutionRecord(id: Identifiers.uuid(), botId: input.bot.id, workflowId: workflow.id,
                                            conversationId: input.conversation.id, triggerMessageId: input.inbound.id,
                                            startedAt: Timestamp.format(epochMilliseconds: nowMilliseconds))
            if let segment = await workflows.run(.start(triggerId: trigger), workflow: workflow, execution: execution, context: context,
                                                 nowMilliseconds: nowMilliseconds),
                adopt(segment, into: &plan)
            {
                return plan
            }
        }

        if Self.templateIntent(text: text, config: config, into: &plan) { return plan }

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

        Self.fallback(input, welcomed: welcomed, into: &plan)
        return plan
    }

    /// The same plan as `compose` for a reply that needs no I/O: nil when it would run the workflow executor (an
    /// open execution, or a trigger of the active workflow that matches), search the knowledge base
    /// (`hasKnowledge`), or ask the LLM. The webhook's transaction composes such replies itself (`InlineReplier`).
    func composeWithoutIO(_ input: ReplyInput, hasKnowledge: (BotRecord) throws -> Bool) rethrows -> ReplyPlan? {
        var (plan, text, welcomed, finished) = Self.opening(input)
        if finished { return plan }
        let config = input.bot.config
        if input.openExecution != nil { return nil }
        if let workflow = input.activeWorkflow, CompiledBlueprint(workflow.blueprint).matchingTrigger(text: text) != nil { return nil }
        if Self.templateIntent(text: text, config: config, into: &plan) { return plan }
        if llm != nil { return nil }
        if try hasKnowledge(input.bot) { return nil }
        Self.fallback(input, welcomed: welcomed, into: &plan)
        return plan
    }

    /// Where both paths start: the plan so far, the trimmed text, whether a welcome was added, and whether the reply
    /// is already finished (empty text stops it; a handoff keyword completes it after the welcome).
    private static func opening(_ input: ReplyInput) -> (plan: ReplyPlan, text: String, welcomed: Bool, finished: Bool) {
        var plan = ReplyPlan()
        plan.conversationVariables = input.context["variables"].objectValue ?? [:]
        let text = (input.inbound.content ?? "").trimmingWhitespace()
        guard !text.isEmpty else { return (plan, text, false, true) }
        let welcomed = welcome(input, into: &plan)
        let finished = explicitHandoff(text: text, config: input.bot.config, into: &plan)
        return (plan, text, welcomed, finished)
    }

    /// Welcome: the first message of a conversation gets the bot's welcome message first. True when one was added.
    private static func welcome(_ input: ReplyInput, into plan: inout ReplyPlan) -> Bool {
        let config = input.bot.config
        guard input.inbound.metadata["first_in_conversation"] == true,
            let welcome = config["welcomeMessage"].stringValue ?? config["conversation_flow"]["welcomeMessage"].stringValue, !welcome.isEmpty
        else { return false }
        plan.messages.append(.init(text: welcome, source: "welcome"))
        return true
    }

    /// Stage 0 — explicit handoff. True when the reply is complete.
    private static func explicitHandoff(text: String, config: JSON, into plan: inout ReplyPlan) -> Bool {
        guard let keyword = HandoffRules.matchingKeyword(in: text, config: config) else { return false }
        plan.messages.append(.init(text: HandoffRules.message(config: config), source: "handoff"))
        plan.handoffReason = "keyword:\(keyword)"
        return true
    }

    /// Stage 3 — template intents. True when the reply is complete.
    private static func templateIntent(text: String, config: JSON, into plan: inout ReplyPlan) -> Bool {
        guard let intents = config["conversation_flow"]["intents"].objectValue, let match = IntentMatcher.match(text, intents: intents) else {
            return false
        }
        plan.messages.append(.init(text: match.response, source: "intent", intent: match.name))
        plan.lastIntent = match.name
        return true
    }

    /// Stage 6 — fallback (suppressed after a welcome message).
    private static func fallback(_ input: ReplyInput, welcomed: Bool, into plan: inout ReplyPlan) {
        if welcomed { return }
        let config = input.bot.config
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
    }

    /// Takes a workflow segment's outcome into the plan; true when it emitted messages (the reply is complete).
    private func adopt(_ segment: WorkflowSegment, into plan: inout ReplyPlan) -> Bool {
        plan.workflow = segment
        plan.conversationVariables = segment.conversationVariables
        guard !segment.emitted.isEmpty else { return false }
        plan.messages += segment.emitted.map { .init(text: $0, source: "workflow", workflowVersion: segment.version) }
        return true
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
