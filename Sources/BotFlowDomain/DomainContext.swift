import BotFlowCore
import BotFlowSecurity
import BotFlowStorage

/// What every domain service needs: the database, the clock, settings and the security primitives.
public struct DomainContext: Sendable {
    public let database: AppDatabase
    public let clock: any AppClock
    public let settings: Settings
    public let passwords: PasswordHasher
    public let tokens: TokenService
    public let credentials: CredentialCipher
    /// Verified tokens → identities, shared by every `AuthService` of this context.
    public let identities: IdentityCache

    public init(database: AppDatabase, clock: any AppClock, settings: Settings, passwords: PasswordHasher,
                tokens: TokenService, credentials: CredentialCipher) {
        self.database = database; self.clock = clock; self.settings = settings
        self.passwords = passwords; self.tokens = tokens; self.credentials = credentials
        identities = IdentityCache(version: database.identityTables, clock: clock)
    }
}

/// The authenticated caller of a request (api.md §1.3–§1.4), resolved once per request.
public struct Identity: Sendable {
    public let userId: String
    public let email: String
    public let isAdmin: Bool
    /// The token's `organizationId` claim.
    public let claimedOrganizationId: String?
    /// The caller's role in that organization; nil when the token has no organization or the user is not a member.
    public let role: String?

    public init(userId: String, email: String, isAdmin: Bool, claimedOrganizationId: String?, role: String?) {
        self.userId = userId; self.email = email; self.isAdmin = isAdmin
        self.claimedOrganizationId = claimedOrganizationId; self.role = role
    }

    /// The organization every org-scoped query is filtered by; 403 when the token has none or membership ended.
    public func organizationId() throws(APIError) -> String {
        guard let org = claimedOrganizationId else { throw APIError.forbidden("No organization in token") }
        guard role != nil else { throw APIError.forbidden("Not a member of this organization") }
        return org
    }

    public func requireAdmin() throws(APIError) {
        if !isAdmin { throw APIError.adminOnly }
    }
}
