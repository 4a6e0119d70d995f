/// A failure with its HTTP mapping (api.md §1.5). Domain services throw these; the HTTP layer writes them as is.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let body: JSON
    public var headers: [(String, String)]

    public init(status: Int, body: JSON, headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    public var description: String { "APIError(\(status), \(body))" }

    /// `{"error": "<message>"}` with the given status (the resource- and conflict-specific errors).
    public static func plain(_ status: Int, _ error: String) -> APIError {
        APIError(status: status, body: ["error": .string(error)])
    }

    /// `{"error": "<error>", "message": "<message>"}`.
    public static func withMessage(_ status: Int, _ error: String, _ message: String) -> APIError {
        APIError(status: status, body: ["error": .string(error), "message": .string(message)])
    }

    public static func notFound(_ error: String) -> APIError { .plain(404, error) }
    public static func conflict(_ error: String) -> APIError { .plain(409, error) }

    public static let unauthorized = APIError.withMessage(401, "Unauthorized", "Invalid or missing authentication token")
    public static let badAuthorizationFormat = APIError.withMessage(400, "Bad Request", "Format is Authorization: Bearer [token]")
    public static func forbidden(_ message: String) -> APIError { .withMessage(403, "Forbidden", message) }
    public static let adminOnly = forbidden("Admin only")
    public static let invalidJSON = APIError.withMessage(400, "Invalid JSON", "Request body is not valid JSON")
    public static let unsupportedMediaType = APIError.withMessage(415, "Unsupported Media Type", "Content-Type must be application/json")
    public static func payloadTooLarge(limit: Int) -> APIError {
        .withMessage(413, "Payload Too Large", "Request body exceeds \(limit) bytes")
    }
    public static func routeNotFound(method: String, path: String) -> APIError {
        APIError(status: 404, body: ["error": "Not Found", "message": .string("Route \(method):\(path) not found"), "statusCode": 404])
    }
    public static func serviceUnavailable(_ message: String) -> APIError {
        .withMessage(503, "Service Unavailable", message)
    }

    /// 400 `Validation error` with every issue (api.md §1.5).
    public static func validation(_ issues: [ValidationIssue]) -> APIError {
        issues.validationError(error: "Validation error")
    }
}

/// One element of a validation issue path: an object key or an array index.
public enum PathComponent: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case key(String)
    case index(Int)
    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }

    var json: JSON {
        switch self {
        case .key(let k): return .string(k)
        case .index(let i): return .int(Int64(i))
        }
    }
}

/// Validation issue codes of api.md §1.5.
public enum IssueCode: String, Sendable {
    case required, invalid_type, too_small, too_big, invalid_enum_value, invalid_string, invalid_value, custom
}

public struct ValidationIssue: Sendable, Equatable {
    public var path: [PathComponent]
    public var message: String
    public var code: IssueCode

    public init(path: [PathComponent], message: String, code: IssueCode) {
        self.path = path
        self.message = message
        self.code = code
    }

    public var json: JSON {
        ["path": .array(path.map(\.json)), "message": .string(message), "code": .string(code.rawValue)]
    }
}

extension Array where Element == ValidationIssue {
    /// 400 with `error` (a fixed string or the first issue's message), `message` = first message, and `details`.
    public func validationError(error: String) -> APIError {
        let first = self.first?.message ?? "Invalid request"
        return APIError(status: 400, body: [
            "error": .string(error), "message": .string(first), "details": .array(self.map(\.json)),
        ])
    }
}
