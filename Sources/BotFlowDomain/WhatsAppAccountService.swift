import BotFlowCore
import BotFlowSecurity
import BotFlowStorage
import GRDB

/// WhatsApp accounts W1–W2: connect (upsert by phone number) with credentials encrypted at rest (behaviour §5.5).
public struct WhatsAppAccountService: Sendable {
    let ctx: DomainContext
    public init(_ ctx: DomainContext) { self.ctx = ctx }

    /// Credential keys per provider and the ones needed for `status: active` (api.md W2).
    public static let credentialKeys: [String: (all: [String], needed: [String])] = [
        "meta": (["accessToken", "phoneNumberId", "wabaId", "appSecret", "verifyToken"], ["accessToken", "phoneNumberId"]),
        "bird": (["accessKey", "channelId", "workspaceId"], ["accessKey", "channelId", "workspaceId"]),
        "twilio": (["accountSid", "authToken", "phoneNumberSid"], ["accountSid", "authToken"]),
        "sandbox": ([], []),
    ]
    public static let providers = ["meta", "bird", "twilio", "sandbox"]
    static let table = "whatsapp_accounts"

    public func list(identity: Identity) async throws -> [WhatsAppAccountRecord] {
        let orgId = try identity.organizationId()
        return try await ctx.database.read { db in try WhatsAppAccountRepository.list(db, organizationId: orgId) }
    }

    /// The validated form of a connect request (shared with connector integrations, api.md I2).
    public struct ConnectRequest: Sendable {
        public var provider: String
        public var phoneNumber: String
        public var displayName: String?
        public var credentials: JSONObject
    }

    /// Validates a W2 body; every issue is reported.
    public static func parseConnect(_ body: JSON) throws(APIError) -> ConnectRequest {
        var v = Validator(body)
        let provider = v.string("provider", required: true, oneOf: providers)
        var phone: String?
        if let raw = v.string("phone_number", required: true) {
            let stripped = Formats.stripWhatsAppPrefix(raw)
            if Formats.isE164(stripped) { phone = stripped } else { v.fail("phone_number", "Invalid phone number (E.164 expected)", .invalid_string) }
        }
        let displayName = v.string("display_name", max: 100)
        var credentials = JSONObject()
        if let given = v.object("credentials") {
            let allowed = provider.flatMap { credentialKeys[$0]?.all } ?? []
            for (key, value) in given {
                if provider != nil, !allowed.contains(key) {
                    v.fail(path: ["credentials", .key(key)], "Unrecognized key '\(key)' for provider \(provider!)", .custom)
                    continue
                }
                var sub = Validator(["v": value], path: ["credentials", .key(key)])
                if let s = sub.string("v", required: true, min: 1, max: 4096) { credentials[key] = .string(s) }
                for issue in sub.issues { v.fail(path: ["credentials", .key(key)], issue.message, issue.code) }
            }
        }
        try v.finish()
        return ConnectRequest(provider: provider!, phoneNumber: phone!, displayName: displayName, credentials: credentials)
    }

    public func connect(_ body: JSON, identity: Identity) async throws -> WhatsAppAccountRecord {
        let orgId = try identity.organizationId()
        let request = try Self.parseConnect(body)
        let now = ctx.clock.now()
        return try await ctx.database.write { db in try self.upsert(db, request, organizationId: orgId, now: now) }
    }

    /// Inside a caller's transaction: creates or updates the organization's account for the number.
    public func upsert(_ db: Database, _ r: ConnectRequest, organizationId: String, now: String) throws -> WhatsAppAccountRecord {
        let existing = try WhatsAppAccountRepository.find(db, phoneNumber: r.phoneNumber)
        if let existing, existing.organizationId != organizationId { throw APIError.conflict("Phone number already connected") }
        let id = existing?.id ?? Identifiers.uuid()
        let keys = Self.credentialKeys[r.provider]!

        // Each given key replaces the stored one; omitted keys are kept (only those valid for the provider).
        var merged = JSONObject()
        if let envelope = existing?.credentialsEncrypted,
            let stored = try? ctx.credentials.open(envelope, table: Self.table, rowId: id)
        {
            for (k, v) in stored where keys.all.contains(k) { merged[k] = v }
        }
        for (k, v) in r.credentials { merged[k] = v }
        let has = { (k: String) in (merged[k]?.stringValue ?? "").isEmpty == false }
        let status = r.provider == "sandbox" || keys.needed.allSatisfy(has) ? "active" : "pending"

        let channelId = merged["channelId"]?.stringValue, phoneNumberId = merged["phoneNumberId"]?.stringValue
        if try WhatsAppAccountRepository.channelTaken(db, birdChannelId: channelId, phoneNumberId: phoneNumberId, excluding: id) {
            throw APIError.conflict("Channel already connected")
        }
        let columns = WhatsAppAccountRepository.Columns(
            provider: r.provider, phoneNumber: r.phoneNumber, displayName: r.displayName ?? existing?.displayName, status: status,
            birdChannelId: channelId, birdWorkspaceId: merged["workspaceId"]?.stringValue, phoneNumberId: phoneNumberId,
            wabaId: merged["wabaId"]?.stringValue, twilioAccountSid: merged["accountSid"]?.stringValue,
            twilioPhoneNumberSid: merged["phoneNumberSid"]?.stringValue,
            credentialsEncrypted: merged.isEmpty ? nil : try ctx.credentials.seal(merged, table: Self.table, rowId: id),
            credentialNames: Array(merged.keys))
        if existing == nil {
            try WhatsAppAccountRepository.insert(db, id: id, organizationId: organizationId, columns, now: now)
        } else {
            try WhatsAppAccountRepository.update(db, id: id, columns, now: now)
        }
        return try WhatsAppAccountRepository.find(db, id: id, organizationId: organizationId)!
    }
}
