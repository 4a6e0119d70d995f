import BotFlowAnalytics
import BotFlowCache
import BotFlowCore
import BotFlowDomain
import HTTPTypes
import Hummingbird

/// AN1–AN6 (api.md §4.13). AN7, the WebSocket stream, is served by `AnalyticsStream` on the upgrade path.
struct AnalyticsController {
    let analytics: AnalyticsRuntime
    let auth: AuthService
    let cached: CachedResponses
    let clock: any AppClock

    func addRoutes(public router: Router<AppRequestContext>, authenticated group: RouterGroup<AppRequestContext>) {
        group.get("/api/analytics/realtime") { _, context in
            let org = try context.requireIdentity().organizationId()
            return try await cached.respond(CacheKeys.analyticsRealtime(org: org), tier: .REALTIME) {
                try await analytics.realtime(organizationId: org).json
            }
        }
        group.get("/api/analytics/response-times") { request, context in
            let org = try context.requireIdentity().organizationId()
            let period = try Self.period(request.queryDictionary)
            return try await cached.respond(CacheKeys.analyticsResponseTimes(org: org, period: period.rawValue), tier: .REALTIME) {
                try await analytics.responseTimes(organizationId: org, period: period)
            }
        }
        group.get("/api/analytics/message-volume") { request, context in
            let org = try context.requireIdentity().organizationId()
            let period = try Self.period(request.queryDictionary)
            return try await cached.respond(CacheKeys.analyticsMessageVolume(org: org, period: period.rawValue), tier: .REALTIME) {
                try await analytics.messageVolume(organizationId: org, period: period)
            }
        }
        group.get("/api/analytics/bot/:botId/performance") { request, context in
            let org = try context.requireIdentity().organizationId()
            let bot = try context.parameters.require("botId")
            let (start, end) = try Self.dateRange(request.queryDictionary, nowMilliseconds: clock.nowMilliseconds())
            guard try await analytics.botExists(bot, organizationId: org) else { throw APIError.notFound("Bot not found") }
            return try await cached.respond(CacheKeys.analyticsPerformance(org: org, bot: bot, start: start, end: end), tier: .COLD) {
                try await analytics.botPerformance(botId: bot, startDate: start, endDate: end)
            }
        }
        group.get("/api/analytics/bot/:botId/percentiles") { _, context in
            let org = try context.requireIdentity().organizationId()
            let bot = try context.parameters.require("botId")
            guard try await analytics.botExists(bot, organizationId: org) else { throw APIError.notFound("Bot not found") }
            return try await cached.respond(CacheKeys.analyticsPercentiles(org: org, bot: bot), tier: .REALTIME) {
                try await analytics.botPercentiles(organizationId: org, botId: bot)
            }
        }
        // AN6 accepts the token in the query too (a browser download link), so it authenticates itself.
        router.get("/api/analytics/export") { request, _ in
            let query = request.queryDictionary
            let identity = try await Self.identity(request, query: query, auth: auth)
            let org = try identity.organizationId()
            analytics.counters.countAPICall(organizationId: org)
            let now = clock.nowMilliseconds()
            let csv = try await analytics.export(organizationId: org, query: try CSVExport.query(query, nowMilliseconds: now))
            return Response.bytes(Array(csv.utf8), headers: [.contentDisposition: "attachment; filename=\"analytics-export-\(now).csv\""],
                                  contentType: "text/csv; charset=utf-8")
        }
    }

    /// `Authorization: Bearer …` when present (malformed → 400), else `?token=`; 401 when neither resolves.
    static func identity(_ request: Request, query: [String: String], auth: AuthService) async throws -> Identity {
        let token: String
        switch AuthMiddleware.bearerToken(request.headers[.authorization]) {
        case .token(let t): token = t
        case .malformed: throw APIErrorResponse(.badAuthorizationFormat)
        case .missing:
            guard let t = query["token"], !t.isEmpty else { throw APIErrorResponse(.unauthorized) }
            token = t
        }
        guard let identity = try await auth.identity(forToken: token) else { throw APIErrorResponse(.unauthorized) }
        return identity
    }

    /// `period` of AN2/AN3: `24h` by default; anything else → 400.
    static func period(_ query: [String: String]) throws(APIError) -> HourGrid.Period {
        var v = QueryValidator(query)
        let raw = v.oneOf("period", HourGrid.Period.allCases.map(\.rawValue))
        try v.finish()
        return raw.flatMap(HourGrid.Period.init(rawValue:)) ?? .h24
    }

    /// AN4 dates: `YYYY-MM-DD`, defaults today − 7 days … today (UTC); startDate after endDate → 400.
    static func dateRange(_ query: [String: String], nowMilliseconds now: Int64) throws(APIError) -> (String, String) {
        var issues: [ValidationIssue] = []
        func date(_ key: String, _ fallback: Int64) -> String {
            guard let raw = query[key] else { return Timestamp.date(epochMilliseconds: fallback) }
            if !CSVExport.isDate(raw) { issues.append(ValidationIssue(path: [.key(key)], message: "Expected YYYY-MM-DD", code: .invalid_string)) }
            return raw
        }
        let start = date("startDate", now - 7 * 86_400_000), end = date("endDate", now)
        if issues.isEmpty, start > end {
            issues.append(ValidationIssue(path: ["startDate"], message: "startDate must not be after endDate", code: .custom))
        }
        if !issues.isEmpty { throw APIError.validation(issues) }
        return (start, end)
    }
}
