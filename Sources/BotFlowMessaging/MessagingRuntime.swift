import AsyncHTTPClient
import BotFlowCore
import BotFlowJobs
import BotFlowSecurity
import BotFlowStorage
import Logging

/// Everything of the inbound → reply → outbound pipeline, wired once at startup: the job runner with its
/// handlers, the group-commit ingestor, status updates and the conversation service.
public final class MessagingRuntime: Sendable {
    public let jobs: JobRunner
    public let ingestor: InboundIngestor
    public let statuses: StatusUpdater
    public let conversations: ConversationService
    let observers: EventObservers

    /// - Parameters:
    ///   - adapters: the channel adapters (default: the real providers at the configured base URLs).
    ///   - knowledge: the knowledge stage's search (default: none until the Knowledge issue lands).
    ///   - extraHandlers: handlers of job types owned by other modules (backups), run by the same workers.
    public init(database: AppDatabase, clock: any AppClock, settings: Settings, credentials: CredentialCipher, logger: Logger,
                adapters: ChannelAdapters? = nil, knowledge: any KnowledgeSearching = NoKnowledge(), httpClient: HTTPClient = .shared,
                extraHandlers: [JobType: any JobHandler] = [:], onDeadJob: @escaping @Sendable (ClaimedJob, String) -> Void = { _, _ in }) {
        let observers = EventObservers()
        self.observers = observers
        let notify: @Sendable (PipelineEvent) -> Void = { event in observers.publish(event) }
        let channelAdapters = adapters ?? ChannelAdapters(settings: settings, client: httpClient)
        let llm: (any LLMCompleting)? = settings.llmEnabled ? OpenAIChatClient(http: httpClient, settings: settings) : nil
        var options = JobRunner.Options()
        options.concurrency = settings.jobConcurrency
        options.backoffBaseSeconds = settings.jobBackoffBaseSeconds
        options.lockTimeoutSeconds = settings.jobLockTimeoutSeconds
        let workflows = WorkflowEngine(database: database, settings: settings, knowledge: knowledge, llm: llm, credentials: credentials)
        let inlineSandbox = channelAdapters["sandbox"] is SandboxChannel
        let handlers: [JobType: any JobHandler] = [
            .reply: ReplyJobHandler(database: database, settings: settings, knowledge: knowledge, llm: llm, workflows: workflows, logger: logger,
                                    inlineSandbox: inlineSandbox, afterCommit: notify),
            .workflow_resume: WorkflowResumeJobHandler(settings: settings, workflows: workflows, afterCommit: notify),
            .deliver: DeliverJobHandler(credentials: credentials, settings: settings, adapters: { channelAdapters[$0] }, afterCommit: notify),
        ]
        let jobs = JobRunner(database: database, clock: clock, options: options, logger: logger,
                             handlers: handlers.merging(extraHandlers) { own, _ in own }, onDead: onDeadJob)
        self.jobs = jobs
        // Replies that need no I/O are composed by the webhook's own transaction; the rest by the reply job.
        let inlineReplier = InlineReplier(
            composer: ReplyComposer(database: database, settings: settings, knowledge: knowledge, llm: llm, workflows: workflows, logger: logger),
            knowledge: knowledge, directory: BotDirectory(version: database.botTables), clock: clock, settings: settings,
            inlineSandbox: inlineSandbox, logger: logger)
        ingestor = InboundIngestor(database: database, clock: clock, logger: logger, inlineReplier: inlineReplier) { s in
            jobs.wake()
            notify(.messagesStored(organizationId: s.organizationId, conversationId: s.conversationId, messageIds: [s.messageId] + s.replyMessageIds))
        }
        statuses = StatusUpdater(database: database, clock: clock, settings: settings)
        conversations = ConversationService(database: database, clock: clock, settings: settings) { event in
            jobs.wake()
            notify(event)
        }
    }

    /// Registers an observer of committed pipeline changes (cache invalidation, live events).
    public func observe(_ observer: @escaping @Sendable (PipelineEvent) -> Void) { observers.add(observer) }

    /// Startup recovery of behaviour §1.3 step 4.
    public func recover(database: AppDatabase, clock: any AppClock) async throws {
        try await jobs.recover()
        let now = clock.now()
        try await database.write { db in
            try MessageRepository.requeueSending(db, now: now)
            try ExecutionRepository.failInterrupted(db, now: now)
        }
    }
}

/// A small fan-out of post-commit events.
final class EventObservers: Sendable {
    private let observers = LockedValue<[@Sendable (PipelineEvent) -> Void]>([])
    func add(_ observer: @escaping @Sendable (PipelineEvent) -> Void) { observers.withLock { $0.append(observer) } }
    func publish(_ event: PipelineEvent) { for o in observers.withLock({ $0 }) { o(event) } }
}
