import BotFlowCore
import GRDB

/// The IVF-flat tables (data-model §2.20).
enum IVFRepository {
    struct Index: Sendable {
        var centroids: [Float]
        var dim: Int
        var probes: Int
        var trainedVectors: Int
    }

    static func centroids(_ db: Database, botId: String, model: String) throws -> Index? {
        guard let meta = try Row.fetchOne(db, sql: """
            SELECT lists, probes, trained_vectors FROM knowledge_ivf_indexes WHERE bot_id = ? AND embedding_model = ?
            """, arguments: [botId, model]) else { return nil }
        var rows: [Float] = []
        var dim = 0
        for row in try Row.fetchAll(db, sql: """
            SELECT centroid FROM knowledge_ivf_centroids WHERE bot_id = ? AND embedding_model = ? ORDER BY list_no
            """, arguments: [botId, model]) {
            let data: Data = row["centroid"]
            dim = data.count / 4
            VectorCodec.append(data, to: &rows)
        }
        return Index(centroids: rows, dim: dim, probes: meta["probes"], trainedVectors: meta["trained_vectors"])
    }

    static func trainedVectors(_ db: Database, botId: String, model: String) throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT trained_vectors FROM knowledge_ivf_indexes WHERE bot_id = ? AND embedding_model = ?",
                         arguments: [botId, model])
    }

    static func save(_ db: Database, botId: String, model: String, centroids: [[Float]], probes: Int, trainedVectors: Int, now: String) throws {
        try db.execute(sql: "DELETE FROM knowledge_ivf_centroids WHERE bot_id = ? AND embedding_model = ?", arguments: [botId, model])
        try db.execute(sql: """
            INSERT INTO knowledge_ivf_indexes (bot_id, embedding_model, lists, probes, trained_vectors, trained_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (bot_id, embedding_model) DO UPDATE SET lists = excluded.lists, probes = excluded.probes,
                trained_vectors = excluded.trained_vectors, trained_at = excluded.trained_at
            """, arguments: [botId, model, centroids.count, probes, trainedVectors, now])
        let insert = try db.cachedStatement(sql: """
            INSERT INTO knowledge_ivf_centroids (bot_id, embedding_model, list_no, centroid) VALUES (?, ?, ?, ?)
            """)
        for (i, c) in centroids.enumerated() { try insert.execute(arguments: [botId, model, i, VectorCodec.encode(c)]) }
    }
}

import Foundation
