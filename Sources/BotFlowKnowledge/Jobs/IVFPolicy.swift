import BotFlowCore
import BotFlowJobs
import GRDB

/// When the IVF index is trained and how new vectors join it (data-model §6).
public struct IVFPolicy: Sendable {
    public let minVectors: Int
    public let lists: Int
    public let probes: Int

    public init(minVectors: Int, lists: Int, probes: Int) { self.minVectors = minVectors; self.lists = lists; self.probes = probes }
    public init(_ settings: Settings) { self.init(minVectors: settings.ivfMinVectors, lists: settings.ivfLists, probes: settings.ivfProbes) }

    /// Assignment on insert: the nearest centroid when the bot has an index of this model, else none.
    func assigner(_ db: Database, botId: String, model: String) throws -> @Sendable ([Float]) -> Int? {
        guard let index = try IVFRepository.centroids(db, botId: botId, model: model), !index.centroids.isEmpty else { return { _ in nil } }
        return { v in v.count == index.dim ? VectorMath.nearest(v, in: index.centroids, dim: index.dim) : nil }
    }

    /// Queues `ivf_train` when the bot reaches `IVF_MIN_VECTORS` without an index, or has doubled since training.
    func enqueueTrainingIfDue(_ db: Database, botId: String, organizationId: String?, model: String, now: String) throws {
        let count = try KnowledgeRepository.vectorCount(db, botId: botId, model: model)
        guard count >= minVectors else { return }
        if let trained = try IVFRepository.trainedVectors(db, botId: botId, model: model), count < 2 * trained { return }
        try JobQueue.enqueue(db, JobSpec(type: .ivf_train, payload: ["bot_id": .string(botId), "model": .string(model)],
                                         serialKey: "ivf:\(botId)", dedupeKey: "ivf:\(botId):\(model)", organizationId: organizationId), now: now)
    }
}
