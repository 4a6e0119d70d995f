import BotFlowCore
import BotFlowTestSupport
import Foundation
import Testing

/// api.md M1–M6 and M4 over the seeded catalogue of behaviour §9.7; cache keys and tiers of behaviour §3.3.
@Suite struct MarketplaceCatalogueTests {
    static let featuredOrder = ["google-calendar", "google-sheets", "paystack", "shopify"]
    static let restOrder = ["airtable", "calendly", "gmail", "google-analytics", "hubspot", "salesforce", "shiplogic", "slack", "stripe",
                            "woocommerce", "wordpress"]

    @Test func listIsTheWholeSeededCatalogueInCatalogueOrder() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.get, "/api/marketplace")
            #expect(r.status == 200)
            #expect(r.header("X-Cache") == "MISS")
            #expect(keys(r.json) == ["integrations", "total", "page", "per_page"])
            #expect(r.json["total"] == 15)
            #expect(r.json["page"] == 1)
            #expect(r.json["per_page"] == 20)
            let items = r.json["integrations"].arrayValue ?? []
            #expect(items.map { $0["slug"].stringValue ?? "" } == Self.featuredOrder + Self.restOrder)
            let shopify = try #require(items.first { $0["slug"] == "shopify" })
            #expect(keys(shopify) == marketplaceKeys)
            #expect(Identifiers.isUUID(shopify["id"].stringValue ?? ""))
            #expect(shopify["name"] == "Shopify")
            #expect(shopify["category"] == "ecommerce")
            #expect(shopify["auth_type"] == "api_key")
            #expect(shopify["pricing_model"] == "paid")
            #expect(shopify["requires_auth"] == true)
            #expect(shopify["is_featured"] == true)
            #expect(shopify["popularity_score"] == 50)
            #expect(shopify["recommended_for_verticals"] == ["ecommerce", "retail"])
            #expect(shopify["setup_instructions"]["required_fields"] == ["store_url", "api_key"])
            #expect(shopify["n8n_workflow_template"] == .null)
            #expect(shopify["n8n_node_name"] == .null)
            #expect(isTimestamp(shopify["created_at"].stringValue))

            let again = try await client.call(.get, "/api/marketplace")
            #expect(again.header("X-Cache") == "HIT")
            #expect(again.body == r.body)
            // Defaults filled: the explicit defaults are the same key.
            let explicit = try await client.call(.get, "/api/marketplace?per_page=20&page=1")
            #expect(explicit.header("X-Cache") == "HIT")
        }
    }

    @Test func pagesSliceTheOrderAndTotalCountsEveryMatch() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let second = try await client.call(.get, "/api/marketplace?page=2&per_page=4")
            #expect(second.status == 200)
            #expect(second.json["total"] == 15)
            #expect(second.json["page"] == 2)
            #expect(second.json["per_page"] == 4)
            #expect(slugs(second, "integrations") == Array(Self.restOrder[0..<4]))
            let last = try await client.call(.get, "/api/marketplace?page=4&per_page=4")
            #expect(slugs(last, "integrations") == Array(Self.restOrder[8...]))
            let beyond = try await client.call(.get, "/api/marketplace?page=9&per_page=4")
            #expect(slugs(beyond, "integrations") == [])
            #expect(beyond.json["total"] == 15)
            let huge = try await client.call(.get, "/api/marketplace?page=999999999999&per_page=100")
            #expect(huge.status == 200)
            #expect(slugs(huge, "integrations") == [])
            let one = try await client.call(.get, "/api/marketplace?per_page=1&featured=false")
            #expect(slugs(one, "integrations") == ["airtable"])
            #expect(one.json["total"] == 11)
        }
    }

    @Test func badPagingOrFeaturedValuesAre400() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            for (query, path) in [("page=0", "page"), ("page=abc", "page"), ("page=1.5", "page"), ("per_page=0", "per_page"),
                                  ("per_page=101", "per_page"), ("per_page=", "per_page"), ("featured=yes", "featured")] {
                let r = try await client.call(.get, "/api/marketplace?\(query)")
                #expect(r.status == 400, "\(query)")
                #expect(r.json["error"] == "Validation error", "\(query)")
                #expect(r.json["details"][0]["path"] == .array([.string(path)]), "\(query)")
            }
            let both = try await client.call(.get, "/api/marketplace?page=-1&per_page=500&featured=1")
            #expect(issueList(both) == [#"["featured"] invalid_enum_value"#, #"["page"] too_small"#, #"["per_page"] too_big"#])
            let words = try await client.call(.get, "/api/marketplace?page=x&per_page=1.5")
            #expect(issueList(words) == [#"["page"] invalid_type"#, #"["per_page"] invalid_type"#])
            // A search text past 200 characters is refused (SQLite refuses LIKE patterns past 50 000 bytes: a 500 before).
            let long = try await client.call(.get, "/api/marketplace?search=\(String(repeating: "a", count: 60_000))")
            #expect(long.status == 400)
            #expect(issueList(long) == [#"["search"] too_big"#])
            let mixedCase = try await client.call(.get, "/api/marketplace?search=gOoGlE%20cAlEnDaR")
            #expect(mixedCase.status == 200)
            #expect(mixedCase.json["integrations"].arrayValue?.isEmpty == false)
        }
    }

    @Test func filtersCombineAndShareNoCacheEntries() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let payment = try await client.call(.get, "/api/marketplace?category=payment")
            #expect(slugs(payment, "integrations") == ["paystack", "stripe"])
            #expect(payment.json["total"] == 2)
            let ecommerce = try await client.call(.get, "/api/marketplace?vertical=ecommerce")
            #expect(slugs(ecommerce, "integrations") == ["paystack", "shopify", "google-analytics", "shiplogic", "stripe", "woocommerce", "wordpress"])
            let featured = try await client.call(.get, "/api/marketplace?featured=true")
            #expect(slugs(featured, "integrations") == Self.featuredOrder)
            let search = try await client.call(.get, "/api/marketplace?search=PAY")
            #expect(slugs(search, "integrations") == ["paystack", "stripe"])
            let descriptionOnly = try await client.call(.get, "/api/marketplace?search=couriers")
            #expect(slugs(descriptionOnly, "integrations") == ["shiplogic"])
            // `%` and `_` are text, not wildcards.
            let wildcard = try await client.call(.get, "/api/marketplace?search=%25")
            #expect(slugs(wildcard, "integrations") == [])
            let combined = try await client.call(.get, "/api/marketplace?vertical=retail&category=payment&featured=true")
            #expect(slugs(combined, "integrations") == ["paystack"])
            #expect(combined.json["total"] == 1)
            let unknown = try await client.call(.get, "/api/marketplace?category=weather")
            #expect(unknown.status == 200)
            #expect(unknown.json["total"] == 0)
            // Different queries are different keys; parameter order does not matter.
            let reordered = try await client.call(.get, "/api/marketplace?featured=true&category=payment&vertical=retail")
            #expect(reordered.header("X-Cache") == "HIT")
            #expect(reordered.body == combined.body)
        }
    }

    @Test func categoriesAndStats() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let c = try await client.call(.get, "/api/marketplace/categories")
            #expect(c.status == 200)
            #expect(c.header("X-Cache") == "MISS")
            #expect(c.json == ["categories": [
                ["category": "analytics", "count": 1], ["category": "calendar", "count": 2], ["category": "communication", "count": 2],
                ["category": "crm", "count": 2], ["category": "ecommerce", "count": 2], ["category": "payment", "count": 2],
                ["category": "productivity", "count": 3], ["category": "specialized", "count": 1],
            ]])
            #expect(try await client.call(.get, "/api/marketplace/categories").header("X-Cache") == "HIT")
            let s = try await client.call(.get, "/api/marketplace/stats")
            #expect(s.status == 200)
            #expect(s.text == #"{"database":{"total":15,"featured":4},"n8n":{"total":0,"featured":0,"byCategory":{}},"combined":{"total":15,"potential":0}}"#)
            #expect(try await client.call(.get, "/api/marketplace/stats").header("X-Cache") == "HIT")
        }
    }

    @Test func fullTextSearchPrefixMatchesEveryWord() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let pay = try await client.call(.get, "/api/marketplace/search?q=pay")
            #expect(pay.status == 200)
            #expect(keys(pay.json) == ["results", "total", "query"])
            #expect(slugs(pay, "results") == ["paystack", "stripe"])
            #expect(pay.json["total"] == 2)
            #expect(pay.json["query"] == "pay")
            #expect(pay.header("X-Cache") == "MISS")
            #expect(try await client.call(.get, "/api/marketplace/search?q=pay").header("X-Cache") == "HIT")
            // Every word must match: "google" alone matches three entries, "google cal" only one.
            let google = try await client.call(.get, "/api/marketplace/search?q=google")
            #expect(Set(slugs(google, "results")) == ["google-calendar", "google-sheets", "google-analytics"])
            let two = try await client.call(.get, "/api/marketplace/search?q=Google%20cal")
            #expect(slugs(two, "results") == ["google-calendar"])
            #expect(two.json["query"] == "Google cal")
            // Words of the description match too; punctuation and FTS syntax are plain text.
            #expect(slugs(try await client.call(.get, "/api/marketplace/search?q=stock"), "results") == ["shopify"])
            let syntax = try await client.call(.get, "/api/marketplace/search?q=%22shop%22%20OR%20NEAR(")
            #expect(syntax.status == 200)
            #expect(slugs(syntax, "results") == [])
            let none = try await client.call(.get, "/api/marketplace/search?q=xylophone")
            #expect(none.json == ["results": [], "total": 0, "query": "xylophone"])
            // At most 20 and best first: "whatsapp" is in nine descriptions.
            let many = try await client.call(.get, "/api/marketplace/search?q=whatsapp")
            #expect(slugs(many, "results").count == 9)
        }
    }

    @Test func searchWithoutAQueryIs400() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            for path in ["/api/marketplace/search", "/api/marketplace/search?q=", "/api/marketplace/search?q=%20%20"] {
                let r = try await client.call(.get, path)
                #expect(r.status == 400, "\(path)")
                #expect(r.text == #"{"error":"Search query is required","message":"Please provide a search query (q parameter)"}"#, "\(path)")
            }
        }
    }

    @Test func oneEntryBySlug() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.get, "/api/marketplace/google-calendar")
            #expect(r.status == 200)
            #expect(keys(r.json) == marketplaceKeys)
            #expect(r.json["slug"] == "google-calendar")
            #expect(r.json["auth_type"] == "oauth")
            #expect(r.json["setup_instructions"]["required_fields"] == .null)
            #expect(r.header("X-Cache") == "MISS")
            #expect(try await client.call(.get, "/api/marketplace/google-calendar").header("X-Cache") == "HIT")
            let missing = try await client.call(.get, "/api/marketplace/teams")
            #expect(missing.status == 404)
            #expect(missing.text == #"{"error":"Failed to get integration","message":"Integration not found: teams"}"#)
        }
    }

    @Test func refreshCacheNeedsATokenAndDropsEveryMarketplaceEntry() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            _ = try await client.call(.get, "/api/marketplace")
            _ = try await client.call(.get, "/api/marketplace/stats")
            _ = try await client.call(.get, "/api/templates")
            #expect(try await client.call(.post, "/api/marketplace/refresh-cache").status == 401)
            #expect(try await client.call(.get, "/api/marketplace").header("X-Cache") == "HIT")
            let r = try await client.call(.post, "/api/marketplace/refresh-cache", token: owner.token)
            #expect(r.status == 200)
            #expect(r.text == #"{"message":"Cache refreshed successfully","n8n_integrations_count":0}"#)
            #expect(try await client.call(.get, "/api/marketplace").header("X-Cache") == "MISS")
            #expect(try await client.call(.get, "/api/marketplace/stats").header("X-Cache") == "MISS")
            // Only `marketplace:` entries go.
            #expect(try await client.call(.get, "/api/templates").header("X-Cache") == "HIT")
        }
    }
}

let marketplaceKeys: Set<String> = [
    "id", "name", "slug", "category", "description", "long_description", "icon_url", "requires_auth", "auth_type",
    "n8n_workflow_template", "recommended_for_verticals", "pricing_model", "popularity_score", "is_featured",
    "is_direct_integration", "documentation_url", "setup_instructions", "webhook_url", "supported_features", "n8n_node_name",
    "created_at", "updated_at",
]

func slugs(_ r: TestResult, _ key: String) -> [String] {
    (r.json[key].arrayValue ?? []).map { $0["slug"].stringValue ?? "?" }
}
