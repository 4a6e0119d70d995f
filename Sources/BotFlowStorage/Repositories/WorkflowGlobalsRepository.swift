import BotFlowCore
import GRDB

/// `workflow_globals` (data-model §2.9): `store_variable` values with scope `global`, per bot.
public enum WorkflowGlobalsRepository {
    public static func all(_ db: Database, botId: String) throws -> JSONObject {
        var values: JSONObject = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT name, value FROM workflow_globals WHERE bot_id = ? ORDER BY name"),
                                    arguments: [botId]) {
            let text: String = row["value"]
            values[row["name"]] = (try? JSONParser.parse(text)) ?? .string(text)
        }
        return values
    }

    public static func upsert(_ db: Database, botId: String, name: String, value: JSON, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO workflow_globals (bot_id, name, value, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (bot_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """).execute(arguments: [botId, name, JSONWriter.string(value), now])
    }
}
