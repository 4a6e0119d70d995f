import BotFlowCore
import BotFlowDomain
import Hummingbird

/// T1–T6: public reads, admin writes.
struct TemplateController {
    let templates: TemplateService
    let body: JSONBodyReader

    func addRoutes(public router: Router<AppRequestContext>, optionalAuth: RouterGroup<AppRequestContext>,
                   authenticated: RouterGroup<AppRequestContext>) {
        router.get("/api/templates") { _, _ in
            Response.json(["templates": .array(try await templates.listPublished().map(Present.template))])
        }
        router.get("/api/templates/vertical/:vertical") { _, context in
            let list = try await templates.listPublished(vertical: try context.parameters.require("vertical"))
            return Response.json(["templates": .array(list.map(Present.template))])
        }
        // T2 uses a token only when it is a valid admin token; anything else is treated as anonymous.
        optionalAuth.get("/api/templates/:id") { _, context in
            let t = try await templates.get(try context.parameters.require("id"), includeUnpublished: context.identity?.isAdmin == true)
            return Response.json(["template": Present.template(t)])
        }
        authenticated.post("/api/templates") { request, context in
            let identity = try context.requireIdentity()
            try identity.requireAdmin()
            let t = try await templates.create(try await body.read(request), identity: identity)
            return Response.json(["template": Present.template(t)], status: .created)
        }
        authenticated.patch("/api/templates/:id") { request, context in
            let identity = try context.requireIdentity()
            try identity.requireAdmin()
            let t = try await templates.update(try context.parameters.require("id"), body: try await body.read(request), identity: identity)
            return Response.json(["template": Present.template(t)])
        }
        authenticated.delete("/api/templates/:id") { _, context in
            try await templates.delete(try context.parameters.require("id"), identity: try context.requireIdentity())
            return Response.json(["success": true])
        }
    }
}
