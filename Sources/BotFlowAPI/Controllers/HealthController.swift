import BotFlowCore
import Hummingbird

/// H1 `GET /health`: liveness without dependency checks (the checked endpoints come with the health issue).
struct HealthController {
    let settings: Settings
    let clock: any AppClock
    let startedAt: Double

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health") { _, _ in
            var body: JSONObject = [
                "status": "ok", "timestamp": .string(clock.now()), "uptime": .double(monotonicSeconds() - startedAt),
            ]
            if let env = settings.environmentName { body["environment"] = .string(env) }
            return Response.json(.object(body))
        }
    }
}
