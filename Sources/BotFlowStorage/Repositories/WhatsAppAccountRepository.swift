import BotFlowCore
import GRDB

/// `whatsapp_accounts` (data-model §2.5). Reads that take an organization id are tenant-scoped.
public enum WhatsAppAccountRepository {
    public static func list(_ db: Database, organizationId: String) throws -> [WhatsAppAccountRecord] {
        try db.cachedStatement(sql: "SELECT * FROM whatsapp_accounts WHERE organization_id = ? ORDER BY created_at, rowid").decodeAll(arguments: [organizationId], WhatsAppAccountRecord.init)
    }

    public static func find(_ db: Database, id: String, organizationId: String) throws -> WhatsAppAccountRecord? {
        try db.cachedStatement(sql: "SELECT * FROM whatsapp_accounts WHERE id = ? AND organization_id = ?").decodeOne(arguments: [id, organizationId], WhatsAppAccountRecord.init)
    }

    /// Any organization's account with this number (numbers are unique across the appliance, I-35).
    public static func find(_ db: Database, phoneNumber: String) throws -> WhatsAppAccountRecord? {
        try db.cachedStatement(sql: "SELECT * FROM whatsapp_accounts WHERE phone_number = ?").decodeOne(arguments: [phoneNumber], WhatsAppAccountRecord.init)
    }

    /// True when another account already uses this Bird channel id or Meta phone number id.
    public static func channelTaken(_ db: Database, birdChannelId: String?, phoneNumberId: String?, excluding id: String?) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS(SELECT 1 FROM whatsapp_accounts
                          WHERE id IS NOT ? AND ((? IS NOT NULL AND bird_channel_id = ?) OR (? IS NOT NULL AND phone_number_id = ?)))
            """), arguments: [id, birdChannelId, birdChannelId, phoneNumberId, phoneNumberId]) ?? false
    }

    /// The organization's oldest `active` account (login's `whatsappAccount`).
    public static func oldestActive(_ db: Database, organizationId: String) throws -> WhatsAppAccountRecord? {
        try db.cachedStatement(sql: """
            SELECT * FROM whatsapp_accounts WHERE organization_id = ? AND status = 'active' ORDER BY created_at, rowid LIMIT 1
            """).decodeOne(arguments: [organizationId], WhatsAppAccountRecord.init)
    }

    public struct Columns: Sendable {
        public var provider: String
        public var phoneNumber: String
        public var displayName: String?
        public var status: String
        public var birdChannelId: String?
        public var birdWorkspaceId: String?
        public var phoneNumberId: String?
        public var wabaId: String?
        public var twilioAccountSid: String?
        public var twilioPhoneNumberSid: String?
        public var credentialsEncrypted: String?
        public var credentialNames: [String]

        public init(provider: String, phoneNumber: String, displayName: String?, status: String, birdChannelId: String?,
                    birdWorkspaceId: String?, phoneNumberId: String?, wabaId: String?, twilioAccountSid: String?,
                    twilioPhoneNumberSid: String?, credentialsEncrypted: String?, credentialNames: [String]) {
            self.provider = provider; self.phoneNumber = phoneNumber; self.displayName = displayName; self.status = status
            self.birdChannelId = birdChannelId; self.birdWorkspaceId = birdWorkspaceId; self.phoneNumberId = phoneNumberId
            self.wabaId = wabaId; self.twilioAccountSid = twilioAccountSid; self.twilioPhoneNumberSid = twilioPhoneNumberSid
            self.credentialsEncrypted = credentialsEncrypted; self.credentialNames = credentialNames
        }
    }

    public static func insert(_ db: Database, id: String, organizationId: String, _ c: Columns, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO whatsapp_accounts (id, organization_id, provider, phone_number, display_name, status, bird_channel_id,
                bird_workspace_id, phone_number_id, waba_id, twilio_account_sid, twilio_phone_number_sid, credentials_encrypted,
                credential_names, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                id, organizationId, c.provider, c.phoneNumber, c.displayName, c.status, c.birdChannelId, c.birdWorkspaceId,
                c.phoneNumberId, c.wabaId, c.twilioAccountSid, c.twilioPhoneNumberSid, c.credentialsEncrypted,
                JSON.strings(c.credentialNames).columnText, now, now,
            ])
    }

    public static func update(_ db: Database, id: String, _ c: Columns, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE whatsapp_accounts SET provider = ?, phone_number = ?, display_name = ?, status = ?, bird_channel_id = ?,
                bird_workspace_id = ?, phone_number_id = ?, waba_id = ?, twilio_account_sid = ?, twilio_phone_number_sid = ?,
                credentials_encrypted = ?, credential_names = ?, updated_at = ?
            WHERE id = ?
            """).execute(arguments: [
                c.provider, c.phoneNumber, c.displayName, c.status, c.birdChannelId, c.birdWorkspaceId, c.phoneNumberId,
                c.wabaId, c.twilioAccountSid, c.twilioPhoneNumberSid, c.credentialsEncrypted,
                JSON.strings(c.credentialNames).columnText, now, id,
            ])
    }
}

extension WhatsAppAccountRepository {
    /// Webhook routing by a provider key column (`id`, `phone_number`, `bird_channel_id`, `phone_number_id`; all unique).
    public static func findBy(_ db: Database, column: String, value: String) throws -> WhatsAppAccountRecord? {
        precondition(["id", "phone_number", "bird_channel_id", "phone_number_id"].contains(column))
        return try db.cachedStatement(sql: "SELECT * FROM whatsapp_accounts WHERE \(column) = ?").decodeOne(arguments: [value], WhatsAppAccountRecord.init)
    }

    /// Internal lookup by id for jobs.
    public static func find(_ db: Database, id: String) throws -> WhatsAppAccountRecord? {
        try findBy(db, column: "id", value: id)
    }
}
