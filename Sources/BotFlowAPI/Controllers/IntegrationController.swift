import BotFlowCore
import BotFlowDomain
import BotFlowStorage
import Hummingbird

/// I1–I3: connector credentials, masked on the way out.
struct IntegrationController {
    let connectors: ConnectorIntegrationService
    let body: JSONBodyReader

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let present: @Sendable (ConnectorIntegrationRecord) -> JSON = { [connectors] i in
            Present.connectorIntegration(i, credentials: connectors.maskedCredentials(i))
        }
        group.get("/api/integrations") { _, context in
            Response.json(["integrations": .array(try await connectors.list(identity: try context.requireIdentity()).map(present))])
        }
        group.post("/api/integrations") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            return Response.json(["integration": present(try await connectors.create(try await body.read(request), identity: identity))])
        }
        group.delete("/api/integrations/:id") { _, context in
            try await connectors.delete(id: try context.parameters.require("id"), identity: try context.requireIdentity())
            return Response.json(["success": true])
        }
    }
}
