import BotFlowCore
import BotFlowStorage
import GRDB

/// Organizations O1–O3. `:id` must be the caller's organization, else 404 (existence is never leaked).
public struct OrganizationService: Sendable {
    let ctx: DomainContext
    public init(_ ctx: DomainContext) { self.ctx = ctx }

    static let notFound = APIError.notFound("Organization not found")

    public func get(_ id: String, identity: Identity) async throws -> (OrganizationRecord, role: String) {
        let orgId = try identity.organizationId()
        guard id == orgId, let role = identity.role else { throw Self.notFound }
        guard let org = try await ctx.database.read({ db in try OrganizationRepository.find(db, id: orgId) }) else { throw Self.notFound }
        return (org, role)
    }

    /// O2: owners and admins rename the organization or change its slug.
    public func update(_ id: String, body: JSON, identity: Identity) async throws -> OrganizationRecord {
        let orgId = try identity.organizationId()
        // Validation before tenancy and role (behaviour §2 step 8), as on every other org-scoped write.
        var v = Validator(body)
        let name = v.string("name", min: 2, max: 100)
        let slug = v.string("slug", min: 2, max: 100, matches: Formats.isSlug, patternDescription: "Invalid slug")
        try v.finish()
        guard id == orgId else { throw Self.notFound }
        guard identity.role == "owner" || identity.role == "admin" else {
            throw APIError.forbidden("Only owners and admins can update the organization")
        }
        let now = ctx.clock.now()
        do {
            return try await ctx.database.write { db in
                if let slug, try OrganizationRepository.slugExists(db, slug, excluding: orgId) { throw APIError.conflict("Slug already in use") }
                if name != nil || slug != nil {
                    try OrganizationRepository.update(db, id: orgId, name: name, slug: slug, now: now)
                }
                guard let org = try OrganizationRepository.find(db, id: orgId) else { throw Self.notFound }
                return org
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw APIError.conflict("Slug already in use")
        }
    }

    /// O3: monthly usage records, newest first, at most 24.
    public func usage(_ id: String, identity: Identity) async throws -> [JSON] {
        let orgId = try identity.organizationId()
        guard id == orgId else { throw Self.notFound }
        return try await ctx.database.read { db in
            try OrganizationRepository.usageRecords(db, organizationId: orgId, limit: 24).map { row in
                [
                    "id": .string(row["id"] as String), "organization_id": .string(row["organization_id"] as String),
                    "period_start": .string(row["period_start"] as String), "period_end": .string(row["period_end"] as String),
                    "conversation_count": .int(row["conversation_count"] as Int64), "message_count": .int(row["message_count"] as Int64),
                    "ai_tokens_used": .int(row["ai_tokens_used"] as Int64), "total_cost_usd": .double(row["total_cost_usd"] as Double),
                    "created_at": .string(row["created_at"] as String), "updated_at": .string(row["updated_at"] as String),
                ]
            }
        }
    }
}
