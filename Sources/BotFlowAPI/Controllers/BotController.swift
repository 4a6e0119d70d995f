import BotFlowCore
import BotFlowDomain
import Hummingbird

/// B1–B6.
struct BotController {
    let bots: BotService
    let body: JSONBodyReader

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("/api/bots") { _, context in
            let list = try await bots.list(identity: try context.requireIdentity())
            return Response.json(["bots": .array(list.map { .object(Present.bot($0)) })])
        }
        group.post("/api/bots") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let (bot, workflow) = try await bots.create(try await body.read(request), identity: identity)
            var flat = Present.bot(bot)
            flat["workflow"] = ["id": .string(workflow.id), "version": .int(workflow.version), "status": .string(workflow.status), "webhookUrl": .null]
            return Response.json(.object(flat))
        }
        group.post("/api/bots/create-from-template") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let (bot, template) = try await bots.createFromTemplate(try await body.read(request), identity: identity)
            return Response.json(["success": true, "bot": .object(Present.bot(bot)), "template": Present.template(template)], status: .created)
        }
        group.get("/api/bots/:id") { _, context in
            let (bot, versions) = try await bots.get(try context.parameters.require("id"), identity: try context.requireIdentity())
            var out = Present.bot(bot)
            out["bot_workflows"] = .array(versions.map { .object(Present.workflowSummary($0)) })
            return Response.json(["bot": .object(out)])
        }
        group.patch("/api/bots/:id") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let bot = try await bots.update(try context.parameters.require("id"), body: try await body.read(request), identity: identity)
            return Response.json(["bot": .object(Present.bot(bot))])
        }
        group.delete("/api/bots/:id") { _, context in
            try await bots.delete(try context.parameters.require("id"), identity: try context.requireIdentity())
            return Response.json(["success": true])
        }
    }
}
