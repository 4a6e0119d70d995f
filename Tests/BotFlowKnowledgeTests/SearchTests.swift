@testable import BotFlowKnowledge
import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import BotFlowTestSupport
import GRDB
import Testing

/// behaviour §7.5 and data-model §6, on a real database.
@Suite struct SearchTests {
    @Test func thresholdIsStrictlyGreater() async throws {
        let f = try KnowledgeFixture.make()
        try await f.article(["Shuttles leave the airport every hour between six in the morning and ten at night."], createdAt: "2026-01-17T10:00:00.000Z")
        let s = f.searcher()
        let query = "When do shuttles leave the airport?"
        let all = try await s.search(botId: f.botId, query: query, limit: 5, threshold: -1)
        let similarity = try #require(all.first?.similarity)
        #expect(similarity > 0.3 && similarity < 1)
        #expect(try await s.search(botId: f.botId, query: query, limit: 5, threshold: similarity).isEmpty, "equal to the threshold is not kept")
        #expect(try await s.search(botId: f.botId, query: query, limit: 5, threshold: similarity.nextDown).count == 1)
        // The stored similarity is the float32 dot product widened, reported at full precision.
        #expect(similarity == Double(Float(similarity)))
    }

    @Test func orderingByMaximumPassageSimilarityWithTies() async throws {
        let f = try KnowledgeFixture.make()
        let faq = "How do I change a booking? Reply CHANGE with your booking number and the new time."
        // Two articles with the same chunk text: the tie goes to the older article, then the lower chunk_index.
        let newer = try await f.article(["Filler about luggage allowances and trailers for surfboards.", faq, faq], createdAt: "2026-01-17T12:00:00.000Z")
        let older = try await f.article([faq, "Prices are listed per seat, children under two travel free of charge."], createdAt: "2026-01-17T09:00:00.000Z")
        let s = f.searcher()
        let results = try await s.search(botId: f.botId, query: "Can I change my booking?", limit: 10, threshold: 0.5)
        // The passage "How do I change a booking?" matches exactly: 1.0, although the whole chunk scores ~0.77.
        #expect(results.count == 3)
        #expect(results.allSatisfy { abs($0.similarity - 1) < 1e-6 })
        #expect(results.map { $0.metadata["source_id"] } == [.string(older), .string(newer), .string(newer)])
        #expect(results.map { $0.metadata["chunk_index"] } == [0, 1, 2])
        #expect(try await s.search(botId: f.botId, query: "Can I change my booking?", limit: 2, threshold: 0.5).map(\.id)
                == Array(results.prefix(2)).map(\.id), "limit keeps the first results in order")
        // Similarity descends.
        let broad = try await s.search(botId: f.botId, query: "booking prices for children", limit: 10, threshold: -1)
        #expect(broad.map(\.similarity) == broad.map(\.similarity).sorted(by: >))
        #expect(broad.count == 5)
    }

    @Test func searchSeesOnlyTheBotsVectorsOfTheCurrentModel() async throws {
        let f = try KnowledgeFixture.make()
        try await f.database.write { db in
            try db.execute(sql: "INSERT INTO bots (id, organization_id, name) VALUES ('other-bot', ?, 'Other')", arguments: [f.organizationId])
        }
        try await f.article(["Airport shuttle timetable: every hour, on the hour, from six."], createdAt: "2026-01-17T10:00:00.000Z", botId: "other-bot")
        try await f.article(["Airport shuttle timetable: every hour, on the hour, from six."], createdAt: "2026-01-17T10:00:00.000Z",
                            model: "openai:text-embedding-3-small")
        let s = f.searcher()
        #expect(try await s.search(botId: f.botId, query: "airport shuttle timetable", limit: 5, threshold: 0).isEmpty)
        #expect(try await s.hasVectors(botId: f.botId) == false)
        #expect(try await s.search(botId: "other-bot", query: "airport shuttle timetable", limit: 5, threshold: 0).count == 1)
    }

    @Test func hybridCombinesSimilarityWithKeywordRank() async throws {
        let f = try KnowledgeFixture.make()
        try await f.article(["Refunds: cancel 24 hours before departure for a full refund of the shuttle fare.",
                             "Luggage: one suitcase and one carry-on bag per passenger, surfboards on request."], createdAt: "2026-01-17T10:00:00.000Z")
        let s = f.searcher()
        let results = try await s.search(botId: f.botId, query: "full refund shuttle", limit: 5, threshold: -1, hybrid: true)
        #expect(results.count == 2)
        let top = try #require(results.first)
        #expect(top.content.hasPrefix("Refunds"))
        #expect(top.keywordRank == 1, "the best FTS match has rank 1")
        #expect(results[1].keywordRank == 0, "no FTS match → 0")
        for r in results { #expect(abs(r.combinedScore! - (0.7 * r.similarity + 0.3 * r.keywordRank!)) < 1e-12) }
        #expect(SearchTests.isSorted(results.map { $0.combinedScore! }))
        #expect(KnowledgeSearcher.ftsQuery("Don't the \"refund\" policy") == "\"dont\" OR \"refund\" OR \"policy\"")
    }

    static func isSorted(_ v: [Double]) -> Bool { zip(v, v.dropFirst()).allSatisfy { $0 >= $1 } }

    /// IVF-flat: training assigns every vector, probing all lists equals exact search, a new vector is assigned on
    /// insert, and the matrix cache is invalidated.
    @Test func ivfIndexMatchesExactSearchWhenAllListsAreProbed() async throws {
        let f = try KnowledgeFixture.make()
        var rng = SplitMix64(seed: 7)
        let words = ["shuttle", "airport", "booking", "refund", "luggage", "child", "seat", "price", "driver", "hotel", "route",
                     "ticket", "cancel", "morning", "evening", "surfboard", "pickup", "dropoff", "wifi", "payment"]
        var chunks: [String] = []
        for _ in 0..<300 {
            chunks.append((0..<8).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ") + " extra words here")
        }
        try await f.article(chunks, createdAt: "2026-01-17T10:00:00.000Z")
        let cache = MatrixCache(database: f.database, ivfMinVectors: 100)
        let policy = IVFPolicy(minVectors: 100, lists: 8, probes: 8)
        let clock = ManualClock()
        // Run the real handler through the job queue.
        try await f.database.write { db in
            try policy.enqueueTrainingIfDue(db, botId: f.botId, organizationId: nil, model: LocalEmbedder.modelId, now: clock.now())
        }
        let job = try #require(try await f.database.write { db in try JobQueue.claim(db, limit: 1, now: clock.now()) }.first)
        #expect(job.type == .ivf_train)
        try await IVFTrainJobHandler(policy: policy, cache: cache).run(job, JobEnvironment(database: f.database, clock: clock, wakeWorkers: {}))
        let unassigned = try await f.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM knowledge_vectors WHERE ivf_list IS NULL")! }
        #expect(unassigned == 0)
        let lists = try await f.database.read { db in try Int.fetchOne(db, sql: "SELECT lists FROM knowledge_ivf_indexes")! }
        #expect(lists == 8)
        let searcher = KnowledgeSearcher(database: f.database, embedder: LocalEmbedder(), cache: cache)
        let matrix = try await cache.matrix(botId: f.botId, model: LocalEmbedder.modelId)
        #expect(matrix.hasIVF)
        for q in ["shuttle booking price", "refund cancel", "surfboard luggage hotel"] {
            let ivf = try await searcher.search(botId: f.botId, query: q, limit: 5, threshold: -1)
            let exact = try await searcher.search(botId: f.botId, query: q, limit: 5, threshold: -1, exact: true)
            #expect(ivf.map(\.id) == exact.map(\.id))
        }
        // Assignment on insert: a new article's vectors get their nearest list.
        let assign = try await f.database.read { db in try policy.assigner(db, botId: f.botId, model: LocalEmbedder.modelId) }
        #expect(assign(LocalEmbedder().embed("shuttle airport")) != nil)
        // Retraining waits for the count to double.
        try await f.database.write { db in
            try policy.enqueueTrainingIfDue(db, botId: f.botId, organizationId: nil, model: LocalEmbedder.modelId, now: clock.now())
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE type = 'ivf_train' AND state = 'queued'") == 0)
        }
    }
}
