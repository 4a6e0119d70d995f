import BotFlowCore

/// Bot-builder errors carry `"success": false` (api.md §4.7).
enum BuilderError {
    static func plain(_ status: Int, _ error: String) -> APIError {
        APIError(status: status, body: ["success": false, "error": .string(error)])
    }

    static let botNotFound = plain(404, "Bot not found")
    static let llmNotConfigured = plain(503, "LLM is not configured")
    static let llmInvalid = plain(502, "LLM returned an invalid response")

    /// 400 `{"success":false,"error":"Validation error","details":[…]}`.
    static func validation(_ issues: [ValidationIssue]) -> APIError {
        APIError(status: 400, body: ["success": false, "error": "Validation error", "details": .array(issues.map(\.json))])
    }

    /// Runs a body validator, turning its issues into the builder's 400.
    static func validated<T>(_ body: JSON, _ read: (inout Validator) -> T) throws(APIError) -> T {
        var v = Validator(body)
        let value = read(&v)
        if !v.issues.isEmpty { throw validation(v.issues) }
        return value
    }
}
