import BotFlowCore
import BotFlowSecurity
import BotFlowStorage
import GRDB

/// Connector integrations I1–I3 (api.md §4.11): organization-scoped credential sets, sealed at rest with
/// `integrations:<id>` as additional data and masked in every response. A `whatsapp` connector also connects a
/// WhatsApp account exactly like W2, in the same transaction.
public struct ConnectorIntegrationService: Sendable {
    let ctx: DomainContext
    public init(_ ctx: DomainContext) { self.ctx = ctx }

    static let table = "integrations"
    public static let types = ["whatsapp", "google_sheets", "stripe", "openai"]
    static let notFound = APIError.notFound("Integration not found")

    public func list(identity: Identity) async throws -> [ConnectorIntegrationRecord] {
        let orgId = try identity.organizationId()
        return try await ctx.database.read { db in try ConnectorIntegrationRepository.list(db, organizationId: orgId) }
    }

    /// A validated I2 body.
    struct CreateRequest {
        var type: String
        var name: String
        var credentials: JSONObject
        /// Set for `whatsapp`: the account to connect.
        var connect: WhatsAppAccountService.ConnectRequest?
    }

    static func parseCreate(_ body: JSON) throws(APIError) -> CreateRequest {
        var v = Validator(body)
        let type = v.string("type", required: true, oneOf: types)
        let name = v.string("name", required: true, min: 1, max: 100)
        let credentials = v.object("credentials", required: true)
        var connect: WhatsAppAccountService.ConnectRequest?
        if type == "whatsapp", let credentials, let name {
            connect = v.nested("credentials") { c in Self.parseWhatsApp(&c, credentials: credentials, name: name) } ?? nil
        }
        try v.finish()
        return CreateRequest(type: type!, name: name!, credentials: credentials!, connect: connect)
    }

    /// `provider` (default `meta`), `phoneNumber` (required, E.164) and only that provider's W2 keys as secrets.
    private static func parseWhatsApp(_ c: inout Validator, credentials: JSONObject, name: String) -> WhatsAppAccountService.ConnectRequest? {
        let provider = c.has("provider") ? c.string("provider", oneOf: WhatsAppAccountService.providers) : "meta"
        var phone: String?
        if let raw = c.string("phoneNumber", required: true) {
            let stripped = Formats.stripWhatsAppPrefix(raw)
            if Formats.isE164(stripped) { phone = stripped } else { c.fail("phoneNumber", "Invalid phone number (E.164 expected)", .invalid_string) }
        }
        guard let provider, let phone else { return nil }
        var secrets = JSONObject()
        for key in WhatsAppAccountService.credentialKeys[provider]!.all where credentials[key] != nil {
            if let s = c.string(key, min: 1, max: 4096) { secrets[key] = .string(s) }
        }
        guard c.isValid else { return nil }
        return WhatsAppAccountService.ConnectRequest(provider: provider, phoneNumber: phone, displayName: name, credentials: secrets)
    }

    /// I2: stores the connector as `connected`; for `whatsapp` the account is upserted first (W2's 409s apply).
    public func create(_ body: JSON, identity: Identity) async throws -> ConnectorIntegrationRecord {
        let orgId = try identity.organizationId()
        let r = try Self.parseCreate(body)
        let now = ctx.clock.now()
        let id = Identifiers.uuid()
        // The WhatsApp connector keeps only the provider's secret keys, like the account it connects.
        let secrets = r.connect?.credentials ?? r.credentials
        let sealed = secrets.isEmpty ? nil : try ctx.credentials.seal(secrets, table: Self.table, rowId: id)
        let accounts = WhatsAppAccountService(ctx)
        return try await ctx.database.write { db in
            let account = try r.connect.map { try accounts.upsert(db, $0, organizationId: orgId, now: now) }
            let record = ConnectorIntegrationRecord(
                id: id, organizationId: orgId, integrationType: r.type, configuration: ["name": .string(r.name)],
                credentialsEncrypted: sealed, whatsappAccountId: account?.id, status: "connected", isActive: true,
                createdAt: now, updatedAt: now)
            try ConnectorIntegrationRepository.insert(db, record)
            return record
        }
    }

    /// I3: the linked WhatsApp account, if any, is kept.
    public func delete(id: String, identity: Identity) async throws {
        let orgId = try identity.organizationId()
        let deleted = try await ctx.database.write { db in try ConnectorIntegrationRepository.delete(db, id: id, organizationId: orgId) }
        if !deleted { throw Self.notFound }
    }

    public func maskedCredentials(_ r: ConnectorIntegrationRecord) -> JSONObject {
        guard let envelope = r.credentialsEncrypted,
            let plain = try? ctx.credentials.open(envelope, table: Self.table, rowId: r.id)
        else { return [:] }
        return CredentialMasking.mask(plain)
    }
}
