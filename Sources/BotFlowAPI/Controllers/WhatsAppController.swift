import BotFlowCore
import BotFlowDomain
import Hummingbird

/// W1–W2 with their `/api/whatsapp` aliases.
struct WhatsAppController {
    let accounts: WhatsAppAccountService
    let body: JSONBodyReader
    let publicBaseURL: String

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        for path in ["/api/whatsapp/accounts", "/api/whatsapp"] {
            group.get(RouterPath(path)) { _, context in
                let list = try await accounts.list(identity: try context.requireIdentity())
                return Response.json(["accounts": .array(list.map { Present.whatsappAccount($0, publicBaseURL: publicBaseURL) })])
            }
        }
        for path in ["/api/whatsapp/connect", "/api/whatsapp"] {
            group.post(RouterPath(path)) { request, context in
                let identity = try context.requireIdentity()
                _ = try identity.organizationId()
                let account = try await accounts.connect(try await body.read(request), identity: identity)
                return Response.json(["whatsappAccount": Present.whatsappAccount(account, publicBaseURL: publicBaseURL)])
            }
        }
    }
}
