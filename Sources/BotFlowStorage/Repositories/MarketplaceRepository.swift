import BotFlowCore
import GRDB

/// Reads of the global marketplace catalogue (api.md M1–M7) over `integration_marketplace`, its vertical mirror and
/// the `marketplace_fts` index.
public enum MarketplaceRepository {
    /// M1 filters; nil means "not filtered".
    public struct Filter: Sendable {
        public var category: String?
        public var vertical: String?
        public var search: String?
        public var featured: Bool?
        public init(category: String? = nil, vertical: String? = nil, search: String? = nil, featured: Bool? = nil) {
            self.category = category; self.vertical = vertical; self.search = search; self.featured = featured
        }
    }

    /// The catalogue order of M1 (index I-71); `slug` breaks name ties so pages never overlap.
    static let order = "ORDER BY m.is_featured DESC, m.popularity_score DESC, m.name ASC, m.slug ASC"

    private static func whereClause(_ f: Filter) -> (sql: String, arguments: StatementArguments) {
        var parts: [String] = []
        var arguments: StatementArguments = []
        if let c = f.category { parts.append("m.category = ?"); arguments += [c] }
        if let v = f.vertical {
            parts.append("EXISTS (SELECT 1 FROM marketplace_verticals mv WHERE mv.integration_id = m.id AND mv.vertical = ?)")
            arguments += [v]
        }
        if let featured = f.featured { parts.append("m.is_featured = ?"); arguments += [featured] }
        if let s = f.search {
            // A plain substring test: no LIKE wildcards to escape and no LIKE pattern-length limit (a long pattern is
            // an SQLite error). SQLite's lower() folds ASCII only, so both sides are folded the same way.
            parts.append("(instr(lower(m.name), lower(?)) > 0 OR instr(lower(m.description), lower(?)) > 0)")
            arguments += [s, s]
        }
        return (parts.isEmpty ? "" : "WHERE " + parts.joined(separator: " AND "), arguments)
    }

    /// One page of the filtered catalogue and the full match count.
    public static func page(_ db: Database, filter: Filter, page: Int, perPage: Int) throws -> (items: [MarketplaceIntegrationRecord], total: Int) {
        let (clause, arguments) = whereClause(filter)
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM integration_marketplace m \(clause)", arguments: arguments) ?? 0
        var pageArguments = arguments
        pageArguments += [perPage, (page - 1) * perPage]
        let rows = try Row.fetchAll(db, sql: "SELECT m.* FROM integration_marketplace m \(clause) \(order) LIMIT ? OFFSET ?",
                                    arguments: pageArguments)
        return (rows.map(MarketplaceIntegrationRecord.init), total)
    }

    /// Every entry recommended for a vertical, in catalogue order (M7).
    public static func recommended(_ db: Database, vertical: String) throws -> [MarketplaceIntegrationRecord] {
        let (clause, arguments) = whereClause(Filter(vertical: vertical))
        return try Row.fetchAll(db, sql: "SELECT m.* FROM integration_marketplace m \(clause) \(order)", arguments: arguments)
            .map(MarketplaceIntegrationRecord.init)
    }

    /// M2: categories with at least one entry, alphabetical (code-point order).
    public static func categoryCounts(_ db: Database) throws -> [(category: String, count: Int)] {
        try Row.fetchAll(db, sql: "SELECT category, count(*) AS n FROM integration_marketplace GROUP BY category ORDER BY category")
            .map { row in (category: row["category"] as String, count: row["n"] as Int) }
    }

    /// M3: total and featured counts.
    public static func counts(_ db: Database) throws -> (total: Int, featured: Int) {
        let row = try Row.fetchOne(db, sql: "SELECT count(*) AS t, coalesce(sum(is_featured), 0) AS f FROM integration_marketplace")!
        return (total: row["t"] as Int, featured: row["f"] as Int)
    }

    /// M5: full-text match on name and description, every word a prefix match, best (bm25) first.
    public static func search(_ db: Database, words: [String], limit: Int = 20) throws -> [MarketplaceIntegrationRecord] {
        guard !words.isEmpty else { return [] }
        // Each word is quoted (no FTS5 operators can be injected) and prefix-matched; juxtaposition means AND.
        let match = words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " ")
        return try Row.fetchAll(db, sql: """
            SELECT m.* FROM marketplace_fts JOIN integration_marketplace m ON m.row_no = marketplace_fts.rowid
            WHERE marketplace_fts MATCH ?
            ORDER BY bm25(marketplace_fts), m.is_featured DESC, m.popularity_score DESC, m.name ASC
            LIMIT ?
            """, arguments: [match, limit]).map(MarketplaceIntegrationRecord.init)
    }

    public static func find(_ db: Database, slug: String) throws -> MarketplaceIntegrationRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT m.* FROM integration_marketplace m WHERE m.slug = ?"), arguments: [slug])
            .map(MarketplaceIntegrationRecord.init)
    }

    /// M8 side effect: one more bot uses the integration.
    public static func incrementPopularity(_ db: Database, id: String, now: String) throws {
        try db.cachedStatement(sql: "UPDATE integration_marketplace SET popularity_score = popularity_score + 1, updated_at = ? WHERE id = ?")
            .execute(arguments: [now, id])
    }
}
