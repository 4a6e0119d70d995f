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
        // On the UTF-8 bytes: this runs for every authenticated request.
        let bytes = header.utf8
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")) else { return .malformed }
        let scheme = bytes[..<space], token = bytes[bytes.index(after: space)...]
        guard scheme.count == 6, zip(scheme, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }), !token.isEmpty,
              !token.contains(UInt8(ascii: " "))
        else { return .malformed }
        return .token(String(Substring(token)))
    }
}
