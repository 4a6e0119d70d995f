import BotFlowCore
import BotFlowSecurity
import BotFlowStorage
import GRDB

/// Marketplace integrations enabled per bot (api.md M8–M13), organization-scoped through the bot. Credentials are
/// sealed with the row id as additional data (behaviour §5.5) and only ever leave masked.
public struct BotIntegrationService: Sendable {
    let ctx: DomainContext
    public init(_ ctx: DomainContext) { self.ctx = ctx }

    static let table = "bot_integrations"
    public static let statuses = ["active", "inactive", "error", "pending"]
    static let botNotFound = APIError.notFound("Bot not found")
    static let notFound = APIError.notFound("Bot integration not found")

    /// M8: enables the catalogue entry `slug` for `bot_id`, logs the sync and bumps the entry's popularity.
    public func enable(slug: String, body: JSON, identity: Identity) async throws -> BotIntegrationRecord {
        let orgId = try identity.organizationId()
        var v = Validator(body)
        let botId = v.string("bot_id", required: true)
        let credentials = v.object("credentials")
        let configuration = v.object("configuration")
        try v.finish()
        let now = ctx.clock.now()
        let id = Identifiers.uuid()
        let sealed = try seal(credentials, id: id)
        do {
            return try await ctx.database.write { db in
                guard let bot = try BotRepository.find(db, id: botId!, organizationId: orgId) else { throw Self.botNotFound }
                guard let entry = try MarketplaceRepository.find(db, slug: slug) else {
                    throw MarketplaceService.integrationNotFound("Failed to enable integration", slug: slug)
                }
                if try BotIntegrationRepository.find(db, botId: bot.id, integrationId: entry.id) != nil { throw Self.alreadyEnabled }
                try BotIntegrationRepository.insert(db, .init(
                    id: id, botId: bot.id, integrationId: entry.id, organizationId: orgId, credentialsEncrypted: sealed,
                    configuration: .object(configuration ?? [:]), status: "active"), now: now)
                try BotIntegrationRepository.insertLog(db, IntegrationLogRecord(
                    id: Identifiers.uuid(), botIntegrationId: id, eventType: "sync", status: "success",
                    message: "Integration enabled successfully", createdAt: now))
                try MarketplaceRepository.incrementPopularity(db, id: entry.id, now: now)
                return try BotIntegrationRepository.find(db, id: id, organizationId: orgId)!
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            // A concurrent enable of the same pair won the race: the unique index I-74 is the last line.
            throw Self.alreadyEnabled
        }
    }

    static let alreadyEnabled = APIError.withMessage(409, "Failed to enable integration", "Integration already enabled for this bot")

    /// M9: `credentials` and `configuration` replace the stored objects; `status` must be one of the four states.
    public func update(id: String, body: JSON, identity: Identity) async throws -> BotIntegrationRecord {
        let orgId = try identity.organizationId()
        var v = Validator(body)
        let credentials = v.object("credentials")
        let configuration = v.object("configuration")
        let status = v.string("status", oneOf: Self.statuses)
        try v.finish()
        let now = ctx.clock.now()
        let sealed = try seal(credentials, id: id)
        return try await ctx.database.write { db in
            guard let current = try BotIntegrationRepository.find(db, id: id, organizationId: orgId) else {
                throw APIError.withMessage(404, "Failed to update integration", "Bot integration not found")
            }
            try BotIntegrationRepository.update(
                db, id: current.id, organizationId: orgId, credentialsEncrypted: credentials == nil ? current.credentialsEncrypted : sealed,
                configuration: configuration.map(JSON.object) ?? current.configuration, status: status ?? current.status, now: now)
            return try BotIntegrationRepository.find(db, id: id, organizationId: orgId)!
        }
    }

    /// M10: disables (deletes) the bot integration and its logs.
    public func disable(id: String, identity: Identity) async throws {
        let orgId = try identity.organizationId()
        let deleted = try await ctx.database.write { db in try BotIntegrationRepository.delete(db, id: id, organizationId: orgId) }
        if !deleted { throw Self.notFound }
    }

    /// M11: the bot's integrations, newest first.
    public func list(botId: String, identity: Identity) async throws -> [BotIntegrationRecord] {
        let orgId = try identity.organizationId()
        return try await ctx.database.read { db in
            guard try BotRepository.find(db, id: botId, organizationId: orgId) != nil else { throw Self.botNotFound }
            return try BotIntegrationRepository.list(db, botId: botId, organizationId: orgId)
        }
    }

    /// M12.
    public func get(id: String, identity: Identity) async throws -> BotIntegrationRecord {
        let orgId = try identity.organizationId()
        let found = try await ctx.database.read { db in try BotIntegrationRepository.find(db, id: id, organizationId: orgId) }
        guard let found else { throw APIError.withMessage(404, "Failed to get bot integration", "Bot integration not found") }
        return found
    }

    /// M13: `limit` 1–200 (default 50), newest first.
    public func logs(id: String, query: [String: String], identity: Identity) async throws -> [IntegrationLogRecord] {
        let orgId = try identity.organizationId()
        var q = QueryValidator(query)
        let limit = q.limit(default: 50, max: 200)
        try q.finish()
        return try await ctx.database.read { db in
            guard try BotIntegrationRepository.find(db, id: id, organizationId: orgId) != nil else { throw Self.notFound }
            return try BotIntegrationRepository.logs(db, botIntegrationId: id, limit: limit)
        }
    }

    /// The masked credentials of a row (`{}` when none; `{}` too when they were sealed under another server secret).
    public func maskedCredentials(_ r: BotIntegrationRecord) -> JSONObject {
        guard let envelope = r.credentialsEncrypted,
            let plain = try? ctx.credentials.open(envelope, table: Self.table, rowId: r.id)
        else { return [:] }
        return CredentialMasking.mask(plain)
    }

    /// An empty or absent credentials object is stored as NULL.
    private func seal(_ credentials: JSONObject?, id: String) throws -> String? {
        guard let credentials, !credentials.isEmpty else { return nil }
        return try ctx.credentials.seal(credentials, table: Self.table, rowId: id)
    }
}
