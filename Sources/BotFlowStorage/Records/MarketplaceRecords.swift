import BotFlowCore
import GRDB

/// A catalogue entry (`integration_marketplace`, data-model §2.22).
public struct MarketplaceIntegrationRecord: Sendable {
    public var id: String
    public var name: String
    public var slug: String
    public var category: String
    public var description: String
    public var longDescription: String?
    public var iconURL: String?
    public var requiresAuth: Bool
    public var authType: String?
    public var recommendedForVerticals: JSON
    public var pricingModel: String
    public var popularityScore: Int
    public var isFeatured: Bool
    public var isDirectIntegration: Bool
    public var documentationURL: String?
    public var setupInstructions: JSON
    public var webhookURL: String?
    public var supportedFeatures: JSON
    public var createdAt: String
    public var updatedAt: String

    public init(row: Row) {
        id = row["id"]; name = row["name"]; slug = row["slug"]; category = row["category"]
        description = row["description"]; longDescription = row["long_description"]; iconURL = row["icon_url"]
        requiresAuth = row.bool("requires_auth"); authType = row["auth_type"]
        recommendedForVerticals = row.json("recommended_for_verticals", fallback: [])
        pricingModel = row["pricing_model"]; popularityScore = row["popularity_score"]
        isFeatured = row.bool("is_featured"); isDirectIntegration = row.bool("is_direct_integration")
        documentationURL = row["documentation_url"]; setupInstructions = row.json("setup_instructions", fallback: [:])
        webhookURL = row["webhook_url"]; supportedFeatures = row.json("supported_features", fallback: [])
        createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}

/// A marketplace integration enabled for a bot (`bot_integrations`, §2.23), with the catalogue columns the API
/// embeds (`integration: {slug, name, category, icon_url}`). Credentials stay sealed here.
public struct BotIntegrationRecord: Sendable {
    public var id: String
    public var botId: String
    public var integrationId: String
    public var organizationId: String
    public var credentialsEncrypted: String?
    public var configuration: JSON
    public var status: String
    public var errorMessage: String?
    public var lastSyncedAt: String?
    public var syncCount: Int
    public var createdAt: String
    public var updatedAt: String
    public var integrationSlug: String
    public var integrationName: String
    public var integrationCategory: String
    public var integrationIconURL: String?

    public init(row: Row) {
        id = row["id"]; botId = row["bot_id"]; integrationId = row["integration_id"]; organizationId = row["organization_id"]
        credentialsEncrypted = row["credentials_encrypted"]; configuration = row.json("configuration", fallback: [:])
        status = row["status"]; errorMessage = row["error_message"]; lastSyncedAt = row["last_synced_at"]
        syncCount = row["sync_count"]; createdAt = row["created_at"]; updatedAt = row["updated_at"]
        integrationSlug = row["m_slug"]; integrationName = row["m_name"]; integrationCategory = row["m_category"]
        integrationIconURL = row["m_icon_url"]
    }
}

/// One `integration_logs` row (§2.23).
public struct IntegrationLogRecord: Sendable {
    public var id: String
    public var botIntegrationId: String
    public var eventType: String
    public var status: String
    public var message: String?
    public var requestData: JSON
    public var responseData: JSON
    public var errorDetails: JSON
    public var durationMs: Int?
    public var createdAt: String

    public init(id: String, botIntegrationId: String, eventType: String, status: String, message: String?,
                requestData: JSON = .null, responseData: JSON = .null, errorDetails: JSON = .null, durationMs: Int? = nil,
                createdAt: String) {
        self.id = id; self.botIntegrationId = botIntegrationId; self.eventType = eventType; self.status = status
        self.message = message; self.requestData = requestData; self.responseData = responseData
        self.errorDetails = errorDetails; self.durationMs = durationMs; self.createdAt = createdAt
    }

    public init(row: Row) {
        id = row["id"]; botIntegrationId = row["bot_integration_id"]; eventType = row["event_type"]; status = row["status"]
        message = row["message"]; requestData = row.json("request_data"); responseData = row.json("response_data")
        errorDetails = row.json("error_details"); durationMs = row["duration_ms"]; createdAt = row["created_at"]
    }
}

/// A connector integration (`integrations`, §2.24).
public struct ConnectorIntegrationRecord: Sendable {
    public var id: String
    public var organizationId: String
    public var integrationType: String
    public var configuration: JSON
    public var credentialsEncrypted: String?
    public var whatsappAccountId: String?
    public var status: String
    public var isActive: Bool
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, organizationId: String, integrationType: String, configuration: JSON, credentialsEncrypted: String?,
                whatsappAccountId: String?, status: String, isActive: Bool, createdAt: String, updatedAt: String) {
        self.id = id; self.organizationId = organizationId; self.integrationType = integrationType
        self.configuration = configuration; self.credentialsEncrypted = credentialsEncrypted
        self.whatsappAccountId = whatsappAccountId; self.status = status; self.isActive = isActive
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public init(row: Row) {
        id = row["id"]; organizationId = row["organization_id"]; integrationType = row["integration_type"]
        configuration = row.json("configuration", fallback: [:]); credentialsEncrypted = row["credentials_encrypted"]
        whatsappAccountId = row["whatsapp_account_id"]; status = row["status"]; isActive = row.bool("is_active")
        createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}
