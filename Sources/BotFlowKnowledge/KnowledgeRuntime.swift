import BotFlowCore
import BotFlowJobs
import BotFlowStorage

/// The knowledge base wired once at startup: the configured embedder, the per-bot matrices, search, the API service
/// and the job handlers the shared workers run.
public final class KnowledgeRuntime: Sendable {
    public let embedder: any Embedder
    public let cache: MatrixCache
    public let searcher: KnowledgeSearcher
    public let ivf: IVFPolicy
    /// Post-commit change notices (cache invalidation of K1/K6 responses).
    public let events = KnowledgeEvents()
    let database: AppDatabase
    let clock: any AppClock
    let settings: Settings
    private let wake = LockedValue<@Sendable () -> Void>({})

    public init(database: AppDatabase, clock: any AppClock, settings: Settings, embedder: (any Embedder)? = nil) {
        self.database = database; self.clock = clock; self.settings = settings
        self.embedder = embedder ?? Embedders.configured(settings)
        cache = MatrixCache(database: database, ivfMinVectors: settings.ivfMinVectors, events: events)
        searcher = KnowledgeSearcher(database: database, embedder: self.embedder, cache: cache)
        ivf = IVFPolicy(settings)
    }

    /// The job runner is built after this runtime; it hands its wake-up here.
    public func setWake(_ wake: @escaping @Sendable () -> Void) { self.wake.withLock { $0 = wake } }

    public var service: KnowledgeService {
        KnowledgeService(database: database, clock: clock, settings: settings, searcher: searcher, cache: cache) { [wake] in
            wake.withLock { $0 }()
        }
    }

    public var handlers: [JobType: any JobHandler] {
        [
            .knowledge_process: KnowledgeProcessJobHandler(embedder: embedder, cache: cache, ivf: ivf),
            .reembed: ReembedJobHandler(embedder: embedder, cache: cache, ivf: ivf),
            .ivf_train: IVFTrainJobHandler(policy: ivf, cache: cache),
        ]
    }

    /// Model tagging (data-model §6): bots with chunks of another model get a `reembed` job.
    public func queueReembedding() async throws {
        let model = embedder.modelId
        try await database.write { [clock] db in
            let now = clock.now()
            for bot in try KnowledgeRepository.botsNeedingReembed(db, model: model) {
                try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: ["bot_id": .string(bot.botId), "model": .string(model)],
                                                 serialKey: "reembed:\(bot.botId)", dedupeKey: "reembed:\(bot.botId):\(model)",
                                                 organizationId: bot.organizationId), now: now)
            }
        }
        wake.withLock { $0 }()
    }
}
