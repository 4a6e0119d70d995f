import BotFlowCore

/// Sandbox accounts never leave the machine (api.md WH5): every send is accepted at once with `sandbox_<uuid>`.
public struct SandboxChannel: ChannelAdapter {
    public init() {}

    public func send(_ message: OutboundSend) async -> DeliveryOutcome {
        .accepted(providerMessageId: "sandbox_\(Identifiers.uuid())")
    }
}
