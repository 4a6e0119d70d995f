import BotFlowAPI
import BotFlowCore
import BotFlowJobs
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// api.md §4.1 (H1–H5), §4.15 (AD7–AD9); behaviour.md §11 (checks, shapes, Prometheus), §12 (error log).
@Suite struct HealthMetricsTests {
    /// Waits for the application's services (readiness, job runner heartbeat) to have started.
    func waitReady(_ client: any TestClientProtocol) async throws {
        for _ in 0..<200 {
            if try await client.call(.get, "/ready").status == 200 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("never ready")
    }

    @Test func livenessAndReadinessWhileRunning() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            try await waitReady(client)
            for path in ["/ready", "/health/ready"] {
                var r = try await client.call(.get, path)
                // The database probe gives up after 1 s; with the whole suite in parallel on two cores a read can
                // take that long, so a 503 for that reason is asked again (a real failure stays 503 and fails below).
                for _ in 0..<50 where r.status == 503 && r.text.contains("timed out") {
                    try await Task.sleep(for: .milliseconds(100))
                    r = try await client.call(.get, path)
                }
                #expect(r.status == 200)
                #expect(r.json == ["status": "ready", "checks": ["database": "ok", "redis": "ok"]])
            }
            for path in ["/live", "/health/live"] {
                let r = try await client.call(.get, path)
                #expect(r.status == 200)
                #expect(r.json["status"] == "alive" && r.json["uptime"].numberValue != nil)
                #expect(r.json["timestamp"].stringValue.flatMap(Timestamp.parse) != nil)
            }
        }
    }

    @Test func healthReportsEveryCheckAndMemory() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            try await waitReady(client)
            var r = try await client.call(.get, "/health/health")
            // Waits for the job loop's first heartbeat, and asks again when the 1 s database probe timed out because
            // the whole suite runs in parallel on two cores (a database that stays down still fails below).
            for _ in 0..<250 where r.json["checks"]["queue"] != true || r.json["checks"]["database"] != true {
                try await Task.sleep(for: .milliseconds(20))
                r = try await client.call(.get, "/health/health")
            }
            #expect(r.status == 200)
            #expect(r.json["status"] == "healthy")
            #expect(r.json["checks"] == ["database": true, "redis": true, "memory": true, "disk": true, "queue": true])
            #expect(r.json["responseTime"].stringValue?.hasSuffix("ms") == true)
            for key in ["heapUsed", "heapTotal", "rss", "external"] {
                let value = try #require(r.json["memory"][key].stringValue)
                #expect(value.hasSuffix("MB") && Int(value.dropLast(2)) != nil, "\(key): \(value)")
            }
            #expect(Int(r.json["memory"]["rss"].stringValue!.dropLast(2))! > 0)
        }
    }

    @Test func notReadyWhileStartingOrRestoring() async throws {
        let app = try await TestAppliance.make()
        // The router alone: the application's services (which mark it ready) never ran.
        let router = buildRouter(app.deps)
        try await Application(router: router).test(.router) { client in
            let starting = try await client.call(.get, "/ready")
            #expect(starting.status == 503)
            #expect(starting.json == ["status": "not ready", "error": "starting"])
            app.deps.readiness.set(.restoring)
            #expect(try await client.call(.get, "/health/ready").json["error"] == "restore in progress")
            #expect(try await client.call(.get, "/health").status == 200, "H1 has no dependency checks")
        }
    }

    @Test func databaseUnavailableMakesHealthAndReadiness503() async throws {
        let app = try await TestAppliance.make()
        app.deps.readiness.set(.ready)
        try app.deps.database.close()
        try await Application(router: buildRouter(app.deps)).test(.router) { client in
            let health = try await client.call(.get, "/health/health")
            #expect(health.status == 503)
            #expect(health.json["status"] == "unhealthy")
            #expect(health.json["checks"]["database"] == false)
            let ready = try await client.call(.get, "/ready")
            #expect(ready.status == 503)
            #expect(ready.json["status"] == "not ready")
            #expect(ready.json["error"].stringValue?.hasPrefix("database unavailable: ") == true)
            #expect(try await client.call(.get, "/live").status == 200)
        }
    }

    @Test func metricsJSONHasTheSpecShapeWithRealNumbers() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            _ = try await client.call(.get, "/api/templates")
            _ = try await client.call(.get, "/api/templates")
            _ = try await client.call(.get, "/api/bots", token: owner.token)
            _ = try await client.call(.get, "/api/nope")
            let r = try await client.call(.get, "/metrics")
            #expect(r.status == 200)
            let m = r.json
            #expect(m.objectValue.map { Set($0.keys) } == ["queries", "cache", "memory", "jobs", "outbox", "http", "backups", "errors", "uptime", "timestamp"])
            #expect(m["cache"]["tiers"].objectValue.map { Array($0.keys) } == ["REALTIME", "HOT", "WARM", "COLD", "TEMPLATE"])
            #expect(m["cache"]["tiers"]["TEMPLATE"]["hits"] == .int(1) && m["cache"]["tiers"]["TEMPLATE"]["misses"] == .int(1))
            #expect(m["cache"]["tiers"]["TEMPLATE"]["hit_rate"] == .double(0.5))
            #expect(m["cache"]["max_bytes"] == .int(Int64(app.settings.cacheMaxBytes)))
            // signup, 2 × templates, bots, one 404 — counted before this request.
            #expect(m["http"]["requests_total"] == .int(5))
            #expect(m["http"]["by_status"] == ["2xx": .int(4), "3xx": .int(0), "4xx": .int(1), "5xx": .int(0)])
            #expect((m["queries"]["total"].integerValue ?? 0) > 0)
            let slowest = try #require(m["queries"]["slowest"].arrayValue)
            #expect(!slowest.isEmpty && slowest.count <= 10)
            #expect(slowest.allSatisfy { $0["query"].stringValue != nil && ($0["count"].integerValue ?? 0) >= 1 })
            let averages = slowest.compactMap { $0["avgDuration"].numberValue }
            #expect(averages == averages.sorted(by: >), "ordered by avgDuration descending")
            #expect(m["memory"]["rss"].integerValue.map { $0 > 0 } == true)
            #expect(Set(m["jobs"].objectValue!.keys) == ["queued", "running", "retrying", "dead", "succeeded_last_hour"])
            #expect(Set(m["outbox"].objectValue!.keys) == ["queued", "sending", "sent_last_hour", "failed_last_hour"])
            #expect(m["errors"] == ["last_hour": 0])
            #expect(try await client.call(.get, "/health/metrics").json["http"]["requests_total"] == .int(6))
        }
    }

    @Test func metricsReportBackups() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()   // the first account: appliance admin
            let before = try await client.call(.get, "/metrics").json["backups"]
            #expect(before == ["last_success_at": .null, "last_failure_at": .null, "count": 0])
            let created = try await client.call(.post, "/api/admin/backups", token: admin.token)
            #expect(created.status == 200)
            let after = try await client.call(.get, "/metrics").json["backups"]
            #expect(after["count"] == .int(1))
            #expect(after["last_success_at"].stringValue.flatMap(Timestamp.parse) != nil)
            let text = try PrometheusText.parse(try await client.call(.get, "/metrics?format=prometheus").text)
            #expect((text.value("botflow_backup_last_success_timestamp_seconds", [:]) ?? 0) > 1_700_000_000)
        }
    }

    @Test func prometheusExpositionParses() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            _ = try await client.call(.get, "/api/templates")
            _ = try await client.call(.get, "/api/templates")
            let byQuery = try await client.call(.get, "/metrics?format=prometheus")
            let byAccept = try await client.call(.get, "/health/metrics", headers: ["Accept": "text/plain"])
            let json = try await client.call(.get, "/metrics", headers: ["Accept": "text/plain, application/json"])
            #expect(json.header("Content-Type") == "application/json; charset=utf-8")
            for r in [byQuery, byAccept] {
                #expect(r.status == 200)
                #expect(r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            }
            let text = try PrometheusText.parse(byAccept.text)
            for (name, type) in [("botflow_uptime_seconds", "gauge"), ("botflow_http_requests_total", "counter"),
                                 ("botflow_http_request_duration_seconds", "histogram"), ("botflow_cache_hits_total", "counter"),
                                 ("botflow_cache_misses_total", "counter"), ("botflow_cache_evictions_total", "counter"),
                                 ("botflow_cache_entries", "gauge"), ("botflow_cache_bytes", "gauge"), ("botflow_db_queries_total", "counter"),
                                 ("botflow_db_slow_queries_total", "counter"), ("botflow_jobs", "gauge"), ("botflow_outbox", "gauge"),
                                 ("botflow_memory_rss_bytes", "gauge"), ("botflow_backup_last_success_timestamp_seconds", "gauge"),
                                 ("botflow_errors_total", "counter")] {
                #expect(text.types[name] == type, "\(name)")
            }
            #expect(text.value("botflow_cache_hits_total", ["tier": "TEMPLATE"]) == 1)
            #expect(text.value("botflow_cache_misses_total", ["tier": "TEMPLATE"]) == 1)
            #expect(text.value("botflow_http_requests_total", ["status_class": "2xx"])! >= 3)
            #expect(text.value("botflow_jobs", ["state": "dead"]) == 0)
            #expect((text.value("botflow_db_queries_total", [:]) ?? 0) > 0)
        }
    }

    @Test func adminJobsErrorsAndRetry() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup(organization: "Admin Co")   // first account: appliance admin
            let owner = try await client.signup(organization: "Shop")
            // A delivery job without its outbox id fails permanently: dead at once, and the error log records it.
            let now = app.deps.clock.now()
            _ = try await app.database.write { db in
                try JobQueue.enqueue(db, JobSpec(type: .deliver, payload: [:], dedupeKey: "deliver:test"), now: now)
            }
            app.deps.messaging.jobs.wake()
            var dead = try await client.call(.get, "/api/admin/jobs?state=dead", token: admin.token)
            for _ in 0..<200 where dead.json["jobs"].arrayValue?.isEmpty != false {
                try await Task.sleep(for: .milliseconds(10))
                dead = try await client.call(.get, "/api/admin/jobs?state=dead", token: admin.token)
            }
            #expect(dead.status == 200)
            let job = try #require(dead.json["jobs"][0].objectValue)
            #expect(Array(job.keys) == ["id", "type", "state", "organization_id", "attempts", "max_attempts", "run_at", "last_error", "payload",
                                        "created_at", "updated_at", "finished_at"])
            #expect(job["type"] == "deliver" && job["state"] == "dead")
            #expect(job["last_error"]?.stringValue?.contains("outbox_id") == true)
            let id = try #require(job["id"]?.stringValue)

            let errors = try await client.call(.get, "/api/admin/errors", token: admin.token)
            #expect(errors.status == 200)
            #expect(errors.json["errors"][0]["source"] == "job:deliver")
            #expect(try await client.call(.get, "/api/admin/errors?limit=0", token: admin.token).status == 400)

            #expect(try await client.call(.get, "/api/admin/jobs", token: owner.token).status == 403)
            #expect(try await client.call(.get, "/api/admin/errors", token: owner.token).status == 403)
            #expect(try await client.call(.post, "/api/admin/jobs/\(id)/retry", token: owner.token).status == 403)
            #expect(try await client.call(.get, "/api/admin/jobs?state=exploded", token: admin.token).status == 400)

            let retried = try await client.call(.post, "/api/admin/jobs/\(id)/retry", token: admin.token)
            #expect(retried.status == 200)
            #expect(retried.json["job"]["attempts"] == .int(0))
            #expect(["queued", "running", "dead"].contains(retried.json["job"]["state"].stringValue ?? ""))
            let missing = try await client.call(.post, "/api/admin/jobs/nope/retry", token: admin.token)
            #expect(missing.status == 404 && missing.json == ["error": "Job not found"])

            // Pagination: newest first, the cursor continues.
            let all = try await client.call(.get, "/api/admin/jobs?limit=1", token: admin.token)
            #expect(all.json["jobs"].arrayValue?.count == 1)
            if let cursor = all.json["next_cursor"].stringValue {
                let next = try await client.call(.get, "/api/admin/jobs?limit=1&cursor=\(cursor)", token: admin.token)
                #expect(next.status == 200 && next.json["jobs"][0]["id"] != all.json["jobs"][0]["id"])
            }
        }
    }

    @Test func aServerErrorIsLoggedWithItsRequestId() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            // A table gone from under the app turns the next read of it into a 500.
            try await app.database.write { db in try db.execute(sql: "ALTER TABLE bots RENAME TO bots_gone") }
            let failed = try await client.call(.get, "/api/bots", token: admin.token, headers: ["X-Request-Id": "req-500"])
            #expect(failed.status == 500)
            let entry = try #require(app.deps.errorLog.recent(limit: 1).first)
            #expect(entry.requestId == "req-500" && entry.status == 500 && entry.path == "/api/bots" && entry.source == "http")
        }
    }
}
