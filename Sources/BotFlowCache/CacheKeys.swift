/// The key table of behaviour §3.3 and the invalidation table of §3.4 — the single source of cache key names.
public enum CacheKeys {
    public static func botList(org: String) -> String { "bot:list:\(org)" }
    public static func botDetail(bot: String) -> String { "bot:detail:\(bot)" }
    public static func botConfig(bot: String) -> String { "bot:config:\(bot)" }
    public static func workflowVersions(bot: String) -> String { "workflow:\(bot):versions" }
    public static func workflowActive(bot: String) -> String { "workflow:\(bot):active" }
    public static func conversation(org: String, conversation: String) -> String { "conversation:\(org):\(conversation)" }
    public static func conversationList(org: String, status: String?, bot: String?, phone: String?, limit: String, cursor: String?) -> String {
        "conversation:list:\(org):\(status ?? "*"):\(bot ?? "*"):\(phone ?? "*"):\(limit):\(cursor ?? "-")"
    }
    public static func messages(conversation: String, limit: String, before: String?) -> String { "messages:\(conversation):\(limit):\(before ?? "-")" }
    public static func knowledgeList(bot: String) -> String { "knowledge:list:\(bot)" }
    public static func knowledgeStats(bot: String) -> String { "knowledge:stats:\(bot)" }
    public static func analytics(org: String, _ rest: String) -> String { "analytics:\(org):\(rest)" }
    public static let templatesPublished = "template:published"
    public static func templatesVertical(_ vertical: String) -> String { "template:vertical:\(vertical)" }
    public static func template(_ id: String) -> String { "template:\(id)" }
    public static func marketplace(_ rest: String) -> String { "marketplace:\(rest)" }
}

/// Which keys each kind of committed write deletes (behaviour §3.4).
public enum CacheInvalidation {
    public static func botCreated(org: String) -> [CacheKeyPattern] { [.key(CacheKeys.botList(org: org))] }

    public static func botUpdated(org: String, bot: String) -> [CacheKeyPattern] {
        [.key(CacheKeys.botConfig(bot: bot)), .key(CacheKeys.botDetail(bot: bot)), .key(CacheKeys.botList(org: org))]
    }

    public static func botDeleted(org: String, bot: String) -> [CacheKeyPattern] {
        botUpdated(org: org, bot: bot) + [
            .prefix("workflow:\(bot):"), .key(CacheKeys.knowledgeList(bot: bot)), .key(CacheKeys.knowledgeStats(bot: bot)),
            .prefix("conversation:\(org):"), .prefix("conversation:list:\(org):"), .prefix("analytics:\(org):"),
        ]
    }

    public static func workflowChanged(bot: String) -> [CacheKeyPattern] {
        [.prefix("workflow:\(bot):"), .key(CacheKeys.botDetail(bot: bot))]
    }

    public static func conversationChanged(org: String, conversation: String) -> [CacheKeyPattern] {
        [.key(CacheKeys.conversation(org: org, conversation: conversation)), .prefix("conversation:list:\(org):"),
         .prefix("analytics:\(org):")]
    }

    public static func messageStored(org: String, conversation: String) -> [CacheKeyPattern] {
        [.prefix("messages:\(conversation):")] + conversationChanged(org: org, conversation: conversation)
    }

    public static func messageStatusChanged(org: String, conversation: String) -> [CacheKeyPattern] {
        [.prefix("messages:\(conversation):"), .prefix("analytics:\(org):")]
    }

    public static func knowledgeChanged(bot: String) -> [CacheKeyPattern] {
        [.key(CacheKeys.knowledgeList(bot: bot)), .key(CacheKeys.knowledgeStats(bot: bot))]
    }

    public static func templateChanged(id: String) -> [CacheKeyPattern] {
        [.key(CacheKeys.template(id)), .key(CacheKeys.templatesPublished), .prefix("template:vertical:")]
    }

    public static let marketplaceChanged: [CacheKeyPattern] = [.prefix("marketplace:")]

    public static func rollup(org: String) -> [CacheKeyPattern] { [.prefix("analytics:\(org):")] }
}
