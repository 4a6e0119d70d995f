import BotFlowCore
import BotFlowDomain
import BotFlowKnowledge
import BotFlowStorage
import Foundation
import GRDB

public struct DemoSeedError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// `botflow seed-demo`: organizations, users, sandbox accounts and bots made through the domain services (so they
/// are exactly what the API would make), knowledge articles uploaded and queued for indexing through the knowledge
/// service, then the bulk history — conversations, messages and their metrics — with prepared statements in large
/// transactions. Refuses a data directory that already has users.
public struct DemoSeeder: Sendable {
    let database: AppDatabase
    let domain: DomainContext
    let knowledge: KnowledgeRuntime
    let plan: DemoPlan

    public init(database: AppDatabase, domain: DomainContext, knowledge: KnowledgeRuntime, plan: DemoPlan) {
        self.database = database; self.domain = domain; self.knowledge = knowledge; self.plan = plan
    }

    public func run(progress: @Sendable (String) -> Void = { _ in }) async throws -> DemoSummary {
        try plan.validate()
        let started = monotonicSeconds()
        let users = try await database.read { db in try UserRepository.count(db) }
        guard users == 0 else {
            throw DemoSeedError("the data directory already has \(users) user(s); seed-demo fills only a fresh data directory (use a new --data-dir)")
        }
        // Accounts and bots exist a week before the history starts.
        let clock = FixedClock(plan.nowMilliseconds - Int64(plan.days + 7) * 86_400_000)
        let ctx = DomainContext(database: database, clock: clock, settings: domain.settings, passwords: domain.passwords,
                                tokens: domain.tokens, credentials: domain.credentials)
        let articles = KnowledgeService(database: database, clock: clock, settings: domain.settings, searcher: knowledge.searcher,
                                        cache: knowledge.cache, wakeJobs: {})
        var source = SeededSource(seed: plan.seed)
        var summary = DemoSummary()
        summary.demoEmail = plan.demoEmail
        summary.demoPassword = plan.demoPassword

        let templates = try await TemplateService(ctx).listPublished()
        guard !templates.isEmpty else { throw DemoSeedError("no published templates (the startup seed did not run)") }
        let memberHash = await ctx.passwords.hash(plan.demoPassword)
        var tenants: [ConversationGenerator.Tenant] = []
        var nextIndex = 0
        for o in 0..<plan.organizations {
            clock.set(clock.nowMilliseconds() + 60_000)
            let base = DemoCatalogue.organizationNames[o % DemoCatalogue.organizationNames.count]
            let name = o < DemoCatalogue.organizationNames.count ? base : "\(base) \(o / DemoCatalogue.organizationNames.count + 1)"
            let ownerFirst = DemoCatalogue.firstNames[o % DemoCatalogue.firstNames.count]
            let email = o == 0 ? plan.demoEmail : "owner\(o + 1)@example.com"
            let session = try await AuthService(ctx).signup([
                "email": .string(email), "password": .string(plan.demoPassword),
                "fullName": .string("\(ownerFirst) \(DemoCatalogue.lastNames[o % DemoCatalogue.lastNames.count])"),
                "organizationName": .string(name),
            ])
            guard let org = session.organization else { throw DemoSeedError("signup made no organization") }
            if o == 0 { summary.demoOrganizationId = org.id }
            let identity = Identity(userId: session.user.id, email: email, isAdmin: session.user.isAdmin,
                                    claimedOrganizationId: org.id, role: "owner")
            var memberIds = [session.user.id], memberNames = [ownerFirst]
            var members: [(String, String, String)] = []
            for m in 0..<plan.membersPerOrganization {
                let first = source.pick(DemoCatalogue.firstNames)
                members.append((source.uuid(), "agent\(m + 1).org\(o + 1)@example.com", "\(first) \(source.pick(DemoCatalogue.lastNames))"))
                memberIds.append(members[m].0); memberNames.append(first)
            }
            let now = clock.now(), orgId = org.id
            try await database.write { [members] db in
                for (m, member) in members.enumerated() {
                    try UserRepository.insert(db, id: member.0, email: member.1, passwordHash: memberHash, fullName: member.2,
                                              isAdmin: false, now: now)
                    try OrganizationRepository.insertMember(db, organizationId: orgId, userId: member.0, role: m == 0 ? "admin" : "member", now: now)
                }
            }
            summary.users += 1 + members.count
            summary.organizations += 1

            let account = try await WhatsAppAccountService(ctx).connect([
                "provider": "sandbox", "phone_number": .string("+27215550\(String(format: "%03d", o + 1))"), "display_name": .string(name),
            ], identity: identity)
            summary.whatsappAccounts += 1

            var scripts: [BotScript] = []
            for b in 0..<plan.botsPerOrganization {
                clock.set(clock.nowMilliseconds() + 1_000)
                let template = templates[(o * 7 + b) % templates.count]
                let values = DemoCatalogue.fieldValues(for: template.requiredFields.objectValue ?? [:], businessName: name, source: &source)
                let (bot, _) = try await BotService(ctx).createFromTemplate([
                    "template_id": .string(template.id), "organization_id": .string(org.id), "whatsapp_account_id": .string(account.id),
                    "bot_name": .string(b == 0 ? "\(name) Assistant" : "\(name) \(template.name) Bot"), "field_values": .object(values),
                ], identity: identity)
                let script = BotScript(botId: bot.id, config: bot.config,
                                       examplePrompts: template.examplePrompts.arrayValue?.compactMap(\.stringValue) ?? [])
                scripts.append(script)
                summary.bots += 1
                for part in 0..<plan.knowledgeArticlesPerBot {
                    let text = Array(KnowledgeText.faq(businessName: name, script: script, part: part, source: &source).utf8)
                    let upload = try await articles.startUpload(botId: bot.id, organizationId: org.id, userId: session.user.id, body: [
                        "file_name": .string("\(template.vertical)-faq-\(part + 1).txt"), "file_size": .int(text.count),
                        "file_type": "text/plain",
                    ])
                    let token = upload.uploadURL.components(separatedBy: "token=").last
                    _ = try await articles.upload(botId: bot.id, articleId: upload.articleId, token: token, bytes: text, contentType: "text/plain")
                    try await articles.process(botId: bot.id, articleId: upload.articleId, organizationId: org.id)
                    summary.knowledgeArticles += 1
                }
            }
            // The demo organization holds half of the history; the others share the rest.
            let share: Int
            if plan.organizations == 1 {
                share = plan.conversations
            } else if o == 0 {
                share = plan.conversations / 2
            } else {
                let rest = plan.conversations - plan.conversations / 2, others = plan.organizations - 1
                share = rest / others + (o - 1 < rest % others ? 1 : 0)
            }
            tenants.append(.init(organizationId: org.id, accountId: account.id, memberIds: memberIds, memberNames: memberNames,
                                 scripts: scripts, conversations: share, firstIndex: nextIndex))
            nextIndex += share
            progress("organization \(name): \(memberIds.count) users, \(scripts.count) bots, \(share) conversations to generate")
        }

        progress("generating \(plan.conversations) conversations (~\(plan.conversations * plan.messagesPerConversation) messages)")
        let generator = ConversationGenerator(plan: plan, costPer1KTokens: domain.settings.costPer1KTokensUSD)
        let bulkSeed = source.rng.next()
        let (conversations, messages, metrics) = try await bulk { [tenants] db in
            var bulkSource = SeededSource(seed: bulkSeed)
            return try generator.run(db, tenants: tenants, source: &bulkSource)
        }
        summary.conversations = conversations
        summary.messages = messages
        summary.conversationMetrics = metrics
        summary.seconds = monotonicSeconds() - started
        return summary
    }

    /// Bulk work on the writer connection outside group commit: no fsync per batch (the file is checkpointed and
    /// synced at the end), a larger page cache while the indexes grow.
    private func bulk<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await database.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")
            try db.execute(sql: "PRAGMA cache_size = -262144")
            defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
            let result: T
            do { result = try work(db) } catch {
                try? db.execute(sql: "PRAGMA synchronous = FULL")
                throw error
            }
            // Back to FULL first, so the checkpoint syncs everything written above to the main file.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            _ = try db.checkpoint(.truncate)
            return result
        }
    }
}
