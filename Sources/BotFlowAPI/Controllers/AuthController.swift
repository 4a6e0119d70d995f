import BotFlowCore
import BotFlowDomain
import Hummingbird

/// A1–A3.
struct AuthController {
    let auth: AuthService
    let body: JSONBodyReader
    let publicBaseURL: String

    func addRoutes(public router: Router<AppRequestContext>, authenticated: RouterGroup<AppRequestContext>) {
        router.post("/api/auth/signup") { request, _ in
            let session = try await auth.signup(try await body.read(request))
            return Response.json([
                "user": Present.user(session.user), "organization": session.organization.map(Present.organization) ?? .null,
                "token": .string(session.token),
            ])
        }
        router.post("/api/auth/login") { request, _ in
            let session = try await auth.login(try await body.read(request))
            var out: JSONObject = ["user": Present.user(session.user)]
            if let org = session.organization { out["organization"] = Present.organization(org) }
            out["whatsappAccount"] = session.whatsappAccount.map { Present.whatsappAccount($0, publicBaseURL: publicBaseURL) } ?? .null
            out["token"] = .string(session.token)
            return Response.json(.object(out))
        }
        authenticated.get("/api/auth/me") { _, context in
            let (user, org) = try await auth.me(try context.requireIdentity())
            return Response.json([
                "user": [
                    "id": .string(user.id), "email": .string(user.email), "fullName": .string(user.fullName),
                    "user_metadata": ["full_name": .string(user.fullName)], "is_admin": .bool(user.isAdmin),
                    "created_at": .string(user.createdAt),
                ],
                "organization": org.map(Present.organization) ?? .null,
            ])
        }
    }
}
