@testable import BotFlowKnowledge
import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import BotFlowTestSupport
import GRDB
import Testing

/// Model tagging and re-embedding (data-model §6), embedding failures (behaviour §7.2) and the OpenAI-compatible
/// embedder (behaviour §7.4) against a real local HTTP server.
@Suite struct EmbeddingJobTests {
    @Test func changingTheModelQueuesAReembedThatReplacesTheVectors() async throws {
        let f = try KnowledgeFixture.make()
        try await f.article(["How do I change a booking? Reply CHANGE with your booking number and the new time."],
                            createdAt: "2026-01-17T10:00:00.000Z", model: "openai:text-embedding-3-small")
        let clock = ManualClock()
        let runtime = KnowledgeRuntime(database: f.database, clock: clock, settings: Settings())
        #expect(try await runtime.searcher.hasVectors(botId: f.botId) == false, "vectors of another model are never compared")
        try await runtime.queueReembedding()
        try await runtime.queueReembedding() // deduplicated while unfinished
        let job = try #require(try await f.database.write { db in try JobQueue.claim(db, limit: 5, now: clock.now()) }.first)
        #expect(job.type == .reembed)
        #expect(job.payload == ["bot_id": .string(f.botId), "model": "local:botflow-local-v1"])
        #expect(try await f.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE type = 'reembed'") } == 1)
        try await runtime.handlers[.reembed]!.run(job, JobEnvironment(database: f.database, clock: clock, wakeWorkers: {}))
        let models = try await f.database.read { db in
            (try String.fetchAll(db, sql: "SELECT DISTINCT embedding_model FROM knowledge_vectors"),
             try String.fetchAll(db, sql: "SELECT DISTINCT embedding_model FROM knowledge_embeddings"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM knowledge_vectors")!)
        }
        #expect(models.0 == ["local:botflow-local-v1"])
        #expect(models.1 == ["local:botflow-local-v1"])
        #expect(models.2 == 3, "whole chunk + two passages")
        let hits = try await runtime.searcher.search(botId: f.botId, query: "Can I change my booking?", limit: 3, threshold: 0.75)
        #expect(hits.count == 1)
        try await runtime.queueReembedding()
        #expect(try await f.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE type = 'reembed' AND state = 'queued'") } == 0)
    }

    struct FailingEmbedder: Embedder {
        var modelId: String { "openai:broken" }
        var storesPassages: Bool { false }
        func embed(_ texts: [String]) async throws(EmbeddingError) -> [[Float]] { throw EmbeddingError("HTTP 503") }
    }

    @Test func embeddingFailureIsRetriedThenFailsTheArticle() async throws {
        let f = try KnowledgeFixture.make()
        let clock = ManualClock()
        let articleId = Identifiers.uuid()
        try await f.database.write { [botId = f.botId, org = f.organizationId] db in
            try KnowledgeRepository.insertArticle(db, id: articleId, botId: botId, organizationId: org, title: "a.txt", metadata: [
                "file_name": "a.txt", "file_size": 5, "file_type": "text/plain", "status": "processing"], now: clock.now())
            try KnowledgeRepository.saveFile(db, articleId: articleId, StoredFile(
                filePath: "p", contentType: "text/plain", sizeBytes: 80, sha256: "x",
                data: Array(String(repeating: "Shuttles leave hourly. ", count: 4).utf8)), now: clock.now())
            try JobQueue.enqueue(db, JobSpec(type: .knowledge_process, payload: ["article_id": .string(articleId)], maxAttempts: 2), now: clock.now())
        }
        let handler = KnowledgeProcessJobHandler(embedder: FailingEmbedder(), cache: MatrixCache(database: f.database, ivfMinVectors: 10),
                                                 ivf: IVFPolicy(minVectors: 10, lists: 2, probes: 1))
        let env = JobEnvironment(database: f.database, clock: clock, wakeWorkers: {})
        let first = try #require(try await f.database.write { db in try JobQueue.claim(db, limit: 1, now: clock.now()) }.first)
        await #expect(throws: JobFailure.self) { try await handler.run(first, env) }
        _ = try await f.database.write { db in try JobQueue.fail(db, first, error: "Embedding failed: HTTP 503", retryable: true, backoffSeconds: 0, nowMilliseconds: clock.nowMilliseconds()) }
        clock.advance(seconds: 1)
        let second = try #require(try await f.database.write { db in try JobQueue.claim(db, limit: 1, now: clock.now()) }.first)
        #expect(second.attempts == 2)
        try await handler.run(second, env)
        let metadata = try await f.database.read { db in try KnowledgeRepository.article(db, id: articleId)!.metadata }
        #expect(metadata["status"] == "failed")
        #expect(metadata["error_message"] == "Embedding failed: HTTP 503")
        #expect(metadata["file_name"] == "a.txt")
    }

    @Test func openAIEmbedderBatchesBy64AndNormalises() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        func reply(_ n: Int, offset: Int) -> FakeProvider.Reply {
            let data = (0..<n).reversed().map { i in #"{"index":\#(i),"embedding":[\#(i + offset),0,3]}"# }.joined(separator: ",")
            return .init(status: 200, body: #"{"data":[\#(data)],"usage":{"total_tokens":1}}"#)
        }
        provider.enqueue(reply(64, offset: 4))
        provider.enqueue(reply(6, offset: 100))
        var settings = Settings()
        settings.embeddingsProvider = "openai"
        settings.embeddingsBaseURL = provider.baseURL
        settings.embeddingsAPIKey = "sk-test"
        settings.embeddingsModel = "text-embedding-3-small"
        let embedder = Embedders.configured(settings)
        #expect(embedder.modelId == "openai:text-embedding-3-small")
        #expect(Embedders.modelId(settings) == embedder.modelId)
        let texts = (0..<70).map { "text \($0)" }
        let vectors = try await embedder.embed(texts)
        #expect(vectors.count == 70)
        #expect(provider.requests.count == 2)
        let first = try #require(provider.requests.first)
        #expect(first.path == "/v1/embeddings")
        #expect(first.header("authorization") == "Bearer sk-test")
        #expect(first.json["model"] == "text-embedding-3-small")
        #expect(first.json["input"].arrayValue?.count == 64)
        #expect(provider.requests[1].json["input"] == .array(texts.suffix(6).map { .string($0) }))
        // Ordered by `index`, L2-normalised: [4, 0, 3] → [0.8, 0, 0.6].
        #expect(abs(vectors[0][0] - 0.8) < 1e-6 && abs(vectors[0][2] - 0.6) < 1e-6)
        #expect(abs(vectors[64][0] - 100 / Float(100 * 100 + 9).squareRoot()) < 1e-6)

        provider.failNext(1, status: 503)
        await #expect(throws: EmbeddingError.self) { try await embedder.embed(["x"]) }
    }
}
