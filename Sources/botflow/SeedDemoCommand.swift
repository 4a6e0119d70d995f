import ArgumentParser
import BotFlowAPI
import BotFlowCore
import BotFlowDemo
import BotFlowStorage
import Foundation
import Logging

/// `botflow seed-demo`: fills a fresh data directory with realistic demo data for trying the appliance out and for
/// the load tests (scripts/loadtest). Deterministic for a given --seed and --now.
struct SeedDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Fill a fresh data directory with demo organizations, users, bots, knowledge and a long message history.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Random seed of the generated history.") var seed: UInt64 = 42
    @Option(help: "Organizations (the first, with the demo login, holds half of the conversations).") var organizations = 4
    @Option(help: "Agents per organization besides the owner.") var membersPerOrganization = 2
    @Option(help: "Bots per organization, each created from a seeded template.") var botsPerOrganization = 5
    @Option(help: "Conversations in total.") var conversations = 100_000
    @Option(help: "Mean messages per conversation.") var messagesPerConversation = 10
    @Option(help: "Knowledge articles per bot (uploaded and queued for indexing; the server indexes them at start).")
    var articlesPerBot = 2
    @Option(help: "Days of history before --now.") var days = 30
    @Option(help: "End of the history, ISO-8601 (default: now, to the minute).") var now: String?
    @Option(help: "Email of the demo login.") var demoEmail = "demo@example.com"
    @Option(help: "Password of every demo user.") var demoPassword = "demo-password"

    func run() async throws {
        var settings = try common.settings()
        settings.logLevel = "error"
        var logger = makeLogger(level: "error")
        logger.logLevel = .error
        let nowMs: Int64
        if let now {
            guard let parsed = Timestamp.parse(now) else { throw ValidationError("--now must be an ISO-8601 timestamp like 2026-01-17T10:00:00.000Z") }
            nowMs = parsed
        } else {
            nowMs = SystemClock().nowMilliseconds() / 60_000 * 60_000
        }
        var plan = DemoPlan(nowMilliseconds: nowMs)
        plan.seed = seed
        plan.organizations = organizations
        plan.membersPerOrganization = membersPerOrganization
        plan.botsPerOrganization = botsPerOrganization
        plan.conversations = conversations
        plan.messagesPerConversation = messagesPerConversation
        plan.knowledgeArticlesPerBot = articlesPerBot
        plan.days = days
        plan.demoEmail = demoEmail.lowercased()
        plan.demoPassword = demoPassword
        do { try plan.validate() } catch { throw ValidationError(error.message) }

        // A server holds this lock; seeding underneath a running server is refused like a CLI restore.
        let lock: DataDirectoryLock?
        do {
            try Appliance.createDataDirectory(settings.dataDirectory)
            lock = try DataDirectoryLock.acquire(dataDirectory: settings.dataDirectory)
        } catch { fail("\(error)") }
        guard let lock else { fail("a botflow server is running on \(settings.dataDirectory); stop it first") }
        defer { _ = lock }

        let deps: AppDependencies
        do { deps = try await Appliance.prepare(settings: settings, logger: logger) } catch { fail("\(error)") }
        let seeder = DemoSeeder(database: deps.database, domain: deps.domain, knowledge: deps.knowledge, plan: plan)
        let summary: DemoSummary
        do {
            summary = try await seeder.run { line in print(line) }
        } catch {
            try? deps.database.close()
            fail("\(error)")
        }
        try deps.database.close()
        let size = (try? FileManager.default.attributesOfItem(atPath: settings.databasePath)[.size] as? Int) ?? 0
        print("""
            seeded \(settings.dataDirectory) in \(String(format: "%.1f", summary.seconds)) s (seed \(plan.seed), history until \(Timestamp.format(epochMilliseconds: nowMs))):
              organizations \(summary.organizations), users \(summary.users), whatsapp accounts \(summary.whatsappAccounts), bots \(summary.bots)
              knowledge articles \(summary.knowledgeArticles) (queued; indexed by the server's workers after it starts)
              conversations \(summary.conversations), messages \(summary.messages), conversation_metrics \(summary.conversationMetrics)
              database \(size / 1_048_576) MB
            demo login: \(summary.demoEmail) / \(summary.demoPassword) (organization \(summary.demoOrganizationId)); every user has this password
            """)
    }
}
