import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB

/// The Finish step of behaviour §6.5: everything a reply changes, in the reply job's transaction.
enum ReplyFinisher {
    /// `inlineSandbox`: sandbox replies are delivered in this transaction (see `OutboundWriter.insert`).
    static func commit(_ db: Database, input: ReplyInput, plan: ReplyPlan, processingMs: Int, costPer1K: Double, inlineSandbox: Bool = false,
                       now: String) throws -> [String] {
        // The conversation may have been handed to an agent while the reply was composed: then the bot stays silent.
        guard var conversation = try ConversationRepository.find(db, id: input.conversation.id), conversation.status == "active" else {
            return []
        }
        let text = (input.inbound.content ?? "").trimmingWhitespace()
        var plan = plan
        // A resumed (Stage 1) segment whose execution was cancelled or moved on while it ran has no effects at all:
        // no messages from it, no state, no resume job.
        if let segment = plan.workflow, !(try segment.stillApplies(db)) {
            plan.messages.removeAll { $0.source == "workflow" }
            plan.conversationVariables = input.context["variables"].objectValue ?? [:]
            plan.workflow = nil
        }
        if plan.handoffReason == nil, !plan.messages.isEmpty,
            let conditions = input.bot.config["conversation_flow"]["handoffConditions"].arrayValue?.compactMap(\.stringValue),
            let fired = HandoffRules.firedCondition(conditions: conditions, customerText: text,
                                                    botReply: plan.messages.last?.text ?? "", replyIsLLM: plan.replyIsLLM)
        {
            plan.handoffReason = "condition:\(fired)"
        }
        let needsHandoff = plan.handoffReason != nil
        var ids: [String] = []
        let inboundMs = Timestamp.parse(input.inbound.createdAt) ?? 0
        let nowMs = Timestamp.parse(now) ?? inboundMs
        for (index, emitted) in plan.messages.enumerated() {
            var metadata: JSONObject = ["reply_source": .string(emitted.source)]
            if let intent = emitted.intent { metadata["intent"] = .string(intent) }
            if let version = emitted.workflowVersion { metadata["workflow_version"] = .int(version) }
            metadata["knowledge_searched"] = .bool(plan.knowledgeSearched)
            metadata["knowledge_used"] = .bool(plan.knowledgeUsed && emitted.source != "welcome")
            metadata["knowledge_results_count"] = .int(plan.knowledgeResultsCount)
            metadata["tokens_used"] = .int(emitted.source == "llm" ? plan.tokensUsed : 0)
            metadata["processing_time_ms"] = .int(processingMs)
            metadata["needs_handoff"] = .bool(needsHandoff)
            ids.append(try OutboundWriter.insert(
                db, conversation: conversation, account: input.account, text: OutgoingText.clean(emitted.text), sentBy: "bot",
                inReplyTo: input.inbound.id, responseTimeMs: index == 0 ? Int(max(0, nowMs - inboundMs)) : nil,
                metadata: .object(metadata), deliverSandboxInline: inlineSandbox, now: now))
        }
        if var segment = plan.workflow {
            if needsHandoff, segment.execution.status == "waiting" || segment.execution.status == "running" {
                segment.execution.status = "cancelled"
                segment.execution.finishedAt = now
            }
            try segment.commitState(db, organizationId: conversation.organizationId, now: now)
        }
        if needsHandoff { try OutboundWriter.handOff(&conversation, reason: plan.handoffReason, db: db, now: now) }
        if plan.resolveAfterSending, !needsHandoff {
            conversation.status = "resolved"
            conversation.endedAt = now
            // Leaving `active` cancels a waiting execution (behaviour §8.5).
            try ExecutionRepository.cancelOpen(db, conversationId: conversation.id, now: now)
        }
        if !ids.isEmpty { conversation.lastMessageAt = now }
        conversation.updatedAt = now
        try ConversationRepository.save(db, conversation)

        let previous = input.context
        let context: JSON = [
            "last_message": .string(text), "last_response": .string(plan.messages.last.map { OutgoingText.clean($0.text) }),
            "message_count": .int((previous["message_count"].integerValue ?? 0) + 1),
            "last_intent": plan.lastIntent.map(JSON.string) ?? previous["last_intent"],
            "handoff_requested": .bool(needsHandoff || previous["handoff_requested"] == true),
            "knowledge_used": .bool(plan.knowledgeUsed), "variables": .object(plan.conversationVariables),
        ]
        try ConversationRepository.saveContext(db, conversationId: conversation.id, data: context, now: now)
        try ConversationMetrics.recompute(db, conversation: conversation, costPer1KTokens: costPer1K, now: now)
        return ids
    }
}
