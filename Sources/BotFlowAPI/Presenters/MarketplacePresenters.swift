import BotFlowCore
import BotFlowStorage

/// Wire shapes of api.md §2.11 for the marketplace and connectors. Credentials arrive here already masked.
extension Present {
    static func marketplaceIntegration(_ m: MarketplaceIntegrationRecord) -> JSONObject {
        [
            "id": .string(m.id), "name": .string(m.name), "slug": .string(m.slug), "category": .string(m.category),
            "description": .string(m.description), "long_description": .string(m.longDescription), "icon_url": .string(m.iconURL),
            "requires_auth": .bool(m.requiresAuth), "auth_type": .string(m.authType), "n8n_workflow_template": .null,
            "recommended_for_verticals": m.recommendedForVerticals, "pricing_model": .string(m.pricingModel),
            "popularity_score": .int(m.popularityScore), "is_featured": .bool(m.isFeatured),
            "is_direct_integration": .bool(m.isDirectIntegration), "documentation_url": .string(m.documentationURL),
            "setup_instructions": m.setupInstructions, "webhook_url": .string(m.webhookURL),
            "supported_features": m.supportedFeatures, "n8n_node_name": .null, "created_at": .string(m.createdAt),
            "updated_at": .string(m.updatedAt),
        ]
    }

    static func botIntegration(_ b: BotIntegrationRecord, credentials: JSONObject) -> JSON {
        [
            "id": .string(b.id), "bot_id": .string(b.botId), "integration_id": .string(b.integrationId),
            "integration": [
                "slug": .string(b.integrationSlug), "name": .string(b.integrationName), "category": .string(b.integrationCategory),
                "icon_url": .string(b.integrationIconURL),
            ],
            "n8n_workflow_id": .null, "credentials": .object(credentials), "configuration": b.configuration,
            "status": .string(b.status), "error_message": .string(b.errorMessage), "last_synced_at": .string(b.lastSyncedAt),
            "sync_count": .int(b.syncCount), "created_at": .string(b.createdAt), "updated_at": .string(b.updatedAt),
        ]
    }

    static func integrationLog(_ l: IntegrationLogRecord) -> JSON {
        [
            "id": .string(l.id), "bot_integration_id": .string(l.botIntegrationId), "event_type": .string(l.eventType),
            "status": .string(l.status), "message": .string(l.message), "request_data": l.requestData,
            "response_data": l.responseData, "error_details": l.errorDetails, "duration_ms": .int(l.durationMs),
            "created_at": .string(l.createdAt),
        ]
    }

    static func connectorIntegration(_ i: ConnectorIntegrationRecord, credentials: JSONObject) -> JSON {
        [
            "id": .string(i.id), "organization_id": .string(i.organizationId), "integration_type": .string(i.integrationType),
            "configuration": i.configuration, "credentials": .object(credentials), "n8n_credential_id": .null,
            "whatsapp_account_id": .string(i.whatsappAccountId), "status": .string(i.status), "is_active": .bool(i.isActive),
            "created_at": .string(i.createdAt), "updated_at": .string(i.updatedAt),
        ]
    }
}
