import BotFlowAnalytics
import Hummingbird

/// Counts authenticated API requests per organization for `usage_analytics.api_calls_made` (behaviour §10.6).
/// Runs after `AuthMiddleware`; an in-memory increment, flushed to the database every 60 s.
struct UsageCountingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let counters: UsageCounters

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let identity = context.identity, identity.role != nil, let org = identity.claimedOrganizationId {
            counters.countAPICall(organizationId: org)
        }
        return try await next(request, context)
    }
}
