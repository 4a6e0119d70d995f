import BotFlowCore
import GRDB

/// `bot_integrations` and `integration_logs` (data-model §2.23). Every read is scoped by the organization column
/// copied from the bot, so another organization's row is simply not found.
public enum BotIntegrationRepository {
    static let select = """
        SELECT bi.*, m.slug AS m_slug, m.name AS m_name, m.category AS m_category, m.icon_url AS m_icon_url
        FROM bot_integrations bi JOIN integration_marketplace m ON m.id = bi.integration_id
        """

    public static func find(_ db: Database, id: String, organizationId: String) throws -> BotIntegrationRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "\(select) WHERE bi.id = ? AND bi.organization_id = ?"), arguments: [id, organizationId])
            .map(BotIntegrationRecord.init)
    }

    /// M11: a bot's integrations, newest first.
    public static func list(_ db: Database, botId: String, organizationId: String) throws -> [BotIntegrationRecord] {
        try Row.fetchAll(
            db.cachedStatement(sql: "\(select) WHERE bi.bot_id = ? AND bi.organization_id = ? ORDER BY bi.created_at DESC, bi.rowid DESC"),
            arguments: [botId, organizationId]
        ).map(BotIntegrationRecord.init)
    }

    /// The bot's row for one catalogue entry (the 409 check of M8, `enabled` of M7).
    public static func find(_ db: Database, botId: String, integrationId: String) throws -> BotIntegrationRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "\(select) WHERE bi.bot_id = ? AND bi.integration_id = ?"), arguments: [botId, integrationId])
            .map(BotIntegrationRecord.init)
    }

    public struct NewRow: Sendable {
        public var id, botId, integrationId, organizationId: String
        public var credentialsEncrypted: String?
        public var configuration: JSON
        public var status: String
        public init(id: String, botId: String, integrationId: String, organizationId: String, credentialsEncrypted: String?,
                    configuration: JSON, status: String) {
            self.id = id; self.botId = botId; self.integrationId = integrationId; self.organizationId = organizationId
            self.credentialsEncrypted = credentialsEncrypted; self.configuration = configuration; self.status = status
        }
    }

    public static func insert(_ db: Database, _ r: NewRow, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO bot_integrations (id, bot_id, integration_id, organization_id, credentials_encrypted, configuration, status,
                created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                r.id, r.botId, r.integrationId, r.organizationId, r.credentialsEncrypted, r.configuration.columnText, r.status, now, now,
            ])
    }

    /// M9: writes the three changeable columns (the caller merged the patch into the current values).
    public static func update(_ db: Database, id: String, organizationId: String, credentialsEncrypted: String?, configuration: JSON,
                              status: String, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE bot_integrations SET credentials_encrypted = ?, configuration = ?, status = ?, updated_at = ?
            WHERE id = ? AND organization_id = ?
            """).execute(arguments: [credentialsEncrypted, configuration.columnText, status, now, id, organizationId])
    }

    /// M10; the logs go with it (ON DELETE CASCADE). False when no such row is in the organization.
    public static func delete(_ db: Database, id: String, organizationId: String) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM bot_integrations WHERE id = ? AND organization_id = ?").execute(arguments: [id, organizationId])
        return db.changesCount > 0
    }

    public static func insertLog(_ db: Database, _ log: IntegrationLogRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO integration_logs (id, bot_integration_id, event_type, status, message, request_data, response_data,
                error_details, duration_ms, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                log.id, log.botIntegrationId, log.eventType, log.status, log.message, nullableText(log.requestData),
                nullableText(log.responseData), nullableText(log.errorDetails), log.durationMs, log.createdAt,
            ])
    }

    /// M13: newest first (index I-77); equal timestamps fall back to insertion order, newest first.
    public static func logs(_ db: Database, botIntegrationId: String, limit: Int) throws -> [IntegrationLogRecord] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT * FROM integration_logs WHERE bot_integration_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?
            """), arguments: [botIntegrationId, limit]).map(IntegrationLogRecord.init)
    }

    private static func nullableText(_ value: JSON) -> String? { value == .null ? nil : value.columnText }
}

/// `integrations` (data-model §2.24), organization-scoped.
public enum ConnectorIntegrationRepository {
    /// I1: newest first.
    public static func list(_ db: Database, organizationId: String) throws -> [ConnectorIntegrationRecord] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM integrations WHERE organization_id = ? ORDER BY created_at DESC, rowid DESC"),
            arguments: [organizationId]
        ).map(ConnectorIntegrationRecord.init)
    }

    public static func find(_ db: Database, id: String, organizationId: String) throws -> ConnectorIntegrationRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM integrations WHERE id = ? AND organization_id = ?"),
                         arguments: [id, organizationId]).map(ConnectorIntegrationRecord.init)
    }

    public static func insert(_ db: Database, _ r: ConnectorIntegrationRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO integrations (id, organization_id, integration_type, configuration, credentials_encrypted, whatsapp_account_id,
                status, is_active, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                r.id, r.organizationId, r.integrationType, r.configuration.columnText, r.credentialsEncrypted, r.whatsappAccountId,
                r.status, r.isActive, r.createdAt, r.updatedAt,
            ])
    }

    /// I3; a linked WhatsApp account is left alone. False when no such row is in the organization.
    public static func delete(_ db: Database, id: String, organizationId: String) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM integrations WHERE id = ? AND organization_id = ?").execute(arguments: [id, organizationId])
        return db.changesCount > 0
    }
}
