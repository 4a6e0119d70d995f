import BotFlowCore
import BotFlowJobs
import BotFlowSecurity
import BotFlowStorage
import Crypto
import Foundation
import GRDB

/// The knowledge base API rules (api.md §4.9 K1–K9, behaviour §7.1). Controllers decode and call; this owns the
/// business rules and the transactions.
public struct KnowledgeService: Sendable {
    let database: AppDatabase
    let clock: any AppClock
    let settings: Settings
    let tokens: UploadTokens
    public let searcher: KnowledgeSearcher
    let cache: MatrixCache
    let wakeJobs: @Sendable () -> Void

    public init(database: AppDatabase, clock: any AppClock, settings: Settings, searcher: KnowledgeSearcher, cache: MatrixCache,
                wakeJobs: @escaping @Sendable () -> Void) {
        self.database = database; self.clock = clock; self.settings = settings
        tokens = UploadTokens(serverSecret: settings.serverSecret ?? "")
        self.searcher = searcher; self.cache = cache; self.wakeJobs = wakeJobs
    }

    static let unauthorized = APIError.plain(403, "Unauthorized")
    static let articleNotFound = APIError.notFound("Article not found")

    /// The JWT knowledge routes' bot check (api.md §1.4 exception): 403 `{"error":"Unauthorized"}`.
    public func authorize(botId: String, organizationId: String) async throws {
        guard try await database.read({ db in try KnowledgeRepository.botBelongs(db, botId: botId, organizationId: organizationId) })
        else { throw Self.unauthorized }
    }

    // MARK: K1

    public func list(botId: String, organizationId: String) async throws -> [ArticleRecord] {
        try await authorize(botId: botId, organizationId: organizationId)
        return try await database.read { db in try KnowledgeRepository.articles(db, botId: botId) }
    }

    // MARK: K2

    public struct Upload: Sendable { public let articleId: String; public let uploadURL: String; public let filePath: String }

    public func startUpload(botId: String, organizationId: String, userId: String, body: JSON) async throws -> Upload {
        try await authorize(botId: botId, organizationId: organizationId)
        var v = Validator(body)
        let fileName = v.string("file_name", required: true, min: 1, max: 255,
                                matches: { !$0.contains("/") && !$0.contains("\\") && !$0.unicodeScalars.contains("\u{0}") },
                                patternDescription: "File name must not contain a path")
        let fileSize = v.number("file_size", required: true, min: 1, max: Double(settings.uploadLimitBytes), integer: true)
        let fileType = v.string("file_type", required: true, oneOf: KnowledgeFileType.all)
        try v.finish()
        let articleId = Identifiers.uuid()
        let now = clock.now()
        let metadata: JSONObject = [
            "file_name": .string(fileName!), "file_size": .int(Int64(fileSize!)), "file_type": .string(fileType!),
            "status": "pending", "uploaded_by": .string(userId), "upload_date": .string(now),
        ]
        try await database.write { db in
            try KnowledgeRepository.insertArticle(db, id: articleId, botId: botId, organizationId: organizationId, title: fileName!,
                                                  metadata: metadata, now: now)
        }
        cache.invalidate(botId: botId)
        let token = tokens.issue(articleId: articleId, botId: botId, expiresAt: clock.nowSeconds() + Int64(settings.uploadURLTTLSeconds))
        let url = settings.effectivePublicBaseURL + "/api/bots/\(Self.pathEscape(botId))/knowledge/\(articleId)/upload?token=\(token)"
        return Upload(articleId: articleId, uploadURL: url, filePath: Self.filePath(botId: botId, articleId: articleId, fileName: fileName!))
    }

    static func filePath(botId: String, articleId: String, fileName: String) -> String { "knowledge/\(botId)/\(articleId)/\(fileName)" }

