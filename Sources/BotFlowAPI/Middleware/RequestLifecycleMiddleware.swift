import BotFlowCore
import BotFlowObservability
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware (behaviour §2 steps 1, 4 and 9): assigns the request id, turns every error into the
/// JSON body of api.md §1.5, answers unknown routes with the exact 404 body (501 for out-of-scope groups), adds the
/// security headers and `X-Request-Id` to every response, and writes the access log line.
struct RequestLifecycleMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let securityHeaders: HTTPFields
    let logger: Logger
    let metrics: AppMetrics
    let errorLog: ErrorLog
    let clock: any AppClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = Self.requestId(from: request.headers[.xRequestId])
        let started = monotonicSeconds()
        var response: Response
        var failure: String?
        do {
            // api.md §1.1: a path parameter longer than 100 characters is an unknown route.
            if context.parameters.contains(where: { $0.value.count > 100 }) { throw HTTPError(.notFound) }
            response = try await next(request, context)
        } catch {
            // Inner middleware (CORS, rate limiting) attach their headers to errors they let through.
            var inner: any Error = error
            var extra = HTTPFields()
            while let wrapped = inner as? ErrorWithHeaders {
                for field in wrapped.headers where extra[field.name] == nil { extra[field.name] = field.value }
                inner = wrapped.error
            }
            response = errorResponse(inner, request: request, context: context)
            for field in extra { response.headers[field.name] = field.value }
            failure = String(describing: inner)
        }
        // Appended, not set one by one (each set scans the fields): no handler sets these names itself.
        response.headers.append(contentsOf: securityHeaders)
        response.headers[.xRequestId] = context.requestId
        let seconds = monotonicSeconds() - started
        metrics.recordRequest(status: Int(response.status.code), seconds: seconds)
        if response.status.code >= 500 { recordError(response, failure: failure, request: request, context: context) }
        // The access log line is built only when it will be written (LOG_LEVEL info or debug).
        guard logger.logLevel <= .info else { return response }
        var line: Logger.Metadata = [
            "request_id": "\(context.requestId)", "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
            "status": "\(response.status.code)", "duration_ms": "\(Int(seconds * 1000))", "ip": "\(context.remoteAddress?.ipAddress ?? "-")",
        ]
        if let identity = context.identity {
            line["user_id"] = "\(identity.userId)"
            if let org = identity.claimedOrganizationId { line["organization_id"] = "\(org)" }
        }
        if let cache = response.headers[.xCache] { line["cache"] = "\(cache)" }
        logger.info("request", metadata: line)
        return response
    }

    /// 5xx responses join the admin error log (behaviour §12).
    func recordError(_ response: Response, failure: String?, request: Request, context: Context) {
        errorLog.record(.init(timestamp: clock.now(), requestId: context.requestId, method: request.method.rawValue, path: request.uri.path,
                              status: Int(response.status.code), error: response.status.reasonPhrase,
                              message: failure ?? response.status.reasonPhrase, source: "http"))
    }

    func errorResponse(_ error: any Error, request: Request, context: Context) -> Response {
        switch error {
        case let e as APIErrorResponse:
            return (try? e.response(from: request, context: context)) ?? .json(["error": "Internal Server Error"], status: .internalServerError)
        case let e as APIError:
            return (try? APIErrorResponse(e).response(from: request, context: context))!
        case let e as HTTPError where e.status == .notFound:
            if let group = OutOfScope.group(for: request.uri.path) {
                return .json(["error": "Not Implemented", "message": .string("\(group) is not available in this appliance")],
                             status: .notImplemented)
            }
            return .json(APIError.routeNotFound(method: request.method.rawValue, path: request.uri.path).body, status: .notFound)
        case let e as HTTPError where e.status == .contentTooLarge:
            return .json(APIError.payloadTooLarge(limit: 0).body, status: .contentTooLarge)
        case let e as HTTPError where e.status.code < 500:
            return .json(["error": .string(e.status.reasonPhrase), "message": .string(e.body ?? e.status.reasonPhrase)],
                         status: e.status)
        default:
            logger.error("unhandled error", metadata: [
                "request_id": "\(context.requestId)", "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                "error": "\(String(reflecting: error))",
            ])
            return .json(["error": "Internal Server Error", "message": "An error occurred", "request_id": .string(context.requestId)],
                         status: .internalServerError)
        }
    }

    /// Keeps a client's id when it is 1–128 characters of `[A-Za-z0-9._:-]`, else generates a UUID v4.
    static func requestId(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count), header.utf8.allSatisfy(isAllowed) { return header }
        return Identifiers.uuid()
    }

    static func isAllowed(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
            || c == UInt8(ascii: ":") || c == UInt8(ascii: "-")
    }
}

/// An error on its way out with response headers that must still be sent (CORS, rate-limit headers on a 404…).
struct ErrorWithHeaders: Error {
    let error: any Error
    let headers: HTTPFields
}

extension HTTPField.Name {
    static let xRequestId = HTTPField.Name("X-Request-Id")!
}

/// Route groups this appliance does not serve (api.md §5): 501 after CORS and rate limiting, before auth.
enum OutOfScope {
    static let prefixes: [(prefix: String, exact: Bool, group: String)] = [
        ("/api/auth/google", true, "Google sign-in"), ("/api/auth/google/callback", true, "Google sign-in"),
        ("/api/integrations/google-sheets/", false, "Google Sheets OAuth"),
        ("/api/integrations/shopify/test", true, "Integration credential live tests"),
        ("/api/integrations/woocommerce/test", true, "Integration credential live tests"),
        ("/api/integrations/paystack/test", true, "Integration credential live tests"),
        ("/api/integrations/http/test", true, "Integration credential live tests"),
        ("/api/calendar/", false, "Calendar (Google)"),
        ("/api/payments", true, "Payments (Paystack)"), ("/api/payments/", false, "Payments (Paystack)"),
        ("/api/properties", true, "Properties (Airbnb iCal)"), ("/api/properties/", false, "Properties (Airbnb iCal)"),
        ("/api/ralph/", false, "Ralph template assistant (Anthropic)"),
    ]

    static func group(for rawPath: String) -> String? {
        let path = rawPath.count > 1 && rawPath.hasSuffix("/") ? String(rawPath.dropLast()) : rawPath
        for entry in prefixes {
            if entry.exact ? path == entry.prefix : (path.hasPrefix(entry.prefix) && path.count > entry.prefix.count) {
                return entry.group
            }
        }
        return nil
    }
}
