import BotFlowCore
import GRDB

/// `organizations` and `organization_members` (data-model §2.3, §2.4).
public enum OrganizationRepository {
    public static func find(_ db: Database, id: String) throws -> OrganizationRecord? {
        guard var org = try db.cachedStatement(sql: "SELECT * FROM organizations WHERE id = ?").decodeOne(arguments: [id], OrganizationRecord.init)
        else { return nil }
        org.whatsappNumbers = try String.fetchAll(
            db.cachedStatement(sql: "SELECT phone_number FROM whatsapp_accounts WHERE organization_id = ? ORDER BY created_at, rowid"),
            arguments: [id])
        return org
    }

    public static func slugExists(_ db: Database, _ slug: String, excluding id: String? = nil) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM organizations WHERE slug = ? AND id IS NOT ?)"),
                          arguments: [slug, id]) ?? false
    }

    /// The first free slug among `base`, `base-2`, `base-3`, … (api.md A1).
    public static func uniqueSlug(_ db: Database, base: String) throws -> String {
        if try !slugExists(db, base) { return base }
        var n = 2
        while try slugExists(db, "\(base)-\(n)") { n += 1 }
        return "\(base)-\(n)"
    }

    public static func insert(_ db: Database, id: String, name: String, slug: String, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [id, name, slug, now, now])
    }

    public static func update(_ db: Database, id: String, name: String?, slug: String?, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE organizations SET name = coalesce(?, name), slug = coalesce(?, slug), updated_at = ? WHERE id = ?
            """).execute(arguments: [name, slug, now, id])
    }

    // MARK: memberships

    public static func insertMember(_ db: Database, organizationId: String, userId: String, role: String, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO organization_members (id, organization_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [Identifiers.uuid(), organizationId, userId, role, now, now])
    }

    public static func membership(_ db: Database, userId: String, organizationId: String) throws -> MembershipRecord? {
        try db.cachedStatement(sql: "SELECT * FROM organization_members WHERE user_id = ? AND organization_id = ?").decodeOne(arguments: [userId, organizationId], MembershipRecord.init)
    }

    /// The user's oldest membership (the default organization of a login).
    public static func oldestMembership(_ db: Database, userId: String) throws -> MembershipRecord? {
        try db.cachedStatement(sql: "SELECT * FROM organization_members WHERE user_id = ? ORDER BY created_at, rowid LIMIT 1").decodeOne(arguments: [userId], MembershipRecord.init)
    }

    public static func usageRecords(_ db: Database, organizationId: String, limit: Int) throws -> [Row] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM usage_records WHERE organization_id = ? ORDER BY created_at DESC LIMIT ?"),
            arguments: [organizationId, limit])
    }
}
