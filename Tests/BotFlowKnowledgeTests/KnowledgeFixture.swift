@testable import BotFlowKnowledge
import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import Logging

/// A real database (temp file, real migrations) with one organization and bot, and helpers that store articles
/// and chunks through the production repository and embedder.
struct KnowledgeFixture: Sendable {
    let database: AppDatabase
    let directory: String
    let botId = "bot_1768645353123_k3j9x0abc"
    let organizationId = "9e4d2a71-5c3b-4e8f-a1d6-7b0c2f9e4a58"

    static func make() throws -> KnowledgeFixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("botflow-knowledge-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let f = KnowledgeFixture(database: try AppDatabase(path: dir + "/botflow.db", logger: logger), directory: dir)
        try f.database.pool.write { db in
            try db.execute(sql: "INSERT INTO organizations (id, name, slug) VALUES (?, 'Cape Shuttle', 'cape-shuttle')", arguments: [f.organizationId])
            try db.execute(sql: "INSERT INTO bots (id, organization_id, name) VALUES (?, ?, 'Shuttle Bot')", arguments: [f.botId, f.organizationId])
        }
        return f
    }

    /// An indexed article whose chunks are `chunks` (embedded with the local embedder, passages included).
    @discardableResult
    func article(_ chunks: [String], createdAt: String, botId: String? = nil, model: String = LocalEmbedder.modelId) async throws -> String {
        let id = Identifiers.uuid()
        let bot = botId ?? self.botId
        let embedded = try await KnowledgeProcessJobHandler.embed(
            chunks.enumerated().map { TextChunk(chunkIndex: $0.offset, content: $0.element, charStart: 0, charEnd: $0.element.unicodeScalars.count) },
            with: LocalEmbedder())
        try await database.write { [organizationId] db in
            try KnowledgeRepository.insertArticle(db, id: id, botId: bot, organizationId: organizationId, title: "doc.txt",
                                                  metadata: ["file_name": "doc.txt", "status": "indexed"], now: createdAt)
            let article = try KnowledgeRepository.article(db, id: id)!
            try KnowledgeRepository.replaceChunks(db, article: article, fileName: "doc.txt", chunks: embedded, model: model,
                                                  assign: { _ in nil }, now: createdAt)
        }
        return id
    }

    func searcher(ivfMinVectors: Int = 10_000) -> KnowledgeSearcher {
        KnowledgeSearcher(database: database, embedder: LocalEmbedder(), cache: MatrixCache(database: database, ivfMinVectors: ivfMinVectors))
    }
}
