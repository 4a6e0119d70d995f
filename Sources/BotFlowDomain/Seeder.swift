import BotFlowCore
import BotFlowSeed
import BotFlowStorage
import GRDB

/// Startup seeding (behaviour §1.3 step 3): inserts the templates and marketplace entries that are missing, never
/// overwriting what an operator changed.
public enum Seeder {
    public struct Result: Sendable { public var templatesInserted = 0; public var marketplaceInserted = 0 }

    public static func run(_ database: AppDatabase, clock: any AppClock) async throws -> Result {
        let templates = try JSONParser.parse(Seed.templatesJSON).arrayValue ?? []
        let marketplace = try JSONParser.parse(Seed.marketplaceJSON).arrayValue ?? []
        let now = clock.now()
        return try await database.write { db in
            var result = Result()
            for t in templates {
                let record = TemplateRecord(
                    id: Identifiers.uuid(), name: t["name"].stringValue ?? "", vertical: t["vertical"].stringValue ?? "",
                    tier: Int(t["tier"].integerValue ?? 3), description: t["description"].stringValue ?? "",
                    tagline: t["tagline"].stringValue, icon: t["icon"].stringValue, requiredFields: t["required_fields"],
                    conversationFlow: t["conversation_flow"], examplePrompts: t["example_prompts"], integrations: t["integrations"],
                    isPublished: true, version: 1, createdBy: nil, createdAt: now, updatedAt: now)
                if try TemplateRepository.insertIfMissing(db, record) { result.templatesInserted += 1 }
            }
            for m in marketplace {
                if try MarketplaceSeedRepository.insertIfMissing(db, m, now: now) { result.marketplaceInserted += 1 }
            }
            return result
        }
    }
}
