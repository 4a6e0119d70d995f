import BotFlowCache
import BotFlowCore
import BotFlowDomain
import BotFlowStorage
import BotFlowWorkflow
import Hummingbird

/// WF1–WF7 (api.md §4.6): workflow versions of a bot.
struct WorkflowController {
    let workflows: WorkflowVersionService
    let body: JSONBodyReader
    let cached: CachedResponses

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        // The router needs one parameter name per position: `:id` is the bot, as in B3–B5.
        let base = "/api/bots/:id/workflows"
        group.get(RouterPath(base)) { _, context in
            let identity = try context.requireIdentity()
            let botId = try context.parameters.require("id")
            // The key has no organization: the entry is scoped to the caller's (like B3).
            return try await cached.respond(CacheKeys.workflowVersions(bot: botId), tier: .WARM, owner: (try? identity.organizationId()) ?? "-") {
                let (versions, stats) = try await workflows.list(botId: botId, identity: identity)
                return [
                    "versions": .array(versions.map { .object(Present.workflowSummary($0)) }),
                    "stats": [
                        "total_versions": .int(stats.totalVersions), "active_version": .int(stats.activeVersion),
                        "latest_version": .int(stats.latestVersion), "total_deployments": .int(stats.totalDeployments),
                        "last_deployed_at": .string(stats.lastDeployedAt),
                    ],
                ]
            }
        }
        group.post(RouterPath(base)) { request, context in
            let identity = try context.requireIdentity()
            let botId = try context.parameters.require("id")
            let (version, report) = try await workflows.create(botId: botId, body: try await body.read(request), identity: identity)
            cached.invalidate(CacheInvalidation.workflowChanged(bot: botId))
            return Response.json(["success": true, "version": .object(Present.workflowVersion(version)), "stats": report.statsJSON])
        }
        group.post(RouterPath(base + "/validate")) { request, context in
            let identity = try context.requireIdentity()
            let report = try await workflows.validate(botId: try context.parameters.require("id"), body: try await body.read(request),
                                                      identity: identity)
            return Response.json([
                "valid": .bool(report.valid), "validation": report.validationJSON, "compilation": report.compilationJSON,
                "complexity": .int(report.complexity), "suggestions": .strings(report.suggestions), "executable": .bool(report.executable),
            ])
        }
        group.get(RouterPath(base + "/:version")) { _, context in
            let identity = try context.requireIdentity()
            let version = try await workflows.get(botId: try context.parameters.require("id"), version: try context.parameters.require("version"),
                                                  identity: identity)
            return Response.json(["version": .object(Present.workflowVersion(version))])
        }
        for action in ["activate", "rollback"] {
            group.post(RouterPath(base + "/:version/" + action)) { _, context in
                let identity = try context.requireIdentity()
                let botId = try context.parameters.require("id")
                do {
                    let version = try await workflows.activate(botId: botId, version: try context.parameters.require("version"), identity: identity)
                    cached.invalidate(CacheInvalidation.workflowChanged(bot: botId))
                    return Response.json(["success": true, "version": .object(Present.workflowVersion(version))])
                } catch let error as APIError where error.status == 400 {
                    // The version was marked `failed`: that is a change too.
                    cached.invalidate(CacheInvalidation.workflowChanged(bot: botId))
                    throw error
                }
            }
        }
        group.delete(RouterPath(base + "/:version")) { _, context in
            let identity = try context.requireIdentity()
            let botId = try context.parameters.require("id")
            try await workflows.archive(botId: botId, version: try context.parameters.require("version"), identity: identity)
            cached.invalidate(CacheInvalidation.workflowChanged(bot: botId))
            return Response.json(["success": true])
        }
    }
}

extension Present {
    /// Full form of a workflow version (api.md §2.5): the summary plus `blueprint`, `nodes`, `edges`.
    static func workflowVersion(_ w: WorkflowVersionRecord) -> JSONObject {
        var out = workflowSummary(w)
        out["blueprint"] = w.blueprint
        out["nodes"] = w.blueprint["nodes"].arrayValue.map(JSON.array) ?? []
        out["edges"] = w.blueprint["edges"].arrayValue.map(JSON.array) ?? []
        return out
    }
}
