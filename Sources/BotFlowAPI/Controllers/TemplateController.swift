import BotFlowCache
import BotFlowCore
import BotFlowDomain
import Hummingbird

/// T1–T6: public reads, admin writes.
struct TemplateController {
    let templates: TemplateService
    let body: JSONBodyReader
    let cached: CachedResponses

    func addRoutes(public router: Router<AppRequestContext>, optionalAuth: RouterGroup<AppRequestContext>,
                   authenticated: RouterGroup<AppRequestContext>) {
        router.get("/api/templates") { _, _ in
            try await cached.respond(CacheKeys.templatesPublished, tier: .TEMPLATE) {
                ["templates": .array(try await templates.listPublished().map(Present.template))]
            }
        }
        router.get("/api/templates/vertical/:vertical") { _, context in
            let vertical = try context.parameters.require("vertical")
            return try await cached.respond(CacheKeys.templatesVertical(vertical), tier: .TEMPLATE) {
                ["templates": .array(try await templates.listPublished(vertical: vertical).map(Present.template))]
            }
        }
        // T2 uses a token only when it is a valid admin token; anything else is treated as anonymous.
        optionalAuth.get("/api/templates/:id") { _, context in
            let id = try context.parameters.require("id")
            // Admins may read unpublished templates: their reads bypass the cache (behaviour §3.1).
            if context.identity?.isAdmin == true {
                return cached.uncached(["template": Present.template(try await templates.get(id, includeUnpublished: true))])
            }
            return try await cached.respond(CacheKeys.template(id.lowercased()), tier: .TEMPLATE) {
                ["template": Present.template(try await templates.get(id, includeUnpublished: false))]
            }
        }
        authenticated.post("/api/templates") { request, context in
            let identity = try context.requireIdentity()
            try identity.requireAdmin()
            let t = try await templates.create(try await body.read(request), identity: identity)
            cached.invalidate(CacheInvalidation.templateChanged(id: t.id))
            return Response.json(["template": Present.template(t)], status: .created)
        }
        authenticated.patch("/api/templates/:id") { request, context in
            let identity = try context.requireIdentity()
            try identity.requireAdmin()
            let t = try await templates.update(try context.parameters.require("id"), body: try await body.read(request), identity: identity)
            cached.invalidate(CacheInvalidation.templateChanged(id: t.id))
            return Response.json(["template": Present.template(t)])
        }
        authenticated.delete("/api/templates/:id") { _, context in
            let id = try context.parameters.require("id")
            try await templates.delete(id, identity: try context.requireIdentity())
            cached.invalidate(CacheInvalidation.templateChanged(id: id.lowercased()))
            return Response.json(["success": true])
        }
    }
}
