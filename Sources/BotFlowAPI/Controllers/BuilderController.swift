import BotFlowCore
import BotFlowDomain
import Hummingbird

/// BB1–BB5 under `/api/bots/:botId/builder/`.
struct BuilderController {
    let builder: BotBuilder
    let body: JSONBodyReader

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let operations: [(String, @Sendable (BotBuilder, String, JSON, Identity) async throws -> JSON)] = [
            ("analyze", { try await $0.analyze(botId: $1, body: $2, identity: $3) }),
            ("generate", { try await $0.generate(botId: $1, body: $2, identity: $3) }),
            ("conversation", { try await $0.conversation(botId: $1, body: $2, identity: $3) }),
            ("optimize", { try await $0.optimize(botId: $1, body: $2, identity: $3) }),
            ("recommend", { try await $0.recommend(botId: $1, body: $2, identity: $3) }),
        ]
        for (name, run) in operations {
            group.post(RouterPath("/api/bots/:id/builder/\(name)")) { [builder] request, context in
                let identity = try context.requireIdentity()
                _ = try identity.organizationId()
                // `:id` like every other `/api/bots/:id/…` route (the router needs one capture name per level).
                let botId = try context.parameters.require("id")
                return Response.json(try await run(builder, botId, try await body.read(request), identity))
            }
        }
    }
}
