import BotFlowCore

/// What `botflow seed-demo` makes. The same plan (seed, sizes, `nowMilliseconds`) always yields the same data
/// except what the domain services generate themselves (user, organization, account and bot ids, password salts).
public struct DemoPlan: Sendable {
    public var seed: UInt64 = 42
    public var organizations = 4
    /// Extra members per organization besides the owner (inserted with the owner's password hash: one PBKDF2 run).
    public var membersPerOrganization = 2
    public var botsPerOrganization = 5
    public var conversations = 100_000
    /// Mean messages per conversation (a customer message and a bot reply per turn, plus an agent reply on handoffs).
    public var messagesPerConversation = 10
    public var knowledgeArticlesPerBot = 2
    /// Conversations spread over this many days before `nowMilliseconds`.
    public var days = 30
    /// The end of the generated history (epoch ms); a parameter so a run can be replayed exactly.
    public var nowMilliseconds: Int64
    /// The demo login: owner of the first organization, which holds half of the conversations.
    public var demoEmail = "demo@example.com"
    public var demoPassword = "demo-password"
    /// Rows per bulk transaction.
    public var batchConversations = 2_000

    public init(nowMilliseconds: Int64) { self.nowMilliseconds = nowMilliseconds }

    /// Refuses sizes that cannot make sense before anything is written.
    public func validate() throws(ConfigurationError) {
        guard organizations >= 1, organizations <= 1_000 else { throw ConfigurationError("--organizations must be 1...1000") }
        guard botsPerOrganization >= 1, botsPerOrganization <= 100 else { throw ConfigurationError("--bots-per-organization must be 1...100") }
        guard membersPerOrganization >= 0, membersPerOrganization <= 100 else { throw ConfigurationError("--members-per-organization must be 0...100") }
        guard conversations >= 0, conversations <= 10_000_000 else { throw ConfigurationError("--conversations must be 0...10000000") }
        guard messagesPerConversation >= 2, messagesPerConversation <= 200 else {
            throw ConfigurationError("--messages-per-conversation must be 2...200")
        }
        guard knowledgeArticlesPerBot >= 0, knowledgeArticlesPerBot <= 50 else { throw ConfigurationError("--articles-per-bot must be 0...50") }
        guard days >= 1, days <= 3650 else { throw ConfigurationError("--days must be 1...3650") }
        guard demoPassword.count >= 8 else { throw ConfigurationError("the demo password must have at least 8 characters") }
    }
}

/// What was made, printed by the command and checked by the tests.
public struct DemoSummary: Sendable {
    public var organizations = 0
    public var users = 0
    public var whatsappAccounts = 0
    public var bots = 0
    public var knowledgeArticles = 0
    public var conversations = 0
    public var messages = 0
    public var conversationMetrics = 0
    public var demoOrganizationId = ""
    public var demoEmail = ""
    public var demoPassword = ""
    public var seconds = 0.0
}
