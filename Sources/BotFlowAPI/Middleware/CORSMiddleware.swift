import BotFlowCore
import HTTPTypes
import Hummingbird

/// CORS of api.md §1.11 (behaviour §2 step 2). Hummingbird's `CORSMiddleware` answers every origin and cannot refuse
/// one with 403, so the allow-list rule is implemented here: localhost / 127.0.0.1 on any port, `FRONTEND_URL`, and
/// `CORS_ORIGINS`. Requests without `Origin` pass untouched.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let allowed: Set<String>

    init(frontendURL: String, extraOrigins: [String]) {
        allowed = Set(([frontendURL] + extraOrigins).map(Self.normalise))
    }

    static let exposeHeaders = "Content-Length, X-Request-Id, X-Cache, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        guard isAllowed(origin) else {
            return .json(["error": "Forbidden", "message": "Origin not allowed by CORS"], status: .forbidden)
        }
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
        headers[.accessControlAllowCredentials] = "true"
        headers[.accessControlExposeHeaders] = Self.exposeHeaders
        var response: Response
        if request.isPreflight {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Content-Type, Authorization, X-Request-Id"
            response.headers[.accessControlMaxAge] = "86400"
        } else {
            do { response = try await next(request, context) } catch { throw ErrorWithHeaders(error: error, headers: headers) }
        }
        for field in headers { response.headers[field.name] = field.value }
        return response
    }

    func isAllowed(_ origin: String) -> Bool {
        if allowed.contains(Self.normalise(origin)) { return true }
        // http(s)://localhost[:port] and http(s)://127.0.0.1[:port]
        for scheme in ["http://", "https://"] where origin.hasPrefix(scheme) {
            let rest = origin.dropFirst(scheme.count)
            for host in ["localhost", "127.0.0.1"] where rest.hasPrefix(host) {
                let tail = rest.dropFirst(host.count)
                if tail.isEmpty { return true }
                if tail.first == ":", tail.count > 1, tail.dropFirst().allSatisfy(\.isNumber) { return true }
            }
        }
        return false
    }

    /// Origins compare without a trailing slash, scheme and host case-insensitively.
    static func normalise(_ origin: String) -> String {
        var o = origin.lowercased()
        while o.hasSuffix("/") { o.removeLast() }
        return o
    }
}

/// Whether a request is a CORS preflight (not rate limited, behaviour §4).
extension Request {
    var isPreflight: Bool { method == .options && headers[.accessControlRequestMethod] != nil }
}
