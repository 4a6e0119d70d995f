import BotFlowCore
import BotFlowDomain
import Hummingbird

/// O1–O3.
struct OrganizationController {
    let organizations: OrganizationService
    let body: JSONBodyReader

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("/api/organizations/:id") { _, context in
            let (org, role) = try await organizations.get(try context.parameters.require("id"), identity: try context.requireIdentity())
            return Response.json(["organization": Present.organization(org), "role": .string(role)])
        }
        group.patch("/api/organizations/:id") { request, context in
            let identity = try context.requireIdentity()
            let id = try context.parameters.require("id")
            _ = try identity.organizationId()
            let org = try await organizations.update(id, body: try await body.read(request), identity: identity)
            return Response.json(["organization": Present.organization(org)])
        }
        group.get("/api/organizations/:id/usage") { _, context in
            let records = try await organizations.usage(try context.parameters.require("id"), identity: try context.requireIdentity())
            return Response.json(["usage_records": .array(records)])
        }
    }
}
