import BotFlowCore
import BotFlowStorage
import BotFlowWorkflow
import GRDB

/// `integration_logs` rows for integration nodes (`api_call`, success/failure, duration; never the secret).
enum WorkflowIntegrationLog {
    static func insert(_ db: Database, _ call: IntegrationCall, now: String) throws {
        func text(_ value: JSON) -> String? { value.isNull ? nil : JSONWriter.string(value) }
        try db.execute(sql: """
            INSERT INTO integration_logs (id, bot_integration_id, event_type, status, message, request_data, response_data, error_details,
                duration_ms, created_at)
            VALUES (?, ?, 'api_call', ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [Identifiers.uuid(), call.botIntegrationId, call.success ? "success" : "failure", call.message,
                             text(call.requestData), text(call.responseData), text(call.errorDetails), call.durationMs, now])
    }
}
