import BotFlowCache
import BotFlowCore
import BotFlowDomain
import BotFlowStorage
import Hummingbird

/// M1–M13: public catalogue reads through the COLD cache tier, JWT bot-integration routes that drop every
/// `marketplace:` entry after their commit (behaviour §3.3–§3.4).
struct MarketplaceController {
    let catalogue: MarketplaceService
    let botIntegrations: BotIntegrationService
    let body: JSONBodyReader
    let cached: CachedResponses

    func addRoutes(public router: Router<AppRequestContext>, authenticated: RouterGroup<AppRequestContext>) {
        router.get("/api/marketplace") { request, _ in
            let query = try MarketplaceService.parseListQuery(request.queryDictionary)
            return try await cached.respond(CacheKeys.marketplace("list:\(query.canonical)"), tier: .COLD) {
                let (items, total) = try await catalogue.list(query)
                return ["integrations": .array(items.map { .object(Present.marketplaceIntegration($0)) }), "total": .int(total),
                        "page": .int(query.page), "per_page": .int(query.perPage)]
            }
        }
        router.get("/api/marketplace/categories") { _, _ in
            try await cached.respond(CacheKeys.marketplace("categories"), tier: .COLD) {
                ["categories": .array(try await catalogue.categories().map { ["category": .string($0.category), "count": .int($0.count)] })]
            }
        }
        router.get("/api/marketplace/stats") { _, _ in
            try await cached.respond(CacheKeys.marketplace("stats"), tier: .COLD) {
                let counts = try await catalogue.counts()
                return [
                    "database": ["total": .int(counts.total), "featured": .int(counts.featured)],
                    "n8n": ["total": 0, "featured": 0, "byCategory": [:]],
                    "combined": ["total": .int(counts.total), "potential": 0],
                ]
            }
        }
        router.get("/api/marketplace/search") { request, _ in
            let q = request.queryDictionary["q"]
            guard let q, !q.trimmingWhitespace().isEmpty else { throw MarketplaceService.searchQueryRequired }
            return try await cached.respond(CacheKeys.marketplace("search:\(q)"), tier: .COLD) {
                let results = try await catalogue.search(q)
                return ["results": .array(results.map { .object(Present.marketplaceIntegration($0)) }), "total": .int(results.count),
                        "query": .string(q)]
            }
        }
        router.get("/api/marketplace/:slug") { _, context in
            let slug = try context.parameters.require("slug")
            return try await cached.respond(CacheKeys.marketplace("item:\(slug)"), tier: .COLD) {
                .object(Present.marketplaceIntegration(try await catalogue.get(slug: slug)))
            }
        }
        authenticated.post("/api/marketplace/refresh-cache") { _, context in
            _ = try context.requireIdentity().organizationId()
            cached.invalidate(CacheInvalidation.marketplaceChanged)
            return Response.json(["message": "Cache refreshed successfully", "n8n_integrations_count": 0])
        }
        authenticated.get("/api/marketplace/recommended/:botId") { _, context in
            let identity = try context.requireIdentity()
            let list = try await catalogue.recommended(botId: try context.parameters.require("botId"), identity: identity)
            return Response.json(["integrations": .array(list.map { r in
                var out = Present.marketplaceIntegration(r.integration)
                out["enabled"] = .bool(r.botIntegration != nil)
                if let b = r.botIntegration {
                    out["bot_integration_id"] = .string(b.id)
                    out["bot_integration_status"] = .string(b.status)
                }
                return .object(out)
            })])
        }
        addBotIntegrationRoutes(to: authenticated)
    }

    private func addBotIntegrationRoutes(to group: RouterGroup<AppRequestContext>) {
        let present: @Sendable (BotIntegrationRecord) -> JSON = { [botIntegrations] b in
            Present.botIntegration(b, credentials: botIntegrations.maskedCredentials(b))
        }
        group.post("/api/marketplace/:slug/enable") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let b = try await botIntegrations.enable(slug: try context.parameters.require("slug"), body: try await body.read(request),
                                                     identity: identity)
            cached.invalidate(CacheInvalidation.marketplaceChanged)
            return Response.json(["bot_integration": present(b), "message": "Integration enabled successfully"], status: .created)
        }
        group.patch("/api/marketplace/bot-integrations/:id") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let b = try await botIntegrations.update(id: try context.parameters.require("id"), body: try await body.read(request),
                                                     identity: identity)
            cached.invalidate(CacheInvalidation.marketplaceChanged)
            return Response.json(["bot_integration": present(b), "message": "Integration updated successfully"])
        }
        group.delete("/api/marketplace/bot-integrations/:id") { _, context in
            try await botIntegrations.disable(id: try context.parameters.require("id"), identity: try context.requireIdentity())
            cached.invalidate(CacheInvalidation.marketplaceChanged)
            return Response.json(["success": true, "message": "Integration disabled successfully"])
        }
        group.get("/api/marketplace/bots/:botId/integrations") { _, context in
            let list = try await botIntegrations.list(botId: try context.parameters.require("botId"), identity: try context.requireIdentity())
            return Response.json(["integrations": .array(list.map(present))])
        }
        group.get("/api/marketplace/bot-integrations/:id") { _, context in
            Response.json(present(try await botIntegrations.get(id: try context.parameters.require("id"), identity: try context.requireIdentity())))
        }
        group.get("/api/marketplace/bot-integrations/:id/logs") { request, context in
            let logs = try await botIntegrations.logs(id: try context.parameters.require("id"), query: request.queryDictionary,
                                                      identity: try context.requireIdentity())
            return Response.json(["logs": .array(logs.map(Present.integrationLog))])
        }
    }
}
