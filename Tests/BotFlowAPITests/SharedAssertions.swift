import BotFlowCore
import BotFlowTestSupport
import GRDB

// Helpers shared by the API suites.

func isTimestamp(_ text: String?) -> Bool {
    guard let text, let regex = try? Regex("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$") else { return false }
    return (try? regex.wholeMatch(in: text)) != nil
}

func keys(_ json: JSON) -> Set<String> { Set(json.objectValue?.keys.map { $0 } ?? []) }

/// Objects with sorted keys and whole doubles as integers, so comparisons ignore key order and number spelling.
func canon(_ json: JSON) -> JSON {
    switch json {
    case .object(let o):
        var out = JSONObject()
        for key in o.keys.sorted() { out[key] = canon(o[key]!) }
        return .object(out)
    case .array(let items): return .array(items.map(canon))
    case .double(let d) where d.rounded() == d && abs(d) < 9e15: return .int(Int64(d))
    default: return json
    }
}

/// Each detail as `<path JSON> <code>`.
func issueList(_ r: TestResult) -> [String] {
    (r.json["details"].arrayValue ?? []).map { "\(JSONWriter.string($0["path"])) \($0["code"].stringValue ?? "?")" }
}

func rowCount(_ app: TestAppliance, _ table: String) async throws -> Int {
    try await app.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
}

/// Rows of the account tables: a request that fails validation must leave these unchanged.
func accountRowCounts(_ app: TestAppliance) async throws -> [Int] {
    try await app.database.read { db in
        try ["users", "organizations", "organization_members", "whatsapp_accounts"].map { table in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1
        }
    }
}