    static func pathEscape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? s
    }

    // MARK: K3

    public struct Uploaded: Sendable { public let articleId: String; public let filePath: String; public let sizeBytes: Int; public let sha256: String }

    /// The token is checked first (403), then the article (404), the body (400) and the state (409).
    public func upload(botId: String, articleId: String, token: String?, bytes: [UInt8], contentType: String?) async throws -> Uploaded {
        guard tokens.verify(token, articleId: articleId, botId: botId, nowSeconds: clock.nowSeconds()) else {
            throw APIError.plain(403, "Invalid or expired upload token")
        }
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let now = clock.now()
        defer { cache.invalidate(botId: botId) }
        return try await database.write { db in
            guard let article = try KnowledgeRepository.article(db, id: articleId, botId: botId) else { throw Self.articleNotFound }
            guard !bytes.isEmpty else { throw APIError.plain(400, "Empty upload") }
            switch article.status {
            case "processing": throw APIError.conflict("Article is being processed")
            case "indexed": throw APIError.conflict("Article already indexed")
            default: break
            }
            let path = Self.filePath(botId: botId, articleId: articleId, fileName: article.metadata["file_name"]?.stringValue ?? article.title)
            try KnowledgeRepository.saveFile(db, articleId: articleId, StoredFile(
                filePath: path, contentType: contentType ?? "application/octet-stream", sizeBytes: bytes.count, sha256: sha, data: bytes), now: now)
            try KnowledgeRepository.mergeMetadata(db, articleId: articleId, ["file_size": .int(bytes.count), "uploaded_at": .string(now)], now: now)
            return Uploaded(articleId: articleId, filePath: path, sizeBytes: bytes.count, sha256: sha)
        }
    }

    // MARK: K4

    public func process(botId: String, articleId: String, organizationId: String) async throws {
        try await authorize(botId: botId, organizationId: organizationId)
        let now = clock.now()
        try await database.write { db in
            guard let article = try KnowledgeRepository.article(db, id: articleId, botId: botId) else { throw Self.articleNotFound }
            guard let sha = try KnowledgeRepository.fileSHA256(db, articleId: articleId) else { throw APIError.conflict("File not uploaded") }
            guard article.status != "processing" else { throw APIError.conflict("Article is already being processed") }
            try KnowledgeRepository.mergeMetadata(db, articleId: articleId, ["status": "processing", "processing_started": .string(now)], now: now)
            try JobQueue.enqueue(db, JobSpec(type: .knowledge_process, payload: ["article_id": .string(articleId)],
                                             serialKey: "knowledge:\(articleId)", dedupeKey: "knowledge:\(articleId):\(sha)",
                                             organizationId: organizationId), now: now)
        }
        cache.invalidate(botId: botId)
        wakeJobs()
    }

    // MARK: K5

    public func complete(botId: String, articleId: String, rawBody: [UInt8], signature: String?) async throws {
        guard !settings.knowledgeWebhookSecret.isEmpty else { throw APIError.plain(503, "Webhook secret not configured") }
        guard WebhookSignatures.verifyHMACSHA256Hex(secret: settings.knowledgeWebhookSecret, body: rawBody, header: signature) else {
            throw APIError.plain(403, "Invalid signature")
        }
        let body: JSON = rawBody.isEmpty ? [:] : ((try? JSONParser.parse(rawBody)) ?? .null)
        guard case .object = body else { throw APIError.invalidJSON }
        var v = Validator(body)
        let status = v.string("status", required: true, oneOf: ["success", "failed"])
        let chunks = v.number("chunks_created", min: 0, integer: true)
        let message = v.string("error_message")
        try v.finish()
        let now = clock.now()
        try await database.write { db in
            guard try KnowledgeRepository.article(db, id: articleId, botId: botId) != nil else { throw Self.articleNotFound }
            var patch: JSONObject = ["status": .string(status == "success" ? "indexed" : "failed"), "processing_completed": .string(now)]
            if let chunks { patch["chunks_created"] = .int(Int64(chunks)) }
            if let message { patch["error_message"] = .string(message) }
            try KnowledgeRepository.mergeMetadata(db, articleId: articleId, patch, now: now)
        }
        cache.invalidate(botId: botId)
    }

    // MARK: K6

    public func stats(botId: String, organizationId: String) async throws -> JSON {
        let articles = try await list(botId: botId, organizationId: organizationId)
        let totalChunks = articles.reduce(0) { $0 + $1.chunkCount }
        let size = articles.reduce(Int64(0)) { $0 + ($1.metadata["file_size"]?.integerValue ?? 0) }
        func count(_ s: String) -> JSON { .int(articles.filter { $0.status == s }.count) }
        let average = articles.isEmpty ? 0 : (Double(totalChunks) / Double(articles.count) * 100).rounded() / 100
        return ["total_articles": .int(articles.count), "total_chunks": .int(totalChunks), "total_size_bytes": .int(size),
                "avg_chunks_per_article": .double(average), "indexed_articles": count("indexed"),
                "processing_articles": count("processing"), "failed_articles": count("failed"), "pending_articles": count("pending")]
    }

    // MARK: K7

    public func search(botId: String, organizationId: String, body: JSON) async throws -> (query: String, results: [SearchResult]) {
        try await authorize(botId: botId, organizationId: organizationId)
        guard let query = body["query"].stringValue, !query.trimmingWhitespace().isEmpty else {
            throw APIError.plain(400, "Query string is required")
        }
        var v = Validator(body)
        v.string("query", required: true, max: 2000)
        let limit = v.number("limit", min: 1, max: 100, integer: true)
        let threshold = v.number("threshold", min: -1, max: 1)
        if let threshold, threshold >= 1 { v.fail("threshold", "Number must be less than 1", .too_big) }
        let hybrid = v.bool("hybrid")
        try v.finish()
        do {
            let results = try await searcher.search(botId: botId, query: query, limit: Int(limit ?? 5), threshold: threshold ?? 0.7,
                                                    hybrid: hybrid ?? false)
            return (query, results)
        } catch .embedding {
            throw APIError.plain(503, "Failed to generate query embedding")
        } catch .storage(let error) {
            throw error
        }
    }

    // MARK: K8

    public func delete(botId: String, articleId: String, organizationId: String) async throws {
        try await authorize(botId: botId, organizationId: organizationId)
        guard try await database.write({ db in try KnowledgeRepository.deleteArticle(db, id: articleId, botId: botId) }) else {
            throw Self.articleNotFound
        }
        cache.invalidate(botId: botId)
    }

    // MARK: K9

    public func createLegacySource(botId: String, organizationId: String, body: JSON) async throws -> LegacySourceRecord {
        try await authorize(botId: botId, organizationId: organizationId)
        var v = Validator(body)
        let type = v.string("sourceType", required: true, oneOf: ["file", "url", "text"])
        let content = v.string("content", required: true, min: 1, max: 100_000)
        let metadata = v.object("metadata")
        try v.finish()
        let now = clock.now()
        let source = LegacySourceRecord(id: Identifiers.uuid(), botId: botId, sourceType: type!, content: content!, status: "pending",
                                        metadata: .object(metadata ?? [:]), createdAt: now, updatedAt: now)
        try await database.write { db in try KnowledgeRepository.insertLegacySource(db, source) }
        return source
    }
}
