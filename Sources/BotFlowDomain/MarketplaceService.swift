import BotFlowCore
import BotFlowStorage

/// The global marketplace catalogue (api.md M1–M7): validated queries over the seeded entries.
public struct MarketplaceService: Sendable {
    let ctx: DomainContext
    public init(_ ctx: DomainContext) { self.ctx = ctx }

    /// A validated M1 query and its canonical cache-key form (behaviour §3.3: parameters sorted, defaults filled).
    public struct ListQuery: Sendable, Equatable {
        public var filter: MarketplaceRepository.Filter
        public var page: Int
        public var perPage: Int

        public var canonical: String {
            var pairs: [(String, String)] = [("page", String(page)), ("per_page", String(perPage))]
            if let c = filter.category { pairs.append(("category", c)) }
            if let v = filter.vertical { pairs.append(("vertical", v)) }
            if let s = filter.search { pairs.append(("search", s)) }
            if let f = filter.featured { pairs.append(("featured", f ? "true" : "false")) }
            return pairs.sorted { $0.0 < $1.0 }.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        }

        /// Keeps two different queries from sharing a key (`a&b=c` as one value).
        static func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "&", with: "%26").replacingOccurrences(of: "=", with: "%3D")
        }

        public static func == (a: ListQuery, b: ListQuery) -> Bool { a.canonical == b.canonical }
    }

    /// Longer search texts cannot match a catalogue name or description anyway; refusing them keeps the query cheap.
    public static let maximumSearchLength = 200

    /// `page` ≥ 1 (default 1), `per_page` 1–100 (default 20), `featured` `true|false`, `search` ≤ 200 characters; empty
    /// filters are no filter.
    public static func parseListQuery(_ query: [String: String]) throws(APIError) -> ListQuery {
        var v = QueryValidator(query)
        let featured = v.oneOf("featured", ["true", "false"]).map { $0 == "true" }
        var issues = v.issues
        func integer(_ key: String, default value: Int, max: Int?) -> Int {
            guard let raw = query[key] else { return value }
            guard let n = Int(raw), n >= 1, max.map({ n <= $0 }) ?? true else {
                let range = max.map { "between 1 and \($0)" } ?? "of at least 1"
                // §1.5: `invalid_type` for a non-integer, `too_small`/`too_big` for one out of range.
                let code: IssueCode = Int(raw) == nil ? .invalid_type : (Int(raw)! < 1 ? .too_small : .too_big)
                issues.append(ValidationIssue(path: [.key(key)], message: "\(key) must be an integer \(range)", code: code))
                return value
            }
            return n
        }
        if let search = query["search"], search.unicodeScalars.count > Self.maximumSearchLength {
            issues.append(ValidationIssue(path: [.key("search")], message: "search must be at most \(Self.maximumSearchLength) characters",
                                          code: .too_big))
        }
        let page = integer("page", default: 1, max: nil)
        let perPage = integer("per_page", default: 20, max: 100)
        if !issues.isEmpty { throw APIError.validation(issues) }
        func nonEmpty(_ key: String) -> String? {
            guard let raw = query[key]?.trimmingWhitespace(), !raw.isEmpty else { return nil }
            return raw
        }
        return ListQuery(filter: .init(category: nonEmpty("category"), vertical: nonEmpty("vertical"), search: nonEmpty("search"),
                                       featured: featured),
                         page: page, perPage: perPage)
    }

    public func list(_ q: ListQuery) async throws -> (items: [MarketplaceIntegrationRecord], total: Int) {
        // Offsets past any real catalogue are clamped rather than overflowing.
        let page = min(q.page, Int(Int32.max) / q.perPage)
        return try await ctx.database.read { db in try MarketplaceRepository.page(db, filter: q.filter, page: page, perPage: q.perPage) }
    }

    public func categories() async throws -> [(category: String, count: Int)] {
        try await ctx.database.read { db in try MarketplaceRepository.categoryCounts(db) }
    }

    public func counts() async throws -> (total: Int, featured: Int) {
        try await ctx.database.read { db in try MarketplaceRepository.counts(db) }
    }

    public static let searchQueryRequired = APIError.withMessage(400, "Search query is required", "Please provide a search query (q parameter)")

    /// M5: every word of `q` must prefix-match a word of the name or description; at most 20, best first.
    public func search(_ q: String?) async throws -> [MarketplaceIntegrationRecord] {
        guard let q, !q.trimmingWhitespace().isEmpty else { throw Self.searchQueryRequired }
        let words = Self.words(q)
        return try await ctx.database.read { db in try MarketplaceRepository.search(db, words: words) }
    }

    /// Splits like FTS5's unicode61 tokenizer: runs of letters and digits.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current)); current = .init()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    public static func integrationNotFound(_ error: String, slug: String) -> APIError {
        .withMessage(404, error, "Integration not found: \(slug)")
    }

    public func get(slug: String) async throws -> MarketplaceIntegrationRecord {
        let found = try await ctx.database.read { db in try MarketplaceRepository.find(db, slug: slug) }
        guard let found else { throw Self.integrationNotFound("Failed to get integration", slug: slug) }
        return found
    }

    /// One M7 entry: the catalogue row and, when the bot has it, its bot integration.
    public struct Recommendation: Sendable {
        public let integration: MarketplaceIntegrationRecord
        public let botIntegration: BotIntegrationRecord?
    }

    /// M7: entries recommended for the bot's vertical (`config.vertical`, else `task_type`), in catalogue order.
    public func recommended(botId: String, identity: Identity) async throws -> [Recommendation] {
        let orgId = try identity.organizationId()
        return try await ctx.database.read { db in
            guard let bot = try BotRepository.find(db, id: botId, organizationId: orgId) else { throw APIError.notFound("Bot not found") }
            let configured = bot.config["vertical"].stringValue.map { $0.trimmingWhitespace() } ?? ""
            let vertical = configured.isEmpty ? bot.taskType : configured
            return try MarketplaceRepository.recommended(db, vertical: vertical).map { m in
                Recommendation(integration: m, botIntegration: try BotIntegrationRepository.find(db, botId: bot.id, integrationId: m.id))
            }
        }
    }
}
