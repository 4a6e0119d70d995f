import BotFlowCache
import BotFlowCore
import BotFlowDomain
import BotFlowMessaging
import Hummingbird

/// C1–C5 and W3.
struct ConversationController {
    let conversations: ConversationService
    let body: JSONBodyReader
    let cached: CachedResponses

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("/api/conversations") { request, context in
            let identity = try context.requireIdentity()
            let org = try identity.organizationId()
            let query = request.queryDictionary
            // Raw parameters in the key: an invalid query fails before anything is stored, and every variant of one
            // organization's lists goes with the `conversation:list:{org}:` prefix.
            let key = CacheKeys.conversationList(org: org, status: query["status"], bot: query["bot_id"], phone: query["customer_phone"],
                                                 limit: query["limit"] ?? "20", cursor: query["cursor"])
            return try await cached.respond(key, tier: .HOT) {
                let page = try await conversations.list(identity: identity, query: query)
                return ["conversations": .array(page.items.map(Present.conversation)), "next_cursor": .string(page.nextCursor)]
            }
        }
        group.get("/api/conversations/:id") { _, context in
            let identity = try context.requireIdentity()
            let org = try identity.organizationId()
            let id = try context.parameters.require("id")
            return try await cached.respond(CacheKeys.conversation(org: org, conversation: id), tier: .HOT) {
                ["conversation": Present.conversation(try await conversations.get(id, identity: identity))]
            }
        }
        group.patch("/api/conversations/:id") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let c = try await conversations.update(try context.parameters.require("id"), body: try await body.read(request), identity: identity)
            return Response.json(["conversation": Present.conversation(c)])
        }
        group.get("/api/conversations/:id/messages") { request, context in
            let identity = try context.requireIdentity()
            let org = try identity.organizationId()
            let id = try context.parameters.require("id")
            let query = request.queryDictionary
            let key = CacheKeys.messages(conversation: id, limit: query["limit"] ?? "20",
                                         before: query["before"] ?? query["cursor"])
            // The key has no organization: the entry is scoped to the caller's.
            return try await cached.respond(key, tier: .HOT, owner: org) {
                let page = try await conversations.messages(id, identity: identity, query: query)
                return ["messages": .array(page.items.map(Present.message)), "next_cursor": .string(page.nextCursor)]
            }
        }
        group.post("/api/conversations/:id/messages") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let m = try await conversations.reply(try context.parameters.require("id"), body: try await body.read(request), identity: identity)
            return Response.json(["message": Present.message(m)])
        }
        group.post("/api/whatsapp/send") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let (m, conversationId) = try await conversations.send(body: try await body.read(request), identity: identity)
            return Response.json(["message": Present.message(m), "conversation_id": .string(conversationId)])
        }
    }
}
