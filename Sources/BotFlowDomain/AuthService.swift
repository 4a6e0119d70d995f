import BotFlowCore
import BotFlowSecurity
import BotFlowStorage
import GRDB

/// Sign-up, login and token resolution (api.md A1–A3, §1.3).
public struct AuthService: Sendable {
    let ctx: DomainContext
    public init(_ ctx: DomainContext) { self.ctx = ctx }

    public struct Session: Sendable {
        public let user: UserRecord
        public let organization: OrganizationRecord?
        public let whatsappAccount: WhatsAppAccountRecord?
        public let token: String
    }

    /// A1. The first user of a fresh appliance (and any `ADMIN_EMAILS` entry) becomes appliance admin.
    public func signup(_ body: JSON) async throws -> Session {
        var v = Validator(body)
        let email = v.string("email", required: true, max: 254, format: .email)?.lowercased()
        let password = v.string("password", required: true, min: 8, max: 128)
        let fullName = v.string("fullName", required: true, min: 2, max: 100)
        let orgName = v.string("organizationName", required: true, min: 2, max: 100)
        try v.finish()
        guard let email, let password, let fullName, let orgName else { throw APIError.validation(v.issues) }

        let alreadyRegistered = APIError.plain(400, "User already registered")
        if try await ctx.database.read({ db in try UserRepository.find(db, email: email) }) != nil { throw alreadyRegistered }
        let hash = await ctx.passwords.hash(password)
        let listedAdmin = ctx.settings.adminEmails.contains(email)
        let now = ctx.clock.now()
        let userId = Identifiers.uuid(), orgId = Identifiers.uuid()
        let (user, org): (UserRecord, OrganizationRecord)
        do {
            (user, org) = try await ctx.database.write { db in
                // Re-checked inside the transaction: another sign-up may have won the race.
                if try UserRepository.find(db, email: email) != nil { throw alreadyRegistered }
                let isFirstUser = try UserRepository.count(db) == 0
                let isAdmin = listedAdmin || isFirstUser
                try UserRepository.insert(db, id: userId, email: email, passwordHash: hash, fullName: fullName, isAdmin: isAdmin, now: now)
                let slug = try OrganizationRepository.uniqueSlug(db, base: Self.slug(from: orgName))
                try OrganizationRepository.insert(db, id: orgId, name: orgName, slug: slug, now: now)
                try OrganizationRepository.insertMember(db, organizationId: orgId, userId: userId, role: "owner", now: now)
                return (try UserRepository.find(db, id: userId)!, try OrganizationRepository.find(db, id: orgId)!)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw alreadyRegistered
        }
        let token = try await ctx.tokens.issue(userId: user.id, email: user.email, organizationId: org.id)
        return Session(user: user, organization: org, whatsappAccount: nil, token: token)
    }

    /// A2. Unknown email and wrong password give the same answer after the same amount of hashing work.
    public func login(_ body: JSON) async throws -> Session {
        var v = Validator(body)
        let email = v.string("email", required: true, format: .email)?.lowercased()
        let password = v.string("password", required: true, max: 128)
        let organizationId = v.string("organizationId", format: .uuid)?.lowercased()
        try v.finish()
        guard let email, let password else { throw APIError.validation(v.issues) }

        let invalid = APIError.plain(401, "Invalid credentials")
        guard let user = try await ctx.database.read({ db in try UserRepository.find(db, email: email) }) else {
            await ctx.passwords.dummyVerify(password)
            throw invalid
        }
        guard await ctx.passwords.verify(password, against: user.passwordHash) else { throw invalid }

        let grantAdmin = ctx.settings.adminEmails.contains(email)
        let now = ctx.clock.now()
        let (fresh, org, account) = try await ctx.database.write { db -> (UserRecord, OrganizationRecord?, WhatsAppAccountRecord?) in
            let membership: MembershipRecord?
            if let organizationId {
                guard let m = try OrganizationRepository.membership(db, userId: user.id, organizationId: organizationId) else {
                    throw APIError.forbidden("Not a member of this organization")
                }
                membership = m
            } else {
                membership = try OrganizationRepository.oldestMembership(db, userId: user.id)
            }
            try UserRepository.recordLogin(db, id: user.id, grantAdmin: grantAdmin, now: now)
            let org = try membership.flatMap { try OrganizationRepository.find(db, id: $0.organizationId) }
            let account = try org.flatMap { try WhatsAppAccountRepository.oldestActive(db, organizationId: $0.id) }
            return (try UserRepository.find(db, id: user.id)!, org, account)
        }
        let token = try await ctx.tokens.issue(userId: fresh.id, email: fresh.email, organizationId: org?.id)
        return Session(user: fresh, organization: org, whatsappAccount: account, token: token)
    }

    /// A3: the caller and its organization (null when the token has none or membership ended).
    public func me(_ identity: Identity) async throws -> (UserRecord, OrganizationRecord?) {
        try await ctx.database.read { db in
            guard let user = try UserRepository.find(db, id: identity.userId) else { throw APIError.unauthorized }
            let org = try identity.role == nil ? nil : identity.claimedOrganizationId.flatMap { try OrganizationRepository.find(db, id: $0) }
            return (user, org)
        }
    }

    /// Resolves a bearer token into an identity: nil when the token is invalid or its user no longer exists.
    /// A token seen before is answered from `IdentityCache` (one SHA-256, one lookup); otherwise it is verified and
    /// its user and membership read with one indexed query (I-21).
    public func identity(forToken token: String) async throws -> Identity? {
        let key = TokenFingerprint(token)
        if let cached = ctx.identities.identity(for: key) { return cached }
        guard let claims = await ctx.tokens.verify(token) else { return nil }
        let version = ctx.identities.currentVersion
        let identity = try await ctx.database.read { db -> Identity? in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT u.email, u.is_admin, m.role FROM users u
                LEFT JOIN organization_members m ON m.user_id = u.id AND m.organization_id = ?
                WHERE u.id = ?
                """), arguments: [claims.organizationId, claims.userId])
            else { return nil }
            return Identity(userId: claims.userId, email: row["email"], isAdmin: row.bool("is_admin"),
                            claimedOrganizationId: claims.organizationId, role: row["role"])
        }
        if let identity { ctx.identities.store(identity, for: key, expiresAtSeconds: claims.exp, version: version) }
        return identity
    }

    /// Organization slug of api.md A1: trimmed, lower-cased, every whitespace run replaced by `-`.
    public static func slug(from name: String) -> String {
        var out = ""
        var inSpace = false
        for scalar in name.trimmingWhitespace().lowercased().unicodeScalars {
            if scalar.properties.isWhitespace {
                if !inSpace { out.append("-") }
                inSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                inSpace = false
            }
        }
        return out
    }
}
