import BotFlowCore
import Hummingbird
import Synchronization

/// The restore gate of behaviour §2 step 5 and §13.7 step 1. While closed, requests answer 503 except liveness
/// (`/health`, `/health/live`, `/live`); readiness answers its own 503 `restore in progress`. It counts the requests
/// inside the application so a restore can wait for them before it closes the database under their feet.
public final class RestoreGate: Sendable {
    private struct State { var closed = false; var inside = 0 }
    private let state = Mutex(State())

    public init() {}

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Closes the gate and waits (up to `timeout`) until at most `ownRequests` requests are still inside: the
    /// restore request itself is one of them when the restore came through the API.
    public func close(ownRequests: Int, timeout: Duration = .seconds(30)) async {
        state.withLock { $0.closed = true }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while state.withLock({ $0.inside }) > ownRequests, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    public func open() { state.withLock { $0.closed = false } }

    /// Admits a request (and counts it) unless the gate is closed.
    func enter() -> Bool {
        state.withLock { s in
            guard !s.closed else { return false }
            s.inside += 1
            return true
        }
    }

    func leave() { state.withLock { $0.inside -= 1 } }
}

struct RestoreGateMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let gate: RestoreGate

    static let liveness: Set<String> = ["/health", "/health/live", "/live"]
    static let readiness: Set<String> = ["/ready", "/health/ready"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let raw = request.uri.path
        let path = raw.count > 1 && raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        if Self.liveness.contains(path) { return try await next(request, context) }
        guard gate.enter() else {
            if Self.readiness.contains(path) {
                return .json(["status": "not ready", "error": "restore in progress"], status: .serviceUnavailable)
            }
            throw APIErrorResponse(.serviceUnavailable("Restore in progress"))
        }
        defer { gate.leave() }
        return try await next(request, context)
    }
}
