import AsyncHTTPClient
import BotFlowCore
import BotFlowJobs
import BotFlowSecurity
import BotFlowStorage
import BotFlowWorkflow
import Foundation
import GRDB

/// What a workflow segment changed, committed by the reply job's Finish step or by the `workflow_resume` job.
struct WorkflowSegment: Sendable {
    var execution: ExecutionRecord
    var emitted: [String]
    var conversationVariables: JSONObject
    var globalWrites: JSONObject
    var integrationCalls: [IntegrationCall]
    var version: Int
    /// Where a resumed segment (an answer or a timer) found the execution waiting; nil for a start.
    var resumedFrom: ResumePoint?

    struct ResumePoint: Sendable {
        var nodeId: String?
        var waitUntil: String?
    }

    /// False when a resumed segment no longer applies: its execution was cancelled or moved on while it ran.
    func stillApplies(_ db: Database) throws -> Bool {
        guard let from = resumedFrom else { return true }
        return try ExecutionRepository.isWaiting(db, id: execution.id, nodeId: from.nodeId, waitUntil: from.waitUntil)
    }

    /// A waiting execution gets a `workflow_resume` job at `wait_until` (serial with the conversation's replies). The
    /// dedupe key carries `wait_until` too: a node waited at again (a loop, a cycle) needs a new job while the previous
    /// one is still unfinished (queued for an answered question, or running for the resume that re-waits).
    func resumeJob(organizationId: String) -> JobSpec? {
        guard execution.status == "waiting", let node = execution.currentNodeId, let until = execution.waitUntil else { return nil }
        return JobSpec(type: .workflow_resume,
                       payload: ["execution_id": .string(execution.id), "node_id": .string(node),
                                 "reason": .string(execution.waitKind == "delay" ? "delay" : "timeout"), "wait_until": .string(until)],
                       serialKey: "reply:\(execution.conversationId)", dedupeKey: "resume:\(execution.id):\(node):\(until)",
                       organizationId: organizationId, runAt: until)
    }

    /// Everything but the messages: execution row, resume job, global variables, integration logs. A resumed segment
    /// whose execution is no longer waiting where it was loaded writes nothing (returns false).
    @discardableResult
    func commitState(_ db: Database, organizationId: String, now: String) throws -> Bool {
        if let from = resumedFrom {
            guard try ExecutionRepository.saveResumed(db, execution, loadedNodeId: from.nodeId, loadedWaitUntil: from.waitUntil, now: now)
            else { return false }
        } else {
            try ExecutionRepository.save(db, execution, now: now)
        }
        if let job = resumeJob(organizationId: organizationId) { try JobQueue.enqueue(db, job, now: now) }
        for (name, value) in globalWrites { try WorkflowGlobalsRepository.upsert(db, botId: execution.botId, name: name, value: value, now: now) }
        for call in integrationCalls { try WorkflowIntegrationLog.insert(db, call, now: now) }
        return true
    }
}

/// Runs workflow segments for the reply pipeline and the resume job: builds the executor from stored rows, runs it
/// with the runtime services, and hands back a `WorkflowSegment` (no writes here).
struct WorkflowEngine: Sendable {
    let database: AppDatabase
    let settings: Settings
    let knowledge: any KnowledgeSearching
    let llm: (any LLMCompleting)?
    let credentials: CredentialCipher
    let http: GuardedHTTPClient

    init(database: AppDatabase, settings: Settings, knowledge: any KnowledgeSearching, llm: (any LLMCompleting)?, credentials: CredentialCipher) {
        self.database = database
        self.settings = settings
        self.knowledge = knowledge
        self.llm = llm
        self.credentials = credentials
        http = GuardedHTTPClient(allowPrivate: settings.workflowHTTPAllowPrivate)
    }

    enum Entry: Sendable {
        case start(triggerId: String)
        case answer(String)
        case timer(nodeId: String)
    }

    struct Context: Sendable {
        var bot: BotRecord
        var conversation: ConversationRecord
        var message: String
        var conversationVariables: JSONObject
        var globals: JSONObject
    }

    /// Runs one segment; nil when a timer resume no longer applies (stale).
    func run(_ entry: Entry, workflow: WorkflowVersionRecord, execution: ExecutionRecord, context: Context, nowMilliseconds: Int64) async -> WorkflowSegment? {
        var environment: [String: String] = [:]
        for name in settings.workflowEnvAllowlist { environment[name] = ProcessInfo.processInfo.environment[name] }
        let scope = WorkflowScope(message: context.message, customerPhone: context.conversation.customerPhone,
                                  customerName: context.conversation.customerName, conversationId: context.conversation.id,
                                  botId: context.bot.id, botName: context.bot.name, fields: context.bot.config["field_values"].objectValue ?? [:],
                                  conversation: context.conversationVariables, globals: context.globals, environment: environment)
        let services = WorkflowRuntimeServices(database: database, settings: settings, client: http, knowledge: knowledge, llm: llm,
                                               credentials: credentials, botId: context.bot.id, organizationId: context.bot.organizationId)
        let started = monotonicSeconds()
        var executor = WorkflowExecutor(blueprint: CompiledBlueprint(workflow.blueprint), state: Self.state(of: execution), scope: scope,
                                        services: services, limits: WorkflowLimits(maxSeconds: settings.workflowTimeLimitSeconds),
                                        clock: { nowMilliseconds + Int64((monotonicSeconds() - started) * 1000) })
        switch entry {
        case .start(let trigger): await executor.start(triggerId: trigger)
        case .answer(let text): await executor.answer(text)
        case .timer(let node): guard await executor.resumeTimer(nodeId: node) else { return nil }
        }
        var record = execution
        Self.apply(executor.state, to: &record, nowMilliseconds: nowMilliseconds)
        var resumedFrom: WorkflowSegment.ResumePoint?
        if case .start = entry {} else { resumedFrom = .init(nodeId: execution.currentNodeId, waitUntil: execution.waitUntil) }
        return WorkflowSegment(execution: record, emitted: executor.emitted, conversationVariables: executor.scope.conversation,
                               globalWrites: executor.globalWrites, integrationCalls: executor.integrationCalls, version: workflow.version,
                               resumedFrom: resumedFrom)
    }

    static func state(of e: ExecutionRecord) -> ExecutionState {
        ExecutionState(status: e.status, currentNodeId: e.currentNodeId, waitKind: e.waitKind, waitVariable: e.waitVariable,
                       waitUntilMs: e.waitUntil.flatMap(Timestamp.parse), variables: e.variables, nodeOutputs: e.nodeOutputs,
                       steps: e.steps, log: e.log, errorMessage: e.errorMessage, finished: e.finishedAt != nil)
    }

    static func apply(_ s: ExecutionState, to e: inout ExecutionRecord, nowMilliseconds: Int64) {
        e.status = s.status; e.currentNodeId = s.currentNodeId; e.waitKind = s.waitKind; e.waitVariable = s.waitVariable
        e.waitUntil = s.waitUntilMs.map { Timestamp.format(epochMilliseconds: $0) }
        e.variables = s.variables; e.nodeOutputs = s.nodeOutputs; e.steps = s.steps; e.log = s.log; e.errorMessage = s.errorMessage
        if s.finished, e.finishedAt == nil { e.finishedAt = Timestamp.format(epochMilliseconds: nowMilliseconds) }
    }
}
