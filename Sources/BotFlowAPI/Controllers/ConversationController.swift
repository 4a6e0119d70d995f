import BotFlowCore
import BotFlowDomain
import BotFlowMessaging
import Hummingbird

/// C1–C5 and W3.
struct ConversationController {
    let conversations: ConversationService
    let body: JSONBodyReader

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("/api/conversations") { request, context in
            let page = try await conversations.list(identity: try context.requireIdentity(), query: request.queryDictionary)
            return Response.json(["conversations": .array(page.items.map(Present.conversation)), "next_cursor": .string(page.nextCursor)])
        }
        group.get("/api/conversations/:id") { _, context in
            let c = try await conversations.get(try context.parameters.require("id"), identity: try context.requireIdentity())
            return Response.json(["conversation": Present.conversation(c)])
        }
        group.patch("/api/conversations/:id") { request, context in
            let identity = try context.requireIdentity()
            _ = try identity.organizationId()
            let c = try await conversations.update(try context.parameters.require("id"), body: try await body.read(request), identity: identity)
            return Response.json(["conversation": Present.conversation(c)])
        }
        group.get("/api/conversations/:id/messages") { request, context in
            let page = try await conversations.messages(try context.parameters.require("id"), identity: try context.requireIdentity(),
                                                        query: request.queryDictionary)
            return Response.json(["messages": .array(page.items.map(Present.message)), "next_cursor": .string(page.nextCursor)])
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
