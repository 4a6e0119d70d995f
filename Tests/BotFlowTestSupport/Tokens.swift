import BotFlowCore
import BotFlowSecurity

extension TestAppliance {
    /// A token signed with this appliance's JWT secret for arbitrary claims (e.g. without `organizationId`).
    public func token(userId: String, email: String, organizationId: String?, clock: any AppClock = SystemClock(),
                      ttlSeconds: Int = 3600) async throws -> String {
        let service = await TokenService(secret: settings.jwtSecret!, ttlSeconds: ttlSeconds, clock: clock)
        return try await service.issue(userId: userId, email: email, organizationId: organizationId)
    }
}
