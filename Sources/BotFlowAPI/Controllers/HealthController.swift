import BotFlowCore
import BotFlowObservability
import Hummingbird

/// H1–H5 (api.md §4.1, behaviour §11): liveness, checked health, readiness, metrics as JSON or Prometheus text.
struct HealthController {
    let settings: Settings
    let clock: any AppClock
    let startedAt: Double
    let checks: HealthChecks
    let readiness: Readiness
    let report: MetricsReport

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health") { _, _ in
            var body: JSONObject = ["status": "ok", "timestamp": .string(clock.now()), "uptime": .double(uptime())]
            if let env = settings.environmentName { body["environment"] = .string(env) }
            return Response.json(.object(body))
        }
        router.get("/health/health") { _, _ in try await health() }
        for path in ["/health/ready", "/ready"] { router.get(RouterPath(path)) { _, _ in try await ready() } }
        for path in ["/health/live", "/live"] {
            router.get(RouterPath(path)) { _, _ in
                Response.json(["status": "alive", "uptime": .double(uptime()), "timestamp": .string(clock.now())])
            }
        }
        for path in ["/health/metrics", "/metrics"] { router.get(RouterPath(path)) { request, _ in try await metrics(request) } }
    }

    func uptime() -> Double { monotonicSeconds() - startedAt }

    func health() async throws -> Response {
        let started = monotonicSeconds()
        let r = await checks.run()
        let memory = ProcessFigures.memory()
        let healthy = r.database && r.redis && r.memory && r.disk && r.queue
        func mb(_ bytes: Int) -> JSON { .string("\(MetricsReport.mb(bytes))MB") }
        let external = r.database ? ((try? await report.facts().sqliteMemory) ?? 0) : 0
        let body: JSON = [
            "status": .string(healthy ? "healthy" : "unhealthy"),
            "checks": ["database": .bool(r.database), "redis": .bool(r.redis), "memory": .bool(r.memory), "disk": .bool(r.disk), "queue": .bool(r.queue)],
            "uptime": .double(uptime()),
            "responseTime": .string("\(Int(((monotonicSeconds() - started) * 1000).rounded()))ms"),
            "memory": ["heapUsed": mb(memory.heapUsed), "heapTotal": mb(memory.heapTotal), "rss": mb(memory.rss), "external": mb(external)],
            "timestamp": .string(clock.now()),
        ]
        return .json(body, status: healthy ? .ok : .serviceUnavailable)
    }

    func ready() async throws -> Response {
        if let reason = readiness.state.reason { return .json(["status": "not ready", "error": .string(reason)], status: .serviceUnavailable) }
        if let failure = await checks.databaseCheck() {
            return .json(["status": "not ready", "error": .string("database unavailable: \(failure)")], status: .serviceUnavailable)
        }
        return .json(["status": "ready", "checks": ["database": "ok", "redis": "ok"]])
    }

    /// JSON unless `?format=prometheus`, or an `Accept` with `text/plain` and without `application/json`.
    /// `?queries=all` lists every query shape instead of the ten slowest (used by `scripts/bench-ingest`).
    func metrics(_ request: Request) async throws -> Response {
        let accept = request.headers[.accept] ?? ""
        let prometheus = request.uri.queryParameters["format"] == "prometheus"
            || (accept.contains("text/plain") && !accept.contains("application/json"))
        do {
            if prometheus {
                return .bytes(try await report.prometheus(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            }
            return .json(try await report.json(allQueryShapes: request.uri.queryParameters["queries"] == "all"))
        } catch {
            return .json(["error": "Failed to retrieve metrics"], status: .internalServerError)
        }
    }
}
