import BotFlowCore
import GRDB

/// Seeding of `integration_marketplace` and its `marketplace_verticals` mirror (behaviour §9.7).
public enum MarketplaceSeedRepository {
    public static func insertIfMissing(_ db: Database, _ m: JSON, now: String) throws -> Bool {
        guard let slug = m["slug"].stringValue else { return false }
        let exists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM integration_marketplace WHERE slug = ?)"),
                                       arguments: [slug]) ?? false
        if exists { return false }
        let id = Identifiers.uuid()
        let verticals = m["recommended_for_verticals"].arrayValue?.compactMap(\.stringValue) ?? []
        try db.cachedStatement(sql: """
            INSERT INTO integration_marketplace (id, name, slug, category, description, long_description, icon_url, requires_auth,
                auth_type, recommended_for_verticals, pricing_model, popularity_score, is_featured, is_direct_integration,
                documentation_url, setup_instructions, webhook_url, supported_features, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                id, m["name"].stringValue, slug, m["category"].stringValue, m["description"].stringValue ?? "",
                m["long_description"].stringValue, m["icon_url"].stringValue, m["requires_auth"].boolValue ?? true,
                m["auth_type"].stringValue, JSON.strings(verticals).columnText, m["pricing_model"].stringValue ?? "free",
                m["popularity_score"].integerValue ?? 50, m["is_featured"].boolValue ?? false,
                m["is_direct_integration"].boolValue ?? false, m["documentation_url"].stringValue,
                (m["setup_instructions"].objectValue.map(JSON.object) ?? [:]).columnText, m["webhook_url"].stringValue,
                (m["supported_features"].arrayValue.map(JSON.array) ?? []).columnText, now, now,
            ])
        for vertical in verticals {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO marketplace_verticals (integration_id, vertical) VALUES (?, ?)")
                .execute(arguments: [id, vertical])
        }
        return true
    }
}
