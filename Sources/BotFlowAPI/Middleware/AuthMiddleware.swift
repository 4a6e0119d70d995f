import BotFlowCore
import BotFlowDomain
import HTTPTypes
import Hummingbird

/// Bearer-token authentication of api.md §1.3 (behaviour §2 step 6): 400 for a malformed header, 401 for a missing
/// or invalid token or an unknown user. With `optional`, a missing or invalid token leaves the request anonymous.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let auth: AuthService
    var optional = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        switch Self.bearerToken(request.headers[.authorization]) {
        case .missing:
            if !optional { throw APIErrorResponse(.unauthorized) }
        case .malformed:
            if !optional { throw APIErrorResponse(.badAuthorizationFormat) }
        case .token(let token):
            let identity = try await auth.identity(forToken: token)
            if identity == nil, !optional { throw APIErrorResponse(.unauthorized) }
            context.identity = identity
        }
        return try await next(request, context)
    }

    enum Credential: Equatable { case missing, malformed, token(String) }

    /// Exactly two space-separated parts, the first `Bearer` in any case.
    static func bearerToken(_ header: String?) -> Credential {
        guard let header else { return .missing }
        let parts = header.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return .malformed }
        return .token(String(parts[1]))
    }
}
