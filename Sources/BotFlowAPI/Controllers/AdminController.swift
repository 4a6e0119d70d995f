import BotFlowCore
import BotFlowDomain
import BotFlowJobs
import BotFlowObservability
import BotFlowSecurity
import BotFlowStorage
import GRDB
import Hummingbird

/// AD7–AD9 (api.md §4.15): the job queue and the in-memory error log, for appliance admins.
struct AdminController {
    let database: AppDatabase
    let clock: any AppClock
    let errorLog: ErrorLog
    let wakeJobs: @Sendable () -> Void

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("/api/admin/jobs") { request, context in
            try context.requireIdentity().requireAdmin()
            return try await jobs(request.queryDictionary)
        }
        group.post("/api/admin/jobs/:id/retry") { _, context in
            try context.requireIdentity().requireAdmin()
            return try await retry(try context.parameters.require("id"))
        }
        group.get("/api/admin/errors") { request, context in
            try context.requireIdentity().requireAdmin()
            var v = QueryValidator(request.queryDictionary)
            let limit = v.limit(default: 50, max: 200)
            try v.finish()
            return Response.json(["errors": .array(errorLog.recent(limit: limit).map(\.json))])
        }
    }

    static let states = ["queued", "running", "retrying", "succeeded", "dead"]

    /// AD7: newest `updated_at` first, keyset pagination on (updated_at, id).
    func jobs(_ query: [String: String]) async throws -> Response {
        var v = QueryValidator(query)
        let limit = v.limit(default: 50, max: 100)
        let state = v.oneOf("state", Self.states)
        let type = v.oneOf("type", JobType.allCases.map(\.rawValue))
        let cursor = v.cursor(Self.decodeCursor)
        try v.finish()
        let rows = try await database.read { db -> [JSON] in
            var sql = "SELECT * FROM jobs WHERE 1 = 1"
            var args: [any DatabaseValueConvertible] = []
            if let state { sql += " AND state = ?"; args.append(state) }
            if let type { sql += " AND type = ?"; args.append(type) }
            if let (updatedAt, id) = cursor { sql += " AND (updated_at < ? OR (updated_at = ? AND id < ?))"; args += [updatedAt, updatedAt, id] }
            sql += " ORDER BY updated_at DESC, id DESC LIMIT ?"
            args.append(limit + 1)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { row in
                var job = Self.present(row)
                if case .object(var o) = job { o["_cursor"] = .string(Self.encodeCursor(row["updated_at"], row["id"])); job = .object(o) }
                return job
            }
        }
        let page = Array(rows.prefix(limit))
        let next: String? = rows.count > limit ? page.last?["_cursor"].stringValue : nil
        let jobs = page.map { job -> JSON in
            guard case .object(var o) = job else { return job }
            o.removeValue(forKey: "_cursor")
            return .object(o)
        }
        return Response.json(["jobs": .array(jobs), "next_cursor": .string(next)])
    }

    /// AD8: a dead job goes back to `queued` with no attempts, due now.
    func retry(_ id: String) async throws -> Response {
        let now = clock.now()
        let job = try await database.write { db -> JSON in
            guard let job = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]) else {
                throw APIError(status: 404, body: ["error": "Job not found"])
            }
            guard job["state"] as String == "dead" else { throw APIError(status: 409, body: ["error": "Job is not dead"]) }
            try db.execute(sql: """
                UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, finished_at = NULL, locked_at = NULL, lock_token = NULL,
                    updated_at = ? WHERE id = ?
                """, arguments: [now, now, id])
            return Self.present(try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id])!)
        }
        wakeJobs()
        return Response.json(["job": job])
    }

    /// The Job object of api.md §2.
    static func present(_ row: Row) -> JSON {
        ["id": .string(row["id"] as String), "type": .string(row["type"] as String), "state": .string(row["state"] as String), "organization_id": .string(row["organization_id"] as String?),
         "attempts": .int(row["attempts"] as Int), "max_attempts": .int(row["max_attempts"] as Int), "run_at": .string(row["run_at"] as String),
         "last_error": .string(row["last_error"] as String?), "payload": row.json("payload", fallback: [:]), "created_at": .string(row["created_at"] as String),
         "updated_at": .string(row["updated_at"] as String), "finished_at": .string(row["finished_at"] as String?)]
    }

    /// Opaque cursor: base64url of `updated_at|id` of the last job of the page.
    static func encodeCursor(_ updatedAt: String, _ id: String) -> String { Base64URL.encode(Array("\(updatedAt)|\(id)".utf8)) }

    static func decodeCursor(_ text: String) -> (String, String)? {
        guard let bytes = Base64URL.decode(text), let s = String(validating: bytes, as: UTF8.self) else { return nil }
        let parts = s.split(separator: "|", maxSplits: 1)
        return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
    }
}
