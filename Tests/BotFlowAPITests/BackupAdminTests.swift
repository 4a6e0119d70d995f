import BotFlowAPI
@testable import BotFlowBackup
import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// api.md §4.15 AD1–AD6 and the restore gate of behaviour.md §2 step 5 / §13.7.
@Suite struct BackupAdminTests {
    static let backupKeys: Set<String> = [
        "format_version", "name", "kind", "created_at", "app_version", "schema_version", "instance_id", "sha256", "size_bytes",
        "db_sha256", "db_size_bytes", "cipher", "kdf", "kdf_iterations", "compression", "row_counts", "duration_ms", "destinations",
    ]

    static func bot(_ name: String) -> JSON { ["templateId": "faq", "config": ["name": .string(name), "welcomeMessage": "Hello"]] }

    static func make() async throws -> TestAppliance {
        try await TestAppliance.make { $0.backupKDFIterations = 10_000 }
    }

    @Test func everyRouteIsAdminOnly() async throws {
        let app = try await Self.make()
        try await app.test { client in
            let admin = try await client.signup()  // the first user is the appliance admin
            let member = try await client.signup()
            let name = try await client.call(.post, "/api/admin/backups", token: admin.token).json["backup"]["name"].stringValue!
            let routes: [(String, String, JSON?)] = [
                ("GET", "/api/admin/backups", nil), ("POST", "/api/admin/backups", nil), ("GET", "/api/admin/backups/\(name)", nil),
                ("POST", "/api/admin/backups/\(name)/verify", nil), ("POST", "/api/admin/backups/\(name)/restore", ["confirm": true]),
                ("POST", "/api/admin/backups/prune", nil),
            ]
            for (verb, path, body) in routes {
                let method: HTTPRequest.Method = verb == "GET" ? .get : .post
                let forbidden = try await client.call(method, path, json: body, token: member.token)
                #expect(forbidden.status == 403, "\(method) \(path)")
                #expect(forbidden.json == ["error": "Forbidden", "message": "Admin only"])
                let anonymous = try await client.call(method, path, json: body)
                #expect(anonymous.status == 401, "\(method) \(path)")
            }
            // Nothing was created or restored by the refused calls.
            #expect(app.deps.backups.list().count == 1)
        }
    }

    @Test func createListGetVerifyPruneShapes() async throws {
        let app = try await Self.make()
        try await app.test { client in
            let admin = try await client.signup()
            let first = try await client.call(.post, "/api/admin/backups", token: admin.token)
            #expect(first.status == 200)
            #expect(keys(first.json) == ["backup"])
            let backup = first.json["backup"]
            #expect(keys(backup) == Self.backupKeys)
            #expect(backup["kind"] == "manual")
            #expect(backup["destinations"] == .strings([app.dataDirectory + "/backups"]))
            #expect(backup["row_counts"]["organizations"] == 1)
            #expect(isTimestamp(backup["created_at"].stringValue))
            let name = try #require(backup["name"].stringValue)
            #expect(BackupName(file: name) != nil)
            try await Task.sleep(for: .milliseconds(1100))
            let second = try await client.call(.post, "/api/admin/backups", token: admin.token).json["backup"]["name"].stringValue!

            let list = try await client.call(.get, "/api/admin/backups", token: admin.token)
            #expect(list.status == 200)
            #expect(keys(list.json) == ["backups"])
            #expect(list.json["backups"].arrayValue?.compactMap { $0["name"].stringValue } == [second, name], "newest first")

            let one = try await client.call(.get, "/api/admin/backups/\(name)", token: admin.token)
            #expect(one.status == 200)
            #expect(one.json == ["backup": backup])

            let verify = try await client.call(.post, "/api/admin/backups/\(name)/verify", token: admin.token)
            #expect(verify.status == 200)
            let v = verify.json["verification"]
            #expect(keys(v) == ["name", "ok", "checksum_ok", "decrypt_ok", "integrity_ok", "schema_ok", "counts_ok", "row_counts",
                                "errors", "duration_ms"])
            #expect(v["ok"] == true && v["checksum_ok"] == true && v["decrypt_ok"] == true && v["integrity_ok"] == true)
            #expect(v["schema_ok"] == true && v["counts_ok"] == true)
            #expect(v["errors"] == [])
            #expect(v["row_counts"] == backup["row_counts"])

