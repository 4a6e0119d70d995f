import BotFlowCore
import GRDB

/// `bot_templates` (data-model §2.15). Templates are global (not organization-owned).
public enum TemplateRepository {
    public static func listPublished(_ db: Database) throws -> [TemplateRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM bot_templates WHERE is_published = 1 ORDER BY tier, name"))
            .map(TemplateRecord.init)
    }

    public static func listPublished(_ db: Database, vertical: String) throws -> [TemplateRecord] {
        try db.cachedStatement(sql: "SELECT * FROM bot_templates WHERE vertical = ? AND is_published = 1 ORDER BY tier, name").decodeAll(arguments: [vertical], TemplateRecord.init)
    }

    public static func find(_ db: Database, id: String) throws -> TemplateRecord? {
        try db.cachedStatement(sql: "SELECT * FROM bot_templates WHERE id = ?").decodeOne(arguments: [id], TemplateRecord.init)
    }

    public static func exists(_ db: Database, vertical: String, name: String, excluding id: String? = nil) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM bot_templates WHERE vertical = ? AND name = ? AND id IS NOT ?)"),
            arguments: [vertical, name, id]) ?? false
    }

    public static func insert(_ db: Database, _ t: TemplateRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO bot_templates (id, name, vertical, tier, description, tagline, icon, required_fields, conversation_flow,
                example_prompts, integrations, is_published, version, created_by, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                t.id, t.name, t.vertical, t.tier, t.description, t.tagline, t.icon, t.requiredFields.columnText,
                t.conversationFlow.columnText, t.examplePrompts.columnText, t.integrations.columnText, t.isPublished, t.version,
                t.createdBy, t.createdAt, t.updatedAt,
            ])
    }

    /// Seeding: inserts only when (`vertical`, `name`) is missing, never overwrites (behaviour §9.6).
    public static func insertIfMissing(_ db: Database, _ t: TemplateRecord) throws -> Bool {
        guard try !exists(db, vertical: t.vertical, name: t.name) else { return false }
        try insert(db, t)
        return true
    }

    public static func update(_ db: Database, _ t: TemplateRecord) throws {
        try db.cachedStatement(sql: """
            UPDATE bot_templates SET name = ?, vertical = ?, tier = ?, description = ?, tagline = ?, icon = ?, required_fields = ?,
                conversation_flow = ?, example_prompts = ?, integrations = ?, is_published = ?, version = ?, updated_at = ?
            WHERE id = ?
            """).execute(arguments: [
                t.name, t.vertical, t.tier, t.description, t.tagline, t.icon, t.requiredFields.columnText,
                t.conversationFlow.columnText, t.examplePrompts.columnText, t.integrations.columnText, t.isPublished, t.version,
                t.updatedAt, t.id,
            ])
    }

    public static func delete(_ db: Database, id: String) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM bot_templates WHERE id = ?").execute(arguments: [id])
        return db.changesCount > 0
    }
}
