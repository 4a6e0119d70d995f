import Hummingbird

// The smallest Hummingbird 2 server: the yardstick of scripts/bench-http's saturation ratio (same framework, same
// machine, no middleware, no database). Usage: bench-hello [port=3093]
let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 3093 : 3093
let router = Router()
router.get("/hello") { _, _ in "Hello, world!" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil))
try await app.runService()
