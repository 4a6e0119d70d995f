import BotFlowCore
import ServiceLifecycle

/// Whether the appliance takes traffic (H3, behaviour §11.1): `starting` until the application's services run,
/// `restoring` during a restore, `shutting down` after the signal.
public final class Readiness: Sendable {
    public enum State: Sendable, Equatable {
        case starting, ready, restoring, shuttingDown

        /// The reason H3 gives while not ready.
        public var reason: String? {
            switch self {
            case .starting: "starting"
            case .ready: nil
            case .restoring: "restore in progress"
            case .shuttingDown: "shutting down"
            }
        }
    }

    private let value = LockedValue(State.starting)
    public init() {}
    public var state: State { value.withLock { $0 } }
    public func set(_ state: State) { value.withLock { $0 = state } }
}

/// Marks the appliance ready once the application runs its services, and shutting down on the signal.
struct ReadinessService: Service {
    let readiness: Readiness

    func run() async throws {
        readiness.set(.ready)
        try? await gracefulShutdown()
        readiness.set(.shuttingDown)
    }
}
