import BotFlowCache
import BotFlowCore
import BotFlowKnowledge
import HTTPTypes
import Hummingbird

/// K1–K9 (api.md §4.9). K3 (upload token) and K5 (signature) are public routes; the rest need a JWT.
struct KnowledgeController {
    let knowledge: KnowledgeService
    let body: JSONBodyReader
    let uploadLimit: Int
    let cached: CachedResponses

    func addRoutes(public router: Router<AppRequestContext>, authenticated: RouterGroup<AppRequestContext>) {
        // `:id` like the bot routes: the router needs one parameter name per position.
        let base = "/api/bots/:id/knowledge"
        authenticated.get(RouterPath(base)) { _, context in
            let (botId, orgId) = try scope(context)
            // The key names only the bot: the entry is scoped to the caller's organization (another one gets its 403).
            return try await cached.respond(CacheKeys.knowledgeList(bot: botId), tier: .WARM, owner: orgId) {
                ["articles": .array(try await knowledge.list(botId: botId, organizationId: orgId).map(Present.article))]
            }
        }
        authenticated.post(RouterPath(base)) { request, context in
            let (botId, orgId) = try scope(context)
            try await knowledge.authorize(botId: botId, organizationId: orgId)
            let upload = try await knowledge.startUpload(botId: botId, organizationId: orgId, userId: try context.requireIdentity().userId,
                                                         body: try await body.read(request))
            return Response.json(["article_id": .string(upload.articleId), "upload_url": .string(upload.uploadURL),
                                  "file_path": .string(upload.filePath)])
        }
        router.put(RouterPath(base + "/:articleId/upload")) { request, context in
            let botId = try context.parameters.require("id"), articleId = try context.parameters.require("articleId")
            if let length = request.headers[.contentLength].flatMap(Int.init), length > uploadLimit {
                throw APIErrorResponse(.payloadTooLarge(limit: uploadLimit))
            }
            let raw = try await body.collect(request, limit: uploadLimit)
            let done = try await knowledge.upload(botId: botId, articleId: articleId, token: request.queryDictionary["token"],
                                                  bytes: Array(raw.readableBytesView), contentType: request.headers[.contentType])
            return Response.json(["success": true, "article_id": .string(done.articleId), "file_path": .string(done.filePath),
                                  "size_bytes": .int(done.sizeBytes), "sha256": .string(done.sha256)])
        }
        authenticated.post(RouterPath(base + "/:articleId/process")) { request, context in
            let (botId, orgId) = try scope(context)
            try await knowledge.process(botId: botId, articleId: try context.parameters.require("articleId"), organizationId: orgId)
            return Response.json(["status": "processing"])
        }
        router.post(RouterPath(base + "/:articleId/complete")) { request, context in
            let raw = try await body.collect(request, limit: body.limit)
            try await knowledge.complete(botId: try context.parameters.require("id"), articleId: try context.parameters.require("articleId"),
                                         rawBody: Array(raw.readableBytesView), signature: request.headers[HTTPField.Name("x-webhook-signature")!])
            return Response.json(["success": true])
        }
        authenticated.get(RouterPath(base + "/stats")) { _, context in
            let (botId, orgId) = try scope(context)
            return try await cached.respond(CacheKeys.knowledgeStats(bot: botId), tier: .WARM, owner: orgId) {
                try await knowledge.stats(botId: botId, organizationId: orgId)
            }
        }
        authenticated.post(RouterPath(base + "/search")) { request, context in
            let (botId, orgId) = try scope(context)
            try await knowledge.authorize(botId: botId, organizationId: orgId)
            let (query, results) = try await knowledge.search(botId: botId, organizationId: orgId, body: try await body.read(request))
            return Response.json(["query": .string(query), "results": .array(results.map(Present.searchResult)), "count": .int(results.count)])
        }
        authenticated.delete(RouterPath(base + "/:articleId")) { _, context in
            let (botId, orgId) = try scope(context)
            try await knowledge.delete(botId: botId, articleId: try context.parameters.require("articleId"), organizationId: orgId)
            return Response.json(["success": true])
        }
        authenticated.post(RouterPath(base + "/legacy")) { request, context in
            let (botId, orgId) = try scope(context)
            try await knowledge.authorize(botId: botId, organizationId: orgId)
            let source = try await knowledge.createLegacySource(botId: botId, organizationId: orgId, body: try await body.read(request))
            return Response.json(["source": Present.legacySource(source)])
        }
    }

    private func scope(_ context: AppRequestContext) throws -> (botId: String, organizationId: String) {
        let identity = try context.requireIdentity()
        return (try context.parameters.require("id"), try identity.organizationId())
    }
}
