import BotFlowCore
import BotFlowObservability
import BotFlowSecurity
import HTTPTypes
import Hummingbird

/// Rate limiting of behaviour §4 / api.md §1.10 (behaviour §2 step 3): one bucket per request by path, client key
/// from the peer (or `X-Forwarded-For` behind a trusted proxy), headers on every counted response, 429 bodies per
/// bucket. Preflights, allow-listed clients and disabled buckets (limit 0) are not counted and get no headers.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: RateLimiter
    let addresses: ClientAddress
    let metrics: AppMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.isPreflight { return try await next(request, context) }
        let key = addresses.clientKey(peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[.xForwardedFor])
        if addresses.isAllowlisted(key) { return try await next(request, context) }
        let bucket = RateLimiter.bucket(forPath: request.uri.path)
        guard let decision = limiter.check(bucket, key: key) else { return try await next(request, context) }
        var headers = HTTPFields()
        headers[.xRateLimitLimit] = "\(decision.limit)"
        headers[.xRateLimitRemaining] = "\(decision.remaining)"
        headers[.xRateLimitReset] = "\(decision.resetSeconds)"
        var response: Response
        if decision.allowed {
            do { response = try await next(request, context) } catch { throw ErrorWithHeaders(error: error, headers: headers) }
        } else {
            metrics.recordRateLimited()
            response = .json(Self.body(bucket, retryAfter: decision.resetSeconds), status: .tooManyRequests)
            response.headers[.retryAfter] = "\(decision.resetSeconds)"
        }
        for field in headers { response.headers[field.name] = field.value }
        return response
    }

    static func body(_ bucket: RateLimiter.Bucket, retryAfter s: Int) -> JSON {
        switch bucket {
        case .auth: ["error": "Too many authentication attempts. Please wait 1 minute.", "statusCode": 429, "retryAfter": .int(s)]
        case .webhook: ["error": "Webhook rate limit exceeded", "statusCode": 429, "retryAfter": .int(s)]
        case .global: ["error": "Too Many Requests", "message": .string("Rate limit exceeded, retry in \(s) seconds"), "statusCode": 429,
                       "retryAfter": .int(s)]
        }
    }
}

extension HTTPField.Name {
    static let xRateLimitLimit = Self("x-ratelimit-limit")!
    static let xRateLimitRemaining = Self("x-ratelimit-remaining")!
    static let xRateLimitReset = Self("x-ratelimit-reset")!
    static let xForwardedFor = Self("X-Forwarded-For")!
}
