import BotFlowDomain
import Hummingbird
import NIOCore

/// Per-request state: the request id (api.md §1.12), the peer address (rate limiting) and, on authenticated routes,
/// the caller's identity.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestId: String = ""
    public var identity: Identity?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The authenticated caller; only routes behind `AuthMiddleware` call this.
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw APIErrorResponse(.unauthorized) }
        return identity
    }
}
