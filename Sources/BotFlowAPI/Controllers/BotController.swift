import BotFlowCache
import BotFlowCore
import BotFlowDomain
import Hummingbird

/// B1–B6.
struct BotController {
    let bots: BotService
    let body: JSONBodyReader
    let cached: CachedResponses

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("/api/bots") { _, context in
            let identity = try context.requireIdentity()
            let org = try identity.organizationId()
            return try await cached.respond(CacheKeys.botList(org: org), tier: .WARM) {
                ["bots": .array(try await bots.list(identity: identity).map { .object(Present.bot($0)) })]
            }
        }
        group.post("/api/bots") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let (bot, workflow) = try await bots.create(try await body.read(request), identity: identity)
            cached.invalidate(CacheInvalidation.botCreated(org: bot.organizationId))
            var flat = Present.bot(bot)
            flat["workflow"] = ["id": .string(workflow.id), "version": .int(workflow.version), "status": .string(workflow.status), "webhookUrl": .null]
            return Response.json(.object(flat))
        }
        group.post("/api/bots/create-from-template") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let (bot, template) = try await bots.createFromTemplate(try await body.read(request), identity: identity)
            cached.invalidate(CacheInvalidation.botCreated(org: bot.organizationId))
            return Response.json(["success": true, "bot": .object(Present.bot(bot)), "template": Present.template(template)], status: .created)
        }
        group.get("/api/bots/:id") { _, context in
            let identity = try context.requireIdentity()
            let id = try context.parameters.require("id")
            // The key has no organization: the entry is scoped to the caller's (a caller without one is not cached).
            return try await cached.respond(CacheKeys.botDetail(bot: id), tier: .WARM, owner: (try? identity.organizationId()) ?? "-") {
                let (bot, versions) = try await bots.get(id, identity: identity)
                var out = Present.bot(bot)
                out["bot_workflows"] = .array(versions.map { .object(Present.workflowSummary($0)) })
                return ["bot": .object(out)]
            }
        }
        group.patch("/api/bots/:id") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let bot = try await bots.update(try context.parameters.require("id"), body: try await body.read(request), identity: identity)
            cached.invalidate(CacheInvalidation.botUpdated(org: bot.organizationId, bot: bot.id))
            return Response.json(["bot": .object(Present.bot(bot))])
        }
        group.delete("/api/bots/:id") { _, context in
            let identity = try context.requireIdentity()
            let id = try context.parameters.require("id")
            try await bots.delete(id, identity: identity)
            cached.invalidate(CacheInvalidation.botDeleted(org: try identity.organizationId(), bot: id))
            return Response.json(["success": true])
        }
    }
}
