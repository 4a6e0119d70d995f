import BotFlowCore
import BotFlowStorage
import GRDB

/// Rows in the five tables a backup manifest counts (organizations, bots, conversations, messages, knowledge
/// articles), inserted straight into a real migrated database, for backup and restore tests.
public enum SampleRows {
    /// One organization with a sandbox WhatsApp account, `bots` bots (one knowledge article each) and
    /// `conversations` conversations of `messages` messages each. Returns the organization id.
    @discardableResult
    public static func insertOrganization(_ database: AppDatabase, name: String = "Cape Shuttle Co", bots: Int = 2, conversations: Int = 3,
                                          messages: Int = 4) async throws -> String {
        let org = Identifiers.uuid()
        try await database.write { db in
            try db.execute(sql: "INSERT INTO organizations (id, name, slug) VALUES (?, ?, ?)", arguments: [org, name, "org-\(org.prefix(8))"])
            let account = Identifiers.uuid()
            try db.execute(sql: "INSERT INTO whatsapp_accounts (id, organization_id, provider, phone_number) VALUES (?, ?, 'sandbox', ?)",
                           arguments: [account, org, "+2782\(Int.random(in: 1_000_000...9_999_999))"])
            var botIds: [String] = []
            for n in 0..<bots {
                let bot = Identifiers.uuid()
                botIds.append(bot)
                try db.execute(sql: "INSERT INTO bots (id, organization_id, name) VALUES (?, ?, ?)", arguments: [bot, org, "Bot \(n)"])
                try db.execute(sql: "INSERT INTO knowledge_base_articles (id, bot_id, organization_id, title, content) VALUES (?, ?, ?, ?, ?)",
                               arguments: [Identifiers.uuid(), bot, org, "Timetable \(n)", "Shuttles leave every hour."])
            }
            for c in 0..<conversations {
                let conversation = Identifiers.uuid()
                try db.execute(sql: """
                    INSERT INTO conversations (id, organization_id, bot_id, whatsapp_account_id, customer_phone) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [conversation, org, botIds.first, account, "+2783000\(1000 + c)"])
                for m in 0..<messages {
                    try insertMessage(db, conversation: conversation, organization: org, account: account, text: "message \(m)")
                }
            }
        }
        return org
    }

    /// One more message in an existing conversation of `organization` (concurrent-write tests).
    public static func insertMessage(_ db: Database, conversation: String, organization: String, account: String, text: String) throws {
        try db.execute(sql: """
            INSERT INTO messages (id, conversation_id, organization_id, whatsapp_account_id, direction, content, status)
            VALUES (?, ?, ?, ?, 'inbound', ?, 'delivered')
            """, arguments: [Identifiers.uuid(), conversation, organization, account, text])
    }

    /// The five counts, keyed like a manifest's `row_counts`.
    public static func counts(_ database: AppDatabase) async throws -> [String: Int] {
        try await database.read { db in
            var counts: [String: Int] = [:]
            for table in ["organizations", "bots", "conversations", "messages", "knowledge_base_articles"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            }
            return counts
        }
    }
}
