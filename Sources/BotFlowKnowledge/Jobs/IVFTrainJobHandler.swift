import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import Foundation
import GRDB

/// `ivf_train` (data-model §6): k-means on up to 256 × lists vectors taken at evenly spaced positions in `id` order,
/// centroids stored, every vector assigned to its nearest centroid.
public struct IVFTrainJobHandler: JobHandler {
    let policy: IVFPolicy
    let cache: MatrixCache

    public init(policy: IVFPolicy, cache: MatrixCache) { self.policy = policy; self.cache = cache }

    public func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        guard let botId = job.payload["bot_id"].stringValue, let model = job.payload["model"].stringValue else {
            throw JobFailure("ivf_train job without bot_id/model", retryable: false)
        }
        let vectors = try await env.database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, embedding FROM knowledge_vectors WHERE bot_id = ? AND embedding_model = ? ORDER BY id",
                             arguments: [botId, model]).map { (id: $0["id"] as Int64, v: VectorCodec.decode($0["embedding"])) }
        }
        let centroids = Self.train(vectors.map(\.v), lists: policy.lists)
        guard !centroids.isEmpty else { _ = try await env.finish(job) { _, _ in }; return }
        let lists = KMeans.nearest(vectors.map(\.v), centroids: centroids.flatMap { $0 }, dim: centroids[0].count)
        let assignments = zip(vectors, lists).map { (id: $0.id, list: $1) }
        let probes = policy.probes
        try await env.finish(job) { db, now in
            try IVFRepository.save(db, botId: botId, model: model, centroids: centroids, probes: probes, trainedVectors: vectors.count, now: now)
            let update = try db.cachedStatement(sql: "UPDATE knowledge_vectors SET ivf_list = ? WHERE id = ?")
            for a in assignments { try update.execute(arguments: [a.list, a.id]) }
        }
        cache.invalidate(botId: botId)
    }

    /// Centroids from an evenly spaced sample of up to 256 × lists vectors.
    public static func train(_ vectors: [[Float]], lists: Int) -> [[Float]] {
        let sample = KMeans.evenlySpaced(count: vectors.count, size: 256 * lists).map { vectors[$0] }
        return KMeans.train(sample, lists: lists)
    }
}