            let prune = try await client.call(.post, "/api/admin/backups/prune", token: admin.token)
            #expect(prune.status == 200)
            #expect(prune.json == ["deleted": [], "kept": 2])

            for missing in ["botflow_backup_20200101_000000.db.gz.enc", "nope", "botflow_backup_20200101_000000.manifest.json"] {
                let get = try await client.call(.get, "/api/admin/backups/\(missing)", token: admin.token)
                #expect(get.status == 404, "\(missing)")
                #expect(get.json == ["error": "Backup not found"])
                let verify = try await client.call(.post, "/api/admin/backups/\(missing)/verify", token: admin.token)
                #expect(verify.status == 404, "\(missing)")
                #expect(verify.json == ["error": "Backup not found"])
                let r = try await client.call(.post, "/api/admin/backups/\(missing)/restore", json: ["confirm": true], token: admin.token)
                #expect(r.json == ["error": "Backup not found"])
            }
        }
    }

    @Test func restoreNeedsConfirmationThenReturnsTheBackedUpData() async throws {
        let app = try await Self.make()
        try await app.test { client in
            let admin = try await client.signup()
            let name = try await client.call(.post, "/api/admin/backups", token: admin.token).json["backup"]["name"].stringValue!
            let bot = try await client.call(.post, "/api/bots", json: Self.bot("Made After The Backup"), token: admin.token)
            #expect(bot.status == 200)
            #expect(try await rowCount(app, "bots") == 1)

            for body: JSON in [[:], ["confirm": false], ["confirm": "yes"]] {
                let r = try await client.call(.post, "/api/admin/backups/\(name)/restore", json: body, token: admin.token)
                #expect(r.status == 400, "\(body)")
                #expect(r.json["error"] == "Validation error")
                #expect(r.json["details"][0]["path"] == ["confirm"])
            }
            #expect(try await rowCount(app, "bots") == 1, "nothing restored without confirmation")

            let r = try await client.call(.post, "/api/admin/backups/\(name)/restore", json: ["confirm": true], token: admin.token)
            #expect(r.status == 200, "\(r.text)")
            let restore = r.json["restore"]
            #expect(keys(restore) == ["name", "ok", "pre_restore_backup", "row_counts", "duration_ms"])
            #expect(restore["name"] == .string(name))
            #expect(restore["ok"] == true)
            #expect(restore["row_counts"]["bots"] == 0)
            #expect(try await rowCount(app, "bots") == 0)
            let safety = try #require(restore["pre_restore_backup"].stringValue)
            #expect(safety.hasPrefix("pre_restore_backup_"))

            // The API keeps working on the restored database, and the safety snapshot is listed.
            let again = try await client.call(.post, "/api/bots", json: Self.bot("After Restore"), token: admin.token)
            #expect(again.status == 200)
            let list = try await client.call(.get, "/api/admin/backups", token: admin.token)
            let kinds = Dictionary(uniqueKeysWithValues: (list.json["backups"].arrayValue ?? []).map {
                ($0["name"].stringValue!, $0["kind"].stringValue!)
            })
            #expect(kinds == [name: "manual", safety: "pre_restore"])
        }
    }

    @Test func aDamagedBackupAnswers422AndLeavesTheLiveDatabase() async throws {
        let app = try await Self.make()
        try await app.test { client in
            let admin = try await client.signup()
            let name = try await client.call(.post, "/api/admin/backups", token: admin.token).json["backup"]["name"].stringValue!
            #expect(try await client.call(.post, "/api/bots", json: Self.bot("Live Bot"), token: admin.token).status == 200)
            let path = app.dataDirectory + "/backups/" + name
            var bytes = Array(FileManager.default.contents(atPath: path)!)
            bytes[40] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            let verify = try await client.call(.post, "/api/admin/backups/\(name)/verify", token: admin.token)
            #expect(verify.json["verification"]["ok"] == false)
            #expect(verify.json["verification"]["checksum_ok"] == false)

            let r = try await client.call(.post, "/api/admin/backups/\(name)/restore", json: ["confirm": true], token: admin.token)
            #expect(r.status == 422)
            #expect(keys(r.json) == ["error", "message"])
            #expect(r.json["error"] == "Restore failed")
            #expect(r.json["message"].stringValue?.contains("checksum mismatch") == true, "\(r.text)")
            #expect(try await rowCount(app, "bots") == 1)
            let names = try await app.database.read { db in try String.fetchAll(db, sql: "SELECT name FROM bots") }
            #expect(names == ["Live Bot"])
            #expect(app.deps.backups.list().count == 1, "no safety snapshot: refused at the verify step")
        }
    }

    @Test func concurrentOperationsAnswer409() async throws {
        let app = try await Self.make()
        try await app.test { client in
            let admin = try await client.signup()
            let name = try await client.call(.post, "/api/admin/backups", token: admin.token).json["backup"]["name"].stringValue!
            let held = try #require(app.deps.backups.lock.tryAcquire(.backup))
            let create = try await client.call(.post, "/api/admin/backups", token: admin.token)
            #expect(create.status == 409)
            #expect(create.json == ["error": "A backup or restore is already running"])
            let restore = try await client.call(.post, "/api/admin/backups/\(name)/restore", json: ["confirm": true], token: admin.token)
            #expect(restore.status == 409)
            #expect(restore.json == ["error": "A backup or restore is already running"])
            held.release()
            #expect(try await client.call(.post, "/api/admin/backups", token: admin.token).status == 200)
        }
    }

    @Test func requestsGet503WhileARestoreRuns() async throws {
        let app = try await Self.make()
        try await app.test { client in
            let admin = try await client.signup()
            let name = try await client.call(.post, "/api/admin/backups", token: admin.token).json["backup"]["name"].stringValue!

            // The restore pauses inside "stop the workers" until the test has looked at the gate.
            let (reached, reachedContinuation) = AsyncStream.makeStream(of: Void.self)
            let (proceed, proceedContinuation) = AsyncStream.makeStream(of: Void.self)
            var hooks = app.deps.restoreHooks(ownRequests: 0)
            let stop = hooks.stopWorkers
            hooks.stopWorkers = {
                reachedContinuation.yield()
                for await _ in proceed { break }
                await stop()
            }
            let restore = Task { try await app.deps.backups.restore(name, hooks: hooks) }
            for await _ in reached { break }

            let blocked = try await client.call(.get, "/api/templates")
            #expect(blocked.status == 503)
            #expect(blocked.json == ["error": "Service Unavailable", "message": "Restore in progress"])
            let admin503 = try await client.call(.get, "/api/admin/backups", token: admin.token)
            #expect(admin503.status == 503)
            for path in ["/ready", "/health/ready"] {
                let ready = try await client.call(.get, path)
                #expect(ready.status == 503, "\(path)")
                #expect(ready.json == ["status": "not ready", "error": "restore in progress"])
            }
            let health = try await client.call(.get, "/health")
            #expect(health.status == 200)
            #expect(app.deps.restoreGate.isClosed)

            proceedContinuation.yield()
            let result = try await restore.value
            #expect(result.name == name)
            #expect(!app.deps.restoreGate.isClosed)
            #expect(try await client.call(.get, "/api/templates").status == 200)
        }
    }
}
